// Page tokens are bound to their query (issue 22), against a real RocksDB in
// a temp directory. Every case here reuses a token where its resume key falls
// inside the new query's scan range, so the range check cannot refuse it:
// only the query fingerprint in core/records/page_token.cc does. (The older
// test in record_store_test.cc reuses tokens across different index ranges,
// which the range check refuses on its own.)
#include <memory>
#include <string>

#include "core/common/status_util.h"
#include "core/records/record_fields.h"
#include "core/records/record_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "tests/testing/record_store_fixture.h"

namespace rapport::records {
namespace {

class PageTokenBindingTest : public testing::RecordStoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore());
    // Owners u1 and u2 five customers each, C0..C9, all in Seoul; u3 one
    // more, which the restricted rep below cannot read.
    for (int i = 0; i < 10; ++i) Create("C" + std::to_string(i), i < 5 ? "u1" : "u2");
    Create("Hidden", "u3");
  }

  void Create(const std::string& name, const std::string& owner,
              const std::string& locality = "Seoul") {
    v1::Customer c;
    c.set_display_name(name);
    c.set_owner(owner);
    c.mutable_address()->set_locality(locality);
    auto created = store_->Create(Unrestricted(), ResourceType::kCustomer, c, "");
    ASSERT_TRUE(created.ok()) << created.status();
  }

  static RequestContext Unrestricted() { return Ctx(); }

  // A rep who reads the records of u1 and u2 (their own and a teammate's).
  static RequestContext Rep() {
    RequestContext ctx = Unrestricted();
    ctx.user_id = "u1";
    ctx.roles = {"rep"};
    auto scope = std::make_shared<AccessScope>();
    scope->all = false;
    scope->owners = {"u1", "u2"};
    scope->owner_set = {"u1", "u2"};
    ctx.scope = std::move(scope);
    return ctx;
  }

  static ListRequest Query(const std::string& filter, const std::string& order_by = "") {
    ListRequest r;
    r.filter = filter;
    r.order_by = order_by;
    r.page_size = 2;
    return r;
  }

  // The first page of `first` (which must have a next page), and its token
  // checked to continue `first` itself.
  std::string TokenOf(const RequestContext& ctx, const ListRequest& first) {
    auto page = store_->List(ctx, ResourceType::kCustomer, first);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return "";
    EXPECT_EQ(page->records.size(), 2u);
    EXPECT_FALSE(page->next_page_token.empty());
    ListRequest next = first;
    next.page_token = page->next_page_token;
    auto second = store_->List(ctx, ResourceType::kCustomer, next);
    EXPECT_TRUE(second.ok()) << "the token does not even continue its own query: "
                             << second.status();
    if (second.ok()) {
      EXPECT_FALSE(second->records.empty());
      for (const auto& r : second->records) {
        for (const auto& p : page->records) EXPECT_NE(GetId(*r), GetId(*p)) << "a page repeated";
      }
    }
    return page->next_page_token;
  }

  // `token` passed with `other`: INVALID_ARGUMENT naming page_token.
  void ExpectRefused(const RequestContext& ctx, const std::string& token, ListRequest other) {
    SCOPED_TRACE("reused with filter '" + other.filter + "' order_by '" + other.order_by + "'");
    ASSERT_FALSE(token.empty());
    // The query on its own is fine (so the refusal is about the token).
    auto fresh = store_->List(ctx, ResourceType::kCustomer, other);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    other.page_token = token;
    auto reused = store_->List(ctx, ResourceType::kCustomer, other);
    ASSERT_FALSE(reused.ok()) << "a token of another query was accepted and returned "
                              << reused->records.size() << " records";
    EXPECT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument) << reused.status();
    auto violations = FieldViolations(reused.status());
    ASSERT_EQ(violations.size(), 1u) << reused.status();
    EXPECT_EQ(violations[0].field, "page_token");
  }
};

TEST_F(PageTokenBindingTest, AnOwnerTokenIsRefusedByANarrowerQueryOnTheSameOwnerRange) {
  // The planner serves `owner = "u1" AND display_name = "C3"` from the same
  // owner range as `owner = "u1"`: the resume key lies inside it.
  const std::string token = TokenOf(Unrestricted(), Query("owner = \"u1\""));
  ExpectRefused(Unrestricted(), token, Query("owner = \"u1\" AND display_name = \"C3\""));
}

TEST_F(PageTokenBindingTest, AnOwnerTokenIsRefusedWithTheOppositeOrder) {
  const std::string ascending = TokenOf(Unrestricted(), Query("owner = \"u1\""));
  ExpectRefused(Unrestricted(), ascending, Query("owner = \"u1\"", "create_time desc"));
  const std::string descending =
      TokenOf(Unrestricted(), Query("owner = \"u1\"", "create_time desc"));
  ExpectRefused(Unrestricted(), descending, Query("owner = \"u1\""));
}

TEST_F(PageTokenBindingTest, AnOwnerTokenIsRefusedWithADifferentUnindexedFilter) {
  const std::string plain = TokenOf(Unrestricted(), Query("owner = \"u1\""));
  ExpectRefused(Unrestricted(), plain, Query("owner = \"u1\" AND address.locality = \"Busan\""));
  const std::string seoul =
      TokenOf(Unrestricted(), Query("owner = \"u1\" AND address.locality = \"Seoul\""));
  ExpectRefused(Unrestricted(), seoul, Query("owner = \"u1\" AND address.locality = \"Busan\""));
  ExpectRefused(Unrestricted(), seoul, Query("owner = \"u1\""));
}

TEST_F(PageTokenBindingTest, ARestrictedRepsMergedOwnerScanTokenIsBoundToItsQuery) {
  // A rep's unfiltered list is the merge of their readable owners' index
  // ranges; its token holds only a record ID, valid in any merge, so the
  // fingerprint is the only thing that ties it to the query.
  const RequestContext rep = Rep();
  const std::string token = TokenOf(rep, Query(""));
  ExpectRefused(rep, token, Query("display_name = \"C3\""));
  ExpectRefused(rep, token, Query("", "create_time desc"));
  ExpectRefused(rep, token, Query("address.locality = \"Busan\""));
  const std::string seoul = TokenOf(rep, Query("address.locality = \"Seoul\""));
  ExpectRefused(rep, seoul, Query("address.locality = \"Busan\""));
  ExpectRefused(rep, seoul, Query(""));
  const std::string descending = TokenOf(rep, Query("", "create_time desc"));
  ExpectRefused(rep, descending, Query(""));
}

TEST_F(PageTokenBindingTest, ASearchTokenIsRefusedByALongerPrefixOverTheSameKeys) {
  for (const char* name : {"Kim Mina", "Kim Minji", "Kim Minsu", "Kim Minho"}) Create(name, "u1");
  auto search = [&](const std::string& query, const std::string& token) {
    return store_->SearchCustomers(Unrestricted(), query, 1, token);
  };
  auto first = search("kim", "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token.empty());
  ASSERT_TRUE(search("kim", first->next_page_token).ok());
  // "kim min" scans a sub-range of "kim" that holds the resume key.
  ASSERT_TRUE(search("kim min", "").ok());
  auto reused = search("kim min", first->next_page_token);
  ASSERT_FALSE(reused.ok()) << "a token of another search was accepted";
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolations(reused.status());
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations[0].field, "page_token");
}

}  // namespace
}  // namespace rapport::records
