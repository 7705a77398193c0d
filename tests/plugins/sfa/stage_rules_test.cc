// Fake-host unit tests for rules whose one-line bugs survived the rest of
// the SFA suite (issue 22, scripts/mutate): a single step back in a
// pipeline that allows none, and an inactive price book entry.
#include <string>

#include "sfa_test_util.h"

namespace sfatest {
namespace {

// a -> b -> c, no backward moves at all unless the pipeline allows them.
sv1::SetPipelineRequest Strict(bool allow_backward_moves) {
  sv1::SetPipelineRequest r;
  sv1::Pipeline* p = r.mutable_pipeline();
  p->set_name("strict");
  p->set_allow_backward_moves(allow_backward_moves);
  *p->add_stages() = MakeStage("a", 10, sv1::FORECAST_CATEGORY_PIPELINE);
  *p->add_stages() = MakeStage("b", 50, sv1::FORECAST_CATEGORY_BEST_CASE);
  *p->add_stages() = MakeStage("c", 80, sv1::FORECAST_CATEGORY_COMMIT);
  return r;
}

class StageRulesTest : public SfaFixture {
 protected:
  Opportunity InStage(const std::string& stage) {
    Opportunity opp;
    opp.set_name("deal");
    opp.set_pipeline("strict");
    opp.set_stage(stage);
    EXPECT_TRUE(Create(&opp).ok());
    return opp;
  }
  Status MoveTo(const std::string& id, const std::string& stage) {
    return Update(id, [&](Opportunity* o) { o->set_stage(stage); });
  }
};

TEST_F(StageRulesTest, OneStepBackIsRefusedWhereNoBackwardMoveIsAllowed) {
  ASSERT_TRUE(DefinePipeline(Strict(false)).ok());
  Opportunity opp = InStage("b");
  Status s = MoveTo(opp.id(), "a");
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION) << s.message;
  EXPECT_EQ(s.message,
            "stage: moving back from 'b' to 'a' is not allowed in pipeline 'strict' "
            "(no backward moves from 'b')");
  EXPECT_EQ(opps_[opp.id()].stage(), "b");
  // Two steps back, likewise; forward is fine.
  ASSERT_TRUE(MoveTo(opp.id(), "c").ok());
  EXPECT_EQ(MoveTo(opp.id(), "b").code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(MoveTo(opp.id(), "a").code, RAPPORT_FAILED_PRECONDITION);
}

TEST_F(StageRulesTest, OneStepBackIsFineWhereThePipelineAllowsBackwardMoves) {
  ASSERT_TRUE(DefinePipeline(Strict(true)).ok());
  Opportunity opp = InStage("b");
  Status s = MoveTo(opp.id(), "a");
  EXPECT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(opps_[opp.id()].stage(), "a");
}

TEST_F(StageRulesTest, AnInactivePriceBookEntryPricesNothing) {
  ASSERT_TRUE(DefinePipeline(Strict(false)).ok());
  sv1::SetPriceBookEntryRequest pb;
  pb.mutable_entry()->set_product_code("OLD-LIC");
  pb.mutable_entry()->set_name("retired licence");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("KRW");
  pb.mutable_entry()->mutable_unit_price()->set_units(1000);
  pb.mutable_entry()->set_active(false);
  sv1::PriceBookEntry entry;
  ASSERT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());
  Opportunity opp;
  opp.set_name("deal");
  opp.set_pipeline("strict");
  opp.mutable_amount()->set_currency_code("KRW");
  ASSERT_TRUE(Create(&opp).ok());
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  r.add_items()->set_product_code("OLD-LIC");
  r.mutable_items(0)->set_quantity(2);
  sv1::LineItems lines;
  Status s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << s.message;
  EXPECT_EQ(s.message, "items[0].product_code: 'OLD-LIC' is not in the price book");
  EXPECT_EQ(writes_, 0);
  // Active again, it prices the line.
  pb.mutable_entry()->set_active(true);
  ASSERT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());
  s = Rpc("SetLineItems", r, &lines);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(lines.total().units(), 2000);
}

}  // namespace
}  // namespace sfatest
