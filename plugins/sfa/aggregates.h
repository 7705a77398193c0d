// File: plugins/sfa/aggregates.h
//
// The forecast and pipeline-view aggregates, maintained from post-commit
// events and read by GetForecast, GetFunnel and ListStalledDeals without
// scanning opportunities. Each opportunity's contribution is kept
// (os/<id>, OpportunityState; keyspace.h), and every change subtracts exactly what the
// previous one added, so sums stay exact whatever the order of pipeline
// edits; the host commits a post-commit hook's writes with the plugin's
// feed cursor, so each event is applied once. Amount sums are stored as
// exact 128-bit totals (rapport/sdk/exact_sum.h): they never wrap.
#ifndef RAPPORT_PLUGINS_SFA_AGGREGATES_H_
#define RAPPORT_PLUGINS_SFA_AGGREGATES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rapport/sdk/plugin.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/sfa/v1/sfa_storage.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::sfa {

using rapport::sdk::Call;
using rapport::sdk::Status;

std::optional<v1::Pipeline> LoadPipeline(const Call& call, const std::string& name);
std::vector<v1::Pipeline> LoadPipelines(const Call& call);

// The state an opportunity record contributes, given its previous state
// (null if none) and the commit time of the change.
v1::OpportunityState NextState(const rapport::v1::Opportunity& opp,
                               const v1::OpportunityState* previous, int64_t commit_micros,
                               const v1::Pipeline* pipeline);

// Applies one committed opportunity change (create, update or delete).
Status ApplyOpportunityChange(const Call& call, const rapport::v1::ChangeEvent& event);
// Makes `next` opportunity `id`'s state: takes away what `previous` (null if
// none) contributed, adds what `next` does, and moves its activity index.
Status ReplaceState(const Call& call, const std::string& id, const v1::OpportunityState* previous,
                    const v1::OpportunityState& next);
// Records activity (an interaction) on an open opportunity at `micros`.
Status RecordActivity(const Call& call, const std::string& opportunity_id, int64_t micros);

// The funnel of `pipeline` over the opportunities `scope` may read: the
// stored aggregates for a caller who reads the whole tenant; otherwise summed
// from the visible opportunities' states (a scan of every opportunity state
// of the tenant). OUT_OF_RANGE, naming the field, when an amount total does
// not fit int64.
Status BuildFunnel(const Call& call, const rapport::sdk::ReadScope& scope,
                   const v1::Pipeline& pipeline, v1::GetFunnelResponse* out);
// Rows for the months [first, last] (month indexes), sorted by group then
// currency; `currency` "" means all. Only deals of owners `scope` may read
// are counted. OUT_OF_RANGE, naming the row and field, when a total does not
// fit int64.
Status BuildForecast(const Call& call, const rapport::sdk::ReadScope& scope, int first, int last,
                     v1::ForecastGrouping grouping, const std::string& currency,
                     std::vector<v1::ForecastRow>* rows);
// Open deals of `pipeline` whose last activity is at or before
// `cutoff_micros`, least recent first, after `page_token`.
Status ListStalled(const Call& call, const v1::Pipeline& pipeline, int64_t cutoff_micros,
                   int page_size, const std::string& page_token, v1::ListStalledDealsResponse* out);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_AGGREGATES_H_
