// Durable timers (plugin ABI 1.2) through the real plugin host: the test
// plugin "timer" (timer_plugin.cc beside this file) loaded with dlopen, a
// real RocksDB and RecordStore. Timers fire after they are due, once in
// effect; moving and cancelling work; a failed call or a refused write
// leaves no timer; failing handlers are retried and dead-lettered (and
// replayed); the kill switch holds timers; overdue timers fire after a
// restart; and the bad inputs are refused by name with nothing stored.
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/extra_write_resolver.h"
#include "core/store/keyspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::HasSubstr;

constexpr char kService[] = "/rapport.timer.v1.TimerService/";

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

class TimersTest : public OnePluginHostTest {
 protected:
  TimersTest() : OnePluginHostTest("timer", RAPPORT_TIMER_PLUGIN_DIR) {}

  void LoadAndStart(PluginHostOptions options = {}) {
    Load(options);
    host_->Start();
  }

  absl::StatusOr<v1::Customer> Call(const std::string& method, const v1::Customer& request) {
    return Invoke<v1::Customer>(Admin(), absl::StrCat(kService, method), request);
  }
  absl::Status Schedule(const std::string& key, int64_t when, const std::string& payload = "",
                        const std::string& tag = "") {
    v1::Customer request;
    request.set_display_name(key);
    request.set_revision(when);
    request.set_owner(payload);
    if (!tag.empty()) request.add_tags(tag);
    return Call("Schedule", request).status();
  }
  absl::Status Cancel(const std::string& key) {
    v1::Customer request;
    request.set_display_name(key);
    return Call("Cancel", request).status();
  }
  // The counter at `key` (-1 when missing).
  int64_t Counter(const std::string& key) {
    v1::Customer request;
    request.set_display_name(key);
    auto got = Call("Get", request);
    return got.ok() ? got->revision() : -1;
  }
  bool Has(const std::string& key) {
    v1::Customer request;
    request.set_display_name(key);
    request.set_owner("value");
    return Call("Get", request).ok();
  }
  // Waits (at most 10 s) until the "fired" counter reaches `n`.
  bool WaitForFired(int64_t n) {
    for (int i = 0; i < 1000; ++i) {
      if (Counter("fired") >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // The timers stored for the plugin (timer keys of the meta family).
  int StoredTimers() {
    int n = 0;
    for (const std::string& prefix :
         {store::TimerKey("timer", kTenant, ""), store::TimerDuePrefix("timer")}) {
      auto it = db_->NewIterator(db_->meta());
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    }
    return n;
  }
};

TEST_F(TimersTest, FiresOnceAfterItIsDue) {
  LoadAndStart();
  const int64_t when = NowMicros() + 100'000;
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_TRUE(Schedule(key, when, absl::StrCat("early:", when)).ok());
  }
  EXPECT_EQ(StoredTimers(), 6);  // each timer and its due entry
  ASSERT_TRUE(WaitForFired(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Counter("fired"), 3);
  EXPECT_EQ(Counter("early"), -1) << "a timer fired before it was due";
  EXPECT_TRUE(Has("fired/a") && Has("fired/b") && Has("fired/c"));
  EXPECT_EQ(StoredTimers(), 0);
  EXPECT_EQ(Module().metrics().at("timers_fired"), 3);
  // The per-tenant count of pending timers is back to zero.
  auto count = db_->Get(db_->meta(), store::TimerCountKey("timer", kTenant));
  ASSERT_TRUE(count.ok());
  int64_t pending = -1;
  ASSERT_TRUE(records::DecodeCounter(*count, &pending));
  EXPECT_EQ(pending, 0);
}

TEST_F(TimersTest, RescheduleMovesTheTimerAndCancelRemovesIt) {
  LoadAndStart();
  const int64_t now = NowMicros();
  ASSERT_TRUE(Schedule("moved", now + 3'600'000'000).ok());
  ASSERT_TRUE(Schedule("moved", now + 50'000).ok());  // moved earlier: one timer
  ASSERT_TRUE(Schedule("cancelled", now + 50'000).ok());
  ASSERT_TRUE(Cancel("cancelled").ok());
  EXPECT_EQ(StoredTimers(), 2);
  ASSERT_TRUE(WaitForFired(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Counter("fired"), 1);
  EXPECT_TRUE(Has("fired/moved"));
  EXPECT_FALSE(Has("fired/cancelled"));
  absl::Status missing = Cancel("cancelled");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("no timer 'cancelled'"));
}

TEST_F(TimersTest, BadInputsAreRefusedByNameAndStoreNothing) {
  PluginHostOptions options;
  options.max_timers = 2;
  LoadAndStart(options);
  const int64_t later = NowMicros() + 3'600'000'000;
  auto refused = [&](absl::Status s, absl::StatusCode code, const std::string& text) {
    EXPECT_EQ(s.code(), code) << s;
    EXPECT_THAT(s.message(), HasSubstr(text));
    EXPECT_THAT(s.message(), HasSubstr("module 'timer'"));
  };
  refused(Schedule("past", NowMicros() - 10'000'000), absl::StatusCode::kInvalidArgument,
          "is in the past");
  refused(Schedule("unbounded", std::numeric_limits<int64_t>::max()),
          absl::StatusCode::kInvalidArgument, "more than 10 years ahead");
  refused(Schedule("", later), absl::StatusCode::kInvalidArgument,
          "timer key: must be 1 to 256 bytes, got 0");
  refused(Schedule(std::string(257, 'k'), later), absl::StatusCode::kInvalidArgument,
          "timer key: must be 1 to 256 bytes, got 257");
  refused(Schedule("big", later, std::string((64 << 10) + 1, 'p')),
          absl::StatusCode::kInvalidArgument, "timer payload: must be at most 65536 bytes");
  EXPECT_EQ(StoredTimers(), 0);
  // The cap: two pending timers; a third is refused, moving one is not.
  ASSERT_TRUE(Schedule("one", later).ok());
  ASSERT_TRUE(Schedule("two", later).ok());
  refused(Schedule("three", later), absl::StatusCode::kResourceExhausted,
          "already has 2 pending timers in tenant 'acme'");
  EXPECT_TRUE(Schedule("two", later + 1).ok());
  EXPECT_EQ(StoredTimers(), 4);
  // A call that fails after scheduling leaves no timer.
  ASSERT_TRUE(Cancel("one").ok());
  refused(Schedule("rolled-back", later, "", "then-fail"), absl::StatusCode::kInternal,
          "failing after scheduling");
  EXPECT_EQ(StoredTimers(), 2);
  EXPECT_EQ(Cancel("rolled-back").code(), absl::StatusCode::kNotFound);
}

TEST_F(TimersTest, PreCommitTimersJoinTheRecordWriteAndValidateHooksCannotSchedule) {
  LoadAndStart();
  v1::Customer c;
  c.set_display_name("김민지");
  c.add_tags("timer");
  ASSERT_TRUE(records_->Create(Admin(), ResourceType::kCustomer, c, "").ok());
  ASSERT_TRUE(WaitForFired(1));
  EXPECT_TRUE(Has("fired/customer/김민지"));

  v1::Customer bad;
  bad.set_display_name("refused");
  bad.add_tags("validate-timer");
  auto refused = records_->Create(Admin(), ResourceType::kCustomer, bad, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("validate hooks cannot schedule timers"));
  EXPECT_EQ(StoredTimers(), 0);
}

TEST_F(TimersTest, FailingHandlersAreRetriedThenDeadLetteredAndReplayed) {
  PluginHostOptions options;
  options.dead_letter_after = 3;
  options.retry_max = absl::Milliseconds(20);
  LoadAndStart(options);
  ASSERT_TRUE(Schedule("flaky", NowMicros(), "fail:1").ok());   // fails once, then succeeds
  ASSERT_TRUE(Schedule("broken", NowMicros(), "fail:3").ok());  // fails every attempt it gets
  ASSERT_TRUE(WaitForFired(1));
  EXPECT_TRUE(Has("fired/flaky"));
  absl::StatusOr<std::vector<v1::DeadLetter>> letters;
  for (int i = 0; i < 500; ++i) {
    letters = host_->ListDeadLetters(Admin(), "timer");
    if (letters.ok() && !letters->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].timer_key(), "broken");
  EXPECT_EQ((*letters)[0].timer_payload(), "fail:3");
  EXPECT_EQ((*letters)[0].attempts(), 3);
  EXPECT_THAT((*letters)[0].error(), HasSubstr("failing on purpose, attempt 3"));
  EXPECT_EQ(StoredTimers(), 0);
  EXPECT_GE(Module().metrics().at("timer_failures"), 4);
  // Replaying schedules it again, due at once; its fourth attempt succeeds.
  auto replayed = host_->ReplayDeadLetters(Admin(), "timer");
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->first, 1);
  ASSERT_TRUE(WaitForFired(2));
  EXPECT_TRUE(Has("fired/broken"));
  EXPECT_TRUE(host_->ListDeadLetters(Admin(), "timer")->empty());
}

TEST_F(TimersTest, AHandlerCanScheduleItsKeyAgain) {
  LoadAndStart();
  ASSERT_TRUE(Schedule("periodic", NowMicros(), "again:3").ok());
  ASSERT_TRUE(WaitForFired(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Counter("fired"), 3);
  EXPECT_EQ(Counter("count/periodic"), 3);
  EXPECT_EQ(StoredTimers(), 0);
}

TEST_F(TimersTest, TheKillSwitchHoldsTimersUntilReleased) {
  LoadAndStart();
  ASSERT_TRUE(Schedule("held", NowMicros() + 50'000).ok());
  auto rule = host_->gate().GetRule(kTenant, "timer");
  ASSERT_TRUE(rule.ok());
  rule->set_kill_switch(true);
  auto killed = host_->gate().SetRule(Admin(), *rule, rule->revision());
  ASSERT_TRUE(killed.ok()) << killed.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(StoredTimers(), 2) << "a timer fired while the kill switch was thrown";
  killed->set_kill_switch(false);
  ASSERT_TRUE(host_->gate().SetRule(Admin(), *killed, killed->revision()).ok());
  ASSERT_TRUE(WaitForFired(1));
  EXPECT_TRUE(Has("fired/held"));
}

TEST_F(TimersTest, OverdueTimersFireAfterARestart) {
  LoadAndStart();
  ASSERT_TRUE(Schedule("overdue", NowMicros() + 300'000).ok());
  host_->Stop();
  records_->SetWriteHooks(nullptr);
  host_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Load({}, v1::MODULE_MODE_OFF);  // the rule is stored already
  host_->Start();
  ASSERT_TRUE(WaitForFired(1));
  EXPECT_TRUE(Has("fired/overdue"));
}

}  // namespace
}  // namespace rapport::plugin_host
