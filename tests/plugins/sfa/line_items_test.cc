// Fake-host unit tests of the price book and line items (line_items.cc),
// with a fake ERP as the price source.
#include <memory>
#include <string>
#include <vector>

#include "price_source.h"
#include "rapport/sdk/money.h"
#include "sfa_test_util.h"

namespace sfatest {
namespace {

class FakeErp : public rapport::sfa::PriceSource {
 public:
  Status Lookup(const rapport::sdk::Call&, const std::string& code, int64_t quantity,
                const std::string&, rapport::sfa::PriceQuote* quote) override {
    ++lookups;
    if (code == "GPU-H100") {
      quote->unit_price.set_currency_code("KRW");
      quote->unit_price.set_units(45000000);
      quote->available = quantity <= 8;
      quote->note = "in stock: 8";
      return {};
    }
    return Status::NotFound("'" + code + "' is unknown to the ERP");
  }
  int lookups = 0;
};

class LineItemTest : public EnforcementTest {
 protected:
  void TearDown() override { rapport::sfa::InstallPriceSource(nullptr); }
  sv1::LineItem Item(const std::string& code, int64_t quantity) {
    sv1::LineItem item;
    item.set_product_code(code);
    item.set_quantity(quantity);
    return item;
  }
};

TEST_F(LineItemTest, PriceBookLinesSetTheOpportunityAmount) {
  sv1::SetPriceBookEntryRequest pb;
  pb.mutable_entry()->set_product_code("LIC-STD");
  pb.mutable_entry()->set_name("표준 라이선스");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("KRW");
  pb.mutable_entry()->mutable_unit_price()->set_units(1200000);
  pb.mutable_entry()->set_active(true);
  sv1::PriceBookEntry entry;
  ASSERT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("LIC-STD", 10);
  r.mutable_items(0)->mutable_discount()->set_units(2000000);
  sv1::LineItems lines;
  ASSERT_TRUE(Rpc("SetLineItems", r, &lines).ok());
  EXPECT_EQ(lines.total().units(), 10000000);
  EXPECT_EQ(opps_[opp.id()].amount().units(), 10000000);
  EXPECT_EQ(last_mask_, "amount");
  EXPECT_EQ(lines.opportunity_revision(), 2);
}

TEST_F(LineItemTest, NegativeQuantitiesAndOtherCurrenciesAreRefused) {
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("X", -3);
  r.mutable_items(0)->mutable_unit_price()->set_currency_code("KRW");
  sv1::LineItems lines;
  EXPECT_EQ(Rpc("SetLineItems", r, &lines).message, "items[0].quantity: must be > 0, got -3");
  r.mutable_items(0)->set_quantity(1);
  *r.add_items() = Item("Y", 2);
  r.mutable_items(1)->mutable_unit_price()->set_currency_code("USD");
  r.mutable_items(1)->mutable_unit_price()->set_units(100);
  Status s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(
      s.message,
      "items[1].unit_price.currency_code: 'USD' differs from the opportunity's currency 'KRW'");
  r.mutable_items()->RemoveLast();
  *r.add_items() = Item("NOT-IN-BOOK", 1);
  EXPECT_EQ(Rpc("SetLineItems", r, &lines).message,
            "items[1].product_code: 'NOT-IN-BOOK' is not in the price book");
  EXPECT_EQ(writes_, 0);
}

TEST_F(LineItemTest, AFakeErpPricesAndChecksAvailability) {
  auto erp = std::make_shared<FakeErp>();
  rapport::sfa::InstallPriceSource(erp);
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("GPU-H100", 10);
  sv1::LineItems lines;
  Status s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message, "items[0].quantity: 10 of 'GPU-H100' is not available (in stock: 8)");
  r.mutable_items(0)->set_quantity(4);
  ASSERT_TRUE(Rpc("SetLineItems", r, &lines).ok());
  EXPECT_EQ(lines.items(0).unit_price().units(), 45000000);
  EXPECT_EQ(lines.items(0).availability_note(), "in stock: 8");
  EXPECT_EQ(opps_[opp.id()].amount().units(), 180000000);
  EXPECT_EQ(erp->lookups, 2);
  sv1::GetLineItemsRequest g;
  g.set_opportunity_id(opp.id());
  ASSERT_TRUE(Rpc("GetLineItems", g, &lines).ok());
  EXPECT_EQ(lines.items_size(), 1);
}

// Prices follow the core's money rules (rapport/sdk/money.h): an ISO 4217
// code from the table, not any three capital letters, and 0..9e15 minor
// units. Nothing is written when a line is refused.
TEST_F(LineItemTest, MadeUpCurrenciesAndAmountsAboveTheCoreLimitAreRefused) {
  sv1::SetPriceBookEntryRequest pb;
  pb.mutable_entry()->set_product_code("LIC-STD");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("XYZ");
  pb.mutable_entry()->mutable_unit_price()->set_units(1000);
  sv1::PriceBookEntry entry;
  Status s = Rpc("SetPriceBookEntry", pb, &entry);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "entry.unit_price.currency_code: 'XYZ' is not an ISO 4217 currency code");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("krw");
  EXPECT_EQ(Rpc("SetPriceBookEntry", pb, &entry).message,
            "entry.unit_price.currency_code: 'krw' is not an ISO 4217 currency code; codes are "
            "upper-case, e.g. 'KRW'");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("KRW");
  pb.mutable_entry()->mutable_unit_price()->set_units(rapport::sdk::kMaxMoneyUnits + 1);
  EXPECT_EQ(Rpc("SetPriceBookEntry", pb, &entry).message,
            "entry.unit_price.units: amount 9000000000000001 exceeds the maximum of "
            "9000000000000000 minor units");
  pb.mutable_entry()->mutable_unit_price()->set_units(rapport::sdk::kMaxMoneyUnits);
  EXPECT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());

  // An opportunity without an amount takes the first line's currency: a
  // made-up one is refused before anything is written.
  Opportunity opp;
  opp.set_name("no amount yet");
  ASSERT_TRUE(Create(&opp).ok());
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("CUSTOM", 1);
  r.mutable_items(0)->mutable_unit_price()->set_currency_code("ABC");
  r.mutable_items(0)->mutable_unit_price()->set_units(100);
  sv1::LineItems lines;
  s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "items[0].unit_price.currency_code: 'ABC' is not an ISO 4217 currency code");
  r.mutable_items(0)->mutable_unit_price()->set_currency_code("USD");
  r.mutable_items(0)->mutable_unit_price()->set_units(-1);
  EXPECT_EQ(Rpc("SetLineItems", r, &lines).message,
            "items[0].unit_price.units: amount -1 is negative; money amounts must be zero or "
            "positive");
  EXPECT_EQ(writes_, 0);
  r.mutable_items(0)->mutable_unit_price()->set_units(100);
  ASSERT_TRUE(Rpc("SetLineItems", r, &lines).ok());
  EXPECT_EQ(opps_[opp.id()].amount().currency_code(), "USD");
}

TEST_F(LineItemTest, ThePriceBookIsListedInPagesByProductCode) {
  for (const char* code : {"E", "B", "D", "A", "C"}) {
    sv1::SetPriceBookEntryRequest pb;
    pb.mutable_entry()->set_product_code(code);
    pb.mutable_entry()->mutable_unit_price()->set_currency_code("KRW");
    pb.mutable_entry()->mutable_unit_price()->set_units(1000);
    sv1::PriceBookEntry entry;
    ASSERT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());
  }
  sv1::ListPriceBookRequest r;
  r.set_page_size(2);
  std::vector<std::string> pages;
  for (int i = 0; i < 10; ++i) {
    sv1::ListPriceBookResponse page;
    ASSERT_TRUE(Rpc("ListPriceBook", r, &page).ok());
    std::string codes;
    for (const auto& e : page.entries()) codes += e.product_code();
    pages.push_back(codes + "|" + page.next_page_token());
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, (std::vector<std::string>{"AB|B", "CD|D", "E|"}));
  r.set_page_size(0);  // the default, 100
  r.clear_page_token();
  sv1::ListPriceBookResponse all;
  ASSERT_TRUE(Rpc("ListPriceBook", r, &all).ok());
  EXPECT_EQ(all.entries_size(), 5);
  EXPECT_EQ(all.next_page_token(), "");
}

}  // namespace
}  // namespace sfatest
