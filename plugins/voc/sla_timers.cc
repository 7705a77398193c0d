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
  bool first_response;
  const char* name;  // in events
};
constexpr ClockRef kClocks[] = {{true, "first_response"}, {false, "resolution"}};

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

namespace {

// One SLA point of a case: a clock's warning or its breach.
struct Point {
  const ClockRef* clock;
  bool breach;
  int64_t at = 0;        // when it is reached if nothing changes (0: never)
  bool reached = false;  // reached now and not yet announced
};

// The case's four points as of `now`, with the clocks replayed.
std::vector<Point> Points(const CaseRecord& record, const Calendar& calendar,
                          const v1::Settings& settings, int64_t now) {
  std::vector<Point> out;
  const v1::Case& c = record.current;
  if (c.shadow() || !IsOpen(c.status())) return out;  // a shadow case notifies nobody
  const Clocks clocks = ReplayClocks(calendar, record.events, now);
  const v1::SlaPolicy* policy = PolicyNamed(settings, c.sla_policy());
  const int percent = policy ? policy->warning_percent() : 0;
  for (const ClockRef& ref : kClocks) {
    const bool fr = ref.first_response;
    const v1::SlaClock& clock = fr ? clocks.first_response : clocks.resolution;
    if (!clock.has_due_time()) continue;  // paused, stopped or without a target
    const int64_t elapsed = fr ? clocks.first_response_elapsed : clocks.resolution_elapsed;
    const int64_t target = clock.target_minutes() * rapport::sdk::kMicrosPerMinute;
    Point warn{&ref, false}, breach{&ref, true};
    if (percent > 0 && !clock.breached() &&
        !Announced(record, v1::CaseEvent::KIND_SLA_WARNING, ref.name)) {
      const int64_t warn_target = target / 100 * percent;
      warn.reached = elapsed >= warn_target;
      // Past the point already (captured late, a new policy): warn now.
      warn.at = warn.reached ? now : AddBusinessMicros(calendar, now, warn_target - elapsed);
    }
    if (!Announced(record, v1::CaseEvent::KIND_SLA_BREACHED, ref.name)) {
      breach.reached = clock.breached();
      breach.at = breach.reached ? now : ToMicros(clock.due_time());
    }
    out.push_back(warn);
    out.push_back(breach);
  }
  return out;
}

}  // namespace

Status ScheduleSlaTimers(const Call& call, const CaseRecord& record, const Calendar& calendar,
                         const v1::Settings& settings, int64_t now) {
  // One timer per case, at its next point: a million open cases hold a
  // million timers, not four million.
  int64_t next = 0;
  for (const Point& p : Points(record, calendar, settings, now)) {
    if (p.at > 0 && p.at != INT64_MAX && (next == 0 || p.at < next)) next = p.at;
  }
  Status s = Set(call, std::string(kPrefix) + record.current.id(), next);
  // Past the host's --plugin-max-timers the case is still captured (its
  // clocks are computed whenever it is read); only its warning and breach
  // wait for its next change. docs/voc.md, "Known limits".
  return s.code == RAPPORT_RESOURCE_EXHAUSTED ? Status{} : s;
}

Status FireSlaTimer(const Call& call, const std::string& key, int64_t now) {
  // sla/<case> (sla/<case>/<clock>/<stage> from the first layout: the case
  // is the same part)
  const std::vector<std::string> parts = rapport::sdk::SplitKey(key);
  if (parts.size() < 2) return {};  // not ours: nothing to do
  CaseRecord record;
  if (Status s = LoadCase(call, parts[1], &record); !s.ok()) {
    return s.code == RAPPORT_NOT_FOUND ? Status{} : s;
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  v1::BusinessCalendar calendar_proto;
  if (Status s = LoadCalendar(call, &calendar_proto); !s.ok()) return s;
  const Calendar calendar = BuildCalendar(calendar_proto);
  // Announce every point reached, in order; an action (a new priority, so
  // maybe a new policy) changes what is reached, so look again after each.
  bool changed = false;
  for (int round = 0; round < 8; ++round) {
    const std::vector<Point> points = Points(record, calendar, settings, now);
    const Point* reached = nullptr;
    for (const Point& p : points) {
      if (p.reached) {
        reached = &p;
        break;
      }
    }
    if (reached == nullptr) break;
    const v1::CaseEvent::Kind kind =
        reached->breach ? v1::CaseEvent::KIND_SLA_BREACHED : v1::CaseEvent::KIND_SLA_WARNING;
    v1::CaseEvent* e = AddEvent(call, &record, kind, now);
    e->set_clock(reached->clock->name);
    e->set_sla_policy(record.current.sla_policy());
    const v1::CaseEvent announced = *e;
    if (Status s = call.EmitEvent(reached->breach ? "sla.breached" : "sla.warning", announced);
        !s.ok()) {
      return s;
    }
    if (const v1::SlaPolicy* policy = PolicyNamed(settings, record.current.sla_policy())) {
      const auto actions = reached->breach ? policy->breach_actions() : policy->warning_actions();
      for (int action : actions) {
        Act(call, settings, static_cast<v1::SlaAction>(action), now, &record);
      }
    }
    changed = true;
  }
  // Saving sets the timer at the next point; so does the last line.
  if (changed) return CommitCase(call, &record, calendar, settings, now);
  return ScheduleSlaTimers(call, record, calendar, settings, now);
}

}  // namespace rapport::voc
