// File: tests/plugins/sfa_server_fixture.h
//
// The fixture of the SFA end-to-end tests: a real rapportd on 127.0.0.1
// with plugins/sfa's sfa.so in its module folder, and the helpers the tests
// drive it with (pipelines, deals, stage moves, the funnel).

#ifndef RAPPORT_TESTS_PLUGINS_SFA_SERVER_FIXTURE_H_
#define RAPPORT_TESTS_PLUGINS_SFA_SERVER_FIXTURE_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport::sfa_testing {

namespace sfa = ::rapport::sfa::v1;

class SfaServerTest : public testing::ServerTest {
 protected:
  void SetUp() override { StartWithSfa(true); }

  // (Re)starts rapportd on the fixture's data directory, with sfa.so in its
  // module folder or with an empty one.
  void StartWithSfa(bool load) {
    const std::string plugins = dir_.Sub(load ? "plugins" : "no-plugins");
    std::filesystem::create_directories(plugins);
    for (const char* f : {"sfa.so", "sfa.manifest.json"}) {
      if (load && !std::filesystem::exists(std::filesystem::path(plugins) / f)) {
        std::filesystem::copy_file(std::filesystem::path(RAPPORT_SFA_PLUGIN_DIR) / f,
                                   std::filesystem::path(plugins) / f);
      }
    }
    services::ServerOptions options;
    options.plugins.plugin_dir = plugins;
    options.plugins.retry_base = absl::Milliseconds(5);
    StartServer(options);
    modules_ = v1::ModuleService::NewStub(channel_);
    sales_ = sfa::SalesService::NewStub(channel_);
  }

  grpc::Status Rollout(v1::RolloutRule rule) {
    rule.set_module("sfa");
    v1::SetRolloutRequest request;
    *request.mutable_rule() = rule;
    v1::RolloutRule out;
    return modules_->SetRollout(Call().get(), request, &out);
  }
  void EnableForTenant() {
    v1::RolloutRule rule;
    rule.set_default_mode(v1::MODULE_MODE_ON);
    ASSERT_TRUE(Rollout(rule).ok());
  }

  // lead -> qualify -> proposal -> negotiation -> won | lost. Leaving
  // qualify needs amount and expected_close_date, leaving proposal a
  // decision maker; backward moves only negotiation -> proposal.
  sfa::Pipeline DefinePipeline(const std::string& name = "new-business") {
    sfa::SetPipelineRequest request;
    sfa::Pipeline* p = request.mutable_pipeline();
    p->set_name(name);
    p->set_display_name("신규 영업");
    auto stage = [&](const std::string& n, int probability, sfa::ForecastCategory category) {
      sfa::Stage* s = p->add_stages();
      s->set_name(n);
      s->set_probability(probability);
      s->set_forecast_category(category);
      return s;
    };
    stage("lead", 10, sfa::FORECAST_CATEGORY_PIPELINE);
    sfa::Stage* qualify = stage("qualify", 20, sfa::FORECAST_CATEGORY_PIPELINE);
    qualify->add_exit_criteria("amount");
    qualify->add_exit_criteria("expected_close_date");
    stage("proposal", 50, sfa::FORECAST_CATEGORY_BEST_CASE)
        ->add_exit_criteria("attributes.decision_maker");
    stage("negotiation", 80, sfa::FORECAST_CATEGORY_COMMIT)->add_backward_stages("proposal");
    stage("won", 100, sfa::FORECAST_CATEGORY_CLOSED_WON);
    stage("lost", 0, sfa::FORECAST_CATEGORY_CLOSED_LOST);
    sfa::Pipeline out;
    grpc::Status s = sales_->SetPipeline(Call().get(), request, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  void DeclareAttributes() {
    v1::UpdateAttributeSchemaRequest opp;
    opp.mutable_schema()->set_resource_type(v1::RESOURCE_TYPE_OPPORTUNITY);
    auto* dm = opp.mutable_schema()->add_attributes();
    dm->set_name("decision_maker");
    dm->set_type(v1::ATTRIBUTE_TYPE_STRING);
    v1::AttributeSchema out;
    grpc::Status s = schemas_->UpdateAttributeSchema(Call().get(), opp, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::UpdateAttributeSchemaRequest interaction;
    interaction.mutable_schema()->set_resource_type(v1::RESOURCE_TYPE_INTERACTION);
    auto* task = interaction.mutable_schema()->add_attributes();
    task->set_name("sfa_completes_task");
    task->set_type(v1::ATTRIBUTE_TYPE_STRING);
    s = schemas_->UpdateAttributeSchema(Call().get(), interaction, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::Customer NewCustomer(const std::string& name, const std::string& token = "") {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  grpc::Status CreateOpportunity(const v1::Opportunity& o, v1::Opportunity* out,
                                 const std::string& token = "") {
    v1::CreateOpportunityRequest r;
    *r.mutable_opportunity() = o;
    return opportunities_->CreateOpportunity(Call(token).get(), r, out);
  }
  grpc::Status Update(const v1::Opportunity& patch, std::vector<std::string> mask,
                      v1::Opportunity* out, const std::string& token = "") {
    v1::UpdateOpportunityRequest r;
    *r.mutable_opportunity() = patch;
    for (auto& m : mask) r.mutable_update_mask()->add_paths(m);
    return opportunities_->UpdateOpportunity(Call(token).get(), r, out);
  }
  grpc::Status MoveTo(const std::string& id, const std::string& stage, v1::Opportunity* out,
                      const std::string& token = "") {
    v1::Opportunity patch;
    patch.set_id(id);
    patch.set_stage(stage);
    return Update(patch, {"stage"}, out, token);
  }

  // Polls until `done` (the module's aggregates follow the feed).
  template <typename F>
  bool Eventually(F done) {
    for (int i = 0; i < 400; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return done();
  }

  sfa::GetFunnelResponse Funnel(const std::string& pipeline = "new-business") {
    sfa::GetFunnelRequest r;
    r.set_pipeline(pipeline);
    sfa::GetFunnelResponse out;
    grpc::Status s = sales_->GetFunnel(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  static const sfa::FunnelStage* StageOf(const sfa::GetFunnelResponse& f, const std::string& name) {
    for (const auto& s : f.stages())
      if (s.name() == name) return &s;
    return nullptr;
  }

  // The funnel as cells: (stage, currency) -> (count, amount units), and
  // stage -> count; empty cells left out.
  struct FunnelCells {
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> cells;
    std::map<std::string, int64_t> counts;
    int64_t records = 0;
    bool operator==(const FunnelCells& o) const { return cells == o.cells && counts == o.counts; }
  };
  // Brute force: every opportunity of the tenant, listed page by page.
  FunnelCells FunnelFromRecords() {
    FunnelCells out;
    std::string token;
    do {
      v1::ListOpportunitiesRequest lr;
      lr.set_page_size(500);
      lr.set_page_token(token);
      v1::ListOpportunitiesResponse page;
      grpc::Status s = opportunities_->ListOpportunities(Call().get(), lr, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& o : page.opportunities()) {
        auto& cell = out.cells[{o.stage(), o.amount().currency_code()}];
        ++cell.first;
        cell.second += o.amount().units();
        ++out.counts[o.stage()];
        ++out.records;
      }
      token = page.next_page_token();
    } while (!token.empty());
    return out;
  }
  static FunnelCells CellsOf(const sfa::GetFunnelResponse& f) {
    FunnelCells out;
    for (const auto& s : f.stages()) {
      if (s.count() != 0) out.counts[s.name()] = s.count();
      out.records += s.count();
      for (const auto& t : s.totals()) {
        if (t.count() != 0 || t.amount_units() != 0) {
          out.cells[{s.name(), t.currency_code()}] = {t.count(), t.amount_units()};
        }
      }
    }
    return out;
  }
  // Polls the funnel until it equals `expected`; else says how it differs.
  ::testing::AssertionResult FunnelBecomes(const FunnelCells& expected) {
    FunnelCells got;
    if (Eventually([&] { return (got = CellsOf(Funnel())) == expected; })) {
      return ::testing::AssertionSuccess();
    }
    auto show = [](const FunnelCells& c) {
      std::string text;
      for (const auto& [key, value] : c.cells) {
        text += key.first + "/" + key.second + "=" + std::to_string(value.first) + ":" +
                std::to_string(value.second) + " ";
      }
      return text;
    };
    return ::testing::AssertionFailure()
           << "the funnel shows " << show(got) << "\nthe records give " << show(expected);
  }

  std::unique_ptr<v1::ModuleService::Stub> modules_;
  std::unique_ptr<sfa::SalesService::Stub> sales_;
};

inline v1::Money Krw(int64_t units) {
  v1::Money m;
  m.set_currency_code("KRW");
  m.set_units(units);
  return m;
}

}  // namespace rapport::sfa_testing

#endif  // RAPPORT_TESTS_PLUGINS_SFA_SERVER_FIXTURE_H_
