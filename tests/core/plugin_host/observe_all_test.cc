// A manifest's "observe": "all" (core/plugin_host/manifest.h): the module's
// post-commit hooks see every change whatever its rollout rule says, while
// the rule still governs its RPCs. Through the real host with the "txn"
// test plugin, whose post-commit hook counts interactions in the key
// "interactions".
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::HasSubstr;

class ObserveAllTest : public OnePluginHostTest {
 protected:
  ObserveAllTest() : OnePluginHostTest("txn", RAPPORT_TXN_PLUGIN_DIR) {}

  // Rewrites the copied manifest with `observe` ("" for none).
  void Manifest(const std::string& observe) {
    std::ofstream(dir_.Sub("plugins") + "/txn.manifest.json", std::ios::trunc)
        << R"({"name": "txn", "version": "1.0.0", "abi_major": 1)"
        << (observe.empty() ? "" : R"(, "observe": ")" + observe + "\"") << "}";
  }

  // Creates a customer and `n` interactions as the admin; waits until the
  // dispatcher has passed them (the feed's head), and returns the stored
  // count ("" if none).
  std::string Interactions(int n) {
    v1::Customer c;
    c.set_display_name("Park");
    c.set_owner("u1");
    auto customer = records_->Create(Admin(), ResourceType::kCustomer, c, "");
    EXPECT_TRUE(customer.ok()) << customer.status();
    for (int i = 0; i < n; ++i) {
      v1::Interaction interaction;
      interaction.set_customer_id(static_cast<const v1::Customer&>(**customer).id());
      interaction.set_kind(v1::INTERACTION_KIND_CALL);
      EXPECT_TRUE(records_->Create(Admin(), ResourceType::kInteraction, interaction, "").ok());
    }
    const std::string key = store::PluginKvPrefix(kTenant, "txn") + "interactions";
    const std::string cursor_key = store::PluginCursorKey("txn", kTenant);
    const uint64_t head = records_->feed()->last_sequence();
    for (int i = 0; i < 500; ++i) {
      auto cursor = db_->Get(db_->meta(), cursor_key);
      uint64_t at = 0;
      if (cursor.ok()) {
        store::KeyReader reader(*cursor);
        if (!reader.U64(&at)) at = 0;
      }
      if (at >= head) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto value = db_->Get(db_->meta(), key);
    return value.ok() ? *value : "";
  }
};

TEST_F(ObserveAllTest, AnObserverSeesChangesByUsersItIsOffFor) {
  Manifest("all");
  Load({}, v1::MODULE_MODE_OFF);
  EXPECT_EQ(Module().observe(), "all");
  host_->Start();
  EXPECT_EQ(Interactions(3), "3");
  // The rule still governs its API.
  v1::Customer request;
  request.set_display_name("k");
  auto call =
      host_->Invoke(Admin(), "/rapport.txn.v1.TxnService/Bump", request.SerializeAsString());
  EXPECT_EQ(call.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(call.status().message(), HasSubstr("module 'txn' is off"));
}

TEST_F(ObserveAllTest, AGatedModuleSkipsThemAsBefore) {
  Manifest("");
  Load({}, v1::MODULE_MODE_OFF);
  EXPECT_EQ(Module().observe(), "gated");
  host_->Start();
  EXPECT_EQ(Interactions(3), "");
}

TEST_F(ObserveAllTest, AnObserverInShadowModeRunsItsHooksToo) {
  Manifest("all");
  Load({}, v1::MODULE_MODE_SHADOW);
  host_->Start();
  EXPECT_EQ(Interactions(2), "2");
}

TEST_F(ObserveAllTest, ABadObserveValueRefusesTheLoadNamingIt) {
  for (const char* bad : {"\"everything\"", "true", "1"}) {
    std::ofstream(dir_.Sub("plugins") + "/txn.manifest.json", std::ios::trunc)
        << R"({"name": "txn", "version": "1.0.0", "abi_major": 1, "observe": )" << bad << "}";
    PluginHostOptions options;
    options.plugin_dir = dir_.Sub("plugins");
    PluginHost host(db_.get(), records_.get(), &Clock::Real(), options,
                    [](uint32_t, const std::string&) { return std::vector<std::string>(); });
    host.Load();
    EXPECT_FALSE(host.IsLoaded("txn")) << bad;
    ASSERT_EQ(host.Modules().size(), 1u);
    EXPECT_THAT(host.Modules()[0].last_error(),
                HasSubstr(R"("observe" must be "gated" (the default) or "all")"))
        << bad;
  }
}

}  // namespace
}  // namespace rapport::plugin_host
