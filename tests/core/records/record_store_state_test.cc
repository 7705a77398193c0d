// Unit tests of what the record store's jobs share (record_store_state.h):
// ID parsing, the read and write checks, and the visibility-aware read.
#include "core/records/record_store_state.h"

#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tests/testing/record_store_fixture.h"

namespace rapport::records {
namespace {

std::shared_ptr<const AccessScope> Scope(std::vector<std::string> owners, bool can_write = true) {
  auto scope = std::make_shared<AccessScope>();
  scope->all = false;
  scope->can_write = can_write;
  scope->owners = owners;
  for (const auto& o : owners) scope->owner_set.insert(o);
  return scope;
}

RequestContext Rep(const std::string& user, std::vector<std::string> owners,
                   bool can_write = true) {
  RequestContext ctx;
  ctx.tenant = 1;
  ctx.user_id = user;
  ctx.scope = Scope(std::move(owners), can_write);
  return ctx;
}

TEST(ParseIdTest, AcceptsAnyCaseAndNamesTheFieldOnError) {
  ids::UlidGenerator ids;
  const std::string id16 = ids.Next(1700000000000);
  const std::string id = ids::UlidToString(id16);
  auto upper = ParseId("id", id);
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(*upper, id16);
  auto lower = ParseId("id", absl::AsciiStrToLower(id));
  ASSERT_TRUE(lower.ok()) << lower.status();
  EXPECT_EQ(*lower, id16);

  auto empty = ParseId("customer.id", "");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().ToString().find("customer.id"), std::string::npos);
  EXPECT_EQ(ParseId("id", "not-an-id").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AccessChecksTest, OwnersAndCollaboratorsSeeARecord) {
  v1::Opportunity opp;
  opp.set_owner("alice");
  opp.add_collaborators("carol");
  EXPECT_TRUE(CanSee(Rep("alice", {"alice"}), opp));
  EXPECT_TRUE(CanSee(Rep("bob", {"bob", "alice"}), opp));  // a manager of alice
  EXPECT_TRUE(CanSee(Rep("carol", {"carol"}), opp));       // a collaborator
  EXPECT_FALSE(CanSee(Rep("dave", {"dave"}), opp));
  RequestContext internal;
  EXPECT_TRUE(CanSee(internal, opp));
}

TEST(AccessChecksTest, WritesNeedTheRoleAndTheOwnerInScope) {
  const ResourceKind& kind = KindOf(ResourceType::kOpportunity);
  v1::Opportunity opp;
  opp.set_owner("alice");
  opp.add_collaborators("carol");
  EXPECT_TRUE(CheckWritable(Rep("alice", {"alice"}), kind, opp).ok());
  EXPECT_EQ(CheckWritable(Rep("alice", {"alice"}, /*can_write=*/false), kind, opp).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckWritable(Rep("dave", {"dave"}), kind, opp).code(),
            absl::StatusCode::kPermissionDenied);
  // A collaborator may change the record, but not who owns it.
  v1::Opportunity edited = opp;
  edited.set_name("renamed");
  EXPECT_TRUE(CheckWritable(Rep("carol", {"carol"}), kind, edited, &opp).ok());
  v1::Opportunity taken = opp;
  taken.set_owner("carol");
  auto denied = CheckWritable(Rep("carol", {"carol"}), kind, taken, &opp);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.ToString().find("owner"), std::string::npos);
}

class RecordStoreStateTest : public testing::RecordStoreFixture {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore()); }
};

TEST_F(RecordStoreStateTest, ReadVisibleHidesWhatTheCallerCannotSee) {
  v1::Customer customer;
  customer.set_kind(v1::CUSTOMER_KIND_PERSON);
  customer.set_display_name("Kim Minji");
  customer.set_owner("alice");
  auto created = store_->Create(Ctx(), ResourceType::kCustomer, customer, "");
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id16 = *ids::UlidFromString(static_cast<v1::Customer&>(**created).id());

  // A state over the same database, as RecordStore builds its own.
  RecordStoreState state(db_.get(), &Clock::Real(), {}, std::string(32, 's'), nullptr);
  const ResourceKind& kind = KindOf(ResourceType::kCustomer);
  auto read = state.ReadRecord(1, kind, id16);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(static_cast<v1::Customer&>(**read).display_name(), "Kim Minji");
  EXPECT_EQ(state.ReadRecord(2, kind, id16).status().code(), absl::StatusCode::kNotFound);

  EXPECT_TRUE(state.ReadVisible(Rep("alice", {"alice"}), kind, id16).ok());
  auto hidden = state.ReadVisible(Rep("dave", {"dave"}), kind, id16);
  EXPECT_EQ(hidden.status().code(), absl::StatusCode::kNotFound);
  // Indistinguishable from an absent record.
  ids::UlidGenerator ids;
  auto absent = state.ReadVisible(Rep("dave", {"dave"}), kind, ids.Next(1));
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rapport::records
