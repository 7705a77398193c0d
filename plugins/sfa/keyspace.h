// File: plugins/sfa/keyspace.h
//
// The SFA module's storage contract: every key it writes in its keyspace,
// and the one place that spells them. These keys are on disk; never change
// an existing layout (add new prefixes instead). Every file of the plugin
// builds its keys with the functions below.
//
// Keyspace (per tenant; names of pipelines, stages and products never hold
// '/'; numbers are zero-padded decimal so keys sort numerically):
//
//   pl/<pipeline>                       Pipeline, current version
//   plv/<pipeline>/<version:10>         Pipeline, every version
//   hist/<opp>/<revision:12>            StageChange (pre-commit: atomic with the update)
//   se/<opp>                            micros the opportunity entered its stage (pre-commit)
//   os/<opp>                            OpportunityState: what the opportunity contributes
//                                       to the aggregates below (post-commit)
//   fc/<YYYY-MM>/<owner>/<currency>/<pipeline>/<stage>/<o|w|l>
//                                       Aggregate{count, amount, weighted}: forecast by
//                                       close month; category resolved when read
//   fn/<pipeline>/<stage>/<currency>    Aggregate{count, amount}: deals in the stage now
//   fe/<pipeline>/<stage>               Aggregate{count}: deals that ever entered it
//   fa/<pipeline>/<stage>               Aggregate{count}: ... and later reached a later stage
//   ft/<pipeline>/<stage>               Aggregate{count, total_micros}: completed stays
//   act/<pipeline>/<micros:20>/<opp>    "" open deal by last activity (stage change or
//                                       interaction): stalled deals are a range scan
//   bla/<opp>                           micros:20 of the opportunity's latest interaction,
//                                       kept only while a backfill runs (interactions
//                                       come before opportunities in it)
//   task/<task>                         Task
//   tasg/<assignee>/<task>              "" every task of an assignee (ids are ULIDs)
//   topn/<assignee>/<due:20>/<task>     "" open tasks by due time (agenda)
//   topp/<opp>/<task>                   "" every task of an opportunity
//   tonx/<opp>/<due:20>/<task>          "" open tasks of an opportunity by due (next step)
//   tcus/<customer>/<task>              "" every task of a customer
//   team/<opp>                          OpportunityTeam
//   snap/<snapshot>                     ForecastSnapshot
//   pb/<product_code>                   PriceBookEntry
//   li/<opp>                            LineItems
//
// Aggregates (fc/ fn/ fe/ fa/ ft/ act/ os/ bla/) are written only by post-commit
// hooks and the backfill (backfill.cc), which run one at a time per plugin and
// whose writes the host
// commits with the feed cursor; hist/ and se/ only by the pre-commit hook,
// in the opportunity's batch. Stages removed from a pipeline stay in these
// keys under their old names and are folded into their successor when read.
#ifndef RAPPORT_PLUGINS_SFA_KEYSPACE_H_
#define RAPPORT_PLUGINS_SFA_KEYSPACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "util.h"

namespace rapport::sfa::keys {

// ---- the sales process (pipelines.cc)

inline constexpr char kPipelines[] = "pl/";
inline std::string Pipeline(const std::string& name) { return kPipelines + name; }
inline std::string PipelineVersion(const std::string& name, int64_t version) {
  return "plv/" + name + "/" + ZeroPad(version, 10);
}
inline std::string StageHistoryPrefix(const std::string& opp) { return "hist/" + opp + "/"; }
// By revision; a change without one (revision 0) by micros, 20 digits.
inline std::string StageChange(const std::string& opp, int64_t revision, int64_t micros) {
  return StageHistoryPrefix(opp) + (revision > 0 ? ZeroPad(revision, 12) : ZeroPad(micros, 20));
}
inline std::string StageEntered(const std::string& opp) { return "se/" + opp; }

// ---- aggregates (aggregates.cc)

inline constexpr char kOpportunityStates[] = "os/";
inline std::string OpportunityState(const std::string& opp) { return kOpportunityStates + opp; }
inline std::string ForecastMonthPrefix(const std::string& month) { return "fc/" + month + "/"; }
// `status` is "o", "w" or "l".
inline std::string Forecast(const std::string& month, const std::string& owner,
                            const std::string& currency, const std::string& pipeline,
                            const std::string& stage, const std::string& status) {
  return ForecastMonthPrefix(month) + owner + "/" + currency + "/" + pipeline + "/" + stage + "/" +
         status;
}
// The four funnel aggregates of a pipeline's stages, each
// <kind><pipeline>/<stage>[/<currency>].
inline constexpr char kFunnelNow[] = "fn/";       // deals in the stage now, by currency
inline constexpr char kFunnelEntered[] = "fe/";   // deals that ever entered it
inline constexpr char kFunnelAdvanced[] = "fa/";  // ... and later reached a later stage
inline constexpr char kFunnelStays[] = "ft/";     // completed stays
inline std::string FunnelPrefix(const char* kind, const std::string& pipeline) {
  return kind + pipeline + "/";
}
inline std::string FunnelNow(const std::string& pipeline, const std::string& stage,
                             const std::string& currency) {
  return FunnelPrefix(kFunnelNow, pipeline) + stage + "/" + currency;
}
inline std::string FunnelStage(const char* kind, const std::string& pipeline,
                               const std::string& stage) {
  return FunnelPrefix(kind, pipeline) + stage;
}
inline constexpr char kActivity[] = "act/";
inline std::string ActivityPrefix(const std::string& pipeline) {
  return kActivity + pipeline + "/";
}
inline std::string Activity(const std::string& pipeline, int64_t micros, const std::string& opp) {
  return ActivityPrefix(pipeline) + ZeroPad(micros, 20) + "/" + opp;
}

inline constexpr char kBackfillActivity[] = "bla/";
inline std::string BackfillActivity(const std::string& opp) { return kBackfillActivity + opp; }
inline constexpr char kForecast[] = "fc/";
// Every prefix of state derived from records, which a backfill clears first.
inline std::vector<std::string> DerivedPrefixes() {
  return {kOpportunityStates, kForecast,    kFunnelNow, kFunnelEntered,
          kFunnelAdvanced,    kFunnelStays, kActivity,  kBackfillActivity};
}

// ---- tasks (tasks.cc)

inline std::string Task(const std::string& id) { return "task/" + id; }
inline std::string AssigneeTasksPrefix(const std::string& assignee) {
  return "tasg/" + assignee + "/";
}
inline std::string AssigneeOpenTasksPrefix(const std::string& assignee) {
  return "topn/" + assignee + "/";
}
inline std::string AssigneeOpenTask(const std::string& assignee, int64_t due_micros,
                                    const std::string& id) {
  return AssigneeOpenTasksPrefix(assignee) + ZeroPad(due_micros, 20) + "/" + id;
}
inline std::string OpportunityTasksPrefix(const std::string& opp) { return "topp/" + opp + "/"; }
inline std::string OpportunityOpenTasksPrefix(const std::string& opp) {
  return "tonx/" + opp + "/";
}
inline std::string OpportunityOpenTask(const std::string& opp, int64_t due_micros,
                                       const std::string& id) {
  return OpportunityOpenTasksPrefix(opp) + ZeroPad(due_micros, 20) + "/" + id;
}
inline std::string CustomerTasksPrefix(const std::string& customer) {
  return "tcus/" + customer + "/";
}

// ---- team selling, forecast snapshots, products

inline std::string Team(const std::string& opp) { return "team/" + opp; }
inline constexpr char kSnapshots[] = "snap/";
inline std::string Snapshot(const std::string& id) { return kSnapshots + id; }
inline constexpr char kPriceBook[] = "pb/";
inline std::string PriceBookEntry(const std::string& product_code) {
  return kPriceBook + product_code;
}
inline std::string LineItems(const std::string& opp) { return "li/" + opp; }

// The single keys an opportunity owns, removed when it is deleted (its
// stage history stays).
inline std::vector<std::string> OfOpportunity(const std::string& opp) {
  return {OpportunityState(opp), StageEntered(opp), Team(opp), LineItems(opp)};
}

}  // namespace rapport::sfa::keys

#endif  // RAPPORT_PLUGINS_SFA_KEYSPACE_H_
