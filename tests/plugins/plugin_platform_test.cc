// The plugin platform end to end: real .so files loaded by the real server.
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "test_plugins.grpc.pb.h"
#include "tests/plugins/writer_script_cases.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PluginPlatformTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    // A plugin directory with the good test plugins and a rogues' gallery.
    plugin_dir_ = dir_.Sub("plugins");
    fs::create_directories(plugin_dir_);
    for (const auto& entry : fs::directory_iterator(RAPPORT_TEST_PLUGIN_DIR)) {
      fs::copy_file(entry.path(), plugin_dir_ + "/" + entry.path().filename().string());
    }
    auto write = [&](const std::string& name, const std::string& content) {
      std::ofstream(plugin_dir_ + "/" + name) << content;
    };
    write("notelf.so", "this is not a shared object");
    write("notelf.manifest.json", R"({"name": "notelf", "version": "1.0.0", "abi_major": 1})");
    fs::copy_file(plugin_dir_ + "/guard.so", plugin_dir_ + "/corrupt.so");
    write("corrupt.manifest.json", R"({"name": "corrupt", "version": )");
    // Valid JSON only: an unquoted key is refused with its position.
    fs::copy_file(plugin_dir_ + "/guard.so", plugin_dir_ + "/lenient.so");
    write("lenient.manifest.json", R"({"name": "lenient", "version": "1.0.0", abi_major: 1})");
    fs::copy_file(plugin_dir_ + "/guard.so", plugin_dir_ + "/future.so");
    write("future.manifest.json", R"({"name": "future", "version": "2.0.0", "abi_major": 2})");
    fs::copy_file(plugin_dir_ + "/second.so", plugin_dir_ + "/orphan.so");
    write("orphan.manifest.json",
          R"({"name": "orphan", "version": "1.0.0", "abi_major": 1, "requires": ["nope"]})");
    fs::copy_file(plugin_dir_ + "/guard.so", dir_.Sub("outside.so"));
    fs::create_symlink(dir_.Sub("outside.so"), plugin_dir_ + "/escape.so");
    write("escape.manifest.json", R"({"name": "escape", "version": "1.0.0", "abi_major": 1})");
    Start();
  }

  void Start(absl::Duration retry = absl::Milliseconds(5), std::string flaky_config = "{}") {
    services::ServerOptions options;
    options.plugins.plugin_dir = plugin_dir_;
    options.plugins.config["guard"] = R"({"max_units": 1000000})";
    options.plugins.config["flaky"] = flaky_config;
    options.plugins.dead_letter_after = 3;
    options.plugins.retry_base = retry;
    StartServer(options);
    modules_ = v1::ModuleService::NewStub(channel_);
    guard_ = testplugins::v1::GuardService::NewStub(channel_);
    flaky_ = testplugins::v1::FlakyService::NewStub(channel_);
    writer_ = testplugins::v1::WriterService::NewStub(channel_);
  }

  grpc::Status SetRollout(v1::RolloutRule rule, const std::string& token = "") {
    v1::SetRolloutRequest request;
    *request.mutable_rule() = rule;
    v1::RolloutRule out;
    return modules_->SetRollout(Call(token).get(), request, &out);
  }
  grpc::Status EnableForTenant(const std::string& module,
                               v1::ModuleMode mode = v1::MODULE_MODE_ON) {
    v1::RolloutRule rule;
    rule.set_module(module);
    rule.set_default_mode(mode);
    return SetRollout(rule);
  }
  v1::Customer NewCustomer(const std::string& name, const std::string& token = "") {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::Opportunity NewOpportunity(const std::string& name, const std::string& token = "") {
    v1::Customer customer = NewCustomer("Customer of " + name, token);
    v1::CreateOpportunityRequest o;
    o.mutable_opportunity()->set_customer_id(customer.id());
    o.mutable_opportunity()->set_name(name);
    v1::Opportunity out;
    grpc::Status s = opportunities_->CreateOpportunity(Call(token).get(), o, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  int64_t GuardCount(const std::string& token = "") {
    testplugins::v1::CountRequest r;
    r.set_prefix("seen/");
    testplugins::v1::CountResponse out;
    grpc::Status s = guard_->Count(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.count();
  }

  std::string plugin_dir_;
  std::unique_ptr<v1::ModuleService::Stub> modules_;
  std::unique_ptr<testplugins::v1::GuardService::Stub> guard_;
  std::unique_ptr<testplugins::v1::FlakyService::Stub> flaky_;
  std::unique_ptr<testplugins::v1::WriterService::Stub> writer_;
};

TEST_F(PluginPlatformTest, LoadsGoodPluginsAndRefusesBadOnesNamingTheFile) {
  v1::ListModulesResponse list;
  ASSERT_TRUE(modules_->ListModules(Call().get(), v1::ListModulesRequest(), &list).ok());
  std::map<std::string, v1::Module> by_name;
  for (const auto& m : list.modules()) by_name[m.name()] = m;
  for (const char* good : {"guard", "second", "flaky", "thrower"}) {
    EXPECT_EQ(by_name[good].state(), "loaded") << good << ": " << by_name[good].last_error();
  }
  EXPECT_EQ(by_name["guard"].version(), "1.0.0");
  EXPECT_THAT(by_name["second"].dependencies(), ElementsAre("guard"));
  auto refused = [&](const std::string& name, const std::string& why) {
    EXPECT_EQ(by_name[name].state(), "refused") << name;
    EXPECT_THAT(by_name[name].last_error(), HasSubstr(why)) << name;
  };
  refused("initfail", "init failed: no licence key");
  refused("abimismatch", "built for plugin ABI 2.0, host expects ABI 1.x");
  refused("noentry", "no exported symbol 'rapport_plugin_entry'");
  refused("notelf", "cannot load");
  refused("corrupt", "not valid JSON: line 1, column 32 (byte offset 31): ");
  refused("lenient", "not valid JSON: line 1, column 41 (byte offset 40): ");
  refused("future", "plugin ABI major 2 (manifest), host expects 1");
  refused("orphan", "requires module 'nope'");
  refused("escape", "leads outside the plugin directory");
  // A method name outside the rule (method_names.h) refuses the plugin even
  // though its init returned OK; the fake host refuses it with the same
  // reason (fake_host_parity_test).
  refused("badmethod",
          "badmethod.so: init failed: method '/other.v1.S/M': must start with "
          "\"/rapport.\"");
  EXPECT_EQ(by_name["writer"].state(), "loaded") << by_name["writer"].last_error();
  for (const auto& [name, m] : by_name) EXPECT_THAT(m.file(), HasSubstr(name + ".so"));
}

TEST_F(PluginPlatformTest, AModuleThatIsOffAnswersFailedPreconditionAndItsHooksDoNotRun) {
  testplugins::v1::CountRequest r;
  testplugins::v1::CountResponse out;
  grpc::Status s = guard_->Count(Call().get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'guard' is off for tenant 'default'"));
  EXPECT_THAT(NewCustomer("Untouched").tags(), ::testing::IsEmpty());
  // Unknown plugin methods are UNIMPLEMENTED, and nothing answers without a token.
  EXPECT_EQ(guard_->Count(Call("-").get(), r, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(PluginPlatformTest, HooksRunInOrderAndPreCommitWritesAreAtomicWithTheRecord) {
  // second requires guard: enabling it first is refused, naming guard.
  grpc::Status refused = EnableForTenant("second");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("requires module 'guard'"));
  ASSERT_TRUE(EnableForTenant("guard").ok());
  ASSERT_TRUE(EnableForTenant("second").ok());
  v1::Customer c = NewCustomer("Tagged");
  EXPECT_THAT(c.tags(), ElementsAre("guarded", "second"));  // guard (100) before second (200)
  EXPECT_EQ(GuardCount(), 1);

  // A commit that fails after the hooks ran (duplicate external ref) leaves
  // no keyspace write behind.
  v1::CreateCustomerRequest dup;
  dup.mutable_customer()->set_display_name("Ref holder");
  (*dup.mutable_customer()->mutable_external_refs())["erp"] = "X-1";
  v1::Customer out;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), dup, &out).ok());
  EXPECT_EQ(GuardCount(), 2);
  const uint64_t sequence = server_->store()->feed()->last_sequence();
  EXPECT_EQ(customers_->CreateCustomer(Call().get(), dup, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GuardCount(), 2);
  EXPECT_EQ(server_->store()->feed()->last_sequence(), sequence);
}

TEST_F(PluginPlatformTest, AValidateRejectionOrAThrowWritesNothingAndNamesThePlugin) {
  ASSERT_TRUE(EnableForTenant("guard").ok());
  ASSERT_TRUE(EnableForTenant("thrower").ok());
  v1::Customer c = NewCustomer("Buyer");
  const uint64_t sequence = server_->store()->feed()->last_sequence();
  v1::CreateOpportunityRequest big;
  big.mutable_opportunity()->set_customer_id(c.id());
  big.mutable_opportunity()->set_name("Too big");
  big.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
  big.mutable_opportunity()->mutable_amount()->set_units(5000000);
  v1::Opportunity opp;
  grpc::Status s = opportunities_->CreateOpportunity(Call().get(), big, &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      s.error_message(),
      HasSubstr("module 'guard': amount.units 5000000 is above the approval limit 1000000"));
  v1::CreateInteractionRequest note;
  note.mutable_interaction()->set_kind(v1::INTERACTION_KIND_NOTE);
  note.mutable_interaction()->set_customer_id(c.id());
  v1::Interaction interaction;
  s = interactions_->CreateInteraction(Call().get(), note, &interaction);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'thrower': plugin threw: boom"));
  EXPECT_EQ(server_->store()->feed()->last_sequence(), sequence);
  big.mutable_opportunity()->mutable_amount()->set_units(999);
  EXPECT_TRUE(opportunities_->CreateOpportunity(Call().get(), big, &opp).ok());
}

TEST_F(PluginPlatformTest, RolloutByTeamUserPercentageAndKillSwitch) {
  CreateTeam("pilot");
  std::string pilot = CreateUser("pilot_rep", {v1::ROLE_REP}, {"pilot"});
  std::string named = CreateUser("named_rep", {v1::ROLE_REP}, {});
  std::string other = CreateUser("other_rep", {v1::ROLE_REP}, {});
  v1::RolloutRule rule;
  rule.set_module("guard");
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.add_team_ids("pilot");
  rule.add_user_ids("named_rep");
  ASSERT_TRUE(SetRollout(rule).ok());
  EXPECT_THAT(NewCustomer("P", pilot).tags(), ElementsAre("guarded"));
  EXPECT_THAT(NewCustomer("N", named).tags(), ElementsAre("guarded"));
  EXPECT_THAT(NewCustomer("O", other).tags(), ::testing::IsEmpty());
  v1::CheckModuleRequest check;
  check.set_module("guard");
  check.set_user_id("pilot_rep");
  v1::CheckModuleResponse why;
  ASSERT_TRUE(modules_->CheckModule(Call().get(), check, &why).ok());
  EXPECT_EQ(why.mode(), v1::MODULE_MODE_ON);
  EXPECT_THAT(why.reason(), HasSubstr("team 'pilot' is targeted"));

  rule.set_kill_switch(true);
  ASSERT_TRUE(SetRollout(rule).ok());
  EXPECT_THAT(NewCustomer("P2", pilot).tags(), ::testing::IsEmpty());  // the very next request
  ASSERT_TRUE(modules_->CheckModule(Call().get(), check, &why).ok());
  EXPECT_THAT(why.reason(), HasSubstr("kill switch"));

  // Percentage: within ±3 points over 10k users, stable across a restart,
  // and raising it never removes anyone.
  auto& gate = server_->plugins()->gate();
  rule.Clear();
  rule.set_module("guard");
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.set_percentage(30);
  ASSERT_TRUE(SetRollout(rule).ok());
  std::vector<bool> at30(10000);
  int on = 0;
  for (int u = 0; u < 10000; ++u) {
    at30[u] = gate.Evaluate(1, "guard", absl::StrCat("user", u), {}).mode == v1::MODULE_MODE_ON;
    on += at30[u];
  }
  EXPECT_NEAR(on, 3000, 300);
  Start();  // restart
  auto& restarted = server_->plugins()->gate();
  rule.set_percentage(50);
  ASSERT_TRUE(SetRollout(rule).ok());
  int on50 = 0;
  for (int u = 0; u < 10000; ++u) {
    bool now =
        restarted.Evaluate(1, "guard", absl::StrCat("user", u), {}).mode == v1::MODULE_MODE_ON;
    if (at30[u]) {
      EXPECT_TRUE(now) << "raising the percentage removed user" << u;
    }
    on50 += now;
  }
  EXPECT_NEAR(on50, 5000, 300);

  v1::ListRolloutHistoryRequest history;
  history.set_module("guard");
  v1::ListRolloutHistoryResponse events;
  ASSERT_TRUE(modules_->ListRolloutHistory(Call().get(), history, &events).ok());
  EXPECT_EQ(events.events_size(), 4);
  EXPECT_EQ(events.events(0).principal(), "default/admin");
}

TEST_F(PluginPlatformTest, ShadowModeEnforcesNothingAndRecordsEverything) {
  ASSERT_TRUE(EnableForTenant("guard", v1::MODULE_MODE_SHADOW).ok());
  v1::Customer c = NewCustomer("Shadowed");
  EXPECT_THAT(c.tags(), ::testing::IsEmpty());
  v1::CreateOpportunityRequest big;
  big.mutable_opportunity()->set_customer_id(c.id());
  big.mutable_opportunity()->set_name("Big but shadowed");
  big.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
  big.mutable_opportunity()->mutable_amount()->set_units(5000000);
  v1::Opportunity opp;
  EXPECT_TRUE(opportunities_->CreateOpportunity(Call().get(), big, &opp).ok());
  v1::ListShadowRecordsRequest request;
  request.set_module("guard");
  v1::ListShadowRecordsResponse shadow;
  ASSERT_TRUE(modules_->ListShadowRecords(Call().get(), request, &shadow).ok());
  ASSERT_EQ(shadow.records_size(), 2);
  EXPECT_THAT(shadow.records(0).outcome(), HasSubstr("would reject: amount.units 5000000"));
  EXPECT_THAT(shadow.records(1).outcome(), HasSubstr("would change: tags"));
  // RPCs stay off in shadow mode.
  testplugins::v1::CountResponse out;
  EXPECT_EQ(guard_->Count(Call().get(), testplugins::v1::CountRequest(), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(PluginPlatformTest, RolloutBadInputIsRefused) {
  v1::RolloutRule rule;
  rule.set_module("guard");
  rule.set_percentage(101);
  grpc::Status s = SetRollout(rule);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ElementsAre("rule.percentage"));
  rule.set_percentage(-1);
  EXPECT_EQ(SetRollout(rule).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  rule.set_percentage(10);
  rule.set_module("nosuchmodule");
  s = SetRollout(rule);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("guard"));  // lists the loaded ones
  rule.set_module("initfail");
  EXPECT_EQ(SetRollout(rule).error_code(), grpc::StatusCode::NOT_FOUND);
  std::string rep = CreateUser("rep", {v1::ROLE_REP}, {});
  rule.set_module("guard");
  EXPECT_EQ(SetRollout(rule, rep).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PluginPlatformTest, FailingPostCommitHooksAreDeadLetteredAndReplayable) {
  ASSERT_TRUE(EnableForTenant("flaky").ok());
  NewCustomer("works");
  v1::Customer failing = NewCustomer("this will fail");
  v1::ListDeadLettersRequest list;
  list.set_module("flaky");
  v1::ListDeadLettersResponse letters;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(modules_->ListDeadLetters(Call().get(), list, &letters).ok());
    if (letters.dead_letters_size() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(letters.dead_letters_size(), 1);
  EXPECT_EQ(letters.dead_letters(0).event().resource_id(), failing.id());
  EXPECT_EQ(letters.dead_letters(0).attempts(), 3);
  EXPECT_THAT(letters.dead_letters(0).error(), HasSubstr("downstream system rejected"));
  testplugins::v1::FixResponse fixed;
  ASSERT_TRUE(flaky_->Fix(Call().get(), testplugins::v1::FixRequest(), &fixed).ok());
  v1::ReplayDeadLettersRequest replay;
  replay.set_module("flaky");
  v1::ReplayDeadLettersResponse replayed;
  ASSERT_TRUE(modules_->ReplayDeadLetters(Call().get(), replay, &replayed).ok());
  EXPECT_EQ(replayed.succeeded(), 1);
  ASSERT_TRUE(modules_->ListDeadLetters(Call().get(), list, &letters).ok());
  EXPECT_EQ(letters.dead_letters_size(), 0);
  testplugins::v1::CountRequest count;
  count.set_prefix("done/");
  testplugins::v1::CountResponse done;
  ASSERT_TRUE(flaky_->Count(Call().get(), count, &done).ok());
  EXPECT_EQ(done.count(), 2);
}

TEST_F(PluginPlatformTest, ASlowPostCommitConsumerNeverBlocksWrites) {
  Start(absl::Milliseconds(5), R"({"sleep_ms": 100})");
  ASSERT_TRUE(EnableForTenant("flaky").ok());
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) NewCustomer(absl::StrCat("quick ", i));
  auto elapsed = std::chrono::steady_clock::now() - started;
  // The consumer needs >= 5 s for these; the writes were all acknowledged
  // long before it caught up (a structural check, not a timing target).
  testplugins::v1::CountRequest count;
  count.set_prefix("done/");
  testplugins::v1::CountResponse done;
  ASSERT_TRUE(flaky_->Count(Call().get(), count, &done).ok());
  EXPECT_LT(done.count(), 50)
      << "writes waited for the consumer ("
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms)";
}

TEST_F(PluginPlatformTest, PluginsWriteCoreRecordsAsTheCallerThroughTheOneWritePath) {
  ASSERT_TRUE(EnableForTenant("writer").ok());
  // writer's pre-commit hook on customer creates tries write_record and
  // rejects the create unless the host refuses the nested write.
  v1::Opportunity opp = NewOpportunity("Deal");
  testplugins::v1::RenameRequest rename;
  rename.set_opportunity_id(opp.id());
  rename.set_name("Renamed by a plugin");
  testplugins::v1::RenameResponse renamed;
  grpc::Status s = writer_->Rename(Call().get(), rename, &renamed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(renamed.name(), "Renamed by a plugin");
  EXPECT_EQ(renamed.revision(), opp.revision() + 1);

  // The core's rules apply to the write: a bad name is the core's error.
  rename.set_name(std::string(300, 'x'));
  s = writer_->Rename(Call().get(), rename, &renamed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("name"));
  EXPECT_THAT(s.error_message(), HasSubstr("module 'writer'"));

  // As the caller: a rep outside the owner's scope cannot reach the record.
  CreateTeam("east");
  const std::string rep = CreateUser("rep_east", {v1::ROLE_REP}, {"east"});
  rename.set_name("Hijacked");
  EXPECT_EQ(writer_->Rename(Call(rep).get(), rename, &renamed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // An RPC's keyspace writes land only if it succeeds.
  testplugins::v1::GetKeyRequest key;
  key.set_key("renamed/" + opp.id());
  testplugins::v1::GetKeyResponse value;
  ASSERT_TRUE(writer_->GetKey(Call().get(), key, &value).ok());
  EXPECT_EQ(value.value(), "Renamed by a plugin");
  rename.set_name("Never stored");
  rename.set_fail_after_put(true);
  EXPECT_EQ(writer_->Rename(Call().get(), rename, &renamed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(writer_->GetKey(Call().get(), key, &value).ok());
  EXPECT_EQ(value.value(), "Renamed by a plugin");
  v1::GetOpportunityRequest get;
  get.set_id(opp.id());
  v1::Opportunity current;
  ASSERT_TRUE(opportunities_->GetOpportunity(Call().get(), get, &current).ok());
  EXPECT_EQ(current.name(), "Renamed by a plugin");
}

TEST_F(PluginPlatformTest, AScanSeesTheCallsOwnPendingWritesOverTheStoredKeys) {
  ASSERT_TRUE(EnableForTenant("writer").ok());
  testplugins::v1::ScanOwnWritesRequest request;
  request.set_prefix("s/");
  request.set_setup(true);  // stores s/a, s/c, s/e = old
  testplugins::v1::ScanOwnWritesResponse out;
  ASSERT_TRUE(writer_->ScanOwnWrites(Call().get(), request, &out).ok());
  // One call puts b, e (over a stored key) and d, deletes c, then scans
  // before any of it is committed: its own writes merge into the stored
  // keys in key order.
  request.set_setup(false);
  ASSERT_TRUE(writer_->ScanOwnWrites(Call().get(), request, &out).ok());
  EXPECT_THAT(out.keys(), ElementsAre("s/a=old", "s/b=new", "s/d=new", "s/e=new"));
  testplugins::v1::GetKeyRequest key;
  key.set_key("s/c");
  testplugins::v1::GetKeyResponse value;
  ASSERT_TRUE(writer_->GetKey(Call().get(), key, &value).ok());
  EXPECT_FALSE(value.found());  // the delete was committed with the call
}

TEST_F(PluginPlatformTest, WriterKeyspaceScriptsGiveTheSameAnswersAsTheFakeHost) {
  // fake_host_parity_test, KeyspaceScriptsGiveTheAnswersRapportdGives: the
  // same calls, the same answers, rapportd naming the module in errors.
  ASSERT_TRUE(EnableForTenant("writer").ok());
  for (const auto& scenario : testplugins::WriterScriptScenarios()) {
    SCOPED_TRACE(scenario.name);
    for (size_t i = 0; i < scenario.calls.size(); ++i) {
      SCOPED_TRACE("call " + std::to_string(i + 1));
      const auto& call = scenario.calls[i];
      testplugins::v1::KvScriptResponse out;
      grpc::Status s = writer_->KvScript(
          Call().get(), testplugins::ToRequest<testplugins::v1::KvScriptRequest>(call), &out);
      EXPECT_EQ(static_cast<int>(s.error_code()), call.code) << s.error_message();
      if (call.code == 0) {
        EXPECT_THAT(out.results(), ::testing::ElementsAreArray(call.results));
      } else {
        EXPECT_EQ(s.error_message(), "module 'writer': " + call.message);
      }
    }
  }
}

TEST_F(PluginPlatformTest, HookChainsThatWriteRecordsStopAtTheDepthLimit) {
  ASSERT_TRUE(EnableForTenant("writer").ok());
  v1::Opportunity opp = NewOpportunity("Deal");
  // writer's post-commit hook appends "+" to names starting with "loop":
  // each of its writes triggers it again, one level deeper.
  v1::UpdateOpportunityRequest u;
  u.mutable_opportunity()->set_id(opp.id());
  u.mutable_opportunity()->set_name("loop");
  u.mutable_update_mask()->add_paths("name");
  v1::Opportunity out;
  ASSERT_TRUE(opportunities_->UpdateOpportunity(Call().get(), u, &out).ok());
  v1::ListDeadLettersRequest list;
  list.set_module("writer");
  v1::ListDeadLettersResponse letters;
  for (int i = 0; i < 400 && letters.dead_letters_size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(modules_->ListDeadLetters(Call().get(), list, &letters).ok());
  }
  ASSERT_EQ(letters.dead_letters_size(), 1);
  EXPECT_THAT(letters.dead_letters(0).error(), HasSubstr("hook depth limit 4 reached"));
  EXPECT_EQ(letters.dead_letters(0).event().hook_depth(), 4);
  v1::GetOpportunityRequest get;
  get.set_id(opp.id());
  ASSERT_TRUE(opportunities_->GetOpportunity(Call().get(), get, &out).ok());
  EXPECT_EQ(out.name(), "loop++++");  // depths 1..4 written, 5 refused
  // The hook's writes are marked in the feed as the module's.
  EXPECT_EQ(letters.dead_letters(0).event().origin(), "module/writer");
}

TEST_F(PluginPlatformTest, PluginsLookUpUsersAndTheirTeams) {
  ASSERT_TRUE(EnableForTenant("writer").ok());
  CreateTeam("korea");
  CreateTeam("seoul", "korea");
  CreateUser("kim", {v1::ROLE_REP}, {"seoul"});
  testplugins::v1::WhoIsRequest who;
  who.set_user_id("kim");
  testplugins::v1::WhoIsResponse found;
  ASSERT_TRUE(writer_->WhoIs(Call().get(), who, &found).ok());
  EXPECT_TRUE(found.found());
  EXPECT_THAT(found.teams(), ::testing::UnorderedElementsAre("seoul", "korea"));
  who.set_user_id("nobody");
  ASSERT_TRUE(writer_->WhoIs(Call().get(), who, &found).ok());
  EXPECT_FALSE(found.found());
}

TEST_F(PluginPlatformTest, ReflectionListsAndDescribesPluginServices) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names,
              ::testing::IsSupersetOf(
                  {"rapport.testplugins.v1.WriterService", "rapport.testplugins.v1.GuardService",
                   "rapport.v1.CustomerService", "grpc.reflection.v1alpha.ServerReflection"}));

  request.set_file_containing_symbol("rapport.testplugins.v1.WriterService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "rapport.testplugins.v1");
  std::vector<std::string> methods;
  for (const auto& service : file.service()) {
    if (service.name() != "WriterService") continue;
    for (const auto& m : service.method()) methods.push_back(m.name());
  }
  EXPECT_THAT(methods,
              ::testing::ElementsAre("Rename", "ScanOwnWrites", "WhoIs", "GetKey", "KvScript"));

  // The core's own, and a miss.
  request.set_file_containing_symbol("rapport.v1.Customer");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "rapport/v1/customer.proto");
  request.set_file_containing_symbol("rapport.nope.v1.Missing");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace rapport
