// hello_template against the SDK's fake host (rapport/sdk/fake_host.h): the
// plugin's real entry point, hooks and methods, with no server. The fake host
// has no module gate and no "module 'NAME': " prefix on errors; load the .so
// into a real rapportd for those (docs/plugin-guide.md, "Testing your
// plugin").
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapport/hello_template/v1/hello_template.pb.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

namespace api = rapport::hello_template::v1;
using rapport::sdk::FakeHost;

constexpr char kService[] = "/rapport.hello_template.v1.HelloTemplateService/";

// The change event rapportd delivers after a customer is created.
std::string CustomerCreated(const std::string& id, const std::string& name) {
  rapport::v1::Customer customer;
  customer.set_id(id);
  customer.set_display_name(name);
  rapport::v1::ChangeEvent event;
  event.set_sequence(1);
  event.set_resource_type(rapport::v1::RESOURCE_TYPE_CUSTOMER);
  event.set_resource_id(id);
  event.set_operation(rapport::v1::CHANGE_OPERATION_CREATE);
  event.mutable_after()->set_type_url("type.googleapis.com/rapport.v1.Customer");
  event.mutable_after()->set_value(customer.SerializeAsString());
  event.set_principal("user/minsu.kim");
  return event.SerializeAsString();
}

class HelloTemplateTest : public testing::Test {
 protected:
  void SetUp() override {
    host_.SetCaller("acme", "minsu.kim", "rep");
    auto loaded = host_.Load(rapport_plugin_entry());
    ASSERT_TRUE(loaded.ok()) << loaded.message;
  }

  api::Stats Stats() {
    api::Stats stats;
    auto s = host_.CallMethod(std::string(kService) + "GetStats", api::GetStatsRequest(), &stats);
    EXPECT_TRUE(s.ok()) << s.message;
    return stats;
  }

  FakeHost host_;
};

TEST_F(HelloTemplateTest, RegistersItsMethods) {
  EXPECT_EQ(host_.methods().size(), 2u);
  ASSERT_FALSE(host_.logs().empty());
}

TEST_F(HelloTemplateTest, GreetsAndCountsGreetingsInTheKeyspace) {
  api::GreetRequest request;
  request.set_name("Minsu");
  api::GreetResponse response;
  auto s = host_.CallMethod(std::string(kService) + "Greet", request, &response);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(response.message(), "Hello, Minsu (acme)");
  EXPECT_EQ(response.greetings(), 1);
  ASSERT_TRUE(host_.CallMethod(std::string(kService) + "Greet", request, &response).ok());
  EXPECT_EQ(response.greetings(), 2);

  int64_t stored = 0;
  ASSERT_TRUE(rapport::sdk::Call::DecodeCounter(host_.keyspace().at("greetings"), &stored));
  EXPECT_EQ(stored, 2);
  EXPECT_EQ(Stats().greetings(), 2);
}

TEST_F(HelloTemplateTest, RefusesAGreetingWithoutAName) {
  api::GreetResponse response;
  auto s = host_.CallMethod(std::string(kService) + "Greet", api::GreetRequest(), &response);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "name: is required");
  EXPECT_EQ(host_.keyspace().count("greetings"), 0u);  // a failed call writes nothing
}

TEST_F(HelloTemplateTest, PostCommitHookCountsCreatedCustomers) {
  EXPECT_EQ(Stats().customers_created(), 0);
  EXPECT_EQ(Stats().last_customer_id(), "");
  ASSERT_TRUE(host_
                  .PostCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                              CustomerCreated("01J0000000000000000000000A", "Jisung Park"))
                  .ok());
  ASSERT_TRUE(host_
                  .PostCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                              CustomerCreated("01J0000000000000000000000B", "Yuna Kim"))
                  .ok());
  api::Stats stats = Stats();
  EXPECT_EQ(stats.customers_created(), 2);
  EXPECT_EQ(stats.last_customer_id(), "01J0000000000000000000000B");
  EXPECT_EQ(host_.metric("customers_seen"), 2);

  // Updates are not its business: no hook is registered for them.
  ASSERT_TRUE(host_
                  .PostCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_UPDATE,
                              CustomerCreated("01J0000000000000000000000B", "Yuna Kim"))
                  .ok());
  EXPECT_EQ(Stats().customers_created(), 2);
}

TEST_F(HelloTemplateTest, AnEventWithoutACustomerFailsSoItIsRetried) {
  rapport::v1::ChangeEvent event;
  event.mutable_after()->set_value("\xff not a customer");
  auto s =
      host_.PostCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, event.SerializeAsString());
  EXPECT_EQ(s.code, RAPPORT_INTERNAL);
  EXPECT_EQ(host_.keyspace().count("customers_created"), 0u);  // nothing committed
}

}  // namespace
