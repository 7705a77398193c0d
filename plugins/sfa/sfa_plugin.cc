// File: plugins/sfa/sfa_plugin.cc
//
// The SFA module (sales force automation): the sales process and its
// enforcement on opportunity writes, tasks and agendas, team selling,
// forecasts and pipeline views from aggregates, price book and line items.
// Built against sdk/ and protos/ only; the API is rapport.sfa.v1.SalesService
// (protos/rapport/sfa/v1/sfa.proto), documented in docs/sfa.md.
//
// This file registers the hooks and methods; the work is done in
//   pipelines.cc     the sales process, its enforcement and stage history
//   tasks.cc         tasks, agenda, next step, completion by interaction
//   team_selling.cc  an opportunity's team and splits
//   forecast.cc      forecasts, snapshots, accuracy
//   views.cc         funnel and stalled deals
//   line_items.cc    price book and line items
//   aggregates.cc    the sums behind forecasts and views (post-commit)
//   process.cc       the pure rules of the sales process
// and the keyspace they share is laid out in keyspace.h.
#include <string>

#include "aggregates.h"
#include "backfill.h"
#include "handlers.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "util.h"

namespace rapport::sfa {
namespace {

using rapport::v1::ChangeEvent;
using rapport::v1::Interaction;
using rapport::v1::Opportunity;

constexpr char kService[] = "/rapport.sfa.v1.SalesService/";

class Sfa : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    for (auto op : {RAPPORT_OP_CREATE, RAPPORT_OP_UPDATE}) {
      OnPreCommit<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, op, 100,
                               [this](Call& call, const Opportunity* before, Opportunity* after) {
                                 return EnforceProcess(call, before, after, NowMicros());
                               });
    }
    for (auto op : {RAPPORT_OP_CREATE, RAPPORT_OP_UPDATE, RAPPORT_OP_DELETE}) {
      OnPostCommit<ChangeEvent>(
          RAPPORT_RESOURCE_OPPORTUNITY, op, 100,
          [](Call& call, const ChangeEvent& event) { return ApplyOpportunityChange(call, event); });
    }
    OnPostCommit<ChangeEvent>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const ChangeEvent& event) { return OnInteraction(call, event); });
    // Aggregates rebuilt from the records (backfill.h): the start clears
    // them, interactions come before opportunities.
    if (Status s = OnBackfillStart([](Call& call) { return StartBackfill(call); }); !s.ok()) {
      return s;
    }
    if (Status s = OnBackfill<Interaction>(RAPPORT_RESOURCE_INTERACTION,
                                           [](Call& call, const Interaction& record) {
                                             return BackfillInteraction(call, record);
                                           });
        !s.ok()) {
      return s;
    }
    if (Status s = OnBackfill<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY,
                                           [](Call& call, const Opportunity& record) {
                                             return BackfillOpportunity(call, record);
                                           });
        !s.ok()) {
      return s;
    }

    Add("SetPipeline", SetPipeline);
    Add("GetPipeline", GetPipeline);
    Add("ListPipelines", ListPipelines);
    Add("GetStageHistory", GetStageHistory);
    Add("CreateTask", CreateTask);
    Add("UpdateTask", UpdateTask);
    Add("GetTask", GetTask);
    Add("ListTasks", ListTasks);
    Add("GetAgenda", GetAgenda);
    Add("GetNextStep", GetNextStep);
    Add("SetOpportunityTeam", SetOpportunityTeam);
    Add("GetOpportunityTeam", GetOpportunityTeam);
    Add("GetForecast", GetForecast);
    Add("CreateForecastSnapshot", CreateForecastSnapshot);
    Add("ListForecastSnapshots", ListForecastSnapshots);
    Add("GetForecastAccuracy", GetForecastAccuracy);
    Add("GetFunnel", GetFunnel);
    Add("ListStalledDeals", ListStalledDeals);
    Add("SetPriceBookEntry", SetPriceBookEntry);
    Add("ListPriceBook", ListPriceBook);
    Add("SetLineItems", SetLineItems);
    Add("GetLineItems", GetLineItems);
    return methods_status_;
  }

 private:
  // Registers kService + `name`.
  template <typename Request, typename Response>
  void Add(const char* name, Status (*handler)(Call&, const Request&, Response*)) {
    Keep(Method<Request, Response>(std::string(kService) + name, handler));
  }
  // The same for a handler that takes the host's time.
  template <typename Request, typename Response>
  void Add(const char* name, Status (*handler)(Call&, const Request&, int64_t, Response*)) {
    Keep(Method<Request, Response>(std::string(kService) + name,
                                   [this, handler](Call& c, const Request& r, Response* o) {
                                     return handler(c, r, NowMicros(), o);
                                   }));
  }

  // Post-commit on interaction creates: the interaction is activity on its
  // opportunity (stalled deals) and may complete a task.
  Status OnInteraction(Call& call, const ChangeEvent& event) {
    rapport::v1::Interaction interaction;
    if (!interaction.ParseFromString(event.after().value())) {
      return Status::Internal("change event " + std::to_string(event.sequence()) +
                              ": unreadable interaction");
    }
    const int64_t when = interaction.has_occurred_at() ? ToMicros(interaction.occurred_at())
                                                       : ToMicros(event.commit_time());
    if (!interaction.opportunity_id().empty()) {
      if (Status s = RecordActivity(call, interaction.opportunity_id(), when); !s.ok()) return s;
    }
    TaskCompletion completion;
    Status s = CompleteTaskByInteraction(call, interaction, event.commit_time(), &completion);
    if (!completion.ignored.empty()) {
      Log(RAPPORT_LOG_WARN, completion.ignored);
      Metric("completes_task_ignored", 1);
    }
    if (completion.completed) Metric("tasks_completed_by_interaction", 1);
    return s;
  }

  // The first method the host refused, with its reason (Init returns it).
  Status methods_status_;
  void Keep(Status s) {
    if (methods_status_.ok()) methods_status_ = std::move(s);
  }
};

}  // namespace
}  // namespace rapport::sfa

RAPPORT_PLUGIN(rapport::sfa::Sfa, "sfa", "0.1.0")
