// File: plugins/sfa/aggregates.h
//
// The forecast and pipeline-view aggregates, maintained from post-commit
// events and read by GetForecast, GetFunnel and ListStalledDeals without
// scanning opportunities. Each opportunity's contribution is kept
// (os/<id>, OpportunityState), and every change subtracts exactly what the
// previous one added, so sums stay exact whatever the order of pipeline
// edits; the host commits a post-commit hook's writes with the plugin's
// feed cursor, so each event is applied once.
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
// Records activity (an interaction) on an open opportunity at `micros`.
Status RecordActivity(const Call& call, const std::string& opportunity_id, int64_t micros);

Status BuildFunnel(const Call& call, const v1::Pipeline& pipeline, v1::GetFunnelResponse* out);
// Rows for the months [first, last] (month indexes), sorted by group then
// currency; `currency` "" means all.
Status BuildForecast(const Call& call, int first, int last, v1::ForecastGrouping grouping,
                     const std::string& currency, std::vector<v1::ForecastRow>* rows);
// Open deals of `pipeline` whose last activity is at or before
// `cutoff_micros`, least recent first, after `page_token`.
Status ListStalled(const Call& call, const v1::Pipeline& pipeline, int64_t cutoff_micros,
                   int page_size, const std::string& page_token, v1::ListStalledDealsResponse* out);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_AGGREGATES_H_
