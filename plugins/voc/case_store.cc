// File: plugins/voc/case_store.cc
#include "case_store.h"

#include "case_state.h"
#include "keyspace.h"
#include "rapport/sdk/time.h"
#include "rapport/v1/customer.pb.h"
#include "sla.h"

namespace rapport::voc {
namespace {

using rapport::sdk::TimestampFromMicros;

Status Unreadable(const std::string& key) {
  return Status::Internal("voc keyspace: '" + key + "' does not parse");
}

bool Member(const v1::Queue* queue, const std::string& user) {
  if (queue == nullptr) return false;
  if (queue->escalation_manager() == user) return true;
  for (const std::string& m : queue->members()) {
    if (m == user) return true;
  }
  return false;
}

// Index keys of a case: the set SaveCase keeps in step with it.
std::vector<std::string> IndexKeys(const v1::Case& c) {
  std::vector<std::string> keys;
  if (!c.customer_id().empty()) keys.push_back(keys::CustomerPrefix(c.customer_id()) + c.id());
  if (c.customer_id().empty()) keys.push_back(keys::kUnmatched + c.id());
  if (!c.queue().empty()) keys.push_back(keys::QueuePrefix(c.queue()) + c.id());
  if (!c.assignee().empty()) keys.push_back(keys::AssigneePrefix(c.assignee()) + c.id());
  if (IsOpen(c.status())) keys.push_back(keys::kOpen + c.id());
  return keys;
}

// The assignee's open-case counter (least_open assignment).
std::string OpenHolder(const v1::Case& c) {
  return IsOpen(c.status()) && !c.assignee().empty() ? c.assignee() : "";
}

}  // namespace

Status LoadSettings(const Call& call, v1::Settings* out) {
  std::optional<std::string> bytes;
  if (Status s = call.Read(keys::kSettings, &bytes); !s.ok()) return s;
  out->Clear();
  if (bytes && !out->ParseFromString(*bytes)) return Unreadable(keys::kSettings);
  if (out->default_queue().empty()) out->set_default_queue("general");
  return {};
}

Status LoadCalendar(const Call& call, v1::BusinessCalendar* out) {
  std::optional<std::string> bytes;
  if (Status s = call.Read(keys::kCalendar, &bytes); !s.ok()) return s;
  if (!bytes) {
    *out = DefaultCalendar();
    return {};
  }
  if (!out->ParseFromString(*bytes)) return Unreadable(keys::kCalendar);
  return {};
}

Status LoadCase(const Call& call, const std::string& id, CaseRecord* out) {
  std::optional<std::string> bytes;
  if (id.empty()) return Status::Invalid("case_id: is required");
  if (id.find('/') != std::string::npos) return Status::NotFound("case '" + id + "' not found");
  if (Status s = call.Read(keys::Case(id), &bytes); !s.ok()) return s;
  if (!bytes) return Status::NotFound("case '" + id + "' not found");
  out->events.clear();
  if (!out->current.ParseFromString(*bytes)) return Unreadable(keys::Case(id));
  out->before = out->current;
  Status parsed;
  Status s =
      call.Scan(keys::EventPrefix(id), [&](const std::string& key, const std::string& value) {
        v1::CaseEvent event;
        if (!event.ParseFromString(value)) {
          parsed = Unreadable(key);
          return false;
        }
        out->events.push_back(std::move(event));
        return true;
      });
  if (!s.ok()) return s;
  out->stored_events = out->events.size();
  return parsed;
}

v1::CaseEvent* AddEvent(const Call& call, CaseRecord* record, v1::CaseEvent::Kind kind,
                        int64_t now) {
  v1::CaseEvent& event = record->events.emplace_back();
  event.set_sequence(static_cast<int64_t>(record->events.size()));
  event.set_kind(kind);
  *event.mutable_time() = TimestampFromMicros(now);
  event.set_actor(call.user());
  return &event;
}

Status SaveCase(const Call& call, CaseRecord* record, int64_t now) {
  v1::Case& c = record->current;
  c.set_revision(record->before ? record->before->revision() + 1 : 1);
  *c.mutable_update_time() = TimestampFromMicros(now);
  // Clocks are never stored: they are computed from the log when read.
  c.clear_first_response();
  c.clear_resolution();
  std::vector<std::string> old_keys;
  if (record->before) old_keys = IndexKeys(*record->before);
  const std::vector<std::string> new_keys = IndexKeys(c);
  for (const std::string& key : old_keys) {
    bool kept = false;
    for (const std::string& k : new_keys) kept = kept || k == key;
    if (!kept) {
      if (Status s = call.Delete(key); !s.ok()) return s;
    }
  }
  for (const std::string& key : new_keys) {
    bool had = false;
    for (const std::string& k : old_keys) had = had || k == key;
    if (!had) {
      if (Status s = call.Put(key, ""); !s.ok()) return s;
    }
  }
  const std::string old_holder = record->before ? OpenHolder(*record->before) : "";
  const std::string new_holder = OpenHolder(c);
  if (old_holder != new_holder) {
    if (!old_holder.empty()) {
      if (Status s = call.Increment(keys::OpenCount(old_holder), -1); !s.ok()) return s;
    }
    if (!new_holder.empty()) {
      if (Status s = call.Increment(keys::OpenCount(new_holder), 1); !s.ok()) return s;
    }
  }
  if (!record->before && !c.external_id().empty()) {
    if (Status s = call.Put(keys::External(c.external_id()), c.id()); !s.ok()) return s;
  }
  for (size_t i = record->stored_events; i < record->events.size(); ++i) {
    const v1::CaseEvent& e = record->events[i];
    if (Status s = call.Put(keys::Event(c.id(), e.sequence()), e.SerializeAsString()); !s.ok()) {
      return s;
    }
  }
  record->stored_events = record->events.size();
  if (Status s = call.Put(keys::Case(c.id()), c.SerializeAsString()); !s.ok()) return s;
  record->before = c;
  return {};
}

v1::Case ViewCase(const CaseRecord& record, const Calendar& calendar, int64_t now) {
  v1::Case out = record.current;
  Clocks clocks = ReplayClocks(calendar, record.events, now);
  *out.mutable_first_response() = std::move(clocks.first_response);
  *out.mutable_resolution() = std::move(clocks.resolution);
  return out;
}

const v1::Queue* FindQueue(const v1::Settings& settings, const std::string& name) {
  for (const v1::Queue& q : settings.queues()) {
    if (q.name() == name) return &q;
  }
  return nullptr;
}

bool CanWork(const Call& call, const v1::Settings& settings, const v1::Case& c) {
  const std::string user = call.user();
  if (c.shadow()) return call.HasRole("admin");  // nobody works a shadow case
  return call.HasRole("admin") || c.assignee() == user ||
         Member(FindQueue(settings, c.queue()), user);
}

bool CanSee(const Call& call, const v1::Settings& settings, const v1::Case& c) {
  if (c.shadow()) {
    // What the module would do is for those steering the rollout.
    return call.HasRole("admin") || call.HasRole("manager") || c.creator() == call.user();
  }
  if (CanWork(call, settings, c) || c.creator() == call.user()) return true;
  if (c.customer_id().empty()) return false;
  auto customer = call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, c.customer_id());
  return customer && customer->owner() == call.user();
}

Status ReadCounter(const Call& call, const std::string& key, int64_t* value) {
  *value = 0;
  std::optional<std::string> bytes;
  if (Status s = call.Read(key, &bytes); !s.ok()) return s;
  if (bytes && !Call::DecodeCounter(*bytes, value)) {
    return Status::Internal("voc keyspace: '" + key + "' is not a counter");
  }
  return {};
}

Status ScanCounters(const Call& call, const std::string& prefix,
                    const std::function<bool(const std::string&, int64_t)>& fn) {
  Status bad;
  Status s = call.Scan(prefix, [&](const std::string& key, const std::string& value) {
    int64_t n = 0;
    if (!Call::DecodeCounter(value, &n)) {
      bad = Status::Internal("voc keyspace: '" + key + "' is not a counter");
      return false;
    }
    return fn(key.substr(prefix.size()), n);
  });
  return s.ok() ? bad : s;
}

Status CheckRevision(const v1::Case& c, int64_t expected_revision) {
  if (expected_revision != 0 && expected_revision != c.revision()) {
    return Status{RAPPORT_ABORTED, "case " + c.id() +
                                       " was changed concurrently; current revision is " +
                                       std::to_string(c.revision()) + ". Read it again and retry"};
  }
  return {};
}

}  // namespace rapport::voc
