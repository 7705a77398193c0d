// The "guard" test plugin unit-tested with the SDK's fake host: no server,
// no RocksDB, the plugin's real entry point and hooks.
#include "rapport/sdk/fake_host.h"

#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::sdk::FakeHost;

TEST(FakeHostTest, GuardRejectsLargeAmountsTagsCustomersAndCounts) {
  FakeHost host(R"({"max_units": 100})");
  ASSERT_TRUE(host.Load(rapport_plugin_entry()).ok());
  EXPECT_EQ(host.methods().size(), 1u);

  rapport::v1::Opportunity big;
  big.mutable_amount()->set_currency_code("KRW");
  big.mutable_amount()->set_units(101);
  auto rejected = host.Validate<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY,
                                                          RAPPORT_OP_CREATE, nullptr, &big);
  EXPECT_EQ(rejected.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(rejected.message, "amount.units 101 is above the approval limit 100");
  big.mutable_amount()->set_units(100);
  EXPECT_TRUE(host.Validate<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY,
                                                      RAPPORT_OP_UPDATE, &big, &big)
                  .ok());

  rapport::v1::Customer customer;
  customer.set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  customer.set_display_name("김민수");
  ASSERT_TRUE(host.PreCommit<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                                                    nullptr, &customer)
                  .ok());
  ASSERT_EQ(customer.tags_size(), 1);
  EXPECT_EQ(customer.tags(0), "guarded");
  EXPECT_EQ(host.keyspace().at("seen/01ARZ3NDEKTSV4RRFFQ69G5FAV"), "김민수");
  EXPECT_EQ(host.metric("customers_guarded"), 1);

  rapport::testplugins::v1::CountRequest request;
  request.set_prefix("seen/");
  rapport::testplugins::v1::CountResponse response;
  ASSERT_TRUE(
      host.CallMethod("/rapport.testplugins.v1.GuardService/Count", request, &response).ok());
  EXPECT_EQ(response.count(), 1);
  EXPECT_EQ(host.CallMethod("/rapport.testplugins.v1.GuardService/Nope", request, &response).code,
            12);
}

}  // namespace
