// File: plugins/sfa/handlers.h
//
// The SalesService methods (protos/rapport/sfa/v1/sfa.proto, docs/sfa.md)
// and the SFA hooks, one function each, grouped by the file that defines
// them. sfa_plugin.cc registers them. Handlers that need the time take
// `now` (micros, the host's clock) from the plugin; none keeps state of its
// own besides the keyspace.
#ifndef RAPPORT_PLUGINS_SFA_HANDLERS_H_
#define RAPPORT_PLUGINS_SFA_HANDLERS_H_

#include <cstdint>
#include <string>

#include "google/protobuf/timestamp.pb.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::sfa {

using rapport::sdk::Call;
using rapport::sdk::Status;

// ---- pipelines.cc: the sales process and its enforcement

// The pre-commit hook on opportunity creates and updates: applies the sales
// process (process.h, Enforce) and, on a stage change, writes the stage
// history (hist/, se/) into the opportunity's batch.
Status EnforceProcess(Call& call, const rapport::v1::Opportunity* before,
                      rapport::v1::Opportunity* after, int64_t now);
Status SetPipeline(Call& call, const v1::SetPipelineRequest& request, int64_t now,
                   v1::Pipeline* out);
Status GetPipeline(Call& call, const v1::GetPipelineRequest& request, v1::Pipeline* out);
Status ListPipelines(Call& call, const v1::ListPipelinesRequest& request,
                     v1::ListPipelinesResponse* out);
Status GetStageHistory(Call& call, const v1::GetStageHistoryRequest& request,
                       v1::GetStageHistoryResponse* out);
// `name`, or the tenant's only pipeline when empty ("" if it has several or
// none).
std::string PipelineName(const Call& call, const std::string& name);
// OK when PipelineName(requested) names a stored pipeline.
Status FindPipeline(const Call& call, const std::string& requested);

// ---- tasks.cc: tasks, the agenda, the next step

Status CreateTask(Call& call, const v1::CreateTaskRequest& request, int64_t now, v1::Task* out);
Status UpdateTask(Call& call, const v1::UpdateTaskRequest& request, int64_t now, v1::Task* out);
Status GetTask(Call& call, const v1::GetTaskRequest& request, v1::Task* out);
Status ListTasks(Call& call, const v1::ListTasksRequest& request, v1::ListTasksResponse* out);
Status GetAgenda(Call& call, const v1::GetAgendaRequest& request, int64_t now,
                 v1::GetAgendaResponse* out);
Status GetNextStep(Call& call, const v1::GetNextStepRequest& request, v1::GetNextStepResponse* out);

// The interaction attribute that names a task the interaction completes.
inline constexpr char kCompletesTaskAttribute[] = "sfa_completes_task";
// What CompleteTaskByInteraction did, for the plugin's log and metrics.
struct TaskCompletion {
  bool completed = false;  // an open task was closed (counted even if saving it failed)
  std::string ignored;     // why the named task was not touched: a warning to log
};
// Closes the open task that `interaction` names in kCompletesTaskAttribute,
// as of `commit_time`, if it is a task of the interaction's customer or
// opportunity (post-commit, on interaction creates).
Status CompleteTaskByInteraction(const Call& call, const rapport::v1::Interaction& interaction,
                                 const google::protobuf::Timestamp& commit_time,
                                 TaskCompletion* result);

// ---- team_selling.cc: an opportunity's team and splits

Status SetOpportunityTeam(Call& call, const v1::SetOpportunityTeamRequest& request, int64_t now,
                          v1::OpportunityTeam* out);
Status GetOpportunityTeam(Call& call, const v1::GetOpportunityTeamRequest& request,
                          v1::OpportunityTeam* out);

// ---- forecast.cc: forecasts, snapshots and their accuracy

Status GetForecast(Call& call, const v1::GetForecastRequest& request, v1::GetForecastResponse* out);
Status CreateForecastSnapshot(Call& call, const v1::CreateForecastSnapshotRequest& request,
                              int64_t now, v1::ForecastSnapshot* out);
Status ListForecastSnapshots(Call& call, const v1::ListForecastSnapshotsRequest& request,
                             v1::ListForecastSnapshotsResponse* out);
Status GetForecastAccuracy(Call& call, const v1::GetForecastAccuracyRequest& request, int64_t now,
                           v1::GetForecastAccuracyResponse* out);

// ---- views.cc: pipeline views over the aggregates (aggregates.h)

Status GetFunnel(Call& call, const v1::GetFunnelRequest& request, v1::GetFunnelResponse* out);
Status ListStalledDeals(Call& call, const v1::ListStalledDealsRequest& request, int64_t now,
                        v1::ListStalledDealsResponse* out);

// ---- line_items.cc: the price book and an opportunity's line items

Status SetPriceBookEntry(Call& call, const v1::SetPriceBookEntryRequest& request,
                         v1::PriceBookEntry* out);
Status ListPriceBook(Call& call, const v1::ListPriceBookRequest& request,
                     v1::ListPriceBookResponse* out);
Status SetLineItems(Call& call, const v1::SetLineItemsRequest& request, v1::LineItems* out);
Status GetLineItems(Call& call, const v1::GetLineItemsRequest& request, v1::LineItems* out);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_HANDLERS_H_
