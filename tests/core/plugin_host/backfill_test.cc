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
  void Interact(const std::string& customer_id) {
    v1::Interaction interaction;
    interaction.set_customer_id(customer_id);
    interaction.set_kind(v1::INTERACTION_KIND_CALL);
    interaction.set_subject("통화");
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
