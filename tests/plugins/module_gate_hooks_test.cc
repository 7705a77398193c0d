// The module gate applies to hooks, not only to a module's RPCs (issue 22:
// a second guard, independent of plugin_platform_test). With the real server
// and the real test plugins "guard" (a validate hook on opportunity creates
// and updates, a pre-commit hook on customer creates) and "thrower" (a
// validate hook on interaction creates that throws), both switched on for
// team "pilot" only: the writes of a rep outside it run none of their hooks,
// whichever write path they take (create, update, batch upsert, import),
// counted by the host's own hook_calls; the same writes by a pilot rep run
// them, so a host that never ran hooks would fail here too.
#include <algorithm>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ModuleGateHooksTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    const std::string plugin_dir = dir_.Sub("plugins");
    fs::create_directories(plugin_dir);
    for (const char* name : {"guard", "thrower"}) {
      for (const char* ext : {".so", ".manifest.json"}) {
        fs::copy_file(std::string(RAPPORT_TEST_PLUGIN_DIR) + "/" + name + ext,
                      plugin_dir + "/" + name + ext);
      }
    }
    services::ServerOptions options;
    options.plugins.plugin_dir = plugin_dir;
    options.plugins.config["guard"] = R"({"max_units": 1000})";
    StartServer(options);
    modules_ = v1::ModuleService::NewStub(channel_);
    data_ = v1::DataService::NewStub(channel_);
    CreateTeam("pilot");
    CreateTeam("rest");
    pilot_ = CreateUser("pia", {v1::ROLE_REP}, {"pilot"});
    outside_ = CreateUser("otto", {v1::ROLE_REP}, {"rest"});
    for (const char* module : {"guard", "thrower"}) {
      v1::SetRolloutRequest request;
      request.mutable_rule()->set_module(module);
      request.mutable_rule()->set_mode(v1::MODULE_MODE_ON);
      request.mutable_rule()->add_team_ids("pilot");
      request.mutable_rule()->set_default_mode(v1::MODULE_MODE_OFF);
      v1::RolloutRule out;
      grpc::Status s = modules_->SetRollout(Call().get(), request, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    ASSERT_EQ(Module("guard").state(), "loaded") << Module("guard").last_error();
    ASSERT_EQ(Module("thrower").state(), "loaded") << Module("thrower").last_error();
  }

  v1::Module Module(const std::string& name) {
    v1::ListModulesResponse list;
    EXPECT_TRUE(modules_->ListModules(Call().get(), v1::ListModulesRequest(), &list).ok());
    for (const auto& m : list.modules())
      if (m.name() == name) return m;
    ADD_FAILURE() << "no module " << name;
    return v1::Module();
  }
  int64_t HookCalls() { return Module("guard").hook_calls() + Module("thrower").hook_calls(); }

  grpc::Status CreateCustomer(const std::string& token, const std::string& name,
                              v1::Customer* out) {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    return customers_->CreateCustomer(Call(token).get(), r, out);
  }
  grpc::Status CreateDeal(const std::string& token, const std::string& customer_id, int64_t units,
                          v1::Opportunity* out) {
    v1::CreateOpportunityRequest r;
    r.mutable_opportunity()->set_customer_id(customer_id);
    r.mutable_opportunity()->set_name("Deal");
    r.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
    r.mutable_opportunity()->mutable_amount()->set_units(units);
    return opportunities_->CreateOpportunity(Call(token).get(), r, out);
  }
  grpc::Status RaiseDeal(const std::string& token, const std::string& id, int64_t units) {
    v1::UpdateOpportunityRequest r;
    r.mutable_opportunity()->set_id(id);
    r.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
    r.mutable_opportunity()->mutable_amount()->set_units(units);
    r.mutable_update_mask()->add_paths("amount");
    v1::Opportunity out;
    return opportunities_->UpdateOpportunity(Call(token).get(), r, &out);
  }
  grpc::Status UpsertDeal(const std::string& token, const std::string& customer_id,
                          const std::string& erp, int64_t units) {
    v1::BatchUpsertOpportunitiesRequest r;
    auto* o = r.add_opportunities();
    o->set_customer_id(customer_id);
    o->set_name("Upserted");
    o->mutable_amount()->set_currency_code("KRW");
    o->mutable_amount()->set_units(units);
    (*o->mutable_external_refs())["erp"] = erp;
    v1::BatchUpsertOpportunitiesResponse out;
    return opportunities_->BatchUpsertOpportunities(Call(token).get(), r, &out);
  }
  grpc::Status Note(const std::string& token, const std::string& customer_id) {
    v1::CreateInteractionRequest r;
    r.mutable_interaction()->set_kind(v1::INTERACTION_KIND_NOTE);
    r.mutable_interaction()->set_customer_id(customer_id);
    v1::Interaction out;
    return interactions_->CreateInteraction(Call(token).get(), r, &out);
  }
  // Imports one customer row; returns the summary.
  v1::ImportSummary ImportCustomer(const std::string& token, const std::string& name) {
    v1::ImportSummary summary;
    auto ctx = Call(token);
    auto writer = data_->Import(ctx.get(), &summary);
    v1::ImportRequest header;
    header.mutable_header()->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    EXPECT_TRUE(writer->Write(header));
    v1::ImportRequest row;
    row.mutable_row()->set_line(2);
    row.mutable_row()->mutable_customer()->set_display_name(name);
    (*row.mutable_row()->mutable_customer()->mutable_external_refs())["crm"] = name;
    EXPECT_TRUE(writer->Write(row));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return summary;
  }
  v1::Customer GetCustomerByRef(const std::string& name) {
    v1::GetCustomerByExternalRefRequest r;
    r.set_system("crm");
    r.set_external_id(name);
    v1::Customer out;
    EXPECT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), r, &out).ok());
    return out;
  }

  std::unique_ptr<v1::ModuleService::Stub> modules_;
  std::unique_ptr<v1::DataService::Stub> data_;
  std::string pilot_, outside_;
};

TEST_F(ModuleGateHooksTest, ARepOutsideTheRolloutRunsNoValidateOrPreCommitHook) {
  const int64_t calls = HookCalls();
  ASSERT_EQ(calls, 0);
  v1::Customer customer;
  ASSERT_TRUE(CreateCustomer(outside_, "Outside buyer", &customer).ok());
  EXPECT_THAT(customer.tags(), IsEmpty());  // guard's pre-commit tag
  v1::Opportunity deal;
  grpc::Status s = CreateDeal(outside_, customer.id(), 5000, &deal);  // above guard's limit
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = RaiseDeal(outside_, deal.id(), 9000);
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = UpsertDeal(outside_, customer.id(), "O-1", 7000);
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = Note(outside_, customer.id());  // thrower's validate hook would throw
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::ImportSummary imported = ImportCustomer(outside_, "Imported outside");
  EXPECT_EQ(imported.created(), 1u) << imported.DebugString();
  EXPECT_THAT(GetCustomerByRef("Imported outside").tags(), IsEmpty());
  // Not one hook call for all of that, and guard's own metric agrees.
  EXPECT_EQ(HookCalls(), calls);
  EXPECT_EQ(Module("guard").metrics().count("customers_guarded"), 0u);
}

TEST_F(ModuleGateHooksTest, TheSameWritesByAPilotRepRunThem) {
  v1::Customer customer;
  ASSERT_TRUE(CreateCustomer(pilot_, "Pilot buyer", &customer).ok());
  EXPECT_THAT(customer.tags(), Contains("guarded"));
  const int64_t after_create = HookCalls();
  EXPECT_GE(after_create, 1);
  v1::Opportunity deal;
  grpc::Status s = CreateDeal(pilot_, customer.id(), 5000, &deal);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'guard'"));
  ASSERT_TRUE(CreateDeal(pilot_, customer.id(), 500, &deal).ok());
  s = RaiseDeal(pilot_, deal.id(), 9000);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'guard'"));
  s = UpsertDeal(pilot_, customer.id(), "P-1", 7000);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'guard'"));
  s = Note(pilot_, customer.id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'thrower'"));
  v1::ImportSummary imported = ImportCustomer(pilot_, "Imported pilot");
  EXPECT_EQ(imported.created(), 1u) << imported.DebugString();
  EXPECT_THAT(GetCustomerByRef("Imported pilot").tags(), Contains("guarded"));
  EXPECT_GE(HookCalls(), after_create + 6);
}

TEST_F(ModuleGateHooksTest, TheKillSwitchStopsTheHooksOnTheVeryNextWrite) {
  v1::Customer customer;
  ASSERT_TRUE(CreateCustomer(pilot_, "Pilot buyer", &customer).ok());
  EXPECT_EQ(Note(pilot_, customer.id()).error_code(), grpc::StatusCode::INTERNAL);
  v1::SetRolloutRequest kill;
  kill.mutable_rule()->set_module("thrower");
  kill.mutable_rule()->set_mode(v1::MODULE_MODE_ON);
  kill.mutable_rule()->add_team_ids("pilot");
  kill.mutable_rule()->set_kill_switch(true);
  v1::RolloutRule out;
  ASSERT_TRUE(modules_->SetRollout(Call().get(), kill, &out).ok());
  const int64_t thrower_calls = Module("thrower").hook_calls();
  grpc::Status s = Note(pilot_, customer.id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Module("thrower").hook_calls(), thrower_calls);
  // guard, still on for the pilot, still runs.
  v1::Opportunity deal;
  EXPECT_EQ(CreateDeal(pilot_, customer.id(), 5000, &deal).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ModuleGateHooksTest, APercentageRolloutRunsTheHooksForThatShareOfUsers) {
  // Whose writes run guard's hooks is the gate's answer for the writer;
  // asked for 10,000 users, 1% and 99% must mean about that many (a cohort
  // one bucket too wide would be 2% and 100%).
  auto& gate = server_->plugins()->gate();
  for (int percentage : {1, 99}) {
    v1::SetRolloutRequest request;
    request.mutable_rule()->set_module("guard");
    request.mutable_rule()->set_mode(v1::MODULE_MODE_ON);
    request.mutable_rule()->set_percentage(percentage);
    v1::RolloutRule out;
    ASSERT_TRUE(modules_->SetRollout(Call().get(), request, &out).ok());
    int on = 0;
    for (int u = 0; u < 10000; ++u) {
      on += gate.Evaluate(1, "guard", "user" + std::to_string(u), {}).mode == v1::MODULE_MODE_ON;
    }
    EXPECT_NEAR(on, percentage * 100, 50) << percentage << "%";
  }
  // And a user in the cohort has their write's hooks run.
  v1::Customer customer;
  ASSERT_TRUE(CreateCustomer(outside_, "In the 99%?", &customer).ok());
  const bool otto_on = gate.Evaluate(1, "guard", "otto", {"rest"}).mode == v1::MODULE_MODE_ON;
  EXPECT_EQ(std::count(customer.tags().begin(), customer.tags().end(), "guarded"), otto_on ? 1 : 0);
}

}  // namespace
}  // namespace rapport
