// Fake-host unit tests of the pipeline views (views.cc): stalled deals. The
// funnel's sums are checked against brute force in aggregates_test.cc.
#include "sfa_test_util.h"

namespace sfatest {
namespace {

TEST_F(EnforcementTest, StalledDealsAreOpenDealsWithoutActivity) {
  Opportunity a = Qualified();
  Advance(10 * kDay);
  Opportunity b = Qualified();
  Advance(5 * kDay);
  sv1::ListStalledDealsRequest r;
  r.set_pipeline("sales");
  r.set_days(7);
  sv1::ListStalledDealsResponse out;
  ASSERT_TRUE(Rpc("ListStalledDeals", r, &out).ok());
  ASSERT_EQ(out.deals_size(), 1);
  EXPECT_EQ(out.deals(0).opportunity_id(), a.id());
  // An interaction on `a` makes it active again.
  rapport::v1::Interaction call;
  call.set_id("int9");
  call.set_customer_id("cust1");
  call.set_opportunity_id(a.id());
  rapport::v1::ChangeEvent event;
  *event.mutable_commit_time() = Ts(now_);
  event.mutable_after()->set_value(call.SerializeAsString());
  ASSERT_TRUE(
      host_.PostCommit(RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, event.SerializeAsString())
          .ok());
  out.Clear();
  ASSERT_TRUE(Rpc("ListStalledDeals", r, &out).ok());
  EXPECT_EQ(out.deals_size(), 0);
  r.set_days(0);
  EXPECT_EQ(Rpc("ListStalledDeals", r, &out).message, "days: must be 1..3650, got 0");
  (void)b;
}

}  // namespace
}  // namespace sfatest
