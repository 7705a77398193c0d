// The plugin host on its own (core/plugin_host/plugin_host.h), with the real
// test plugins (tests/plugins/*.cc and probe_plugin.cc beside this file)
// copied into a temp plugin directory, a real RocksDB and RecordStore, and
// no server: loading and refusing plugins, hook order, what validate and
// pre-commit hooks may write, the gate, plugin methods, post-commit hooks
// and their dead letters.
#include "core/plugin_host/plugin_host.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/records/record_fields.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tests/testing/temp_dir.h"

namespace rapport::plugin_host {
namespace {

namespace fs = std::filesystem;
using records::ExtraWrite;
using records::ResourceType;
using records::WriteOperation;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint32_t kTenant = 1;

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.Sub("plugins"));
    // As the host names files: with symlinks in $TMPDIR resolved.
    plugin_dir_ = fs::canonical(dir_.Sub("plugins")).string();
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

  // Copies plugin `name` (NAME.so and NAME.manifest.json) from the build
  // into the plugin directory, as `as`.
  void Copy(const std::string& name, const std::string& as = "") {
    const std::string target = as.empty() ? name : as;
    std::string from;
    for (const char* dir : {RAPPORT_TEST_PLUGIN_DIR, RAPPORT_PROBE_PLUGIN_DIR}) {
      if (fs::exists(std::string(dir) + "/" + name + ".so")) from = dir;
    }
    ASSERT_FALSE(from.empty()) << "no built plugin " << name;
    fs::copy_file(from + "/" + name + ".so", plugin_dir_ + "/" + target + ".so");
    if (as.empty()) {
      fs::copy_file(from + "/" + name + ".manifest.json",
                    plugin_dir_ + "/" + name + ".manifest.json");
    }
  }
  void Write(const std::string& file, const std::string& content) {
    std::ofstream(plugin_dir_ + "/" + file, std::ios::binary | std::ios::trunc) << content;
  }

  void Load(PluginHostOptions options = {}) {
    if (options.plugin_dir.empty()) options.plugin_dir = plugin_dir_;
    host_ = std::make_unique<PluginHost>(
        db_.get(), records_.get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); },
        [](uint32_t tenant) { return tenant == kTenant ? std::string("acme") : std::string(); });
    host_->Load();
    records_->SetWriteHooks(host_.get());
  }

  static RequestContext Ctx() {
    RequestContext ctx;
    ctx.tenant = kTenant;
    ctx.tenant_name = "acme";
    ctx.principal = "acme/u1";
    ctx.user_id = "u1";
    ctx.roles = {"admin"};
    return ctx;
  }

  void Enable(const std::string& module, v1::ModuleMode mode = v1::MODULE_MODE_ON) {
    v1::RolloutRule rule;
    rule.set_module(module);
    rule.set_default_mode(mode);
    auto set = host_->gate().SetRule(Ctx(), rule, 0);
    ASSERT_TRUE(set.ok()) << module << ": " << set.status();
  }

  std::map<std::string, v1::Module> Modules() const {
    std::map<std::string, v1::Module> out;
    for (const auto& m : host_->Modules()) out[m.name()] = m;
    return out;
  }

  // The refusal reason of `module`, which must be listed as refused.
  std::string Refusal(const std::string& module) {
    auto modules = Modules();
    auto it = modules.find(module);
    EXPECT_NE(it, modules.end()) << module << " is not listed";
    if (it == modules.end()) return "";
    EXPECT_EQ(it->second.state(), "refused") << module;
    EXPECT_FALSE(host_->IsLoaded(module));
    // Every reason names the file.
    EXPECT_THAT(it->second.last_error(), HasSubstr(plugin_dir_ + "/"));
    return it->second.last_error();
  }

  // A plugin's key as stored (in the meta family).
  static std::string KvKey(const std::string& plugin, const std::string& key) {
    return store::PluginKvPrefix(kTenant, plugin) + key;
  }
  bool Stored(const std::string& plugin, const std::string& key) {
    return db_->Get(db_->meta(), KvKey(plugin, key)).ok();
  }
  static std::vector<std::string> Keys(const std::vector<ExtraWrite>& writes) {
    std::vector<std::string> keys;
    for (const auto& w : writes) keys.push_back(w.key);
    return keys;
  }

  // Runs the hooks for a customer create directly.
  absl::Status BeforeCreate(v1::Customer* customer, std::vector<ExtraWrite>* writes) {
    return host_->BeforeWrite(Ctx(), ResourceType::kCustomer, WriteOperation::kCreate, nullptr,
                              customer, writes);
  }

  absl::StatusOr<v1::Customer> CreateCustomer(const std::string& name) {
    v1::Customer c;
    c.set_display_name(name);
    c.set_owner("u1");
    auto created = records_->Create(Ctx(), ResourceType::kCustomer, c, "");
    if (!created.ok()) return created.status();
    return static_cast<const v1::Customer&>(**created);
  }

  int64_t CustomerCount() {
    records::ListRequest request;
    request.page_size = 1000;
    auto list = records_->List(Ctx(), ResourceType::kCustomer, request);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? static_cast<int64_t>(list->records.size()) : -1;
  }

  // Polls `done` for up to ten seconds.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  testing::TempDir dir_;
  std::string plugin_dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<records::RecordStore> records_;
  std::unique_ptr<PluginHost> host_;
};

// --- Loading.

TEST_F(PluginHostTest, LoadsEveryPluginOfTheDirectoryAndListsItsManifest) {
  Copy("guard");
  Copy("second");
  Copy("probe");
  Load();
  std::vector<std::string> names;
  for (const auto& m : host_->Modules()) {
    names.push_back(m.name());
    EXPECT_EQ(m.state(), "loaded") << m.name() << ": " << m.last_error();
    EXPECT_EQ(m.file(), plugin_dir_ + "/" + m.name() + ".so");
    EXPECT_EQ(m.abi_major(), 1u);
    EXPECT_TRUE(host_->IsLoaded(m.name()));
  }
  EXPECT_THAT(names, ElementsAre("guard", "probe", "second"));
  auto modules = Modules();
  EXPECT_EQ(modules["second"].version(), "0.1.0");
  EXPECT_THAT(modules["second"].dependencies(), ElementsAre("guard"));
  EXPECT_EQ(modules["probe"].version(), "0.3.0");
  EXPECT_FALSE(host_->IsLoaded("ghost"));
  // Methods, and the descriptor sets plugins hand over for reflection.
  EXPECT_TRUE(host_->HasMethods());
  EXPECT_THAT(host_->Methods(), ElementsAre("/rapport.probe.v1.ProbeService/Put",
                                            "/rapport.testplugins.v1.GuardService/Count"));
  EXPECT_TRUE(host_->Handles("/rapport.testplugins.v1.GuardService/Count"));
  EXPECT_FALSE(host_->Handles("/rapport.testplugins.v1.GuardService/Nope"));
  // guard's and second's (built with the test API's protos); probe has none.
  EXPECT_EQ(host_->DescriptorSets().size(), 2u);
}

TEST_F(PluginHostTest, AMethodNameOutsideThePluginPackagesRefusesThePluginNamingIt) {
  // badmethod registers a good method, then "/other.v1.S/M", and returns OK
  // from init: the refused name refuses the whole plugin, with the
  // registration's reason (the rule is method_names.h; the fake host gives
  // the same reason, fake_host_parity_test).
  Copy("probe");
  Copy("badmethod");
  Load();
  EXPECT_TRUE(host_->IsLoaded("probe")) << Modules()["probe"].last_error();
  EXPECT_EQ(Refusal("badmethod"),
            plugin_dir_ +
                "/badmethod.so: init failed: method '/other.v1.S/M': must start with "
                "\"/rapport.\"");
  // Its good method is not served; the list of modules carries it.
  EXPECT_THAT(host_->Methods(), ElementsAre("/rapport.probe.v1.ProbeService/Put"));
  EXPECT_FALSE(host_->Handles("/rapport.testplugins.v1.BadMethodService/Count"));
  EXPECT_FALSE(host_->Handles("/other.v1.S/M"));
  auto modules = Modules();
  ASSERT_EQ(modules.count("badmethod"), 1u);
  EXPECT_EQ(modules["badmethod"].version(), "1.0.0");
  EXPECT_EQ(host_->DescriptorSets().size(), 0u);  // probe has none; badmethod's are dropped
}

TEST_F(PluginHostTest, RefusedPluginsAreListedWithTheirReasonAndTheRestLoad) {
  Copy("guard");
  Copy("initfail");
  Copy("abimismatch");
  Copy("noentry");
  Copy("guard", "badjson");
  Write("badjson.manifest.json", R"({"name": "badjson", "version": )");
  Copy("guard", "future");
  Write("future.manifest.json", R"({"name": "future", "version": "2.0.0", "abi_major": 2})");
  Copy("guard", "renamed");
  Write("renamed.manifest.json", R"({"name": "renamed", "version": "1.0.0", "abi_major": 1})");
  Copy("guard", "alias");
  Write("alias.manifest.json", R"({"name": "other", "version": "1.0.0", "abi_major": 1})");
  Copy("guard", "bare");
  Write("notelf.so", "this is not a shared object");
  Write("notelf.manifest.json", R"({"name": "notelf", "version": "1.0.0", "abi_major": 1})");
  fs::copy_file(std::string(RAPPORT_TEST_PLUGIN_DIR) + "/guard.so", dir_.Sub("outside.so"));
  fs::create_symlink(dir_.Sub("outside.so"), plugin_dir_ + "/escape.so");
  Write("escape.manifest.json", R"({"name": "escape", "version": "1.0.0", "abi_major": 1})");
  Load();

  EXPECT_TRUE(host_->IsLoaded("guard")) << Modules()["guard"].last_error();
  EXPECT_THAT(Refusal("initfail"), HasSubstr("init failed: no licence key"));
  EXPECT_THAT(Refusal("abimismatch"), HasSubstr("built for plugin ABI 2.0, host expects ABI 1.x"));
  EXPECT_THAT(Refusal("noentry"), HasSubstr("no exported symbol 'rapport_plugin_entry'"));
  EXPECT_THAT(Refusal("badjson"), HasSubstr("not valid JSON"));
  EXPECT_THAT(Refusal("future"), HasSubstr("plugin ABI major 2 (manifest), host expects 1"));
  EXPECT_THAT(Refusal("renamed"),
              HasSubstr("binary says its name is 'guard', the manifest 'renamed'"));
  EXPECT_THAT(Refusal("alias"),
              HasSubstr("manifest name 'other' does not match the file name 'alias'"));
  EXPECT_THAT(Refusal("bare"), HasSubstr("bare.manifest.json"));
  EXPECT_THAT(Refusal("notelf"), HasSubstr("cannot load"));
  EXPECT_THAT(Refusal("escape"), HasSubstr("leads outside the plugin directory"));
  // A refused plugin's methods are not served, and a refused init leaves
  // no hooks behind.
  EXPECT_THAT(host_->Methods(), ElementsAre("/rapport.testplugins.v1.GuardService/Count"));
  EXPECT_EQ(Modules().size(), 11u);
}

TEST_F(PluginHostTest, AMissingDependencyRefusesTheDependentNamingIt) {
  Copy("second");  // requires guard, which is not there
  Copy("second", "orphan");
  Write("orphan.manifest.json",
        R"({"name": "orphan", "version": "1.0.0", "abi_major": 1, "requires": ["nope"]})");
  Load();
  EXPECT_THAT(Refusal("second"),
              HasSubstr("requires module 'guard', which is not in the plugin directory"));
  EXPECT_THAT(Refusal("orphan"),
              HasSubstr("requires module 'nope', which is not in the plugin directory"));
}

TEST_F(PluginHostTest, DependenciesLoadFirstAndOneFailingInitRefusesItsDependents) {
  // flaky sorts before guard but (here) requires it: guard must be opened
  // first, or flaky would find it not loaded and be refused.
  Copy("flaky", "flaky");
  Write("flaky.manifest.json",
        R"({"name": "flaky", "version": "1.0.0", "abi_major": 1, "requires": ["guard"]})");
  Copy("guard");
  // clingy (a copy of second) requires initfail, whose init fails.
  Copy("initfail");
  Copy("second", "clingy");
  Write("clingy.manifest.json",
        R"({"name": "clingy", "version": "1.0.0", "abi_major": 1, "requires": ["initfail"]})");
  Load();
  EXPECT_TRUE(host_->IsLoaded("guard")) << Modules()["guard"].last_error();
  EXPECT_TRUE(host_->IsLoaded("flaky")) << Modules()["flaky"].last_error();
  EXPECT_THAT(Refusal("initfail"), HasSubstr("init failed: no licence key"));
  EXPECT_THAT(Refusal("clingy"), HasSubstr("requires module 'initfail', which was refused"));
}

TEST_F(PluginHostTest, ADependencyCycleIsNamedAsACycle) {
  // Copies of guard named `name` that require `dependency`.
  for (const auto& [name, dependency] : std::vector<std::pair<std::string, std::string>>{
           {"cyca", "cycb"},
           {"cycb", "cyca"},
           {"cycc", "cyca"},  // not in the cycle; it depends on a module that is
           {"selfish", "selfish"}}) {
    Copy("guard", name);
    Write(name + ".manifest.json",
          absl::StrCat(R"({"name": ")", name, R"(", "version": "1.0.0", "abi_major": 1, )",
                       R"("requires": [")", dependency, R"("]})"));
  }
  Copy("guard");
  Load();
  // Each blaming the other ("requires module 'cycb', which was refused")
  // would hide the cause: each names the whole cycle, from itself.
  EXPECT_THAT(Refusal("cyca"), HasSubstr("cyca.so: dependency cycle: cyca -> cycb -> cyca"));
  EXPECT_THAT(Refusal("cycb"), HasSubstr("cycb.so: dependency cycle: cycb -> cyca -> cycb"));
  EXPECT_THAT(Refusal("cycc"), HasSubstr("requires module 'cyca', which was refused ("));
  EXPECT_THAT(Refusal("cycc"), HasSubstr("dependency cycle: cyca -> cycb -> cyca)"));
  EXPECT_THAT(Refusal("selfish"), HasSubstr("dependency cycle: selfish -> selfish"));
  // A module outside the cycle still loads.
  EXPECT_TRUE(host_->IsLoaded("guard")) << Modules()["guard"].last_error();
}

TEST_F(PluginHostTest, ADependentOfAPluginRefusedForItsManifestSaysItWasRefused) {
  Copy("guard");
  Write("guard.manifest.json", R"({"name": "guard", "version": "1.0.0", "abi_major": 7})");
  Copy("second");
  // A dependent of the dependent is refused in turn, with the chain of reasons.
  Copy("second", "third");
  Write("third.manifest.json",
        R"({"name": "third", "version": "1.0.0", "abi_major": 1, "requires": ["second"]})");
  Load();
  EXPECT_THAT(Refusal("guard"), HasSubstr("plugin ABI major 7"));
  // guard.so is in the directory: "not in the plugin directory" misleads.
  std::string second = Refusal("second");
  EXPECT_THAT(second, HasSubstr("requires module 'guard', which was refused ("));
  EXPECT_THAT(second, HasSubstr("guard.so: plugin ABI major 7 (manifest), host expects 1)"));
  EXPECT_THAT(second, Not(HasSubstr("not in the plugin directory")));
  EXPECT_THAT(Refusal("third"), HasSubstr("requires module 'second', which was refused ("));
  EXPECT_THAT(Refusal("third"), HasSubstr("plugin ABI major 7"));
}

TEST_F(PluginHostTest, NoDirectoryMeansNoPlugins) {
  host_ = std::make_unique<PluginHost>(
      db_.get(), records_.get(), &Clock::Real(), PluginHostOptions{},
      [](uint32_t, const std::string&) { return std::vector<std::string>(); });
  host_->Load();
  EXPECT_THAT(host_->Modules(), IsEmpty());
  EXPECT_FALSE(host_->HasMethods());
  PluginHostOptions missing;
  missing.plugin_dir = dir_.Sub("does-not-exist");
  Load(missing);
  EXPECT_THAT(host_->Modules(), IsEmpty());
  // No hooks: writes go through untouched.
  v1::Customer c;
  c.set_display_name("x");
  std::vector<ExtraWrite> writes;
  EXPECT_TRUE(BeforeCreate(&c, &writes).ok());
  EXPECT_THAT(writes, IsEmpty());
  EXPECT_THAT(c.tags(), IsEmpty());
}

// --- Hooks in the write path.

TEST_F(PluginHostTest, HooksRunInOrderThenPluginNameOrder) {
  Copy("guard");
  Copy("second");
  Copy("probe");
  Load();
  Enable("guard");
  Enable("second");
  Enable("probe");
  v1::Customer c;
  c.set_id("01J00000000000000000000000");
  c.set_display_name("Ordered");
  std::vector<ExtraWrite> writes;
  ASSERT_TRUE(BeforeCreate(&c, &writes).ok());
  // probe@50 < guard@100 < probe@100 (same order: "guard" < "probe") <
  // probe@150 < second@200 < probe@300.
  EXPECT_THAT(c.tags(),
              ElementsAre("probe@50", "guarded", "probe@100", "probe@150", "second", "probe@300"));
  EXPECT_THAT(Keys(writes), ElementsAre(KvKey("guard", "seen/01J00000000000000000000000"),
                                        KvKey("probe", "pre/Ordered")));
  // Through the record store: the change and the keys in one batch.
  auto created = CreateCustomer("Stored");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->tags(),
              ElementsAre("probe@50", "guarded", "probe@100", "probe@150", "second", "probe@300"));
  EXPECT_TRUE(Stored("guard", "seen/" + created->id()));
  EXPECT_TRUE(Stored("probe", "pre/Stored"));
  auto modules = Modules();
  EXPECT_EQ(modules["probe"].hook_calls(), 10);  // a validate and four pre-commits, twice
  EXPECT_EQ(modules["probe"].hook_failures(), 0);
  EXPECT_EQ(modules["guard"].metrics().at("customers_guarded"), 2);
}

TEST_F(PluginHostTest, ValidateHooksCannotWriteTheKeyspace) {
  Copy("probe");
  Load();
  Enable("probe");
  v1::Customer c;
  c.set_display_name("validate-put-1");
  std::vector<ExtraWrite> writes;
  absl::Status status = BeforeCreate(&c, &writes);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  // The SDK's Put carries the host's reason (call_last_error, ABI 1.2).
  EXPECT_EQ(status.message(),
            "module 'probe': validate hooks cannot write to the keyspace (write in a pre-commit "
            "hook)");
  EXPECT_THAT(writes, IsEmpty());
  auto created = CreateCustomer("validate-put-2");
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Stored("probe", "validate/validate-put-2"));
  EXPECT_EQ(CustomerCount(), 0);
  EXPECT_EQ(Modules()["probe"].hook_failures(), 2);
}

TEST_F(PluginHostTest, AFailingPreCommitHookDropsItsKeyspaceWritesAndTheWrite) {
  Copy("guard");
  Copy("probe");
  Load();
  Enable("guard");
  Enable("probe");
  v1::Customer c;
  c.set_id("01J00000000000000000000000");
  c.set_display_name("pre-fail now");
  std::vector<ExtraWrite> writes;
  absl::Status status = BeforeCreate(&c, &writes);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message(), "module 'probe': refused pre-fail now after writing its key");
  // The failing hook's own write is gone; what earlier hooks wrote is the
  // caller's to drop with the write.
  EXPECT_THAT(Keys(writes), ElementsAre(KvKey("guard", "seen/01J00000000000000000000000")));
  // Through the record store nothing lands: no record, no key of either.
  auto created = CreateCustomer("pre-fail stored");
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(created.status().message()), HasSubstr("module 'probe'"));
  EXPECT_EQ(CustomerCount(), 0);
  EXPECT_FALSE(Stored("probe", "pre/pre-fail stored"));
  auto guard_keys = db_->NewIterator(db_->meta());
  const std::string guard_prefix = KvKey("guard", "seen/");
  guard_keys->Seek(guard_prefix);
  EXPECT_FALSE(guard_keys->Valid() && guard_keys->key().starts_with(guard_prefix));
  // A good write afterwards is unaffected.
  ASSERT_TRUE(CreateCustomer("fine").ok());
  EXPECT_TRUE(Stored("probe", "pre/fine"));
}

TEST_F(PluginHostTest, APluginsValidateHookSeesItsConfigAndNamesTheField) {
  Copy("guard");
  Load({.plugin_dir = plugin_dir_, .config = {{"guard", R"({"max_units": 500})"}}});
  Enable("guard");
  v1::Opportunity o;
  o.set_name("big");
  o.mutable_amount()->set_currency_code("KRW");
  o.mutable_amount()->set_units(600);
  std::vector<ExtraWrite> writes;
  absl::Status status = host_->BeforeWrite(Ctx(), ResourceType::kOpportunity,
                                           WriteOperation::kCreate, nullptr, &o, &writes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "module 'guard': amount.units 600 is above the approval limit 500");
  o.mutable_amount()->set_units(500);
  EXPECT_TRUE(host_
                  ->BeforeWrite(Ctx(), ResourceType::kOpportunity, WriteOperation::kCreate, nullptr,
                                &o, &writes)
                  .ok());
}

TEST_F(PluginHostTest, AThrowingHookIsACleanRejectionNamingThePlugin) {
  Copy("thrower");
  Load();
  Enable("thrower");
  v1::Interaction i;
  i.set_subject("call");
  std::vector<ExtraWrite> writes;
  absl::Status status = host_->BeforeWrite(Ctx(), ResourceType::kInteraction,
                                           WriteOperation::kCreate, nullptr, &i, &writes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("module 'thrower'"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("boom"));
  // Only interaction creates: an update passes.
  EXPECT_TRUE(
      host_
          ->BeforeWrite(Ctx(), ResourceType::kInteraction, WriteOperation::kUpdate, &i, &i, &writes)
          .ok());
}

TEST_F(PluginHostTest, TheGateDecidesWhetherHooksRunAndShadowEnforcesNothing) {
  Copy("guard");
  Copy("probe");
  Load();
  // Nothing enabled: no hook runs.
  auto plain = CreateCustomer("pre-fail while off");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(plain->tags(), IsEmpty());
  EXPECT_EQ(Modules()["probe"].hook_calls(), 0);
  // Shadow: hooks run, what they would reject or change is recorded, and
  // neither their rejection, their change nor their keys take effect.
  Enable("guard");
  Enable("probe", v1::MODULE_MODE_SHADOW);
  auto shadowed = CreateCustomer("pre-fail in shadow");
  ASSERT_TRUE(shadowed.ok()) << shadowed.status();
  EXPECT_THAT(shadowed->tags(), ElementsAre("guarded"));
  EXPECT_FALSE(Stored("probe", "pre/pre-fail in shadow"));
  EXPECT_TRUE(Stored("guard", "seen/" + shadowed->id()));
  auto shadow = host_->ListShadowRecords(Ctx(), "probe", 100);
  ASSERT_TRUE(shadow.ok()) << shadow.status();
  std::vector<std::string> outcomes;
  for (const auto& r : *shadow) {
    outcomes.push_back(r.outcome());
    EXPECT_EQ(r.module(), "probe");
    EXPECT_EQ(r.principal(), "acme/u1");
    EXPECT_EQ(r.resource_id(), shadowed->id());
  }
  EXPECT_THAT(outcomes, ::testing::Contains(
                            "would reject: refused pre-fail in shadow after writing its key"));
  EXPECT_THAT(outcomes, ::testing::Contains("would change: tags"));
  EXPECT_EQ(host_->ListShadowRecords(Ctx(), "ghost", 10).status().code(),
            absl::StatusCode::kNotFound);
}

// --- Plugin methods.

TEST_F(PluginHostTest, MethodsAnswerThroughTheGateAndCommitTheirWritesOnlyOnSuccess) {
  Copy("probe");
  Load();
  const std::string method = "/rapport.probe.v1.ProbeService/Put";
  v1::Customer request;
  request.set_display_name("k1");
  auto unknown = host_->Invoke(Ctx(), "/rapport.probe.v1.ProbeService/Nope", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("no plugin serves"));
  auto off = host_->Invoke(Ctx(), method, request.SerializeAsString());
  EXPECT_EQ(off.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(off.status().message(),
            "module 'probe' is off for tenant 'acme' (default for the tenant (off))");
  Enable("probe", v1::MODULE_MODE_SHADOW);
  EXPECT_EQ(host_->Invoke(Ctx(), method, request.SerializeAsString()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Stored("probe", "method/k1"));
  Enable("probe");
  auto answered = host_->Invoke(Ctx(), method, request.SerializeAsString());
  ASSERT_TRUE(answered.ok()) << answered.status();
  v1::Customer response;
  ASSERT_TRUE(response.ParseFromString(*answered));
  EXPECT_EQ(response.display_name(), "k1");
  EXPECT_TRUE(Stored("probe", "method/k1"));
  // A method that fails after a put: the put is dropped.
  request.set_display_name("k2");
  request.add_tags("fail");
  auto failed = host_->Invoke(Ctx(), method, request.SerializeAsString());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(failed.status().message(), "module 'probe': asked to fail after the put");
  EXPECT_FALSE(Stored("probe", "method/k2"));
  // An unparsable request is the plugin's INVALID_ARGUMENT.
  auto garbage = host_->Invoke(Ctx(), method, "\xff\xff\xff");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  // Keys are per tenant.
  EXPECT_FALSE(db_->Get(db_->meta(), store::PluginKvPrefix(2, "probe") + "method/k1").ok());
}

// --- Post-commit hooks and dead letters.

TEST_F(PluginHostTest, FailingPostCommitHooksAreRetriedDeadLetteredAndReplayed) {
  Copy("flaky");
  Copy("initfail");
  PluginHostOptions options;
  options.plugin_dir = plugin_dir_;
  options.dead_letter_after = 2;
  options.retry_base = absl::Milliseconds(1);
  Load(options);
  Enable("flaky");
  host_->Start();
  auto fine = CreateCustomer("fine");
  ASSERT_TRUE(fine.ok());
  auto failing = CreateCustomer("will fail");
  ASSERT_TRUE(failing.ok());
  EXPECT_TRUE(Eventually([&] { return Stored("flaky", "done/" + fine->id()); }));
  std::vector<v1::DeadLetter> letters;
  EXPECT_TRUE(Eventually([&] {
    auto listed = host_->ListDeadLetters(Ctx(), "flaky");
    if (listed.ok()) letters = *listed;
    return letters.size() == 1;
  }));
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].module(), "flaky");
  EXPECT_EQ(letters[0].attempts(), 2);
  EXPECT_EQ(letters[0].error(), "downstream system rejected " + failing->id());
  EXPECT_EQ(letters[0].event().resource_id(), failing->id());
  EXPECT_FALSE(Stored("flaky", "done/" + failing->id()));
  EXPECT_EQ(Modules()["flaky"].dead_letters(), 1);
  // Still failing: the letter stays, with one more attempt.
  auto again = host_->ReplayDeadLetters(Ctx(), "flaky");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, std::make_pair(0, 1));
  EXPECT_EQ(host_->ListDeadLetters(Ctx(), "flaky")->at(0).attempts(), 3);
  // Fixed: the replay runs the hook, commits its write and removes the letter.
  ASSERT_TRUE(host_->Invoke(Ctx(), "/rapport.testplugins.v1.FlakyService/Fix", "").ok());
  auto replayed = host_->ReplayDeadLetters(Ctx(), "flaky");
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(*replayed, std::make_pair(1, 0));
  EXPECT_THAT(*host_->ListDeadLetters(Ctx(), "flaky"), IsEmpty());
  EXPECT_TRUE(Stored("flaky", "done/" + failing->id()));
  EXPECT_EQ(Modules()["flaky"].dead_letters(), 0);
  // Unknown and refused modules.
  auto ghost = host_->ListDeadLetters(Ctx(), "ghost");
  EXPECT_EQ(ghost.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ghost.status().message(), "no module 'ghost'");
  auto refused = host_->ReplayDeadLetters(Ctx(), "initfail");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "module 'initfail' is not loaded");
  host_->Stop();
  host_->Stop();  // idempotent
}

TEST_F(PluginHostTest, PostCommitHooksOfAModuleThatIsOffDoNotRun) {
  Copy("flaky");
  PluginHostOptions options;
  options.plugin_dir = plugin_dir_;
  options.retry_base = absl::Milliseconds(1);
  Load(options);
  host_->Start();
  auto skipped = CreateCustomer("while off");
  ASSERT_TRUE(skipped.ok());
  // The gate is asked when the event is dispatched: wait until the
  // dispatcher has passed it before switching the module on.
  const uint64_t sequence = records_->feed()->last_sequence();
  EXPECT_TRUE(Eventually([&] {
    auto cursor = db_->Get(db_->meta(), store::PluginCursorKey("flaky", kTenant));
    uint64_t at = 0;
    return cursor.ok() && store::KeyReader(*cursor).U64(&at) && at >= sequence;
  }));
  Enable("flaky");
  auto handled = CreateCustomer("while on");
  ASSERT_TRUE(handled.ok());
  EXPECT_TRUE(Eventually([&] { return Stored("flaky", "done/" + handled->id()); }));
  EXPECT_FALSE(Stored("flaky", "done/" + skipped->id()));
}

}  // namespace
}  // namespace rapport::plugin_host
