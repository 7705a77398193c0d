// File: plugins/voc/sla_timers.cc
#include "sla_timers.h"

#include <algorithm>
#include <vector>

#include "case_state.h"
#include "commit.h"
#include "rapport/sdk/keys.h"
#include "rapport/sdk/time.h"
#include "routing.h"
#include "sla.h"

namespace rapport::voc {
namespace {

using rapport::sdk::ToMicros;

constexpr char kPrefix[] = "sla/";

struct ClockRef {
  const char* code;  // in the key
  const char* name;  // in events
};
constexpr ClockRef kClocks[] = {{"fr", "first_response"}, {"res", "resolution"}};

std::string Key(const std::string& id, const char* clock, const char* stage) {
  return std::string(kPrefix) + id + "/" + clock + "/" + stage;
}

const v1::SlaPolicy* PolicyNamed(const v1::Settings& settings, const std::string& name) {
  for (const v1::SlaPolicy& p : settings.sla_policies()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

// Schedules `key` at `when`, or cancels it when `when` is 0.
Status Set(const Call& call, const std::string& key, int64_t when) {
  if (when > 0) return call.ScheduleAt(key, when);
  Status s = call.CancelTimer(key);
  return s.code == RAPPORT_NOT_FOUND ? Status{} : s;
}

// Whether the case's log already holds `kind` for `clock` since the clock's
// policy was last applied (a warning or breach is announced once per policy).
bool Announced(const CaseRecord& record, v1::CaseEvent::Kind kind, const std::string& clock) {
  for (auto it = record.events.rbegin(); it != record.events.rend(); ++it) {
    if (it->kind() == v1::CaseEvent::KIND_SLA_APPLIED) return false;
    if (it->kind() == kind && it->clock() == clock) return true;
  }
  return false;
}

void Act(const Call& call, const v1::Settings& settings, v1::SlaAction action, int64_t now,
         CaseRecord* record) {
  v1::Case& c = record->current;
  if (action == v1::SLA_ACTION_RAISE_PRIORITY && c.priority() < v1::PRIORITY_URGENT) {
    c.set_priority(static_cast<v1::Priority>(c.priority() + 1));
    AddEvent(call, record, v1::CaseEvent::KIND_PRIORITY_CHANGED, now)->set_priority(c.priority());
    ApplySlaPolicy(call, settings, now, record);
  } else if (action == v1::SLA_ACTION_ESCALATE) {
    const v1::Queue* q = FindQueue(settings, c.queue());
    if (q && !q->escalation_manager().empty() && q->escalation_manager() != c.assignee()) {
      c.set_assignee(q->escalation_manager());
      v1::CaseEvent* e = AddEvent(call, record, v1::CaseEvent::KIND_ASSIGNED, now);
      e->set_assignee(c.assignee());
      e->set_reason("SLA escalation");
    }
  }
}

}  // namespace

bool IsSlaTimer(const std::string& key) { return rapport::sdk::StartsWith(key, kPrefix); }

Status ScheduleSlaTimers(const Call& call, const CaseRecord& record, const Calendar& calendar,
                         const v1::Settings& settings, int64_t now) {
  const v1::Case& c = record.current;
  const Clocks clocks = ReplayClocks(calendar, record.events, now);
  const v1::SlaPolicy* policy = PolicyNamed(settings, c.sla_policy());
  for (const ClockRef& ref : kClocks) {
    if (c.shadow()) continue;  // a shadow case notifies nobody
    const bool fr = std::string(ref.code) == "fr";
    const v1::SlaClock& clock = fr ? clocks.first_response : clocks.resolution;
    const int64_t elapsed = fr ? clocks.first_response_elapsed : clocks.resolution_elapsed;
    const int64_t target = clock.target_minutes() * rapport::sdk::kMicrosPerMinute;
    const bool running = clock.has_due_time() && IsOpen(c.status());
    int64_t warn_at = 0, breach_at = 0;
    if (running && !clock.breached()) {
      breach_at = ToMicros(clock.due_time());
      const int percent = policy ? policy->warning_percent() : 0;
      const int64_t warn_target = target / 100 * percent;
      if (percent > 0 && !Announced(record, v1::CaseEvent::KIND_SLA_WARNING, ref.name)) {
        // Past the point already (captured late, a new policy): warn now.
        warn_at =
            elapsed < warn_target ? AddBusinessMicros(calendar, now, warn_target - elapsed) : now;
      }
    } else if (running && !Announced(record, v1::CaseEvent::KIND_SLA_BREACHED, ref.name)) {
      breach_at = now;  // breached while nobody looked: announce it now
    }
    if (Status s = Set(call, Key(c.id(), ref.code, "warn"), warn_at); !s.ok()) return s;
    if (Status s = Set(call, Key(c.id(), ref.code, "breach"), breach_at); !s.ok()) return s;
  }
  return {};
}

Status FireSlaTimer(const Call& call, const std::string& key, int64_t now) {
  // sla/<case>/<fr|res>/<warn|breach>
  const std::vector<std::string> parts = rapport::sdk::SplitKey(key);
  if (parts.size() != 4) return {};  // not ours: nothing to do
  CaseRecord record;
  if (Status s = LoadCase(call, parts[1], &record); !s.ok()) {
    return s.code == RAPPORT_NOT_FOUND ? Status{} : s;
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  v1::BusinessCalendar calendar_proto;
  if (Status s = LoadCalendar(call, &calendar_proto); !s.ok()) return s;
  const Calendar calendar = BuildCalendar(calendar_proto);
  const bool fr = parts[2] == "fr";
  const bool breach = parts[3] == "breach";
  const char* clock_name = fr ? "first_response" : "resolution";
  const Clocks clocks = ReplayClocks(calendar, record.events, now);
  const v1::SlaClock& clock = fr ? clocks.first_response : clocks.resolution;
  const int64_t elapsed = fr ? clocks.first_response_elapsed : clocks.resolution_elapsed;
  const v1::SlaPolicy* policy = PolicyNamed(settings, record.current.sla_policy());
  const v1::CaseEvent::Kind kind =
      breach ? v1::CaseEvent::KIND_SLA_BREACHED : v1::CaseEvent::KIND_SLA_WARNING;
  bool reached = false;
  if (clock.has_due_time() && IsOpen(record.current.status()) &&
      !Announced(record, kind, clock_name)) {
    const int64_t target = clock.target_minutes() * rapport::sdk::kMicrosPerMinute;
    const int percent = policy ? policy->warning_percent() : 0;
    reached = breach ? clock.breached() : percent > 0 && elapsed >= target / 100 * percent;
  }
  if (reached) {
    v1::CaseEvent* e = AddEvent(call, &record, kind, now);
    e->set_clock(clock_name);
    e->set_sla_policy(record.current.sla_policy());
    const v1::CaseEvent announced = *e;
    if (Status s = call.EmitEvent(breach ? "sla.breached" : "sla.warning", announced); !s.ok()) {
      return s;
    }
    if (policy) {
      for (int action : breach ? policy->breach_actions() : policy->warning_actions()) {
        Act(call, settings, static_cast<v1::SlaAction>(action), now, &record);
      }
    }
    return CommitCase(call, &record, calendar, settings, now);
  }
  // Whatever happened, the timers follow the clocks again.
  return ScheduleSlaTimers(call, record, calendar, settings, now);
}

}  // namespace rapport::voc
