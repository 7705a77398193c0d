// Aggregate exactness: 2,000 random opportunity creates, updates (stage
// moves forwards and backwards, amounts, dates, owners), deletes and
// interactions go through the plugin's pre-commit and post-commit hooks; then
// the funnel, forecast and stalled deals equal a brute-force recomputation.
#include <functional>
#include <iostream>
#include <random>
#include <set>

#include "rapport/sdk/exact_sum.h"
#include "rapport/sfa/v1/sfa_storage.pb.h"
#include "sfa_test_util.h"

namespace sfatest {
namespace {

struct Entry {
  int64_t micros;
  std::string stage;
};

class AggregateTest : public SfaFixture {};

TEST_F(AggregateTest, RandomChangesKeepAggregatesExact) {
  sv1::SetPipelineRequest pr;
  sv1::Pipeline* p = pr.mutable_pipeline();
  p->set_name("p");
  *p->add_stages() = MakeStage("s0", 10, sv1::FORECAST_CATEGORY_PIPELINE);
  *p->add_stages() = MakeStage("s1", 25, sv1::FORECAST_CATEGORY_PIPELINE, {"amount"}, {"s0"});
  *p->add_stages() =
      MakeStage("s2", 50, sv1::FORECAST_CATEGORY_BEST_CASE, {"expected_close_date"}, {"s0", "s1"});
  *p->add_stages() = MakeStage("s3", 75, sv1::FORECAST_CATEGORY_COMMIT, {}, {"s1", "s2"});
  *p->add_stages() = MakeStage("s4", 100, sv1::FORECAST_CATEGORY_CLOSED_WON, {}, {"s3"});
  *p->add_stages() = MakeStage("s5", 0, sv1::FORECAST_CATEGORY_CLOSED_LOST, {}, {"s0"});
  *p->add_stages() = MakeStage("s6", 0, sv1::FORECAST_CATEGORY_OMITTED, {}, {"s0"});
  ASSERT_TRUE(DefinePipeline(pr).ok());
  const int kStages = 7;

  std::mt19937_64 rng(20261127);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<std::string> owners = {"alice", "bob", "carol"};
  const std::vector<std::string> currencies = {"KRW", "USD"};
  std::map<std::string, std::vector<Entry>> history;  // committed stage entries per living opp
  std::map<std::string, int64_t> activity;
  int accepted = 0, rejected = 0, deletes = 0, backward = 0, interactions = 0, target = 0;

  auto randomize = [&](Opportunity* o) {
    switch (pick(6)) {
      case 0:
        o->mutable_amount()->set_currency_code(currencies[pick(2)]);
        o->mutable_amount()->set_units(static_cast<int64_t>(rng() % 1000000000000LL));
        break;
      case 1:
        o->mutable_expected_close_date()->set_year(2026 + pick(2));
        o->mutable_expected_close_date()->set_month(1 + pick(12));
        o->mutable_expected_close_date()->set_day(1 + pick(28));
        break;
      case 2:
        o->set_owner(owners[pick(3)]);
        break;
      case 3:
        o->set_probability(pick(101));
        break;
      case 4:
        o->set_close_reason(pick(2) ? "reason" : "");
        break;
      default:
        o->clear_expected_close_date();
        break;
    }
  };

  auto run = [&](int steps) {
    for (int step = 0; step < steps * 4; ++step) {
      if (accepted + rejected + deletes + interactions >= target) break;
      Advance(1 + static_cast<int64_t>(rng() % (3 * kDay)));
      const int op = opps_.empty() ? 0 : pick(20);
      if (op < 5) {
        Opportunity o;
        o.set_name("deal");
        o.set_owner(owners[pick(3)]);
        if (pick(10)) {
          o.mutable_amount()->set_currency_code(currencies[pick(2)]);
          o.mutable_amount()->set_units(static_cast<int64_t>(rng() % 1000000000000LL));
        }
        if (pick(10)) {
          o.mutable_expected_close_date()->set_year(2026 + pick(2));
          o.mutable_expected_close_date()->set_month(1 + pick(12));
          o.mutable_expected_close_date()->set_day(1);
        }
        if (pick(3)) o.set_close_reason("why");
        if (pick(2)) o.set_stage("s" + std::to_string(pick(kStages)));
        if (Create(&o).ok()) {
          ++accepted;
          history[o.id()].push_back({now_, o.stage()});
          activity[o.id()] = now_;
        } else {
          ++rejected;
        }
        continue;
      }
      auto it = opps_.begin();
      std::advance(it, pick(static_cast<int>(opps_.size())));
      const std::string id = it->first;
      if (op == 5) {
        Delete(id);
        history.erase(id);
        activity.erase(id);
        ++deletes;
        continue;
      }
      if (op == 6) {
        rapport::v1::Interaction call;
        call.set_id("int" + std::to_string(step) + "-" + std::to_string(interactions));
        call.set_customer_id("cust1");
        call.set_opportunity_id(id);
        const int64_t when = now_ - static_cast<int64_t>(rng() % (2 * kDay));
        *call.mutable_occurred_at() = Ts(when);
        rapport::v1::ChangeEvent event;
        *event.mutable_commit_time() = Ts(now_);
        event.set_operation(rapport::v1::CHANGE_OPERATION_CREATE);
        event.mutable_after()->set_value(call.SerializeAsString());
        ASSERT_TRUE(host_
                        .PostCommit(RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE,
                                    event.SerializeAsString())
                        .ok());
        ++interactions;
        if (it->second.status() == rapport::v1::OPPORTUNITY_STATUS_OPEN) {
          activity[id] = std::max(activity[id], when);
        }
        continue;
      }
      const std::string old_stage = it->second.stage();
      const bool move = pick(2) == 0;
      const std::string to = "s" + std::to_string(pick(kStages));
      Opportunity stored;
      Status s = Update(
          id,
          [&](Opportunity* o) {
            if (move) o->set_stage(to);
            randomize(o);
            if (pick(2)) randomize(o);
          },
          &stored);
      if (!s.ok()) {
        ++rejected;
        continue;
      }
      ++accepted;
      if (stored.stage() != old_stage) {
        if (stored.stage() < old_stage) ++backward;
        history[id].push_back({now_, stored.stage()});
        activity[id] = std::max(activity[id], now_);
      }
    }
  };
  target = 2000;
  run(2000);
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 50);
  EXPECT_GT(deletes, 50);
  EXPECT_GT(backward, 20);

  // ---- brute force: funnel
  auto index = [](const std::string& stage) { return stage[1] - '0'; };
  struct StageTruth {
    std::map<std::string, std::pair<int64_t, int64_t>> totals;  // currency -> count, amount
    int64_t count = 0, entered = 0, advanced = 0, stays = 0, stay_micros = 0;
  };
  std::vector<StageTruth> truth(kStages);
  for (const auto& [id, opp] : opps_) {
    StageTruth& t = truth[index(opp.stage())];
    auto& cell = t.totals[opp.has_amount() ? opp.amount().currency_code() : ""];
    cell.first += 1;
    cell.second += opp.has_amount() ? opp.amount().units() : 0;
    t.count += 1;
    const auto& h = history.at(id);
    std::set<std::string> entered, advanced;
    for (size_t i = 0; i < h.size(); ++i) {
      entered.insert(h[i].stage);
      for (size_t j = i + 1; j < h.size(); ++j) {
        if (index(h[j].stage) > index(h[i].stage)) advanced.insert(h[i].stage);
      }
      if (i + 1 < h.size()) {
        truth[index(h[i].stage)].stays += 1;
        truth[index(h[i].stage)].stay_micros += h[i + 1].micros - h[i].micros;
      }
    }
    for (const auto& s : entered) truth[index(s)].entered += 1;
    for (const auto& s : advanced) truth[index(s)].advanced += 1;
  }
  sv1::GetFunnelRequest fr;
  fr.set_pipeline("p");
  sv1::GetFunnelResponse funnel;
  ASSERT_TRUE(Rpc("GetFunnel", fr, &funnel).ok());
  ASSERT_EQ(funnel.stages_size(), kStages);
  for (int i = 0; i < kStages; ++i) {
    const auto& f = funnel.stages(i);
    const auto& t = truth[i];
    SCOPED_TRACE(f.name());
    EXPECT_EQ(f.count(), t.count);
    ASSERT_EQ(f.totals_size(), static_cast<int>(t.totals.size()));
    for (const auto& ct : f.totals()) {
      EXPECT_EQ(ct.count(), t.totals.at(ct.currency_code()).first);
      EXPECT_EQ(ct.amount_units(), t.totals.at(ct.currency_code()).second);
    }
    EXPECT_EQ(f.entered_count(), t.entered);
    EXPECT_EQ(f.advanced_count(), t.advanced);
    EXPECT_EQ(f.completed_stays(), t.stays);
    if (t.stays) {
      const int64_t avg = t.stay_micros / t.stays;
      EXPECT_EQ(f.average_time_in_stage().seconds(), avg / 1000000);
    }
  }

  // ---- brute force: forecast for all of 2026-2027, by owner and currency
  std::function<sv1::ForecastCategory(const std::string&)> category =
      [&](const std::string& stage) {
        return pr.pipeline().stages(index(stage)).forecast_category();
      };
  auto check_forecast = [&]() {
    std::map<std::pair<std::string, std::string>, sv1::ForecastRow> rows;
    for (const auto& [id, o] : opps_) {
      if (!o.has_expected_close_date() || o.expected_close_date().year() == 0) continue;
      const std::string currency = o.has_amount() ? o.amount().currency_code() : "";
      const int64_t units = o.has_amount() ? o.amount().units() : 0;
      auto& r = rows[{o.owner(), currency}];
      r.set_group(o.owner());
      r.set_currency_code(currency);
      const auto cat = category(o.stage());
      const int64_t weighted =
          static_cast<int64_t>(static_cast<__int128>(units) * o.probability() / 100);
      switch (cat) {
        case sv1::FORECAST_CATEGORY_PIPELINE:
          r.set_pipeline_units(r.pipeline_units() + units);
          break;
        case sv1::FORECAST_CATEGORY_BEST_CASE:
          r.set_best_case_units(r.best_case_units() + units);
          break;
        case sv1::FORECAST_CATEGORY_COMMIT:
          r.set_commit_units(r.commit_units() + units);
          break;
        case sv1::FORECAST_CATEGORY_CLOSED_WON:
          r.set_closed_won_units(r.closed_won_units() + units);
          r.set_won_count(r.won_count() + 1);
          break;
        case sv1::FORECAST_CATEGORY_CLOSED_LOST:
          r.set_closed_lost_units(r.closed_lost_units() + units);
          r.set_lost_count(r.lost_count() + 1);
          break;
        default:
          r.set_omitted_units(r.omitted_units() + units);
      }
      if (cat == sv1::FORECAST_CATEGORY_PIPELINE || cat == sv1::FORECAST_CATEGORY_BEST_CASE ||
          cat == sv1::FORECAST_CATEGORY_COMMIT) {
        r.set_weighted_units(r.weighted_units() + weighted);
      }
      if (cat != sv1::FORECAST_CATEGORY_CLOSED_WON && cat != sv1::FORECAST_CATEGORY_CLOSED_LOST) {
        r.set_open_count(r.open_count() + 1);
      }
    }
    sv1::GetForecastRequest fq;
    fq.set_period("2026-01");
    fq.set_end_period("2027-Q4");
    sv1::GetForecastResponse forecast;
    ASSERT_TRUE(Rpc("GetForecast", fq, &forecast).ok());
    ASSERT_EQ(forecast.rows_size(), static_cast<int>(rows.size()));
    int i = 0;
    for (const auto& [key, want] : rows) {
      EXPECT_EQ(forecast.rows(i).SerializeAsString(), want.SerializeAsString())
          << "row " << key.first << " " << key.second;
      ++i;
    }
  };
  check_forecast();

  // ---- brute force: stalled deals (open, no activity for 30 days)
  std::vector<std::pair<int64_t, std::string>> stalled;
  const int64_t cutoff = now_ - 30 * kDay;
  for (const auto& [id, o] : opps_) {
    if (o.status() == rapport::v1::OPPORTUNITY_STATUS_OPEN && activity[id] <= cutoff) {
      stalled.push_back({activity[id], id});
    }
  }
  std::sort(stalled.begin(), stalled.end());
  sv1::ListStalledDealsRequest sr;
  sr.set_pipeline("p");
  sr.set_days(30);
  sr.set_page_size(1000);
  sv1::ListStalledDealsResponse sd;
  ASSERT_TRUE(Rpc("ListStalledDeals", sr, &sd).ok());
  ASSERT_EQ(sd.deals_size(), static_cast<int>(stalled.size()));
  for (size_t k = 0; k < stalled.size(); ++k)
    EXPECT_EQ(sd.deals(k).opportunity_id(), stalled[k].second);

  // ---- phase 2: remove stage s2 (successor s3), keep changing, and check
  // that current-state views fold s2 into s3.
  sv1::SetPipelineRequest v2 = pr;
  v2.set_expected_version(1);
  v2.mutable_pipeline()->mutable_stages()->DeleteSubrange(2, 1);
  v2.mutable_pipeline()->mutable_stages(2)->clear_backward_stages();
  v2.mutable_pipeline()->mutable_stages(2)->add_backward_stages("s1");
  auto* successor = v2.add_removed_stage_successors();
  successor->set_removed_stage("s2");
  successor->set_successor_stage("s3");
  ASSERT_TRUE(DefinePipeline(v2).ok());
  auto resolved = [](const std::string& stage) {
    return stage == "s2" ? std::string("s3") : stage;
  };
  category = [&](const std::string& stage) {
    return pr.pipeline().stages(index(resolved(stage))).forecast_category();
  };
  target = accepted + rejected + deletes + interactions + 500;
  run(500);
  check_forecast();
  std::map<std::string, std::map<std::string, std::pair<int64_t, int64_t>>> totals;
  for (const auto& [id, o] : opps_) {
    auto& cell = totals[resolved(o.stage())][o.has_amount() ? o.amount().currency_code() : ""];
    cell.first += 1;
    cell.second += o.has_amount() ? o.amount().units() : 0;
  }
  ASSERT_TRUE(Rpc("GetFunnel", fr, &funnel).ok());
  ASSERT_EQ(funnel.stages_size(), kStages - 1);
  for (const auto& f : funnel.stages()) {
    SCOPED_TRACE(f.name());
    ASSERT_EQ(f.totals_size(), static_cast<int>(totals[f.name()].size()));
    for (const auto& ct : f.totals()) {
      EXPECT_EQ(ct.count(), totals[f.name()].at(ct.currency_code()).first);
      EXPECT_EQ(ct.amount_units(), totals[f.name()].at(ct.currency_code()).second);
    }
  }
  int still_in_s2 = 0;
  for (const auto& [id, o] : opps_) still_in_s2 += o.stage() == "s2";
  std::cout << "still recorded in s2 " << still_in_s2 << ", interactions " << interactions
            << ", accepted " << accepted << ", rejected " << rejected << ", deletes " << deletes
            << ", backward moves " << backward << ", living " << opps_.size() << ", stalled "
            << stalled.size() << "\n";
}

// Issue 12.1: 1,030 deals of the largest amount (9e15 KRW) sum past int64.
// The stored totals stay exact and every view answers OUT_OF_RANGE naming
// the field instead of a wrapped, negative number.
TEST_F(AggregateTest, TotalsPastInt64AreOutOfRangeNeverWrapped) {
  sv1::SetPipelineRequest pr;
  sv1::Pipeline* p = pr.mutable_pipeline();
  p->set_name("big");
  *p->add_stages() = MakeStage("commit", 100, sv1::FORECAST_CATEGORY_COMMIT);
  ASSERT_TRUE(DefinePipeline(pr).ok());
  constexpr int64_t kMax = 9'000'000'000'000'000;
  constexpr int kDeals = 1030;
  std::vector<std::string> ids;
  for (int i = 0; i < kDeals; ++i) {
    Opportunity o;
    o.set_name("deal");
    o.set_pipeline("big");
    o.set_stage("commit");
    o.mutable_amount()->set_currency_code("KRW");
    o.mutable_amount()->set_units(kMax);
    o.mutable_expected_close_date()->set_year(2026);
    o.mutable_expected_close_date()->set_month(12);
    o.mutable_expected_close_date()->set_day(1);
    ASSERT_TRUE(Create(&o).ok());
    ids.push_back(o.id());
  }
  // Stored exactly: 1030 * 9e15 = 9.27e18 > INT64_MAX.
  const auto& kv = host_.keyspace();
  auto stored = kv.find("fn/big/commit/KRW");
  ASSERT_NE(stored, kv.end());
  rapport::sfa::v1::Aggregate a;
  ASSERT_TRUE(a.ParseFromString(stored->second));
  EXPECT_EQ(rapport::sdk::ExactSum::FromParts(a.amount_units_high(), a.amount_units()).ToString(),
            "9270000000000000000");
  EXPECT_EQ(a.count(), kDeals);

  sv1::GetFunnelRequest fr;
  fr.set_pipeline("big");
  sv1::GetFunnelResponse funnel;
  Status s = Rpc("GetFunnel", fr, &funnel);
  EXPECT_EQ(s.code, RAPPORT_OUT_OF_RANGE) << s.message;
  EXPECT_NE(s.message.find("amount_units"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("9270000000000000000"), std::string::npos) << s.message;

  sv1::GetForecastRequest fq;
  fq.set_period("2026-12");
  sv1::GetForecastResponse forecast;
  s = Rpc("GetForecast", fq, &forecast);
  EXPECT_EQ(s.code, RAPPORT_OUT_OF_RANGE) << s.message;
  EXPECT_NE(s.message.find("commit_units"), std::string::npos) << s.message;
  EXPECT_EQ(forecast.rows_size(), 0);

  // Back in range once 30 deals go: the exact total, not a wrapped one.
  for (int i = 0; i < 30; ++i) Delete(ids[i]);
  ASSERT_TRUE(Rpc("GetForecast", fq, &forecast).ok());
  ASSERT_EQ(forecast.rows_size(), 1);
  EXPECT_EQ(forecast.rows(0).commit_units(), 1000 * kMax);
  EXPECT_EQ(forecast.rows(0).weighted_units(), 1000 * kMax);
  ASSERT_TRUE(Rpc("GetFunnel", fr, &funnel).ok());
  ASSERT_EQ(funnel.stages(0).totals_size(), 1);
  EXPECT_EQ(funnel.stages(0).totals(0).amount_units(), 1000 * kMax);
  EXPECT_EQ(funnel.stages(0).count(), 1000);
}

// Issue 12.2: every view answers within the caller's read scope.
TEST_F(AggregateTest, FunnelAndForecastCountOnlyWhatTheCallerMayRead) {
  sv1::SetPipelineRequest pr;
  sv1::Pipeline* p = pr.mutable_pipeline();
  p->set_name("p");
  *p->add_stages() = MakeStage("commit", 50, sv1::FORECAST_CATEGORY_COMMIT);
  ASSERT_TRUE(DefinePipeline(pr).ok());
  auto deal = [&](const std::string& owner, int64_t units) {
    Opportunity o;
    o.set_name("deal");
    o.set_owner(owner);
    o.set_pipeline("p");
    o.set_stage("commit");
    o.mutable_amount()->set_currency_code("KRW");
    o.mutable_amount()->set_units(units);
    o.mutable_expected_close_date()->set_year(2026);
    o.mutable_expected_close_date()->set_month(12);
    o.mutable_expected_close_date()->set_day(1);
    ASSERT_TRUE(Create(&o).ok());
  };
  deal("alice", 1000);
  deal("bob", 777'000'000);
  sv1::GetFunnelRequest fr;
  fr.set_pipeline("p");
  sv1::GetFunnelResponse all, mine;
  ASSERT_TRUE(Rpc("GetFunnel", fr, &all).ok());
  EXPECT_EQ(all.stages(0).count(), 2);
  EXPECT_EQ(all.stages(0).totals(0).amount_units(), 777'001'000);

  host_.SetCaller("acme", "alice", "rep");
  host_.SetScope(std::vector<std::string>{"alice"});
  ASSERT_TRUE(Rpc("GetFunnel", fr, &mine).ok());
  EXPECT_EQ(mine.stages(0).count(), 1);
  ASSERT_EQ(mine.stages(0).totals_size(), 1);
  EXPECT_EQ(mine.stages(0).totals(0).amount_units(), 1000);
  EXPECT_EQ(mine.stages(0).entered_count(), 1);

  // A manager whose subtree holds alice only: alice's row, and a team
  // roll-up of what they can read.
  host_.SetCaller("acme", "carol", "manager");
  sv1::GetForecastRequest fq;
  fq.set_period("2026-12");
  sv1::GetForecastResponse forecast;
  ASSERT_TRUE(Rpc("GetForecast", fq, &forecast).ok());
  ASSERT_EQ(forecast.rows_size(), 1);
  EXPECT_EQ(forecast.rows(0).group(), "alice");
  EXPECT_EQ(forecast.rows(0).commit_units(), 1000);
  fq.set_grouping(sv1::FORECAST_GROUPING_TEAM);
  ASSERT_TRUE(Rpc("GetForecast", fq, &forecast).ok());
  for (const auto& row : forecast.rows()) EXPECT_EQ(row.commit_units(), 1000) << row.group();

  // Snapshots hold the taker's scope: a restricted manager neither lists
  // nor reads an admin's.
  host_.SetCaller("acme", "admin", "admin");
  host_.SetScope(std::nullopt);
  sv1::CreateForecastSnapshotRequest sr;
  sr.set_period("2026-12");
  sv1::ForecastSnapshot admins;
  ASSERT_TRUE(Rpc("CreateForecastSnapshot", sr, &admins).ok());
  host_.SetCaller("acme", "carol", "manager");
  host_.SetScope(std::vector<std::string>{"alice"});
  sv1::ForecastSnapshot carols;
  ASSERT_TRUE(Rpc("CreateForecastSnapshot", sr, &carols).ok());
  ASSERT_EQ(carols.rows_size(), 1);
  EXPECT_EQ(carols.rows(0).group(), "alice");
  sv1::ListForecastSnapshotsRequest lr;
  sv1::ListForecastSnapshotsResponse listed;
  ASSERT_TRUE(Rpc("ListForecastSnapshots", lr, &listed).ok());
  ASSERT_EQ(listed.snapshots_size(), 1);
  EXPECT_EQ(listed.snapshots(0).id(), carols.id());
  sv1::GetForecastAccuracyRequest ar;
  ar.set_snapshot_id(admins.id());
  sv1::GetForecastAccuracyResponse accuracy;
  EXPECT_EQ(Rpc("GetForecastAccuracy", ar, &accuracy).code, RAPPORT_NOT_FOUND);
}

}  // namespace
}  // namespace sfatest
