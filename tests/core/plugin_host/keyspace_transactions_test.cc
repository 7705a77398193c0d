// Keyspace transactions (plugin ABI 1.2) through the real plugin host: the
// test plugin "txn" (txn_plugin.cc beside this file) loaded with dlopen, a
// real RocksDB and RecordStore. Read-modify-writes raced from 8 threads lose
// nothing (RPC methods, pre-commit hooks, post-commit hooks against RPCs),
// counters add without conflicts, ranged scans page both ways and conflict
// when their range changes, and the bad inputs are refused by name.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int kThreads = 8;
constexpr char kService[] = "/rapport.txn.v1.TxnService/";

class KeyspaceTransactionsTest : public OnePluginHostTest {
 protected:
  KeyspaceTransactionsTest() : OnePluginHostTest("txn", RAPPORT_TXN_PLUGIN_DIR) {}

  static RequestContext Ctx() { return Admin(); }

  absl::StatusOr<v1::Customer> Call(const std::string& method, const v1::Customer& request) {
    return Invoke<v1::Customer>(Ctx(), absl::StrCat(kService, method), request);
  }
  absl::StatusOr<v1::Customer> Call(const std::string& method, const std::string& key,
                                    int64_t revision = 0, const std::string& owner = "") {
    v1::Customer request;
    request.set_display_name(key);
    request.set_revision(revision);
    request.set_owner(owner);
    return Call(method, request);
  }
  std::string Value(const std::string& key, const std::string& as = "") {
    auto got = Call("Get", key, 0, as);
    return got.ok() ? got->display_name() : absl::StrCat("<", got.status().ToString(), ">");
  }
  // Call A bumps "k" and waits; once it has read "k", call B bumps "k" and
  // creates "go", and A returns: its read is out of date at its commit.
  absl::StatusOr<v1::Customer> BumpWhileAnotherCallChangesTheKey() {
    absl::StatusOr<v1::Customer> a;
    std::thread slow([&] {
      v1::Customer request;
      request.set_display_name("k");
      request.add_tags("wait-for-go");
      a = Call("Bump", request);
    });
    for (int i = 0; i < 1000 && Module().metrics().count("waiting_for_go") == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(Call("Bump", "k").ok());
    EXPECT_TRUE(Call("Bump", "go").ok());
    slow.join();
    return a;
  }
  int64_t Conflicts() {
    auto metrics = Module().metrics();
    auto it = metrics.find("keyspace_conflicts");
    return it == metrics.end() ? 0 : it->second;
  }
  std::vector<std::string> Page(const std::string& prefix, const std::string& start_after,
                                int limit, bool reverse, std::string* error = nullptr) {
    v1::Customer request;
    request.set_display_name(prefix);
    request.add_tags(start_after.empty() ? "-" : start_after);
    request.set_revision(limit);
    if (reverse) request.set_owner("reverse");
    auto got = Call("Page", request);
    EXPECT_TRUE(got.ok()) << got.status();
    if (error) *error = got.ok() ? got->display_name() : "";
    return got.ok() ? std::vector<std::string>(got->tags().begin(), got->tags().end())
                    : std::vector<std::string>();
  }
};

template <typename F>
void RunThreads(F body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
  for (auto& thread : threads) thread.join();
}

TEST_F(KeyspaceTransactionsTest, RacingReadModifyWritesInMethodsLoseNothing) {
  PluginHostOptions options;
  options.max_conflict_retries = 1000;  // this test is about lost updates, not the bound
  Load(options);
  constexpr int kEach = 50;
  std::atomic<int> failed{0};
  RunThreads([&](int) {
    for (int i = 0; i < kEach; ++i) {
      if (!Call("Bump", "hits").ok()) ++failed;
    }
  });
  EXPECT_EQ(failed.load(), 0);
  // Without the commit-time check, two calls that read the same value
  // both write value + 1 and one update is lost.
  EXPECT_EQ(Value("hits"), std::to_string(kThreads * kEach));
  std::cout << "conflicts retried: " << Conflicts() << "\n";
}

TEST_F(KeyspaceTransactionsTest, ConcurrentIncrementsNeverConflict) {
  Load();
  constexpr int kEach = 100;
  RunThreads([&](int t) {
    for (int i = 0; i < kEach; ++i) ASSERT_TRUE(Call("Add", "n", t + 1).ok());
  });
  // Sum of (t + 1) * kEach for t < 8.
  EXPECT_EQ(Value("n", "counter"), std::to_string(kEach * kThreads * (kThreads + 1) / 2));
  EXPECT_EQ(Conflicts(), 0);
}

TEST_F(KeyspaceTransactionsTest, AppendsFoundByAReverseScanNeverCollide) {
  PluginHostOptions options;
  options.max_conflict_retries = 1000;
  Load(options);
  constexpr int kEach = 20;
  RunThreads([&](int) {
    for (int i = 0; i < kEach; ++i) ASSERT_TRUE(Call("Append", "log").ok());
  });
  // Every append found a distinct last index: the scan's range is checked
  // at commit, so two appends that saw the same last key cannot both land.
  auto all = Page("log/", "", 0, false);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(all.back(), "log/00000160");
}

TEST_F(KeyspaceTransactionsTest, ScansPageBothWaysFromAStartKey) {
  Load();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Call("Append", "p").ok());
  ASSERT_TRUE(Call("Append", "q").ok());  // outside the prefix
  EXPECT_THAT(Page("p/", "", 2, false), ElementsAre("p/00000001", "p/00000002"));
  EXPECT_THAT(Page("p/", "p/00000002", 2, false), ElementsAre("p/00000003", "p/00000004"));
  EXPECT_THAT(Page("p/", "p/00000004", 2, false), ElementsAre("p/00000005"));
  EXPECT_THAT(Page("p/", "p/00000005", 2, false), IsEmpty());
  EXPECT_THAT(Page("p/", "", 2, true), ElementsAre("p/00000005", "p/00000004"));
  EXPECT_THAT(Page("p/", "p/00000004", 0, true),
              ElementsAre("p/00000003", "p/00000002", "p/00000001"));
  EXPECT_THAT(Page("p/", "p/00000001", 3, true), IsEmpty());
  // A start key that does not exist still positions the scan.
  EXPECT_THAT(Page("p/", "p/00000002x", 1, false), ElementsAre("p/00000003"));
  EXPECT_THAT(Page("p/", "p/00000002x", 1, true), ElementsAre("p/00000002"));
}

TEST_F(KeyspaceTransactionsTest, BadScansAndCountersAreRefusedAndWriteNothing) {
  Load();
  std::string error;
  EXPECT_THAT(Page("p/", "q/1", 1, false, &error), IsEmpty());
  EXPECT_EQ(error, "3 start_after: 'q/1' does not start with the prefix 'p/'");

  ASSERT_TRUE(Call("Add", "max", std::numeric_limits<int64_t>::max()).ok());
  auto overflow = Call("Add", "max", 1);
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(overflow.status().message(), HasSubstr("counter 'max'"));
  EXPECT_THAT(overflow.status().message(), HasSubstr("overflows"));
  EXPECT_EQ(Value("max", "counter"), std::to_string(std::numeric_limits<int64_t>::max()));

  ASSERT_TRUE(Call("Bump", "text").ok());  // "1": one byte, not a counter
  auto not_counter = Call("Add", "text", 1);
  EXPECT_EQ(not_counter.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_counter.status().message(), HasSubstr("'text' holds 1 bytes, not a counter"));
  EXPECT_EQ(Value("text"), "1");

  auto empty_key = Call("Bump", "");
  EXPECT_EQ(empty_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty_key.status().message(), HasSubstr("key: must be 1 to 1024 bytes, got 0"));
}

TEST_F(KeyspaceTransactionsTest, AConflictPastTheRetryBoundIsAbortedAndWritesNothing) {
  PluginHostOptions options;
  options.max_conflict_retries = 0;
  Load(options);
  auto a = BumpWhileAnotherCallChangesTheKey();
  EXPECT_EQ(a.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(a.status().message(), HasSubstr("module 'txn'"));
  EXPECT_THAT(a.status().message(), HasSubstr("changed after it was read"));
  EXPECT_THAT(a.status().message(), HasSubstr("after 1 attempts"));
  EXPECT_EQ(Value("k"), "1");  // the other call's write only
  EXPECT_GE(Conflicts(), 1);
}

TEST_F(KeyspaceTransactionsTest, AConflictWithinTheBoundRunsTheMethodAgain) {
  Load();  // the default bound
  auto a = BumpWhileAnotherCallChangesTheKey();
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->display_name(), "2");  // ran again on the other call's value
  EXPECT_EQ(Value("k"), "2");
  EXPECT_GE(Conflicts(), 1);
}

TEST_F(KeyspaceTransactionsTest, PreCommitReadModifyWritesOfRacingRecordUpdatesLoseNothing) {
  Load();
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    v1::Customer c;
    c.set_display_name(absl::StrCat("C", t));
    c.set_owner("u1");
    auto created = records_->Create(Ctx(), ResourceType::kCustomer, c, "");
    ASSERT_TRUE(created.ok()) << created.status();
    ids.push_back(static_cast<const v1::Customer&>(**created).id());
  }
  constexpr int kEach = 15;
  std::atomic<int> failed{0};
  RunThreads([&](int t) {
    for (int i = 0; i < kEach; ++i) {
      v1::Customer patch;
      patch.set_id(ids[t]);
      patch.set_display_name(absl::StrCat("C", t, "-", i));
      google::protobuf::FieldMask mask;
      mask.add_paths("display_name");
      auto updated = records_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0);
      if (!updated.ok()) {
        ++failed;
        ADD_FAILURE() << updated.status();
      }
    }
  });
  EXPECT_EQ(failed.load(), 0);
  // Each update's pre-commit hook bumped "updates/u1"; updates of different
  // records race on it, and none is lost.
  EXPECT_EQ(Value("updates/u1"), std::to_string(kThreads * kEach));
}

TEST_F(KeyspaceTransactionsTest, PostCommitHooksRacingMethodsLoseNothing) {
  PluginHostOptions options;
  options.max_conflict_retries = 1000;
  Load(options);
  v1::Customer c;
  c.set_display_name("Kim");
  c.set_owner("u1");
  auto customer = records_->Create(Ctx(), ResourceType::kCustomer, c, "");
  ASSERT_TRUE(customer.ok()) << customer.status();
  const std::string customer_id = static_cast<const v1::Customer&>(**customer).id();
  // The events wait in the feed, so the dispatcher runs their hooks in
  // batches (one commit per batch) while the methods bump the same key.
  constexpr int kInteractions = 300;
  for (int i = 0; i < kInteractions; ++i) {
    v1::Interaction interaction;
    interaction.set_customer_id(customer_id);
    interaction.set_kind(v1::INTERACTION_KIND_CALL);
    interaction.set_subject(absl::StrCat("call ", i));
    ASSERT_TRUE(records_->Create(Ctx(), ResourceType::kInteraction, interaction, "").ok());
  }
  constexpr int kBumpers = 4, kBumps = 50;
  std::vector<std::thread> bumpers;
  for (int t = 0; t < kBumpers; ++t) {
    bumpers.emplace_back([&] {
      for (int i = 0; i < kBumps; ++i) ASSERT_TRUE(Call("Bump", "interactions").ok());
    });
  }
  host_->Start();
  for (auto& b : bumpers) b.join();
  const std::string want = std::to_string(kInteractions + kBumpers * kBumps);
  for (int i = 0; i < 500 && Value("interactions") != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Value("interactions"), want);
}

TEST_F(KeyspaceTransactionsTest, APostCommitAddThatCannotApplyIsDeadLetteredNotStuck) {
  PluginHostOptions options;
  options.dead_letter_after = 2;
  Load(options);
  ASSERT_TRUE(Call("Bump", "customers").ok());  // "1": text, not a counter
  host_->Start();
  v1::Customer c;
  c.set_display_name("Lee");
  c.set_owner("u1");
  auto customer = records_->Create(Ctx(), ResourceType::kCustomer, c, "");
  ASSERT_TRUE(customer.ok()) << customer.status();
  // A later event of the same tenant is still delivered.
  v1::Interaction interaction;
  interaction.set_customer_id(static_cast<const v1::Customer&>(**customer).id());
  interaction.set_kind(v1::INTERACTION_KIND_CALL);
  ASSERT_TRUE(records_->Create(Ctx(), ResourceType::kInteraction, interaction, "").ok());
  for (int i = 0; i < 500 && Value("interactions") != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Value("interactions"), "1");
  auto letters = host_->ListDeadLetters(Ctx(), "txn");
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_THAT((*letters)[0].error(), HasSubstr("key 'customers' holds 1 bytes, not a counter"));
  EXPECT_EQ(Value("customers"), "1");  // unchanged
}

}  // namespace
}  // namespace rapport::plugin_host
