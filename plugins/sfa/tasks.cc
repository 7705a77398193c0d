// File: plugins/sfa/tasks.cc
//
// Tasks linked to customers and opportunities: create, update, read and list
// them, the agenda (overdue, today, the next seven days), an opportunity's
// next step, and completion by an interaction. A task is stored once
// (task/<id>) with index entries by assignee, opportunity, customer and due
// time (keyspace.h) that move with it.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "handler_util.h"
#include "handlers.h"
#include "keyspace.h"
#include "rapport/sdk/ids.h"
#include "rapport/sdk/text.h"
#include "rapport/v1/customer.pb.h"
#include "util.h"

namespace rapport::sfa {

namespace {

std::vector<std::string> TaskIndexKeys(const v1::Task& t) {
  std::vector<std::string> index = {keys::AssigneeTasksPrefix(t.assignee()) + t.id()};
  if (!t.opportunity_id().empty()) {
    index.push_back(keys::OpportunityTasksPrefix(t.opportunity_id()) + t.id());
  }
  if (!t.customer_id().empty()) {
    index.push_back(keys::CustomerTasksPrefix(t.customer_id()) + t.id());
  }
  if (t.status() == v1::TASK_STATUS_OPEN) {
    const int64_t due = ToMicros(t.due_time());
    index.push_back(keys::AssigneeOpenTask(t.assignee(), due, t.id()));
    if (!t.opportunity_id().empty()) {
      index.push_back(keys::OpportunityOpenTask(t.opportunity_id(), due, t.id()));
    }
  }
  return index;
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
  return Save(call, keys::Task(task.id()), task);
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
  auto task = Load<v1::Task>(call, keys::Task(id));
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
    return Status::Invalid(field + ": " + FormatRfc3339(micros) + " is before " + not_before_what +
                           " (" + FormatRfc3339(not_before) + ")");
  }
  if (micros > not_before + 3660 * kMicrosPerDay) {
    return Status::Invalid(field + ": " + FormatRfc3339(micros) + " is more than 10 years ahead");
  }
  return {};
}

Status CheckTitle(const std::string& field, const std::string& title) {
  if (title.empty()) return Status::Invalid(field + ": is required");
  if (rapport::sdk::CodePoints(title) > rapport::sdk::kMaxNameChars) {
    return Status::Invalid(field + ": at most " + std::to_string(rapport::sdk::kMaxNameChars) +
                           " characters");
  }
  return {};
}

Status CheckNotes(const std::string& field, const std::string& notes) {
  if (notes.size() > rapport::sdk::kMaxBodyBytes) {
    return Status::Invalid(field + ": at most " +
                           std::to_string(rapport::sdk::kMaxBodyBytes / 1024) + " KiB");
  }
  return {};
}

}  // namespace

Status CreateTask(Call& call, const v1::CreateTaskRequest& request, int64_t now, v1::Task* out) {
  v1::Task t = request.task();
  if (!t.id().empty()) return Status::Invalid("task.id: is output only");
  if (Status s = CheckTitle("task.title", t.title()); !s.ok()) return s;
  if (Status s = CheckNotes("task.notes", t.notes()); !s.ok()) return s;
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
  if (Status s =
          CheckDueTime("task.due_time", t.due_time(), t.has_due_time(), now, "the task's creation");
      !s.ok()) {
    return s;
  }
  if (t.assignee().empty()) t.set_assignee(call.user());
  if (Status s = CheckUser(call, "task.assignee", t.assignee()); !s.ok()) return s;
  if (t.priority() == v1::TASK_PRIORITY_UNSPECIFIED) t.set_priority(v1::TASK_PRIORITY_NORMAL);
  if (!v1::TaskPriority_IsValid(t.priority())) {
    return Status::Invalid("task.priority: unknown value");
  }
  if (t.status() != v1::TASK_STATUS_UNSPECIFIED && t.status() != v1::TASK_STATUS_OPEN) {
    return Status::Invalid("task.status: a new task is open");
  }
  t.set_status(v1::TASK_STATUS_OPEN);
  t.set_id(rapport::sdk::NewUlid(now / 1000));
  t.set_creator(call.user());
  *t.mutable_create_time() = TimestampFromMicros(now);
  *t.mutable_update_time() = TimestampFromMicros(now);
  t.clear_close_time();
  t.clear_completed_by_interaction();
  t.set_revision(1);
  if (Status s = SaveTask(call, nullptr, t); !s.ok()) return s;
  *out = std::move(t);
  return {};
}

Status UpdateTask(Call& call, const v1::UpdateTaskRequest& request, int64_t now, v1::Task* out) {
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
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "title") {
      if (Status s = CheckTitle("task.title", patch.title()); !s.ok()) return s;
      t.set_title(patch.title());
    } else if (path == "notes") {
      if (Status s = CheckNotes("task.notes", patch.notes()); !s.ok()) return s;
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
          *t.mutable_close_time() = TimestampFromMicros(now);
        }
      }
    } else {
      return Status::Invalid(
          "update_mask: '" + path +
          "' cannot be updated (title, notes, due_time, assignee, priority, status)");
    }
  }
  *t.mutable_update_time() = TimestampFromMicros(now);
  t.set_revision(current->revision() + 1);
  if (Status s = SaveTask(call, &*current, t); !s.ok()) return s;
  *out = std::move(t);
  return {};
}

Status GetTask(Call& call, const v1::GetTaskRequest& request, v1::Task* out) {
  auto task = LoadVisibleTask(call, request.id());
  if (!task) return Status::NotFound("task '" + request.id() + "' not found");
  *out = std::move(*task);
  return {};
}

Status ListTasks(Call& call, const v1::ListTasksRequest& request, v1::ListTasksResponse* out) {
  const int given = !request.assignee().empty() + !request.opportunity_id().empty() +
                    !request.customer_id().empty();
  if (given != 1) {
    return Status::Invalid("exactly one of assignee, opportunity_id and customer_id is required");
  }
  std::string prefix;
  if (!request.assignee().empty()) {
    prefix = keys::AssigneeTasksPrefix(request.assignee());
  } else if (!request.opportunity_id().empty()) {
    prefix = keys::OpportunityTasksPrefix(request.opportunity_id());
  } else {
    prefix = keys::CustomerTasksPrefix(request.customer_id());
  }
  if (std::count(prefix.begin(), prefix.end(), '/') != 2) {
    return Status::Invalid("ids cannot hold '/'");
  }
  return ScanPage(
      call, prefix, request.page_token(), PageSize(request.page_size(), 50, 500),
      [&](const std::string& id, const std::string&) {
        auto task = LoadVisibleTask(call, id);
        if (!task) return false;
        if (!request.include_closed() && task->status() != v1::TASK_STATUS_OPEN) return false;
        *out->add_tasks() = std::move(*task);
        return true;
      },
      out->mutable_next_page_token());
}

Status GetAgenda(Call& call, const v1::GetAgendaRequest& request, int64_t now,
                 v1::GetAgendaResponse* out) {
  const std::string user = request.user_id().empty() ? call.user() : request.user_id();
  if (user != call.user() && !call.UserTeams(user)) {
    return Status::Invalid("user_id: unknown user '" + user + "'");
  }
  if (user.find('/') != std::string::npos) return Status::Invalid("user_id: cannot hold '/'");
  const int offset = request.has_utc_offset_minutes() ? request.utc_offset_minutes()
                                                      : rapport::sdk::kSeoulUtcOffsetMinutes;
  if (Status s = rapport::sdk::CheckUtcOffsetMinutes("utc_offset_minutes", offset); !s.ok()) {
    return s;
  }
  if (request.has_now()) {
    if (request.now().seconds() < 0) return Status::Invalid("now: is before 1970");
    now = ToMicros(request.now());
  }
  const int64_t end_of_today =
      rapport::sdk::LocalDayStartMicros(rapport::sdk::LocalDay(now, offset) + 1, offset);
  const int64_t end_of_week = end_of_today + 7 * kMicrosPerDay;
  const std::string prefix = keys::AssigneeOpenTasksPrefix(user);
  call.Scan(prefix, [&](const std::string& key, const std::string&) {
    std::vector<std::string> parts = SplitKey(key.substr(prefix.size()), '/');
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

Status GetNextStep(Call& call, const v1::GetNextStepRequest& request,
                   v1::GetNextStepResponse* out) {
  auto opp = ReadOpportunity(call, request.opportunity_id());
  if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
  const std::string prefix = keys::OpportunityOpenTasksPrefix(opp->id());
  call.Scan(prefix, [&](const std::string& key, const std::string&) {
    std::vector<std::string> parts = SplitKey(key.substr(prefix.size()), '/');
    if (parts.size() != 2) return true;
    auto task = LoadVisibleTask(call, parts[1]);
    if (!task || task->status() != v1::TASK_STATUS_OPEN) return true;
    *out->mutable_task() = std::move(*task);
    return false;
  });
  return {};
}

Status CompleteTaskByInteraction(const Call& call, const rapport::v1::Interaction& interaction,
                                 const google::protobuf::Timestamp& commit_time,
                                 TaskCompletion* result) {
  auto it = interaction.attributes().find(kCompletesTaskAttribute);
  if (it == interaction.attributes().end()) return {};
  const std::string task_id = it->second.string_value();
  auto task = task_id.empty() || task_id.find('/') != std::string::npos
                  ? std::nullopt
                  : Load<v1::Task>(call, keys::Task(task_id));
  // Only a task of the same customer or opportunity: an interaction cannot
  // complete arbitrary tasks.
  if (!task || !(task->customer_id() == interaction.customer_id() ||
                 (!task->opportunity_id().empty() &&
                  task->opportunity_id() == interaction.opportunity_id()))) {
    result->ignored = "interaction " + interaction.id() + ": " + kCompletesTaskAttribute +
                      " names task '" + task_id +
                      "', which is not a task of its customer or opportunity";
    return {};
  }
  if (task->status() != v1::TASK_STATUS_OPEN) return {};
  v1::Task done = *task;
  done.set_status(v1::TASK_STATUS_DONE);
  *done.mutable_close_time() = commit_time;
  *done.mutable_update_time() = commit_time;
  done.set_completed_by_interaction(interaction.id());
  done.set_revision(task->revision() + 1);
  result->completed = true;
  return SaveTask(call, &*task, done);
}

}  // namespace rapport::sfa
