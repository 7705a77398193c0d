// Fake-host unit tests of forecasts, snapshots and accuracy (forecast.cc).
#include "sfa_test_util.h"

namespace sfatest {
namespace {

TEST_F(EnforcementTest, ForecastPeriodsMustBeBoundedAndOrdered) {
  sv1::GetForecastRequest r;
  sv1::GetForecastResponse out;
  Status s = Rpc("GetForecast", r, &out);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "period: is required (a forecast needs a bounded period)");
  r.set_period("2026-Q4");
  r.set_end_period("2026-03");
  EXPECT_EQ(Rpc("GetForecast", r, &out).message,
            "end_period: '2026-03' is before period '2026-Q4'");
  r.set_end_period("2030-01");
  EXPECT_HAS(Rpc("GetForecast", r, &out).message, "longer than 36 months");
  r.set_end_period("");
  for (const char* bad : {"2026", "2026-13", "2026-Q5", "26-11", "2026/11", "Q4-2026"}) {
    r.set_period(bad);
    EXPECT_EQ(Rpc("GetForecast", r, &out).code, RAPPORT_INVALID_ARGUMENT) << bad;
  }
  r.set_period("2026-11");
  r.set_currency_code("won");
  EXPECT_EQ(Rpc("GetForecast", r, &out).message,
            "currency_code: 'won' is not an ISO 4217 currency code; codes are upper-case, e.g. "
            "'WON'");
}

// SFA checks currencies against the core's ISO 4217 table
// (rapport/sdk/money.h); it used to take any three capital letters.
TEST_F(EnforcementTest, ForecastCurrencyMustBeAnIso4217Code) {
  sv1::GetForecastRequest r;
  r.set_period("2026-11");
  sv1::GetForecastResponse out;
  for (const char* made_up : {"ABC", "XYZ"}) {
    r.set_currency_code(made_up);
    Status s = Rpc("GetForecast", r, &out);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << made_up;
    EXPECT_EQ(s.message,
              std::string("currency_code: '") + made_up + "' is not an ISO 4217 currency code");
  }
  r.set_currency_code("XAU");  // gold: ISO, but no minor unit
  EXPECT_HAS(Rpc("GetForecast", r, &out).message, "currency_code: 'XAU' has no minor unit");
  for (const char* real : {"KRW", "USD", "JPY"}) {
    r.set_currency_code(real);
    EXPECT_TRUE(Rpc("GetForecast", r, &out).ok()) << real;
  }
}

// Snapshot ids are ULIDs from the SDK's monotonic generator: taken in the same
// millisecond, they still sort in the order they were taken.
TEST_F(EnforcementTest, SnapshotIdsIncreaseWithinAMillisecond) {
  host_.SetCaller("acme", "admin", "admin");
  sv1::CreateForecastSnapshotRequest sr;
  sr.set_period("2026-Q4");
  std::string previous;
  for (int i = 0; i < 100; ++i) {
    sv1::ForecastSnapshot snap;
    ASSERT_TRUE(Rpc("CreateForecastSnapshot", sr, &snap).ok());
    ASSERT_EQ(snap.id().size(), 26u);
    EXPECT_LT(previous, snap.id()) << "snapshot " << i;
    previous = snap.id();
  }
}

TEST_F(EnforcementTest, ForecastSnapshotAndAccuracy) {
  Opportunity opp;
  opp.set_name("big");
  opp.mutable_amount()->set_currency_code("KRW");
  opp.mutable_amount()->set_units(1000000);
  opp.mutable_expected_close_date()->set_year(2026);
  opp.mutable_expected_close_date()->set_month(11);
  (*opp.mutable_attributes())["decision_maker"].set_string_value("CEO");
  opp.set_stage("negotiation");
  ASSERT_TRUE(Create(&opp).ok());
  Opportunity usd = opp;
  usd.clear_id();
  usd.mutable_amount()->set_currency_code("USD");
  usd.mutable_amount()->set_units(5000);
  usd.set_owner("jiwoo");
  ASSERT_TRUE(Create(&usd).ok());

  sv1::GetForecastRequest fr;
  fr.set_period("2026-Q4");
  sv1::GetForecastResponse f;
  ASSERT_TRUE(Rpc("GetForecast", fr, &f).ok());
  ASSERT_EQ(f.rows_size(), 2);  // never summed across currencies
  EXPECT_EQ(f.rows(0).group(), "jiwoo");
  EXPECT_EQ(f.rows(0).currency_code(), "USD");
  EXPECT_EQ(f.rows(1).commit_units(), 1000000);
  EXPECT_EQ(f.rows(1).weighted_units(), 700000);
  fr.set_grouping(sv1::FORECAST_GROUPING_TEAM);
  ASSERT_TRUE(Rpc("GetForecast", fr, &f).ok());
  ASSERT_EQ(f.rows_size(), 4);  // sales and seoul, KRW and USD
  EXPECT_EQ(f.rows(0).group(), "sales");

  sv1::CreateForecastSnapshotRequest sr;
  sr.set_period("2026-Q4");
  sv1::ForecastSnapshot snap;
  ASSERT_TRUE(Rpc("CreateForecastSnapshot", sr, &snap).ok());
  ASSERT_TRUE(Update(opp.id(), [](Opportunity* o) {
                o->set_stage("won");
                o->set_close_reason("signed");
                o->mutable_amount()->set_units(800000);
              }).ok());
  sv1::GetForecastAccuracyRequest ar;
  ar.set_snapshot_id(snap.id());
  sv1::GetForecastAccuracyResponse acc;
  ASSERT_TRUE(Rpc("GetForecastAccuracy", ar, &acc).ok());
  ASSERT_EQ(acc.rows_size(), 2);
  EXPECT_EQ(acc.rows(0).group(), "jiwoo");
  EXPECT_EQ(acc.rows(1).forecast_commit_units(), 1000000);
  EXPECT_EQ(acc.rows(1).actual_closed_won_units(), 800000);
  EXPECT_EQ(acc.rows(1).commit_accuracy_basis_points(), 8000);
  EXPECT_FALSE(acc.period_closed());
  sv1::ListForecastSnapshotsRequest lr;
  lr.set_period("2026-Q4");
  sv1::ListForecastSnapshotsResponse list;
  ASSERT_TRUE(Rpc("ListForecastSnapshots", lr, &list).ok());
  EXPECT_EQ(list.snapshots_size(), 1);
}

}  // namespace
}  // namespace sfatest
