// SFA's aggregates against a brute-force count of the core's records, on a
// real rapportd: after random changes followed by the post-commit hooks;
// and when SFA is installed on a tenant that already has deals (rapportd
// restarted on one data directory without, then with sfa.so), where the
// host's backfill hands SFA every existing interaction and opportunity, and
// a requested rebuild later counts nothing twice.
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tests/plugins/sfa_server_fixture.h"

namespace rapport {
namespace {

namespace sfa = rapport::sfa::v1;
using ::testing::HasSubstr;

const std::vector<std::string> kStages = {"lead", "qualify", "proposal", "won", "lost"};

using sfa_testing::SfaServerTest;

TEST_F(SfaServerTest, AggregatesEqualABruteForceRecomputationAfterRandomChanges) {
  EnableForTenant();
  DeclareAttributes();
  sfa::SetPipelineRequest pr;
  pr.mutable_pipeline()->set_name("new-business");
  pr.mutable_pipeline()->set_allow_backward_moves(true);
  const std::vector<std::string> stages = {"lead", "qualify", "proposal", "won", "lost"};
  for (size_t i = 0; i < stages.size(); ++i) {
    auto* st = pr.mutable_pipeline()->add_stages();
    st->set_name(stages[i]);
    st->set_probability(stages[i] == "won"    ? 100
                        : stages[i] == "lost" ? 0
                                              : static_cast<int>(10 + 20 * i));
    st->set_forecast_category(stages[i] == "won"    ? sfa::FORECAST_CATEGORY_CLOSED_WON
                              : stages[i] == "lost" ? sfa::FORECAST_CATEGORY_CLOSED_LOST
                                                    : sfa::FORECAST_CATEGORY_PIPELINE);
  }
  sfa::Pipeline pipeline;
  ASSERT_TRUE(sales_->SetPipeline(Call().get(), pr, &pipeline).ok());
  std::vector<std::string> customers;
  for (int i = 0; i < 5; ++i) customers.push_back(NewCustomer(absl::StrCat("고객 ", i)).id());

  std::mt19937 rng(20261127);
  std::vector<std::string> live;
  int created = 0, moved = 0, deleted = 0, rejected = 0;
  for (int step = 0; step < 400; ++step) {
    const int op = live.size() < 5 ? 0 : static_cast<int>(rng() % 10);
    v1::Opportunity out;
    if (op <= 2) {
      v1::Opportunity o;
      o.set_customer_id(customers[rng() % customers.size()]);
      o.set_name(absl::StrCat("deal ", step));
      o.set_stage(stages[rng() % 3]);
      v1::Money m;
      m.set_currency_code(rng() % 3 == 0 ? "USD" : "KRW");
      m.set_units(static_cast<int64_t>(rng() % 1'000'000));
      *o.mutable_amount() = m;
      o.mutable_expected_close_date()->set_year(2026 + static_cast<int>(rng() % 2));
      o.mutable_expected_close_date()->set_month(1 + static_cast<int>(rng() % 12));
      o.mutable_expected_close_date()->set_day(1);
      if (CreateOpportunity(o, &out).ok()) {
        live.push_back(out.id());
        ++created;
      } else {
        ++rejected;
      }
    } else if (op <= 7) {
      v1::Opportunity patch;
      patch.set_id(live[rng() % live.size()]);
      const std::string to = stages[rng() % stages.size()];
      patch.set_stage(to);
      patch.set_close_reason("reason");
      std::vector<std::string> mask = {"stage", "close_reason"};
      if (rng() % 2) {
        patch.mutable_amount()->set_currency_code("KRW");
        patch.mutable_amount()->set_units(static_cast<int64_t>(rng() % 2'000'000));
        mask.push_back("amount");
      }
      if (Update(patch, mask, &out).ok()) {
        ++moved;
      } else {
        ++rejected;
      }
    } else {
      size_t at = rng() % live.size();
      v1::DeleteOpportunityRequest d;
      d.set_id(live[at]);
      google::protobuf::Empty none;
      ASSERT_TRUE(opportunities_->DeleteOpportunity(Call().get(), d, &none).ok());
      live.erase(live.begin() + static_cast<long>(at));
      ++deleted;
    }
  }
  ASSERT_GT(created, 50);
  ASSERT_GT(moved, 50);
  ASSERT_GT(deleted, 20);

  SCOPED_TRACE(absl::StrCat(created, " created, ", moved, " moved, ", deleted, " deleted, ",
                            rejected, " rejected"));
  // Brute force from the core's own records.
  const FunnelCells expected = FunnelFromRecords();
  ASSERT_EQ(expected.records, static_cast<int64_t>(live.size()));
  EXPECT_TRUE(FunnelBecomes(expected));
}

class SfaBackfillTest : public sfa_testing::SfaServerTest {
 protected:
  void SetUp() override { StartWithSfa(false); }

  // lead, qualify, proposal (pipeline), won, lost; any move allowed.
  void DefineOpenPipeline() {
    sfa::SetPipelineRequest pr;
    pr.mutable_pipeline()->set_name("new-business");
    pr.mutable_pipeline()->set_allow_backward_moves(true);
    for (size_t i = 0; i < kStages.size(); ++i) {
      auto* st = pr.mutable_pipeline()->add_stages();
      st->set_name(kStages[i]);
      st->set_probability(kStages[i] == "won"    ? 100
                          : kStages[i] == "lost" ? 0
                                                 : static_cast<int>(10 + 20 * i));
      st->set_forecast_category(kStages[i] == "won"    ? sfa::FORECAST_CATEGORY_CLOSED_WON
                                : kStages[i] == "lost" ? sfa::FORECAST_CATEGORY_CLOSED_LOST
                                                       : sfa::FORECAST_CATEGORY_PIPELINE);
    }
    sfa::Pipeline pipeline;
    grpc::Status s = sales_->SetPipeline(Call().get(), pr, &pipeline);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // `steps` random changes over the tenant's deals: creates (KRW and USD,
  // close dates in 2026-2027), stage and amount changes, deletes, and
  // interactions logged on deals.
  void RandomChanges(int steps, std::mt19937* rng) {
    if (customers_ids_.empty()) {
      for (int i = 0; i < 5; ++i)
        customers_ids_.push_back(NewCustomer(absl::StrCat("고객 ", i)).id());
    }
    for (int step = 0; step < steps; ++step) {
      const int op = live_.size() < 20 ? 0 : static_cast<int>((*rng)() % 10);
      v1::Opportunity out;
      if (op <= 4) {
        v1::Opportunity o;
        o.set_customer_id(customers_ids_[(*rng)() % customers_ids_.size()]);
        o.set_name(absl::StrCat("거래 ", created_));
        o.set_pipeline("new-business");
        o.set_close_reason("reason");
        o.set_stage(kStages[(*rng)() % kStages.size()]);
        o.mutable_amount()->set_currency_code((*rng)() % 3 == 0 ? "USD" : "KRW");
        o.mutable_amount()->set_units(static_cast<int64_t>((*rng)() % 1'000'000));
        o.mutable_expected_close_date()->set_year(2026 + static_cast<int>((*rng)() % 2));
        o.mutable_expected_close_date()->set_month(1 + static_cast<int>((*rng)() % 12));
        o.mutable_expected_close_date()->set_day(1);
        grpc::Status s = CreateOpportunity(o, &out);
        ASSERT_TRUE(s.ok()) << s.error_message();
        live_.push_back(out.id());
        customer_of_[out.id()] = out.customer_id();
        ++created_;
      } else if (op <= 7) {
        v1::Opportunity patch;
        patch.set_id(live_[(*rng)() % live_.size()]);
        patch.set_stage(kStages[(*rng)() % kStages.size()]);
        patch.set_close_reason("reason");
        std::vector<std::string> mask = {"stage", "close_reason"};
        if ((*rng)() % 2) {
          patch.mutable_amount()->set_currency_code("KRW");
          patch.mutable_amount()->set_units(static_cast<int64_t>((*rng)() % 2'000'000));
          mask.push_back("amount");
        }
        grpc::Status s = Update(patch, mask, &out);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ++moved_;
      } else if (op == 8) {
        v1::CreateInteractionRequest ir;
        ir.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
        const std::string& deal = live_[(*rng)() % live_.size()];
        ir.mutable_interaction()->set_customer_id(customer_of_[deal]);
        ir.mutable_interaction()->set_opportunity_id(deal);
        ir.mutable_interaction()->set_subject("통화");
        v1::Interaction logged;
        grpc::Status s = interactions_->CreateInteraction(Call().get(), ir, &logged);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ++interactions_logged_;
      } else {
        const size_t at = (*rng)() % live_.size();
        v1::DeleteOpportunityRequest d;
        d.set_id(live_[at]);
        google::protobuf::Empty none;
        grpc::Status s = opportunities_->DeleteOpportunity(Call().get(), d, &none);
        ASSERT_TRUE(s.ok()) << s.error_message();
        live_.erase(live_.begin() + static_cast<long>(at));
        ++deleted_;
      }
    }
  }

  // Waits for SFA's backfill of the tenant to finish (done after `after`).
  v1::BackfillStatus WaitForBackfill(int64_t after_seconds = 0) {
    v1::GetBackfillRequest request;
    request.set_module("sfa");
    v1::BackfillStatus status;
    for (int i = 0; i < 2400; ++i) {
      grpc::Status s = modules_->GetBackfill(Call().get(), request, &status);
      if (s.ok() &&
          (status.state() == v1::BackfillStatus::STATE_DONE ||
           status.state() == v1::BackfillStatus::STATE_FAILED) &&
          status.done_time().seconds() >= after_seconds) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return status;
  }

  // The forecast for 2026-01..2027-12 summed over groups, per currency:
  // {open, won, lost counts, pipeline, won, lost units}.
  std::map<std::string, std::vector<int64_t>> ForecastTotals() {
    sfa::GetForecastRequest request;
    request.set_period("2026-01");
    request.set_end_period("2027-12");
    request.set_grouping(sfa::FORECAST_GROUPING_OWNER);
    sfa::GetForecastResponse response;
    grpc::Status s = sales_->GetForecast(Call().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& row : response.rows()) {
      auto& t = out[row.currency_code()];
      t.resize(6);
      t[0] += row.open_count();
      t[1] += row.won_count();
      t[2] += row.lost_count();
      t[3] += row.pipeline_units();
      t[4] += row.closed_won_units();
      t[5] += row.closed_lost_units();
    }
    return out;
  }
  std::map<std::string, std::vector<int64_t>> ForecastFromRecords() {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& [key, cell] : FunnelFromRecords().cells) {
      auto& t = out[key.second];
      t.resize(6);
      const int kind = key.first == "won" ? 1 : key.first == "lost" ? 2 : 0;
      t[kind] += cell.first;
      t[3 + kind] += cell.second;
    }
    return out;
  }

  std::vector<std::string> customers_ids_;
  std::vector<std::string> live_;
  std::map<std::string, std::string> customer_of_;  // deal id -> its customer
  int created_ = 0, moved_ = 0, deleted_ = 0, interactions_logged_ = 0;
};

TEST_F(SfaBackfillTest, DealsMadeBeforeSfaWasInstalledAreCountedExactly) {
  std::mt19937 rng(20261206);
  ASSERT_NO_FATAL_FAILURE(RandomChanges(26000, &rng));
  ASSERT_GE(live_.size(), 10000u);  // the "10k opportunities exist"
  ASSERT_GT(interactions_logged_, 1000);
  const int records_before = static_cast<int>(live_.size()) + interactions_logged_;

  // Installed: SFA observes every change (its manifest says "observe":
  // "all"), so the host backfills the tenant at once.
  StartWithSfa(true);
  const v1::BackfillStatus first = WaitForBackfill();
  ASSERT_EQ(first.state(), v1::BackfillStatus::STATE_DONE) << first.error();
  EXPECT_EQ(first.records(), records_before);
  std::cout << live_.size() << " deals and " << interactions_logged_ << " interactions ("
            << created_ << " created, " << moved_ << " moved, " << deleted_
            << " deleted) backfilled: " << first.records() << " records\n";
  EnableForTenant();
  DefineOpenPipeline();
  SCOPED_TRACE(absl::StrCat(created_, " created, ", moved_, " moved, ", deleted_, " deleted, ",
                            interactions_logged_, " interactions"));
  EXPECT_TRUE(FunnelBecomes(FunnelFromRecords()));
  EXPECT_EQ(ForecastTotals(), ForecastFromRecords());

  // Followed live from here on by the post-commit hooks.
  ASSERT_NO_FATAL_FAILURE(RandomChanges(1000, &rng));
  EXPECT_TRUE(FunnelBecomes(FunnelFromRecords()));

  // A rebuild on request clears what SFA derived and counts it all again:
  // nothing twice.
  const int64_t asked_at = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  v1::BackfillModuleRequest again;
  again.set_module("sfa");
  v1::BackfillStatus queued;
  grpc::Status s = modules_->BackfillModule(Call().get(), again, &queued);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::BackfillStatus second = WaitForBackfill(asked_at);
  ASSERT_EQ(second.state(), v1::BackfillStatus::STATE_DONE) << second.error();
  EXPECT_GT(second.sequence(), first.sequence());
  EXPECT_TRUE(FunnelBecomes(FunnelFromRecords()));
  EXPECT_EQ(ForecastTotals(), ForecastFromRecords());
}

TEST_F(SfaBackfillTest, ARebuildIsRefusedForModulesThatAreNotLoadedAndForReps) {
  v1::BackfillModuleRequest request;
  request.set_module("sfa");
  v1::BackfillStatus status;
  grpc::Status s = modules_->BackfillModule(Call().get(), request, &status);  // not loaded yet
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("sfa"));

  StartWithSfa(true);
  ASSERT_EQ(WaitForBackfill().state(), v1::BackfillStatus::STATE_DONE);
  const std::string rep = CreateUser("rep_kim", {v1::ROLE_REP}, {});
  s = modules_->BackfillModule(Call(rep).get(), request, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  request.set_module("");
  s = modules_->BackfillModule(Call().get(), request, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(ViolatedFields(s), ::testing::Contains("module"));
}

}  // namespace
}  // namespace rapport
