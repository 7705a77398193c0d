// File: plugins/voc/sla.cc
#include "sla.h"

#include <utility>

#include "case_state.h"
#include "rapport/sdk/time.h"

namespace rapport::voc {
namespace {

using rapport::sdk::kMicrosPerMinute;
using rapport::sdk::TimestampFromMicros;
using rapport::sdk::ToMicros;

// One clock's running intervals as the log unfolds.
struct ClockState {
  std::vector<std::pair<int64_t, int64_t>> segments;  // [start, end) it ran
  int64_t running_since = -1;                         // the open interval's start
  bool paused = false;
  bool stopped = false;
  int64_t stop_time = 0;

  void Run(int64_t t) {
    if (stopped || running_since >= 0) return;
    running_since = t;
    paused = false;
  }
  void Close(int64_t t) {
    if (running_since < 0) return;
    if (t > running_since) segments.emplace_back(running_since, t);
    running_since = -1;
  }
  void Pause(int64_t t) {
    if (stopped) return;
    Close(t);
    paused = true;
  }
  void Stop(int64_t t) {
    if (stopped) return;
    Close(t);
    stopped = true;
    paused = false;
    stop_time = t;
  }
  void Restart(int64_t t) {
    stopped = false;
    Run(t);
  }
};

v1::SlaClock Compute(const Calendar& calendar, const ClockState& state, int64_t target, int64_t now,
                     int64_t* elapsed) {
  v1::SlaClock out;
  out.set_target_minutes(target / kMicrosPerMinute);
  std::vector<std::pair<int64_t, int64_t>> segments = state.segments;
  int64_t closed = 0;  // business micros before the open interval
  for (const auto& [s, e] : segments) closed += BusinessMicrosBetween(calendar, s, e);
  if (state.running_since >= 0 && now > state.running_since) {
    segments.emplace_back(state.running_since, now);
  }
  int64_t consumed = 0;
  int64_t breach = -1;
  for (const auto& [s, e] : segments) {
    const int64_t business = BusinessMicrosBetween(calendar, s, e);
    if (target > 0 && breach < 0 && consumed + business >= target) {
      breach = AddBusinessMicros(calendar, s, target - consumed);
    }
    consumed += business;
  }
  out.set_elapsed_minutes(consumed / kMicrosPerMinute);
  *elapsed = consumed;
  out.set_paused(state.paused && !state.stopped);
  if (state.stopped) *out.mutable_stop_time() = TimestampFromMicros(state.stop_time);
  if (target > 0 && state.running_since >= 0) {
    const int64_t due = closed >= target
                            ? breach
                            : AddBusinessMicros(calendar, state.running_since, target - closed);
    if (due != INT64_MAX) *out.mutable_due_time() = TimestampFromMicros(due);
  }
  if (breach >= 0) {
    out.set_breached(true);
    *out.mutable_breach_time() = TimestampFromMicros(breach);
  }
  return out;
}

}  // namespace

Clocks ReplayClocks(const Calendar& calendar, const std::vector<v1::CaseEvent>& events,
                    int64_t now) {
  ClockState first_response, resolution;
  int64_t first_response_target = 0, resolution_target = 0;
  for (const v1::CaseEvent& event : events) {
    const int64_t t = ToMicros(event.time());
    switch (event.kind()) {
      case v1::CaseEvent::KIND_CAPTURED:
        first_response.Run(t);
        resolution.Run(t);
        break;
      case v1::CaseEvent::KIND_SLA_APPLIED:
        first_response_target = event.first_response_minutes() * kMicrosPerMinute;
        resolution_target = event.resolution_minutes() * kMicrosPerMinute;
        break;
      case v1::CaseEvent::KIND_AGENT_REPLIED:
        first_response.Stop(t);
        break;
      case v1::CaseEvent::KIND_STATUS_CHANGED:
        if (Pauses(event.to_status())) {
          first_response.Pause(t);
          resolution.Pause(t);
        } else if (!IsOpen(event.to_status())) {
          first_response.Stop(t);
          resolution.Stop(t);
        } else if (event.to_status() == v1::CASE_STATUS_REOPENED) {
          resolution.Restart(t);
        } else {
          first_response.Run(t);
          resolution.Run(t);
        }
        break;
      default:
        break;
    }
  }
  Clocks out;
  out.first_response =
      Compute(calendar, first_response, first_response_target, now, &out.first_response_elapsed);
  out.resolution = Compute(calendar, resolution, resolution_target, now, &out.resolution_elapsed);
  return out;
}

}  // namespace rapport::voc
