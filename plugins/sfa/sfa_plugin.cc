// File: plugins/sfa/sfa_plugin.cc
//
// The SFA module (sales force automation): the sales process and its
// enforcement on opportunity writes, tasks and agendas, team selling,
// forecasts and pipeline views from aggregates, price book and line items.
// Built against sdk/ and protos/ only; the API is rapport.sfa.v1.SalesService
// (protos/rapport/sfa/v1/sfa.proto), documented in docs/sfa.md.
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
// Aggregates (fc/ fn/ fe/ fa/ ft/ act/ os/) are written only by post-commit
// hooks, which run one at a time per plugin and whose writes the host
// commits with the feed cursor; hist/ and se/ only by the pre-commit hook,
// in the opportunity's batch. Stages removed from a pipeline stay in these
// keys under their old names and are folded into their successor when read.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aggregates.h"
#include "price_source.h"
#include "process.h"
#include "rapport/sdk/exact_sum.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "util.h"

namespace rapport::sfa {
namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Opportunity;

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
constexpr int64_t kMaxUnits = 9000000000000000LL;
constexpr char kService[] = "/rapport.sfa.v1.SalesService/";
constexpr char kCompletesTaskAttribute[] = "sfa_completes_task";

template <typename Message>
std::optional<Message> Load(const Call& call, const std::string& key) {
  auto stored = call.Get(key);
  if (!stored) return std::nullopt;
  Message m;
  if (!m.ParseFromString(*stored)) return std::nullopt;
  return m;
}

Status Save(const Call& call, const std::string& key, const google::protobuf::MessageLite& m) {
  return call.Put(key, m.SerializeAsString());
}

Status Aborted(std::string message) { return Status{RAPPORT_ABORTED, std::move(message)}; }

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsProductCode(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

int PageSize(int requested, int fallback, int maximum) {
  if (requested <= 0) return fallback;
  return std::min(requested, maximum);
}

std::optional<Opportunity> ReadOpportunity(const Call& call, const std::string& id) {
  if (id.empty()) return std::nullopt;
  return call.GetRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, id);
}

Status OpportunityNotFound(const std::string& field, const std::string& id) {
  if (id.empty()) return Status::Invalid(field + ": is required");
  return Status::NotFound(field + ": opportunity '" + id + "' not found");
}

// ------------------------------------------------------------------ tasks

std::vector<std::string> TaskIndexKeys(const v1::Task& t) {
  std::vector<std::string> keys = {"tasg/" + t.assignee() + "/" + t.id()};
  if (!t.opportunity_id().empty()) keys.push_back("topp/" + t.opportunity_id() + "/" + t.id());
  if (!t.customer_id().empty()) keys.push_back("tcus/" + t.customer_id() + "/" + t.id());
  if (t.status() == v1::TASK_STATUS_OPEN) {
    const std::string due = Pad(ToMicros(t.due_time()), 20);
    keys.push_back("topn/" + t.assignee() + "/" + due + "/" + t.id());
    if (!t.opportunity_id().empty()) {
      keys.push_back("tonx/" + t.opportunity_id() + "/" + due + "/" + t.id());
    }
  }
  return keys;
}

// Writes `task` and moves its index entries from `old`'s.
Status SaveTask(const Call& call, const v1::Task* old, const v1::Task& task) {
  std::vector<std::string> now = TaskIndexKeys(task);
  if (old) {
    for (const auto& key : TaskIndexKeys(*old)) {
      if (std::find(now.begin(), now.end(), key) != now.end()) continue;
      if (Status s = call.Delete(key); !s.ok()) return s;
    }
  }
  for (const auto& key : now) {
    if (Status s = call.Put(key, ""); !s.ok()) return s;
  }
  return Save(call, "task/" + task.id(), task);
}

// Assignee, creator, and whoever may read the linked opportunity or customer
// (which includes admins).
bool CanSeeTask(const Call& call, const v1::Task& t) {
  const std::string user = call.user();
  if (user == t.assignee() || user == t.creator()) return true;
  if (!t.opportunity_id().empty() && ReadOpportunity(call, t.opportunity_id())) return true;
  return !t.customer_id().empty() &&
         call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, t.customer_id());
}

std::optional<v1::Task> LoadVisibleTask(const Call& call, const std::string& id) {
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  auto task = Load<v1::Task>(call, "task/" + id);
  if (!task || !CanSeeTask(call, *task)) return std::nullopt;
  return task;
}

Status CheckDueTime(const std::string& field, const google::protobuf::Timestamp& due, bool present,
                    int64_t not_before, const std::string& not_before_what) {
  if (!present) return Status::Invalid(field + ": is required");
  if (due.seconds() < 0) return Status::Invalid(field + ": is before 1970");
  if (due.nanos() < 0 || due.nanos() > 999999999) {
    return Status::Invalid(field + ": nanos must be 0..999999999");
  }
  const int64_t micros = ToMicros(due);
  if (micros < not_before) {
    return Status::Invalid(field + ": " + FormatMicros(micros) + " is before " + not_before_what +
                           " (" + FormatMicros(not_before) + ")");
  }
  if (micros > not_before + 3660 * kMicrosPerDay) {
    return Status::Invalid(field + ": " + FormatMicros(micros) + " is more than 10 years ahead");
  }
  return {};
}

Status CheckUser(const Call& call, const std::string& field, const std::string& user) {
  if (user.empty()) return Status::Invalid(field + ": is required");
  if (!call.UserTeams(user)) return Status::Invalid(field + ": unknown user '" + user + "'");
  return {};
}

// Characters (UTF-8 code points) in `text`.
size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

Status CheckTitle(const std::string& field, const std::string& title) {
  if (title.empty()) return Status::Invalid(field + ": is required");
  if (CodePoints(title) > 200) return Status::Invalid(field + ": at most 200 characters");
  return {};
}

// --------------------------------------------------------------- the plugin

class Sfa : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    for (auto op : {RAPPORT_OP_CREATE, RAPPORT_OP_UPDATE}) {
      OnPreCommit<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, op, 100,
                               [this](Call& call, const Opportunity* before, Opportunity* after) {
                                 return EnforceProcess(call, before, after);
                               });
    }
    for (auto op : {RAPPORT_OP_CREATE, RAPPORT_OP_UPDATE, RAPPORT_OP_DELETE}) {
      OnPostCommit<rapport::v1::ChangeEvent>(RAPPORT_RESOURCE_OPPORTUNITY, op, 100,
                                             [](Call& call, const rapport::v1::ChangeEvent& event) {
                                               return ApplyOpportunityChange(call, event);
                                             });
    }
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::ChangeEvent& event) {
          return OnInteraction(call, event);
        });

    bool ok = true;
    auto method = [&](const char* name, auto handler) {
      using Traits = MethodTraits<decltype(&decltype(handler)::operator())>;
      ok = Method<typename Traits::Request, typename Traits::Response>(std::string(kService) + name,
                                                                       handler) &&
           ok;
    };
    method("SetPipeline", [this](Call& c, const v1::SetPipelineRequest& r, v1::Pipeline* o) {
      return SetPipeline(c, r, o);
    });
    method("GetPipeline", [](Call& c, const v1::GetPipelineRequest& r, v1::Pipeline* o) {
      return GetPipeline(c, r, o);
    });
    method("ListPipelines",
           [](Call& c, const v1::ListPipelinesRequest&, v1::ListPipelinesResponse* o) -> Status {
             for (auto& p : LoadPipelines(c)) *o->add_pipelines() = std::move(p);
             return {};
           });
    method("GetStageHistory",
           [](Call& c, const v1::GetStageHistoryRequest& r, v1::GetStageHistoryResponse* o) {
             return GetStageHistory(c, r, o);
           });
    method("CreateTask", [this](Call& c, const v1::CreateTaskRequest& r, v1::Task* o) {
      return CreateTask(c, r, o);
    });
    method("UpdateTask", [this](Call& c, const v1::UpdateTaskRequest& r, v1::Task* o) {
      return UpdateTask(c, r, o);
    });
    method("GetTask", [](Call& c, const v1::GetTaskRequest& r, v1::Task* o) -> Status {
      auto task = LoadVisibleTask(c, r.id());
      if (!task) return Status::NotFound("task '" + r.id() + "' not found");
      *o = std::move(*task);
      return {};
    });
    method("ListTasks", [](Call& c, const v1::ListTasksRequest& r, v1::ListTasksResponse* o) {
      return ListTasks(c, r, o);
    });
    method("GetAgenda", [this](Call& c, const v1::GetAgendaRequest& r, v1::GetAgendaResponse* o) {
      return GetAgenda(c, r, o);
    });
    method("GetNextStep", [](Call& c, const v1::GetNextStepRequest& r, v1::GetNextStepResponse* o) {
      return GetNextStep(c, r, o);
    });
    method("SetOpportunityTeam",
           [this](Call& c, const v1::SetOpportunityTeamRequest& r, v1::OpportunityTeam* o) {
             return SetOpportunityTeam(c, r, o);
           });
    method("GetOpportunityTeam",
           [](Call& c, const v1::GetOpportunityTeamRequest& r, v1::OpportunityTeam* o) -> Status {
             auto opp = ReadOpportunity(c, r.opportunity_id());
             if (!opp) return OpportunityNotFound("opportunity_id", r.opportunity_id());
             auto team = Load<v1::OpportunityTeam>(c, "team/" + opp->id());
             if (team) *o = std::move(*team);
             o->set_opportunity_id(opp->id());
             return {};
           });
    method("GetForecast", [](Call& c, const v1::GetForecastRequest& r, v1::GetForecastResponse* o) {
      return GetForecast(c, r, o);
    });
    method("CreateForecastSnapshot",
           [this](Call& c, const v1::CreateForecastSnapshotRequest& r, v1::ForecastSnapshot* o) {
             return CreateSnapshot(c, r, o);
           });
    method("ListForecastSnapshots",
           [](Call& c, const v1::ListForecastSnapshotsRequest& r,
              v1::ListForecastSnapshotsResponse* o) -> Status {
             c.Scan("snap/", [&](const std::string&, const std::string& value) {
               v1::ForecastSnapshot s;
               if (s.ParseFromString(value) && (r.period().empty() || s.period() == r.period()) &&
                   MaySeeSnapshot(c, s)) {
                 s.clear_rows();
                 *o->add_snapshots() = std::move(s);
               }
               return true;
             });
             return {};
           });
    method("GetForecastAccuracy",
           [this](Call& c, const v1::GetForecastAccuracyRequest& r,
                  v1::GetForecastAccuracyResponse* o) { return GetForecastAccuracy(c, r, o); });
    method("GetFunnel",
           [](Call& c, const v1::GetFunnelRequest& r, v1::GetFunnelResponse* o) -> Status {
             auto pipeline = FindPipeline(c, r.pipeline());
             if (!pipeline.ok()) return pipeline;
             return BuildFunnel(c, c.Scope(), *LoadPipeline(c, PipelineName(c, r.pipeline())), o);
           });
    method("ListStalledDeals",
           [this](Call& c, const v1::ListStalledDealsRequest& r,
                  v1::ListStalledDealsResponse* o) -> Status {
             if (Status s = FindPipeline(c, r.pipeline()); !s.ok()) return s;
             if (r.days() < 1 || r.days() > 3650) {
               return Status::Invalid("days: must be 1..3650, got " + std::to_string(r.days()));
             }
             auto pipeline = LoadPipeline(c, PipelineName(c, r.pipeline()));
             return ListStalled(c, *pipeline, NowMicros() - r.days() * kMicrosPerDay,
                                PageSize(r.page_size(), 100, 1000), r.page_token(), o);
           });
    method("SetPriceBookEntry", [](Call& c, const v1::SetPriceBookEntryRequest& r,
                                   v1::PriceBookEntry* o) { return SetPriceBookEntry(c, r, o); });
    method("ListPriceBook", [](Call& c, const v1::ListPriceBookRequest& r,
                               v1::ListPriceBookResponse* o) { return ListPriceBook(c, r, o); });
    method("SetLineItems", [](Call& c, const v1::SetLineItemsRequest& r, v1::LineItems* o) {
      return SetLineItems(c, r, o);
    });
    method("GetLineItems",
           [](Call& c, const v1::GetLineItemsRequest& r, v1::LineItems* o) -> Status {
             auto opp = ReadOpportunity(c, r.opportunity_id());
             if (!opp) return OpportunityNotFound("opportunity_id", r.opportunity_id());
             auto items = Load<v1::LineItems>(c, "li/" + opp->id());
             if (items) *o = std::move(*items);
             o->set_opportunity_id(opp->id());
             return {};
           });
    if (!ok) return Status::Internal("the host refused a SalesService method");
    return {};
  }

 private:
  template <typename T>
  struct MethodTraits;
  template <typename C, typename Req, typename Resp>
  struct MethodTraits<Status (C::*)(Call&, const Req&, Resp*) const> {
    using Request = Req;
    using Response = Resp;
  };

  // ------------------------------------------------------- enforcement

  Status EnforceProcess(Call& call, const Opportunity* before, Opportunity* after) {
    std::vector<v1::Pipeline> pipelines = LoadPipelines(call);
    if (pipelines.empty()) return {};  // no sales process defined yet
    Enforcement e;
    if (Status s = Enforce(pipelines, before, after, &e); !s.ok()) return s;
    if (!e.managed || !e.stage_changed) return {};
    const int64_t now = NowMicros();
    int64_t entered = now;
    if (before) {
      auto stored = call.Get("se/" + after->id());
      entered = stored ? std::stoll(*stored) : ToMicros(before->create_time());
    }
    v1::StageChange change;
    change.set_opportunity_id(after->id());
    change.set_pipeline(e.pipeline);
    change.set_from_stage(e.from_stage);
    change.set_to_stage(e.to_stage);
    change.set_changed_by(call.user());
    *change.mutable_change_time() = FromMicros(now);
    if (!e.from_stage.empty()) {
      *change.mutable_time_in_previous_stage() =
          DurationFromMicros(std::max<int64_t>(0, now - entered));
    }
    change.set_revision(after->revision());
    const std::string suffix = after->revision() > 0 ? Pad(after->revision(), 12) : Pad(now, 20);
    if (Status s = Save(call, "hist/" + after->id() + "/" + suffix, change); !s.ok()) return s;
    return call.Put("se/" + after->id(), std::to_string(now));
  }

  // ------------------------------------------------------- interactions

  Status OnInteraction(Call& call, const rapport::v1::ChangeEvent& event) {
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
    auto it = interaction.attributes().find(kCompletesTaskAttribute);
    if (it == interaction.attributes().end()) return {};
    const std::string task_id = it->second.string_value();
    auto task = task_id.empty() || task_id.find('/') != std::string::npos
                    ? std::nullopt
                    : Load<v1::Task>(call, "task/" + task_id);
    // Only a task of the same customer or opportunity: an interaction cannot
    // complete arbitrary tasks.
    if (!task || !(task->customer_id() == interaction.customer_id() ||
                   (!task->opportunity_id().empty() &&
                    task->opportunity_id() == interaction.opportunity_id()))) {
      Log(RAPPORT_LOG_WARN, "interaction " + interaction.id() + ": " + kCompletesTaskAttribute +
                                " names task '" + task_id +
                                "', which is not a task of its customer or opportunity");
      Metric("completes_task_ignored", 1);
      return {};
    }
    if (task->status() != v1::TASK_STATUS_OPEN) return {};
    v1::Task done = *task;
    done.set_status(v1::TASK_STATUS_DONE);
    *done.mutable_close_time() = event.commit_time();
    *done.mutable_update_time() = event.commit_time();
    done.set_completed_by_interaction(interaction.id());
    done.set_revision(task->revision() + 1);
    Metric("tasks_completed_by_interaction", 1);
    return SaveTask(call, &*task, done);
  }

  // ------------------------------------------------------- pipelines

  Status SetPipeline(Call& call, const v1::SetPipelineRequest& request, v1::Pipeline* out) {
    if (!call.HasRole("admin")) {
      return Status::PermissionDenied("defining a sales process needs the admin role");
    }
    const std::string& name = request.pipeline().name();
    if (!IsKeySafeName(name)) {
      return Status::Invalid("pipeline.name: '" + name +
                             "' must be 1..64 characters without '/' or control characters");
    }
    std::optional<v1::Pipeline> current = LoadPipeline(call, name);
    if (!current && request.expected_version() != 0) {
      return Status::NotFound("pipeline '" + name + "' does not exist (expected_version " +
                              std::to_string(request.expected_version()) + ")");
    }
    if (current && request.expected_version() == 0) {
      return Status::AlreadyExists("pipeline '" + name + "' exists at version " +
                                   std::to_string(current->version()) +
                                   "; pass expected_version to replace it");
    }
    if (current && request.expected_version() != current->version()) {
      return Aborted("pipeline '" + name + "' was changed concurrently; current version is " +
                     std::to_string(current->version()) + ". Read it again and retry");
    }
    v1::Pipeline next;
    if (Status s = BuildPipeline(request, current ? &*current : nullptr, &next); !s.ok()) return s;
    next.set_version(current ? current->version() + 1 : 1);
    *next.mutable_update_time() = FromMicros(NowMicros());
    next.set_updated_by(call.user());
    if (Status s = Save(call, "pl/" + name, next); !s.ok()) return s;
    if (Status s = Save(call, "plv/" + name + "/" + Pad(next.version(), 10), next); !s.ok())
      return s;
    *out = std::move(next);
    return {};
  }

  static Status GetPipeline(Call& call, const v1::GetPipelineRequest& request, v1::Pipeline* out) {
    if (!IsKeySafeName(request.name())) return Status::Invalid("name: is required");
    std::optional<v1::Pipeline> p =
        request.version() == 0
            ? LoadPipeline(call, request.name())
            : Load<v1::Pipeline>(call, "plv/" + request.name() + "/" + Pad(request.version(), 10));
    if (!p) {
      return Status::NotFound(
          "pipeline '" + request.name() + "'" +
          (request.version() ? " version " + std::to_string(request.version()) : std::string()) +
          " not found");
    }
    *out = std::move(*p);
    return {};
  }

  // `name`, or the tenant's only pipeline when empty.
  static std::string PipelineName(const Call& call, const std::string& name) {
    if (!name.empty()) return name;
    auto all = LoadPipelines(call);
    return all.size() == 1 ? all[0].name() : "";
  }

  static Status FindPipeline(const Call& call, const std::string& requested) {
    const std::string name = PipelineName(call, requested);
    if (name.empty())
      return Status::Invalid("pipeline: is required (the tenant has several or none)");
    if (!IsKeySafeName(name) || !LoadPipeline(call, name)) {
      return Status::NotFound("pipeline '" + name + "' not found");
    }
    return {};
  }

  static Status GetStageHistory(Call& call, const v1::GetStageHistoryRequest& request,
                                v1::GetStageHistoryResponse* out) {
    auto opp = ReadOpportunity(call, request.opportunity_id());
    if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
    call.Scan("hist/" + opp->id() + "/", [&](const std::string&, const std::string& value) {
      if (!out->add_changes()->ParseFromString(value)) out->mutable_changes()->RemoveLast();
      return true;
    });
    return {};
  }

  // ------------------------------------------------------- tasks

  Status CreateTask(Call& call, const v1::CreateTaskRequest& request, v1::Task* out) {
    v1::Task t = request.task();
    if (!t.id().empty()) return Status::Invalid("task.id: is output only");
    if (Status s = CheckTitle("task.title", t.title()); !s.ok()) return s;
    if (t.notes().size() > 65536) return Status::Invalid("task.notes: at most 64 KiB");
    if (t.opportunity_id().empty() && t.customer_id().empty()) {
      return Status::Invalid("task: link it to a customer_id or an opportunity_id (or both)");
    }
    if (!t.opportunity_id().empty()) {
      auto opp = ReadOpportunity(call, t.opportunity_id());
      if (!opp) return OpportunityNotFound("task.opportunity_id", t.opportunity_id());
      if (t.customer_id().empty()) {
        t.set_customer_id(opp->customer_id());
      } else if (t.customer_id() != opp->customer_id()) {
        return Status::Invalid("task.customer_id: '" + t.customer_id() +
                               "' is not the customer of opportunity '" + t.opportunity_id() +
                               "' ('" + opp->customer_id() + "')");
      }
    } else if (!call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, t.customer_id())) {
      return Status::NotFound("task.customer_id: customer '" + t.customer_id() + "' not found");
    }
    const int64_t now = NowMicros();
    if (Status s = CheckDueTime("task.due_time", t.due_time(), t.has_due_time(), now,
                                "the task's creation");
        !s.ok()) {
      return s;
    }
    if (t.assignee().empty()) t.set_assignee(call.user());
    if (Status s = CheckUser(call, "task.assignee", t.assignee()); !s.ok()) return s;
    if (t.priority() == v1::TASK_PRIORITY_UNSPECIFIED) t.set_priority(v1::TASK_PRIORITY_NORMAL);
    if (!v1::TaskPriority_IsValid(t.priority()))
      return Status::Invalid("task.priority: unknown value");
    if (t.status() != v1::TASK_STATUS_UNSPECIFIED && t.status() != v1::TASK_STATUS_OPEN) {
      return Status::Invalid("task.status: a new task is open");
    }
    t.set_status(v1::TASK_STATUS_OPEN);
    t.set_id(NewId(now));
    t.set_creator(call.user());
    *t.mutable_create_time() = FromMicros(now);
    *t.mutable_update_time() = FromMicros(now);
    t.clear_close_time();
    t.clear_completed_by_interaction();
    t.set_revision(1);
    if (Status s = SaveTask(call, nullptr, t); !s.ok()) return s;
    *out = std::move(t);
    return {};
  }

  Status UpdateTask(Call& call, const v1::UpdateTaskRequest& request, v1::Task* out) {
    const v1::Task& patch = request.task();
    auto current = LoadVisibleTask(call, patch.id());
    if (!current) return Status::NotFound("task '" + patch.id() + "' not found");
    if (request.expected_revision() != 0 && request.expected_revision() != current->revision()) {
      return Aborted("task " + patch.id() + " was changed concurrently; current revision is " +
                     std::to_string(current->revision()) + ". Read it again and retry");
    }
    if (request.update_mask().paths().empty()) {
      return Status::Invalid(
          "update_mask: is required (title, notes, due_time, assignee, priority, status)");
    }
    v1::Task t = *current;
    const int64_t now = NowMicros();
    for (const std::string& path : request.update_mask().paths()) {
      if (path == "title") {
        if (Status s = CheckTitle("task.title", patch.title()); !s.ok()) return s;
        t.set_title(patch.title());
      } else if (path == "notes") {
        if (patch.notes().size() > 65536) return Status::Invalid("task.notes: at most 64 KiB");
        t.set_notes(patch.notes());
      } else if (path == "due_time") {
        if (Status s = CheckDueTime("task.due_time", patch.due_time(), patch.has_due_time(),
                                    ToMicros(current->create_time()), "the task's creation");
            !s.ok()) {
          return s;
        }
        *t.mutable_due_time() = patch.due_time();
      } else if (path == "assignee") {
        if (Status s = CheckUser(call, "task.assignee", patch.assignee()); !s.ok()) return s;
        t.set_assignee(patch.assignee());
      } else if (path == "priority") {
        if (patch.priority() == v1::TASK_PRIORITY_UNSPECIFIED ||
            !v1::TaskPriority_IsValid(patch.priority())) {
          return Status::Invalid("task.priority: must be low, normal or high");
        }
        t.set_priority(patch.priority());
      } else if (path == "status") {
        if (patch.status() == v1::TASK_STATUS_UNSPECIFIED ||
            !v1::TaskStatus_IsValid(patch.status())) {
          return Status::Invalid("task.status: must be open, done or cancelled");
        }
        if (patch.status() != t.status()) {
          t.set_status(patch.status());
          if (patch.status() == v1::TASK_STATUS_OPEN) {
            t.clear_close_time();
            t.clear_completed_by_interaction();
          } else {
            *t.mutable_close_time() = FromMicros(now);
          }
        }
      } else {
        return Status::Invalid(
            "update_mask: '" + path +
            "' cannot be updated (title, notes, due_time, assignee, priority, status)");
      }
    }
    *t.mutable_update_time() = FromMicros(now);
    t.set_revision(current->revision() + 1);
    if (Status s = SaveTask(call, &*current, t); !s.ok()) return s;
    *out = std::move(t);
    return {};
  }

  static Status ListTasks(Call& call, const v1::ListTasksRequest& request,
                          v1::ListTasksResponse* out) {
    const int given = !request.assignee().empty() + !request.opportunity_id().empty() +
                      !request.customer_id().empty();
    if (given != 1) {
      return Status::Invalid("exactly one of assignee, opportunity_id and customer_id is required");
    }
    std::string prefix;
    if (!request.assignee().empty()) {
      prefix = "tasg/" + request.assignee() + "/";
    } else if (!request.opportunity_id().empty()) {
      prefix = "topp/" + request.opportunity_id() + "/";
    } else {
      prefix = "tcus/" + request.customer_id() + "/";
    }
    if (std::count(prefix.begin(), prefix.end(), '/') != 2)
      return Status::Invalid("ids cannot hold '/'");
    const int page_size = PageSize(request.page_size(), 50, 500);
    std::string last;
    call.Scan(prefix, [&](const std::string& key, const std::string&) {
      const std::string id = key.substr(prefix.size());
      if (!request.page_token().empty() && id <= request.page_token()) return true;
      if (out->tasks_size() >= page_size) {
        out->set_next_page_token(last);
        return false;
      }
      last = id;
      auto task = LoadVisibleTask(call, id);
      if (!task) return true;
      if (!request.include_closed() && task->status() != v1::TASK_STATUS_OPEN) return true;
      *out->add_tasks() = std::move(*task);
      return true;
    });
    return {};
  }

  Status GetAgenda(Call& call, const v1::GetAgendaRequest& request, v1::GetAgendaResponse* out) {
    const std::string user = request.user_id().empty() ? call.user() : request.user_id();
    if (user != call.user() && !call.UserTeams(user)) {
      return Status::Invalid("user_id: unknown user '" + user + "'");
    }
    if (user.find('/') != std::string::npos) return Status::Invalid("user_id: cannot hold '/'");
    const int offset = request.has_utc_offset_minutes() ? request.utc_offset_minutes() : 540;
    if (offset < -720 || offset > 840) {
      return Status::Invalid("utc_offset_minutes: must be -720..840, got " +
                             std::to_string(offset));
    }
    int64_t now = NowMicros();
    if (request.has_now()) {
      if (request.now().seconds() < 0) return Status::Invalid("now: is before 1970");
      now = ToMicros(request.now());
    }
    const int64_t shift = static_cast<int64_t>(offset) * 60 * 1000000;
    const int64_t end_of_today =
        FloorDiv(now + shift, kMicrosPerDay) * kMicrosPerDay + kMicrosPerDay - shift;
    const int64_t end_of_week = end_of_today + 7 * kMicrosPerDay;
    const std::string prefix = "topn/" + user + "/";
    call.Scan(prefix, [&](const std::string& key, const std::string&) {
      std::vector<std::string> parts = Split(key.substr(prefix.size()), '/');
      if (parts.size() != 2) return true;
      const int64_t due = std::stoll(parts[0]);
      if (due >= end_of_week) return false;
      auto task = LoadVisibleTask(call, parts[1]);
      if (!task || task->status() != v1::TASK_STATUS_OPEN) return true;
      v1::Task* slot = due < now
                           ? out->add_overdue()
                           : (due < end_of_today ? out->add_today() : out->add_next_seven_days());
      *slot = std::move(*task);
      return true;
    });
    return {};
  }

  static Status GetNextStep(Call& call, const v1::GetNextStepRequest& request,
                            v1::GetNextStepResponse* out) {
    auto opp = ReadOpportunity(call, request.opportunity_id());
    if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
    const std::string prefix = "tonx/" + opp->id() + "/";
    call.Scan(prefix, [&](const std::string& key, const std::string&) {
      std::vector<std::string> parts = Split(key.substr(prefix.size()), '/');
      if (parts.size() != 2) return true;
      auto task = LoadVisibleTask(call, parts[1]);
      if (!task || task->status() != v1::TASK_STATUS_OPEN) return true;
      *out->mutable_task() = std::move(*task);
      return false;
    });
    return {};
  }

  // ------------------------------------------------------- teams

  Status SetOpportunityTeam(Call& call, const v1::SetOpportunityTeamRequest& request,
                            v1::OpportunityTeam* out) {
    auto opp = ReadOpportunity(call, request.opportunity_id());
    if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
    // Team members work the deal; forming the team is for its owner and the
    // people above them.
    if (call.user() != opp->owner() && !call.HasRole("admin") && !call.HasRole("manager") &&
        !call.HasRole("integration")) {
      return Status::PermissionDenied("only the opportunity's owner ('" + opp->owner() +
                                      "'), a manager or an admin may set its team");
    }
    if (request.members_size() > 50) return Status::Invalid("members: at most 50");
    std::set<std::string> seen;
    int sum = 0, owners = 0;
    std::vector<std::string> collaborators;
    for (int i = 0; i < request.members_size(); ++i) {
      const v1::TeamMember& m = request.members(i);
      const std::string at = "members[" + std::to_string(i) + "]";
      if (Status s = CheckUser(call, at + ".user_id", m.user_id()); !s.ok()) return s;
      if (!seen.insert(m.user_id()).second) {
        return Status::Invalid(at + ".user_id: '" + m.user_id() + "' is listed twice");
      }
      if (m.role() == v1::TEAM_ROLE_UNSPECIFIED || !v1::TeamRole_IsValid(m.role())) {
        return Status::Invalid(at + ".role: is required");
      }
      if (m.role() == v1::TEAM_ROLE_OWNER) {
        if (++owners > 1) return Status::Invalid(at + ".role: only one member can be the owner");
        if (m.user_id() != opp->owner()) {
          return Status::Invalid(at + ".role: '" + m.user_id() +
                                 "' is not the opportunity's owner ('" + opp->owner() + "')");
        }
      }
      if (m.split_percent() < 0 || m.split_percent() > 100) {
        return Status::Invalid(at + ".split_percent: must be 0..100, got " +
                               std::to_string(m.split_percent()));
      }
      sum += m.split_percent();
      if (m.user_id() != opp->owner()) collaborators.push_back(m.user_id());
    }
    if (sum != 0 && sum != 100) {
      return Status::Invalid("members: split_percent sums to " + std::to_string(sum) +
                             "; splits must sum to exactly 100 (or all be 0 for no splits)");
    }
    Opportunity patch;
    patch.set_id(opp->id());
    for (const auto& c : collaborators) patch.add_collaborators(c);
    Opportunity stored;
    if (Status s =
            call.UpdateRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, patch, "collaborators",
                                           request.expected_revision(), &stored);
        !s.ok()) {
      return s;
    }
    v1::OpportunityTeam team;
    team.set_opportunity_id(opp->id());
    *team.mutable_members() = request.members();
    *team.mutable_update_time() = FromMicros(NowMicros());
    team.set_updated_by(call.user());
    if (Status s = Save(call, "team/" + opp->id(), team); !s.ok()) return s;
    *out = std::move(team);
    return {};
  }

  // ------------------------------------------------------- forecast

  static Status CheckForecastRequest(const std::string& period, const std::string& end_period,
                                     const std::string& currency, int* first, int* last) {
    if (Status s = ParsePeriodRange(period, end_period, first, last); !s.ok()) return s;
    if (!currency.empty() && !IsCurrencyCode(currency)) {
      return Status::Invalid("currency_code: '" + currency + "' is not an ISO 4217 code");
    }
    return {};
  }

  static v1::ForecastGrouping Grouping(v1::ForecastGrouping g) {
    return g == v1::FORECAST_GROUPING_TEAM ? g : v1::FORECAST_GROUPING_OWNER;
  }

  // Admins, managers and integrations see every group; reps and viewers
  // only their own row (by owner) or their teams' rows (by team).
  static bool SeesAllForecasts(const Call& call) {
    return call.HasRole("admin") || call.HasRole("manager") || call.HasRole("integration");
  }
  static bool MaySeeSnapshot(const Call& call, const v1::ForecastSnapshot& snap) {
    return call.Scope().all || snap.created_by() == call.user();
  }
  static void KeepOwnGroups(const Call& call, v1::ForecastGrouping grouping,
                            std::vector<v1::ForecastRow>* rows) {
    if (SeesAllForecasts(call)) return;
    std::set<std::string> mine = {call.user()};
    if (grouping == v1::FORECAST_GROUPING_TEAM)
      mine.clear();  // refused earlier; nothing if reached
    rows->erase(
        std::remove_if(rows->begin(), rows->end(),
                       [&](const v1::ForecastRow& r) { return mine.count(r.group()) == 0; }),
        rows->end());
  }

  static Status GetForecast(Call& call, const v1::GetForecastRequest& request,
                            v1::GetForecastResponse* out) {
    int first = 0, last = 0;
    if (Status s = CheckForecastRequest(request.period(), request.end_period(),
                                        request.currency_code(), &first, &last);
        !s.ok()) {
      return s;
    }
    // A team's row sums deals of owners a rep cannot see.
    if (Grouping(request.grouping()) == v1::FORECAST_GROUPING_TEAM && !SeesAllForecasts(call)) {
      return Status::PermissionDenied("team roll-ups are for managers and admins; ask by owner");
    }
    std::vector<v1::ForecastRow> rows;
    if (Status s = BuildForecast(call, call.Scope(), first, last, Grouping(request.grouping()),
                                 request.currency_code(), &rows);
        !s.ok()) {
      return s;
    }
    KeepOwnGroups(call, Grouping(request.grouping()), &rows);
    for (auto& r : rows) *out->add_rows() = std::move(r);
    return {};
  }

  Status CreateSnapshot(Call& call, const v1::CreateForecastSnapshotRequest& request,
                        v1::ForecastSnapshot* out) {
    if (!SeesAllForecasts(call)) {
      return Status::PermissionDenied("forecast snapshots are taken by managers and admins");
    }
    int first = 0, last = 0;
    if (Status s = CheckForecastRequest(request.period(), request.end_period(), "", &first, &last);
        !s.ok()) {
      return s;
    }
    std::vector<v1::ForecastRow> rows;
    const v1::ForecastGrouping grouping = Grouping(request.grouping());
    if (Status s = BuildForecast(call, call.Scope(), first, last, grouping, "", &rows); !s.ok())
      return s;
    const int64_t now = NowMicros();
    v1::ForecastSnapshot snap;
    snap.set_id(NewId(now));
    snap.set_period(request.period());
    snap.set_end_period(request.end_period());
    snap.set_grouping(grouping);
    *snap.mutable_create_time() = FromMicros(now);
    snap.set_created_by(call.user());
    for (auto& r : rows) *snap.add_rows() = std::move(r);
    if (Status s = Save(call, "snap/" + snap.id(), snap); !s.ok()) return s;
    *out = std::move(snap);
    return {};
  }

  Status GetForecastAccuracy(Call& call, const v1::GetForecastAccuracyRequest& request,
                             v1::GetForecastAccuracyResponse* out) {
    if (!SeesAllForecasts(call)) {
      return Status::PermissionDenied("forecast accuracy is for managers and admins");
    }
    if (request.snapshot_id().empty() || request.snapshot_id().find('/') != std::string::npos) {
      return Status::Invalid("snapshot_id: is required");
    }
    auto snap = Load<v1::ForecastSnapshot>(call, "snap/" + request.snapshot_id());
    // A snapshot holds totals of the scope of whoever took it: a caller who
    // does not read the whole tenant sees only their own snapshots.
    if (!snap || !MaySeeSnapshot(call, *snap)) {
      return Status::NotFound("snapshot '" + request.snapshot_id() + "' not found");
    }
    int first = 0, last = 0;
    if (Status s = ParsePeriodRange(snap->period(), snap->end_period(), &first, &last); !s.ok()) {
      return s;
    }
    std::vector<v1::ForecastRow> now_rows;
    if (Status s = BuildForecast(call, call.Scope(), first, last, snap->grouping(), "", &now_rows);
        !s.ok())
      return s;
    std::map<std::pair<std::string, std::string>, v1::ForecastAccuracyRow> rows;
    for (const auto& r : snap->rows()) {
      auto& a = rows[{r.group(), r.currency_code()}];
      a.set_group(r.group());
      a.set_currency_code(r.currency_code());
      a.set_forecast_commit_units(r.commit_units());
      a.set_forecast_best_case_units(r.best_case_units());
    }
    for (const auto& r : now_rows) {
      auto& a = rows[{r.group(), r.currency_code()}];
      a.set_group(r.group());
      a.set_currency_code(r.currency_code());
      a.set_actual_closed_won_units(r.closed_won_units());
    }
    for (auto& [key, a] : rows) {
      a.set_commit_accuracy_basis_points(
          BasisPoints(a.actual_closed_won_units(), a.forecast_commit_units()));
      auto forecast =
          rapport::sdk::CheckedAdd(a.forecast_commit_units(), a.forecast_best_case_units());
      if (!forecast) {
        return Status::OutOfRange("rows[group=" + a.group() + ",currency=" + a.currency_code() +
                                  "]: forecast_commit_units + forecast_best_case_units is outside "
                                  "the int64 range");
      }
      a.set_best_case_accuracy_basis_points(BasisPoints(a.actual_closed_won_units(), *forecast));
      *out->add_rows() = std::move(a);
    }
    // The period is over once the month after it has begun in Seoul.
    int64_t year;
    unsigned month, day;
    CivilFromDays(FloorDiv(NowMicros() + 540LL * 60 * 1000000, kMicrosPerDay), &year, &month, &day);
    out->set_period_closed(year * 12 + month - 1 > last);
    *out->mutable_snapshot() = std::move(*snap);
    return {};
  }

  // ------------------------------------------------------- products

  static Status SetPriceBookEntry(Call& call, const v1::SetPriceBookEntryRequest& request,
                                  v1::PriceBookEntry* out) {
    if (!call.HasRole("admin") && !call.HasRole("integration")) {
      return Status::PermissionDenied("the price book is kept by admins and integrations");
    }
    const v1::PriceBookEntry& e = request.entry();
    if (!IsProductCode(e.product_code())) {
      return Status::Invalid("entry.product_code: '" + e.product_code() +
                             "' must be 1..64 of A-Z a-z 0-9 . _ -");
    }
    if (CodePoints(e.name()) > 200) return Status::Invalid("entry.name: at most 200 characters");
    if (!IsCurrencyCode(e.unit_price().currency_code())) {
      return Status::Invalid("entry.unit_price.currency_code: '" + e.unit_price().currency_code() +
                             "' is not an ISO 4217 code");
    }
    if (e.unit_price().units() < 0 || e.unit_price().units() > kMaxUnits) {
      return Status::Invalid("entry.unit_price.units: must be 0..9e15");
    }
    if (Status s = Save(call, "pb/" + e.product_code(), e); !s.ok()) return s;
    *out = e;
    return {};
  }

  static Status ListPriceBook(Call& call, const v1::ListPriceBookRequest& request,
                              v1::ListPriceBookResponse* out) {
    const int page_size = PageSize(request.page_size(), 100, 1000);
    std::string last;
    call.Scan("pb/", [&](const std::string& key, const std::string& value) {
      const std::string code = key.substr(3);
      if (!request.page_token().empty() && code <= request.page_token()) return true;
      if (out->entries_size() >= page_size) {
        out->set_next_page_token(last);
        return false;
      }
      last = code;
      if (!out->add_entries()->ParseFromString(value)) out->mutable_entries()->RemoveLast();
      return true;
    });
    return {};
  }

  static Status SetLineItems(Call& call, const v1::SetLineItemsRequest& request,
                             v1::LineItems* out) {
    auto opp = ReadOpportunity(call, request.opportunity_id());
    if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
    if (request.items_size() > 200) return Status::Invalid("items: at most 200 lines");
    std::string currency = opp->has_amount() ? opp->amount().currency_code() : "";
    const std::string currency_source = currency.empty() ? "items[0]" : "the opportunity";
    std::shared_ptr<PriceSource> source = CurrentPriceSource();
    v1::LineItems lines;
    lines.set_opportunity_id(opp->id());
    int64_t total = 0;
    for (int i = 0; i < request.items_size(); ++i) {
      v1::LineItem item = request.items(i);
      const std::string at = "items[" + std::to_string(i) + "]";
      if (!IsProductCode(item.product_code())) {
        return Status::Invalid(at + ".product_code: '" + item.product_code() +
                               "' must be 1..64 of A-Z a-z 0-9 . _ -");
      }
      if (item.quantity() <= 0) {
        return Status::Invalid(at + ".quantity: must be > 0, got " +
                               std::to_string(item.quantity()));
      }
      PriceQuote quote;
      Status looked = source->Lookup(call, item.product_code(), item.quantity(), currency, &quote);
      if (looked.code == RAPPORT_NOT_FOUND) {
        if (!item.has_unit_price()) return Status::Invalid(at + ".product_code: " + looked.message);
      } else if (!looked.ok()) {
        return Status{looked.code, at + ": price source: " + looked.message};
      } else if (!quote.available) {
        return Status::FailedPrecondition(at + ".quantity: " + std::to_string(item.quantity()) +
                                          " of '" + item.product_code() + "' is not available" +
                                          (quote.note.empty() ? "" : " (" + quote.note + ")"));
      }
      if (!item.has_unit_price()) *item.mutable_unit_price() = quote.unit_price;
      const rapport::v1::Money& unit = item.unit_price();
      if (!IsCurrencyCode(unit.currency_code())) {
        return Status::Invalid(at + ".unit_price.currency_code: '" + unit.currency_code() +
                               "' is not an ISO 4217 code");
      }
      if (unit.units() < 0 || unit.units() > kMaxUnits) {
        return Status::Invalid(at + ".unit_price.units: must be 0..9e15");
      }
      if (currency.empty()) currency = unit.currency_code();
      if (unit.currency_code() != currency) {
        return Status::Invalid(at + ".unit_price.currency_code: '" + unit.currency_code() +
                               "' differs from " + currency_source + "'s currency '" + currency +
                               "'");
      }
      auto gross = CheckedMul(item.quantity(), unit.units());
      if (!gross || *gross > kMaxUnits) {
        return Status::Invalid(at + ": quantity * unit_price is above 9e15 minor units");
      }
      int64_t discount = 0;
      if (item.has_discount()) {
        if (!item.discount().currency_code().empty() &&
            item.discount().currency_code() != currency) {
          return Status::Invalid(at + ".discount.currency_code: '" +
                                 item.discount().currency_code() +
                                 "' differs from the line's currency '" + currency + "'");
        }
        discount = item.discount().units();
        if (discount < 0 || discount > *gross) {
          return Status::Invalid(at + ".discount.units: must be 0.." + std::to_string(*gross) +
                                 ", got " + std::to_string(discount));
        }
        item.mutable_discount()->set_currency_code(currency);
      }
      item.mutable_total()->set_currency_code(currency);
      item.mutable_total()->set_units(*gross - discount);
      item.set_availability_note(quote.note);
      total += *gross - discount;
      if (total > kMaxUnits) return Status::Invalid("items: the total is above 9e15 minor units");
      *lines.add_items() = std::move(item);
    }
    if (currency.empty()) {
      return Status::Invalid("items: no lines and no opportunity amount to take a currency from");
    }
    lines.mutable_total()->set_currency_code(currency);
    lines.mutable_total()->set_units(total);
    Opportunity patch, stored;
    patch.set_id(opp->id());
    *patch.mutable_amount() = lines.total();
    if (Status s = call.UpdateRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, patch, "amount",
                                                  request.expected_revision(), &stored);
        !s.ok()) {
      return s;
    }
    lines.set_opportunity_revision(stored.revision());
    if (Status s = Save(call, "li/" + opp->id(), lines); !s.ok()) return s;
    *out = std::move(lines);
    return {};
  }
};

}  // namespace
}  // namespace rapport::sfa

RAPPORT_PLUGIN(rapport::sfa::Sfa, "sfa", "0.1.0")
