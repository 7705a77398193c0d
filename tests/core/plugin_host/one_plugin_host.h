// A real PluginHost over a real RocksDB and RecordStore in a temp directory,
// with one test plugin (NAME.so + NAME.manifest.json, built into
// `plugin_build_dir`) copied into its plugin directory, loaded with dlopen
// and switched on for the tenant. For tests of one host feature through one
// purpose-built plugin (keyspace_transactions_test, record_queries_test).
#ifndef RAPPORT_TESTS_CORE_PLUGIN_HOST_ONE_PLUGIN_HOST_H_
#define RAPPORT_TESTS_CORE_PLUGIN_HOST_ONE_PLUGIN_HOST_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::plugin_host {

class OnePluginHostTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kTenant = 1;

  OnePluginHostTest(std::string plugin, std::string plugin_build_dir)
      : plugin_(std::move(plugin)), plugin_build_dir_(std::move(plugin_build_dir)) {}

  void SetUp() override {
    namespace fs = std::filesystem;
    fs::create_directories(dir_.Sub("plugins"));
    for (const std::string& file : {plugin_ + ".so", plugin_ + ".manifest.json"}) {
      fs::copy_file(plugin_build_dir_ + "/" + file, dir_.Sub("plugins") + "/" + file);
    }
    store::DatabaseOptions db_options;
    db_options.path = dir_.Sub("db");
    auto db = store::Database::Open(db_options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto records = records::RecordStore::Open(db_.get(), &Clock::Real(), {});
    ASSERT_TRUE(records.ok()) << records.status();
    records_ = std::move(*records);
  }
  void TearDown() override {
    if (host_) host_->Stop();
    records_->SetWriteHooks(nullptr);
  }

  // Loads the plugin (it must load) and, with `mode` other than OFF, sets
  // that mode for the whole tenant (a fresh module is off everywhere).
  void Load(PluginHostOptions options = {}, v1::ModuleMode mode = v1::MODULE_MODE_ON) {
    options.plugin_dir = dir_.Sub("plugins");
    options.retry_base = absl::Milliseconds(1);
    host_ = std::make_unique<PluginHost>(
        db_.get(), records_.get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); },
        [](uint32_t) { return std::string("acme"); });
    host_->Load();
    ASSERT_TRUE(host_->IsLoaded(plugin_)) << Module().last_error();
    records_->SetWriteHooks(host_.get());
    if (mode == v1::MODULE_MODE_OFF) return;
    v1::RolloutRule rule;
    rule.set_module(plugin_);
    rule.set_default_mode(mode);
    ASSERT_TRUE(host_->gate().SetRule(Admin(), rule, 0).ok());
  }

  v1::Module Module() const {
    for (const auto& m : host_->Modules()) {
      if (m.name() == plugin_) return m;
    }
    return {};
  }

  static RequestContext Admin() {
    RequestContext ctx;
    ctx.tenant = kTenant;
    ctx.tenant_name = "acme";
    ctx.principal = "acme/u1";
    ctx.user_id = "u1";
    ctx.roles = {"admin"};
    return ctx;
  }

  // Calls the plugin's method "/<service>/<method>" as `ctx`.
  template <typename Response, typename Request>
  absl::StatusOr<Response> Invoke(const RequestContext& ctx, const std::string& full_method,
                                  const Request& request) {
    auto out = host_->Invoke(ctx, full_method, request.SerializeAsString());
    if (!out.ok()) return out.status();
    Response response;
    if (!response.ParseFromString(*out)) return absl::InternalError("unparsable response");
    return response;
  }

  std::string plugin_;
  std::string plugin_build_dir_;
  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<records::RecordStore> records_;
  std::unique_ptr<PluginHost> host_;
};

}  // namespace rapport::plugin_host

#endif  // RAPPORT_TESTS_CORE_PLUGIN_HOST_ONE_PLUGIN_HOST_H_
