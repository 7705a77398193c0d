// A manifest's "requires" with version ranges, through the real loader:
// two built test plugins ("txn" requiring "query") in a temp plugin
// directory, their manifests rewritten per case.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::plugin_host {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PluginRequiresTest : public ::testing::Test {
 protected:
  // Loads txn (requiring query with `requires`) and query (version
  // `query_version`); returns module -> Module.
  std::map<std::string, v1::Module> Load(const std::string& requirement,
                                         const std::string& query_version) {
    const std::string plugins = dir_.Sub("plugins");
    fs::create_directories(plugins);
    fs::copy_file(std::string(RAPPORT_TXN_PLUGIN_DIR) + "/txn.so", plugins + "/txn.so");
    fs::copy_file(std::string(RAPPORT_QUERY_PLUGIN_DIR) + "/query.so", plugins + "/query.so");
    std::ofstream(plugins + "/txn.manifest.json")
        << R"({"name": "txn", "version": "1.0.0", "abi_major": 1, "requires": [)" << requirement
        << "]}";
    std::ofstream(plugins + "/query.manifest.json")
        << R"({"name": "query", "version": ")" << query_version << R"(", "abi_major": 1})";
    store::DatabaseOptions db_options;
    db_options.path = dir_.Sub("db");
    db_ = std::move(*store::Database::Open(db_options));
    records_ = std::move(*records::RecordStore::Open(db_.get(), &Clock::Real(), {}));
    PluginHostOptions options;
    options.plugin_dir = plugins;
    host_ = std::make_unique<PluginHost>(
        db_.get(), records_.get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); });
    host_->Load();
    std::map<std::string, v1::Module> out;
    for (const auto& m : host_->Modules()) out[m.name()] = m;
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<records::RecordStore> records_;
  std::unique_ptr<PluginHost> host_;
};

TEST_F(PluginRequiresTest, ADependencyInsideTheRangeLoadsBoth) {
  auto modules = Load(R"({"module": "query", "versions": ">=1.2.0 <2.0.0"})", "1.4.2");
  EXPECT_EQ(modules["query"].state(), "loaded") << modules["query"].last_error();
  EXPECT_EQ(modules["txn"].state(), "loaded") << modules["txn"].last_error();
  EXPECT_THAT(modules["txn"].dependencies(), ::testing::ElementsAre("query"));
}

TEST_F(PluginRequiresTest, ADependencyOutsideTheRangeRefusesTheDependentNamingBoth) {
  auto modules = Load(R"({"module": "query", "versions": "^2.0.0"})", "1.4.2");
  EXPECT_EQ(modules["query"].state(), "loaded");
  EXPECT_EQ(modules["txn"].state(), "refused");
  EXPECT_THAT(modules["txn"].last_error(),
              HasSubstr("requires module 'query' version ^2.0.0, but the plugin directory has "
                        "1.4.2"));
  EXPECT_FALSE(host_->IsLoaded("txn"));
}

TEST_F(PluginRequiresTest, AnUnparsableVersionOfTheDependencyDoesNotSatisfyARange) {
  auto modules = Load(R"({"module": "query", "versions": ">=1.0.0"})", "latest");
  EXPECT_EQ(modules["txn"].state(), "refused");
  EXPECT_THAT(modules["txn"].last_error(), HasSubstr("but the plugin directory has latest"));
}

}  // namespace
}  // namespace rapport::plugin_host
