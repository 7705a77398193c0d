#include "backfill.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aggregates.h"
#include "keyspace.h"
#include "util.h"

namespace rapport::sfa {

Status StartBackfill(const Call& call) {
  for (const std::string& prefix : keys::DerivedPrefixes()) {
    std::vector<std::string> found;
    Status scanned = call.Scan(prefix, [&](const std::string& key, const std::string&) {
      found.push_back(key);
      return true;
    });
    if (!scanned.ok()) return scanned;
    for (const std::string& key : found) {
      if (Status s = call.Delete(key); !s.ok()) return s;
    }
  }
  return {};
}

Status BackfillInteraction(const Call& call, const rapport::v1::Interaction& interaction) {
  if (interaction.opportunity_id().empty()) return {};
  const int64_t when = ToMicros(interaction.has_occurred_at() ? interaction.occurred_at()
                                                              : interaction.create_time());
  const std::string key = keys::BackfillActivity(interaction.opportunity_id());
  int64_t latest = 0;
  if (auto stored = call.Get(key); stored && ParseZeroPadded(*stored, &latest) && latest >= when) {
    return {};
  }
  return call.Put(key, ZeroPad(when, 20));
}

Status BackfillOpportunity(const Call& call, const rapport::v1::Opportunity& opp) {
  const std::string& id = opp.id();
  std::map<std::string, std::optional<v1::Pipeline>> pipelines;
  auto pipeline_of = [&](const std::string& name) -> const v1::Pipeline* {
    auto it = pipelines.find(name);
    if (it == pipelines.end()) it = pipelines.emplace(name, LoadPipeline(call, name)).first;
    return it->second ? &*it->second : nullptr;
  };
  // The stage changes SFA recorded, replayed in order, as the hooks saw them.
  std::vector<v1::StageChange> history;
  Status scanned = call.Scan(keys::StageHistoryPrefix(id),
                             [&](const std::string& key, const std::string& value) {
                               v1::StageChange change;
                               if (!change.ParseFromString(value))
                                 return true;  // not a change: skip it
                               (void)key;
                               history.push_back(std::move(change));
                               return true;
                             });
  if (!scanned.ok()) return scanned;
  std::optional<v1::OpportunityState> state;
  for (const v1::StageChange& change : history) {
    rapport::v1::Opportunity at;
    at.set_pipeline(change.pipeline());
    at.set_stage(change.to_stage());
    state = NextState(at, state ? &*state : nullptr, ToMicros(change.change_time()),
                      pipeline_of(change.pipeline()));
  }
  // The record as it is now; a stage it reached unseen counts from its last
  // update.
  v1::OpportunityState next = NextState(opp, state ? &*state : nullptr, ToMicros(opp.update_time()),
                                        pipeline_of(opp.pipeline()));
  const std::string activity_key = keys::BackfillActivity(id);
  if (auto stored = call.Get(activity_key)) {
    int64_t latest = 0;
    if (ParseZeroPadded(*stored, &latest)) {
      next.set_last_activity_micros(std::max(next.last_activity_micros(), latest));
    }
    if (Status s = call.Delete(activity_key); !s.ok()) return s;
  }
  return ReplaceState(call, id, nullptr, next);
}

}  // namespace rapport::sfa
