// ABI compatibility: a plugin compiled against the frozen ABI 1.0 header
// (abi_1_0/plugin_abi.h, legacy10_plugin.c beside this file) loads on this
// host and its hooks, method and keyspace work as they did under 1.0.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::HasSubstr;

class AbiCompatTest : public OnePluginHostTest {
 protected:
  AbiCompatTest() : OnePluginHostTest("legacy10", RAPPORT_LEGACY_PLUGIN_DIR) {}

  absl::StatusOr<std::string> Echo(const std::string& text) {
    auto out = host_->Invoke(Admin(), "/rapport.legacy.v1.LegacyService/Echo", text);
    if (!out.ok()) return out.status();
    return *out;
  }
  absl::Status CreateCustomer(const std::string& name) {
    v1::Customer c;
    c.set_display_name(name);
    c.set_owner("u1");
    return records_->Create(Admin(), ResourceType::kCustomer, c, "").status();
  }
};

TEST_F(AbiCompatTest, APluginBuiltAgainstTheFrozen10HeaderLoadsAndWorks) {
  Load();
  const v1::Module module = Module();
  EXPECT_EQ(module.state(), "loaded");
  EXPECT_EQ(module.abi_major(), 1);
  EXPECT_EQ(module.abi_minor(), 0);
  EXPECT_EQ(module.build_info(), "cc, ABI 1.0 header");

  // The method, its keyspace write read back within the call, and a scan.
  auto first = Echo("hello");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, "hello|1|acme");

  // Hooks: the validate hook refuses, the pre-commit hook counts.
  absl::Status refused = CreateCustomer("a forbidden name");
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("module 'legacy10': legacy10: forbidden customers"));
  ASSERT_TRUE(CreateCustomer("김민수").ok());
  ASSERT_TRUE(CreateCustomer("Acme").ok());
  auto second = Echo("again");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, "again|2|acme");  // "echo" and "creates"
  auto creates = db_->Get(db_->meta(), store::PluginKvPrefix(kTenant, "legacy10") + "creates");
  ASSERT_TRUE(creates.ok()) << creates.status();
  EXPECT_EQ(*creates, "2");

  // Its errors reach the caller as before.
  auto too_long = Echo(std::string(40, 'x'));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(), HasSubstr("legacy10: request too long"));
}

}  // namespace
}  // namespace rapport::plugin_host
