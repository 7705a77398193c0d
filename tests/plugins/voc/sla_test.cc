// SLA clocks replayed from a case's event log: pauses, stops, reopening,
// a policy change, and the same log giving the same deadlines.
#include "sla.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapport/sdk/time.h"
#include "voc_test_util.h"

namespace rapport::voc {
namespace {

using rapport::sdk::kMicrosPerHour;
using rapport::sdk::kMicrosPerMinute;

class Log {
 public:
  Log& Add(v1::CaseEvent::Kind kind, int64_t at) {
    v1::CaseEvent& e = events_.emplace_back();
    e.set_sequence(static_cast<int64_t>(events_.size()));
    e.set_kind(kind);
    *e.mutable_time() = rapport::sdk::TimestampFromMicros(at);
    return *this;
  }
  Log& Sla(int64_t at, int64_t first_response, int64_t resolution) {
    Add(v1::CaseEvent::KIND_SLA_APPLIED, at);
    events_.back().set_first_response_minutes(first_response);
    events_.back().set_resolution_minutes(resolution);
    return *this;
  }
  Log& Status(int64_t at, v1::CaseStatus to) {
    Add(v1::CaseEvent::KIND_STATUS_CHANGED, at);
    events_.back().set_to_status(to);
    return *this;
  }
  const std::vector<v1::CaseEvent>& events() const { return events_; }

 private:
  std::vector<v1::CaseEvent> events_;
};

TEST(SlaClocks, RunInBusinessTimeFromCapture) {
  Log log;
  const int64_t captured = Seoul(2026, 11, 27, 17, 30);  // Friday
  log.Add(v1::CaseEvent::KIND_CAPTURED, captured).Sla(captured, 120, 16 * 60);
  const Clocks c = ReplayClocks(Default(), log.events(), Seoul(2026, 11, 28, 12, 0));
  EXPECT_EQ(Local(c.first_response.due_time()), "2026-11-30T10:30:00+09:00");
  EXPECT_EQ(c.first_response.elapsed_minutes(), 30);
  EXPECT_FALSE(c.first_response.breached());
  // 16 working hours: 0.5 Friday + 9 Monday + 6.5 Tuesday.
  EXPECT_EQ(Local(c.resolution.due_time()), "2026-12-01T15:30:00+09:00");
}

TEST(SlaClocks, PausesStopAndBreach) {
  const int64_t t0 = Seoul(2026, 11, 30, 9, 0);  // Monday
  Log log;
  log.Add(v1::CaseEvent::KIND_CAPTURED, t0)
      .Sla(t0, 60, 4 * 60)
      .Status(t0 + 30 * kMicrosPerMinute, v1::CASE_STATUS_PENDING_CUSTOMER)
      .Status(t0 + 3 * kMicrosPerHour, v1::CASE_STATUS_OPEN);
  // Paused 09:30..12:00: 30 min consumed, so first response is due at 12:30.
  Clocks c = ReplayClocks(Default(), log.events(), t0 + 3 * kMicrosPerHour);
  EXPECT_EQ(Local(c.first_response.due_time()), "2026-11-30T12:30:00+09:00");
  EXPECT_EQ(Local(c.resolution.due_time()), "2026-11-30T15:30:00+09:00");
  // Seen while paused: no due time, flagged paused.
  std::vector<v1::CaseEvent> paused(log.events().begin(), log.events().begin() + 3);
  c = ReplayClocks(Default(), paused, t0 + 2 * kMicrosPerHour);
  EXPECT_TRUE(c.first_response.paused());
  EXPECT_FALSE(c.first_response.has_due_time());
  EXPECT_EQ(c.first_response.elapsed_minutes(), 30);
  // No reply until 13:00: the first response breached at 12:30.
  c = ReplayClocks(Default(), log.events(), t0 + 4 * kMicrosPerHour);
  EXPECT_TRUE(c.first_response.breached());
  EXPECT_EQ(Local(c.first_response.breach_time()), "2026-11-30T12:30:00+09:00");
  // The reply at 12:15 stops it in time.
  log.Add(v1::CaseEvent::KIND_AGENT_REPLIED, t0 + 3 * kMicrosPerHour + 15 * kMicrosPerMinute);
  c = ReplayClocks(Default(), log.events(), t0 + 8 * kMicrosPerHour);
  EXPECT_FALSE(c.first_response.breached());
  EXPECT_EQ(Local(c.first_response.stop_time()), "2026-11-30T12:15:00+09:00");
  EXPECT_FALSE(c.first_response.has_due_time());
  // Resolution ran out at 15:30.
  EXPECT_TRUE(c.resolution.breached());
  EXPECT_EQ(Local(c.resolution.breach_time()), "2026-11-30T15:30:00+09:00");
}

TEST(SlaClocks, ReopenResumesResolutionWithTheTimeAlreadyUsed) {
  const int64_t t0 = Seoul(2026, 11, 30, 9, 0);
  Log log;
  log.Add(v1::CaseEvent::KIND_CAPTURED, t0)
      .Sla(t0, 60, 8 * 60)
      .Status(t0 + 2 * kMicrosPerHour, v1::CASE_STATUS_SOLVED)
      .Status(Seoul(2026, 12, 1, 9, 0), v1::CASE_STATUS_REOPENED);
  const Clocks c = ReplayClocks(Default(), log.events(), Seoul(2026, 12, 1, 10, 0));
  EXPECT_EQ(c.resolution.elapsed_minutes(), 180);
  // 2 h used on Monday, 6 h left from Tuesday 09:00.
  EXPECT_EQ(Local(c.resolution.due_time()), "2026-12-01T15:00:00+09:00");
  // Solving stopped the first response too (it never restarts).
  EXPECT_TRUE(c.first_response.has_stop_time());
  EXPECT_FALSE(c.first_response.has_due_time());
}

TEST(SlaClocks, ANewPolicyKeepsTheTimeConsumed) {
  const int64_t t0 = Seoul(2026, 11, 30, 9, 0);
  Log log;
  log.Add(v1::CaseEvent::KIND_CAPTURED, t0).Sla(t0, 240, 960).Sla(t0 + kMicrosPerHour, 90, 480);
  const Clocks c = ReplayClocks(Default(), log.events(), t0 + kMicrosPerHour);
  EXPECT_EQ(c.first_response.target_minutes(), 90);
  EXPECT_EQ(Local(c.first_response.due_time()), "2026-11-30T10:30:00+09:00");
}

TEST(SlaClocks, TheSameLogGivesTheSameDeadlines) {
  const int64_t t0 = Seoul(2025, 10, 2, 16, 0);  // before 추석 2025
  Log log;
  log.Add(v1::CaseEvent::KIND_CAPTURED, t0).Sla(t0, 8 * 60, 40 * 60);
  const Clocks a = ReplayClocks(Default(), log.events(), t0 + kMicrosPerHour);
  const Clocks b = ReplayClocks(Default(), log.events(), t0 + kMicrosPerHour);
  EXPECT_EQ(a.first_response.SerializeAsString(), b.first_response.SerializeAsString());
  EXPECT_EQ(Local(a.first_response.due_time()), "2025-10-10T15:00:00+09:00");
  // Without a policy there is no deadline, only time consumed.
  Log none;
  none.Add(v1::CaseEvent::KIND_CAPTURED, t0);
  const Clocks n = ReplayClocks(Default(), none.events(), t0 + kMicrosPerHour);
  EXPECT_FALSE(n.first_response.has_due_time());
  EXPECT_EQ(n.first_response.elapsed_minutes(), 60);
}

}  // namespace
}  // namespace rapport::voc
