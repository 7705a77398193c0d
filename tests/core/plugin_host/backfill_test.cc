// Backfill (plugin ABI 1.2) through the real plugin host, with the test
// plugin "tally" (tally_plugin.cc beside this file: a per-customer
// interaction count kept by a post-commit hook and rebuilt by backfill).
// Interactions written before the module was loaded, before it was on, and
// while its backfill runs are all counted exactly once; a requested backfill
// repairs a wrong count; bad requests are refused by name.
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/plugin_host/plugin_host.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::HasSubstr;

constexpr char kService[] = "/rapport.tally.v1.TallyService/";

class BackfillTest : public OnePluginHostTest {
 protected:
  BackfillTest() : OnePluginHostTest("tally", RAPPORT_TALLY_PLUGIN_DIR) {}

  std::string NewCustomer(const std::string& name) {
    v1::Customer c;
    c.set_display_name(name);
    auto created = records_->Create(Admin(), ResourceType::kCustomer, c, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return static_cast<const v1::Customer&>(**created).id();
  }
  void Interact(const std::string& customer_id, const std::string& subject = "통화") {
    v1::Interaction interaction;
    interaction.set_customer_id(customer_id);
    interaction.set_kind(v1::INTERACTION_KIND_CALL);
    interaction.set_subject(subject);
    ASSERT_TRUE(records_->Create(Admin(), ResourceType::kInteraction, interaction, "").ok());
    ++truth_[customer_id];
  }
  int64_t Count(const std::string& customer_id) {
    v1::Customer request;
    request.set_display_name(customer_id);
    auto got = Invoke<v1::Customer>(Admin(), absl::StrCat(kService, "Get"), request);
    return got.ok() ? got->revision() : -1;
  }
  // Waits (at most 20 s) until every count equals the interactions written.
  bool WaitForExactCounts() {
    for (int i = 0; i < 2000; ++i) {
      bool exact = true;
      for (const auto& [id, n] : truth_) exact = exact && Count(id) == n;
      if (exact) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const auto& [id, n] : truth_) ADD_FAILURE() << id << ": " << Count(id) << " != " << n;
    return false;
  }
  // Customers the hook on customer create has counted, once it reaches
  // `want` (or 5 s pass).
  int64_t CustomersCounted(int64_t want) {
    int64_t got = -1;
    for (int i = 0; i < 500 && got != want; ++i) {
      auto r = Invoke<v1::Customer>(Admin(), absl::StrCat(kService, "Customers"), v1::Customer());
      got = r.ok() ? r->revision() : -1;
      if (got != want) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
  }
  void SetRule(v1::ModuleMode mode, bool killed) {
    v1::RolloutRule rule;
    rule.set_module("tally");
    rule.set_default_mode(mode);
    rule.set_kill_switch(killed);
    auto set = host_->gate().SetRule(Admin(), rule, 0);
    ASSERT_TRUE(set.ok()) << set.status();
  }
  absl::StatusOr<v1::BackfillStatus> WaitForBackfill(v1::BackfillStatus::State state) {
    absl::StatusOr<v1::BackfillStatus> status;
    for (int i = 0; i < 2000; ++i) {
      status = host_->GetBackfill(Admin(), "tally");
      if (status.ok() && status->state() == state) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status;
  }

  std::map<std::string, int64_t> truth_;
};

TEST_F(BackfillTest, FirstEnableCountsHistoryAndConcurrentWritesExactlyOnce) {
  std::vector<std::string> customers;
  for (int i = 0; i < 5; ++i) customers.push_back(NewCustomer(absl::StrCat("고객 ", i)));
  // History from before the module existed: 7, 2, 0, ... as a rollout left it.
  for (int i = 0; i < 1500; ++i) Interact(customers[i % 3 == 0 ? 0 : i % 5]);
  Load();
  host_->Start();
  // Writes racing with the backfill: each is counted by the backfill or by
  // the hook, never both, never neither.
  for (int i = 0; i < 300; ++i) Interact(customers[i % 5]);
  auto done = WaitForBackfill(v1::BackfillStatus::STATE_DONE);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_GE(done->records(), 1500);
  EXPECT_GT(done->sequence(), 0u);
  ASSERT_TRUE(WaitForExactCounts());
  for (int i = 0; i < 100; ++i) Interact(customers[i % 2]);
  EXPECT_TRUE(WaitForExactCounts());
  EXPECT_GE(Module().metrics().at("backfill_records"), 1500);
  // The customers, a resource tally does not backfill, were created before
  // the backfill's snapshot: their hook still saw each of them once.
  EXPECT_EQ(CustomersCounted(5), 5);
  NewCustomer("고객 5");
  EXPECT_EQ(CustomersCounted(6), 6);
}

TEST_F(BackfillTest, DeadLettersOfEventsTheBackfillCoversAreDropped) {
  const std::string a = NewCustomer("A");
  Load();
  host_->Start();
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  Interact(a);
  Interact(a, "fail");  // its hook fails every attempt: a dead letter
  Interact(a);
  absl::StatusOr<std::vector<v1::DeadLetter>> letters;
  for (int i = 0; i < 500; ++i) {
    letters = host_->ListDeadLetters(Admin(), "tally");
    if (letters.ok() && !letters->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ(Count(a), 2);  // the failed one is missing

  // The rebuild counts the failed interaction from its record; its dead
  // letter goes, so a replay cannot count it a second time.
  ASSERT_TRUE(host_->RequestBackfill(Admin(), "tally").ok());
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  ASSERT_TRUE(WaitForExactCounts());
  EXPECT_EQ(Count(a), 3);
  letters = host_->ListDeadLetters(Admin(), "tally");
  ASSERT_TRUE(letters.ok()) << letters.status();
  EXPECT_TRUE(letters->empty());
  auto replayed = host_->ReplayDeadLetters(Admin(), "tally");
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->first + replayed->second, 0);
  EXPECT_EQ(Count(a), 3);
  EXPECT_EQ(Module().dead_letters(), 0);
}

TEST_F(BackfillTest, ShadowIsNotAFirstEnableAndAThrownKillSwitchHoldsTheBackfill) {
  const std::string a = NewCustomer("A");
  for (int i = 0; i < 3; ++i) Interact(a);
  Load({}, v1::MODULE_MODE_OFF);
  host_->Start();
  ASSERT_NO_FATAL_FAILURE(SetRule(v1::MODULE_MODE_SHADOW, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(host_->GetBackfill(Admin(), "tally").status().code(), absl::StatusCode::kNotFound)
      << "backfilled in shadow";
  ASSERT_NO_FATAL_FAILURE(SetRule(v1::MODULE_MODE_ON, true));  // on, but killed
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(host_->GetBackfill(Admin(), "tally").status().code(), absl::StatusCode::kNotFound)
      << "backfilled while killed";
  ASSERT_NO_FATAL_FAILURE(SetRule(v1::MODULE_MODE_ON, false));
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  EXPECT_TRUE(WaitForExactCounts());

  // A requested rebuild waits while the switch is thrown.
  ASSERT_NO_FATAL_FAILURE(SetRule(v1::MODULE_MODE_ON, true));
  ASSERT_TRUE(host_->RequestBackfill(Admin(), "tally").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto held = host_->GetBackfill(Admin(), "tally");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->state(), v1::BackfillStatus::STATE_REQUESTED);
  ASSERT_NO_FATAL_FAILURE(SetRule(v1::MODULE_MODE_ON, false));
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  EXPECT_TRUE(WaitForExactCounts());
}

TEST_F(BackfillTest, AGatedModuleIsBackfilledWhenFirstTurnedOn) {
  const std::string a = NewCustomer("A");
  for (int i = 0; i < 7; ++i) Interact(a);
  Load({}, v1::MODULE_MODE_OFF);
  host_->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto none = host_->GetBackfill(Admin(), "tally");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound) << "backfilled while off";
  v1::RolloutRule rule;
  rule.set_module("tally");
  rule.set_default_mode(v1::MODULE_MODE_ON);
  ASSERT_TRUE(host_->gate().SetRule(Admin(), rule, 0).ok());
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  EXPECT_TRUE(WaitForExactCounts());
  EXPECT_EQ(Count(a), 7);
}

TEST_F(BackfillTest, ARequestedBackfillRebuildsFromTheStartAndBadRequestsAreRefused) {
  const std::string a = NewCustomer("A"), b = NewCustomer("B");
  for (int i = 0; i < 4; ++i) Interact(i % 2 ? a : b);
  Load();
  host_->Start();
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());
  ASSERT_TRUE(WaitForExactCounts());
  v1::Customer corrupt;
  corrupt.set_display_name(a);
  ASSERT_TRUE(Invoke<v1::Customer>(Admin(), absl::StrCat(kService, "Corrupt"), corrupt).ok());
  ASSERT_EQ(Count(a), 999);
  auto requested = host_->RequestBackfill(Admin(), "tally");
  ASSERT_TRUE(requested.ok()) << requested.status();
  EXPECT_EQ(requested->state(), v1::BackfillStatus::STATE_REQUESTED);
  EXPECT_TRUE(WaitForExactCounts());  // the start handler cleared the 999
  ASSERT_TRUE(WaitForBackfill(v1::BackfillStatus::STATE_DONE).ok());

  auto missing = host_->RequestBackfill(Admin(), "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no module 'nope'"));
  EXPECT_EQ(host_->GetBackfill(Admin(), "nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rapport::plugin_host
