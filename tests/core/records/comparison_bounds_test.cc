// Every comparison operator at its bound, through List against a real
// RocksDB in a temp directory (issue 22: `<=` evaluated as `<` on records
// survived every other test). Each filter is run where no index serves it
// (the records are filtered one by one) and where an index range serves it
// (the bound of the range and the per-record check must agree), and the
// value compared against is always one a record has exactly.
#include <map>
#include <set>
#include <string>

#include "core/records/record_fields.h"
#include "core/records/record_store.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tests/testing/record_store_fixture.h"

namespace rapport::records {
namespace {

class ComparisonBoundsTest : public testing::RecordStoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore());
    v1::Customer c;
    c.set_display_name("Buyer");
    c.set_owner("u1");
    auto customer = store_->Create(Ctx(), ResourceType::kCustomer, c, "");
    ASSERT_TRUE(customer.ok()) << customer.status();
    // Three opportunities: low, mid and high in every compared field.
    for (int i : {1, 5, 9}) {
      v1::Opportunity o;
      o.set_customer_id(GetId(**customer));
      o.set_name(std::to_string(i));
      o.set_pipeline("default");
      o.set_stage("proposal");
      o.set_probability(i * 10);
      o.mutable_amount()->set_currency_code("KRW");
      o.mutable_amount()->set_units(i * 100);
      o.mutable_expected_close_date()->set_year(2026);
      o.mutable_expected_close_date()->set_month(i);
      o.mutable_expected_close_date()->set_day(15);
      auto created = store_->Create(Ctx(), ResourceType::kOpportunity, o, "");
      ASSERT_TRUE(created.ok()) << created.status();
    }
  }

  // The names ("1", "5", "9") of the opportunities `filter` lists.
  std::set<std::string> Names(const std::string& filter) {
    std::set<std::string> names;
    ListRequest request;
    request.filter = filter;
    request.page_size = 2;  // several pages, so paging does not hide a loss
    for (int pages = 0; pages < 10; ++pages) {
      auto page = store_->List(Ctx(), ResourceType::kOpportunity, request);
      EXPECT_TRUE(page.ok()) << filter << ": " << page.status();
      if (!page.ok()) break;
      for (const auto& r : page->records) {
        names.insert(static_cast<const v1::Opportunity&>(*r).name());
      }
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
    }
    return names;
  }

  // Each operator against the middle record's value `mid` of `field`,
  // after `prefix` (equalities that make an index serve the range, or "").
  void ExpectOperatorsAtTheBound(const std::string& prefix, const std::string& field,
                                 const std::string& mid) {
    using Set = std::set<std::string>;
    const std::map<std::string, Set> expected = {
        {"=", Set{"5"}},       {"!=", Set{"1", "9"}}, {"<", Set{"1"}},
        {"<=", Set{"1", "5"}}, {">", Set{"9"}},       {">=", Set{"5", "9"}},
    };
    for (const auto& [op, names] : expected) {
      const std::string filter = prefix + field + " " + op + " " + mid;
      EXPECT_EQ(Names(filter), names) << filter;
    }
  }
};

TEST_F(ComparisonBoundsTest, IntegersWithoutAnIndex) {
  ExpectOperatorsAtTheBound("", "probability", "50");
}

TEST_F(ComparisonBoundsTest, IntegersOnAnIndexRange) {
  // pipeline_stage_amount: (pipeline, stage, currency, units).
  ExpectOperatorsAtTheBound(
      "pipeline = \"default\" AND stage = \"proposal\" AND amount.currency_code = \"KRW\" AND ",
      "amount.units", "500");
}

TEST_F(ComparisonBoundsTest, DatesWithoutAnIndex) {
  ExpectOperatorsAtTheBound("", "expected_close_date", "\"2026-05-15\"");
}

TEST_F(ComparisonBoundsTest, DatesOnAnIndexRange) {
  // status_close_date: (status, expected_close_date).
  ExpectOperatorsAtTheBound("status = \"open\" AND ", "expected_close_date", "\"2026-05-15\"");
}

TEST_F(ComparisonBoundsTest, StringsWithoutAnIndex) {
  ExpectOperatorsAtTheBound("", "name", "\"5\"");
}

}  // namespace
}  // namespace rapport::records
