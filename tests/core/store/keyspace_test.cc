// The storage contract (core/store/keyspace.h): no two kinds of key can
// collide, within the meta family or in the families keyed by tenant.
#include "core/store/keyspace.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::store {
namespace {

TEST(KeyspaceTest, MetaPrefixesAreDistinctAndEveryBuilderUsesItsOwn) {
  std::set<uint8_t> seen;
  for (MetaPrefix p : kAllMetaPrefixes) {
    EXPECT_TRUE(seen.insert(static_cast<uint8_t>(p)).second)
        << "prefix '" << static_cast<char>(p) << "' is listed twice";
  }
  EXPECT_EQ(seen.size(), std::size(kAllMetaPrefixes));
  // Each builder's first byte is its own prefix: a key of one kind is never
  // under another kind's prefix.
  const std::string id16(16, '\x01');
  const std::vector<std::pair<MetaPrefix, std::string>> keys = {
      {MetaPrefix::kTenantName, TenantNameKey("acme")},
      {MetaPrefix::kNextTenant, NextTenantKey()},
      {MetaPrefix::kPageSecret, PageSecretKey()},
      {MetaPrefix::kLastSequence, LastSequenceKey()},
      {MetaPrefix::kSearchKeyVersion, SearchKeyVersionKey()},
      {MetaPrefix::kSchema, SchemaKey(1, 1)},
      {MetaPrefix::kIdempotency, IdempotencyKey(1, 1, "r")},
      {MetaPrefix::kFeedPruned, FeedPrunedKey(1)},
      {MetaPrefix::kFeedConsumer, ConsumerKey(1, "erp")},
      {MetaPrefix::kTenantRecord, TenantRecordKey(1)},
      {MetaPrefix::kOperatorTenant, OperatorKey()},
      {MetaPrefix::kUser, UserKey(1, "u")},
      {MetaPrefix::kTeam, TeamKey(1, "t")},
      {MetaPrefix::kApiToken, TokenKey(id16)},
      {MetaPrefix::kAuditEntry, AuditKey(1, 1)},
      {MetaPrefix::kRolloutRule, RolloutRuleKey(1, "sfa")},
      {MetaPrefix::kPluginKey, PluginKvPrefix(1, "sfa") + "k"},
      {MetaPrefix::kPluginCursor, PluginCursorKey("sfa", 1)},
      {MetaPrefix::kDeadLetter, DeadLetterPrefix("sfa", 1)},
      {MetaPrefix::kShadowRecord, ShadowPrefix("sfa", 1)},
      {MetaPrefix::kTimer, TimerKey("sfa", 1, "k")},
      {MetaPrefix::kTimerDue, TimerDueKey("sfa", 5, 1, "k")},
      {MetaPrefix::kTimerCount, TimerCountKey("sfa", 1)},
      {MetaPrefix::kBackfill, BackfillKey("sfa", 1)},
  };
  ASSERT_EQ(keys.size(), std::size(kAllMetaPrefixes)) << "a prefix without a builder here";
  std::set<uint8_t> covered;
  for (const auto& [prefix, key] : keys) {
    ASSERT_FALSE(key.empty());
    EXPECT_EQ(static_cast<uint8_t>(key[0]), static_cast<uint8_t>(prefix)) << key;
    covered.insert(static_cast<uint8_t>(prefix));
  }
  EXPECT_EQ(covered, seen);
  // The prefix lists match the builders.
  EXPECT_EQ(TenantRecordKey(7).rfind(TenantRecordPrefix(), 0), 0u);
  EXPECT_EQ(TokenKey(id16).rfind(TokenPrefix(), 0), 0u);
  EXPECT_EQ(UserKey(7, "u").rfind(UserPrefix(7), 0), 0u);
  EXPECT_EQ(TeamKey(7, "t").rfind(TeamPrefix(7), 0), 0u);
  EXPECT_EQ(AuditKey(7, 9).rfind(AuditPrefix(7), 0), 0u);
  EXPECT_NE(UserKey(7, "u").rfind(UserPrefix(8), 0), 0u);
}

TEST(KeyspaceTest, TenantScopedKeysStayInsideTheirTenant) {
  const std::string id16(16, '\xff');
  // A key of tenant 1 is never under tenant 2's prefix, in any family.
  for (uint32_t a : {1u, 2u, 255u, 256u}) {
    for (uint32_t b : {1u, 2u, 255u, 256u}) {
      if (a == b) continue;
      const std::string tenant_b = KeyWriter().U32(b).Release();
      EXPECT_NE(EntityKey(a, 1, id16).rfind(tenant_b, 0), 0u);
      EXPECT_NE(IndexPrefix(a, 3).rfind(tenant_b, 0), 0u);
      EXPECT_NE(FeedKey(a, 5).rfind(tenant_b, 0), 0u);
      EXPECT_NE(CounterKey(a, 1).rfind(tenant_b, 0), 0u);
    }
  }
  // In the counters family the feed count is not a record count.
  for (uint8_t type : {uint8_t{1}, uint8_t{2}, uint8_t{3}}) {
    EXPECT_NE(FeedCountKey(1), CounterKey(1, type));
    EXPECT_NE(type, kFeedCountTag);
  }
  EXPECT_EQ(static_cast<int>(StoredResourceType::kCustomer), 1);
  EXPECT_EQ(static_cast<int>(StoredResourceType::kInteraction), 2);
  EXPECT_EQ(static_cast<int>(StoredResourceType::kOpportunity), 3);
}

TEST(KeyspaceTest, PluginAndTimerKeysAreDescribedAsThePluginWroteThem) {
  EXPECT_EQ(DescribePluginKey(PluginKvPrefix(1, "sfa") + "pipelines/기본"), "pipelines/기본");
  EXPECT_EQ(DescribePluginKey(TimerKey("sfa", 1, "sla/case-1")), "timer 'sla/case-1'");
  EXPECT_EQ(DescribePluginKey("plain"), "plain");
  // Due entries sort by time before tenant and key.
  EXPECT_LT(TimerDueKey("sfa", 5, 9, "z"), TimerDueKey("sfa", 6, 1, "a"));
}

}  // namespace

}  // namespace rapport::store
