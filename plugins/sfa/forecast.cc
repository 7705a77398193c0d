// File: plugins/sfa/forecast.cc
//
// Forecasts by close month (by owner or by team, per currency) read from the
// aggregates (aggregates.h, BuildForecast) within the caller's read scope;
// snapshots of them, and a snapshot's accuracy against what was won since.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aggregates.h"
#include "handler_util.h"
#include "handlers.h"
#include "keyspace.h"
#include "rapport/sdk/exact_sum.h"
#include "rapport/sdk/ids.h"
#include "util.h"

namespace rapport::sfa {

namespace {

Status CheckForecastRequest(const std::string& period, const std::string& end_period,
                            const std::string& currency, int* first, int* last) {
  if (Status s = ParsePeriodRange(period, end_period, first, last); !s.ok()) return s;
  if (!currency.empty()) return CheckCurrency("currency_code", currency);
  return {};
}

v1::ForecastGrouping Grouping(v1::ForecastGrouping g) {
  return g == v1::FORECAST_GROUPING_TEAM ? g : v1::FORECAST_GROUPING_OWNER;
}

// Admins, managers and integrations see every group; reps and viewers
// only their own row (by owner) or their teams' rows (by team).
bool SeesAllForecasts(const Call& call) {
  return call.HasRole("admin") || call.HasRole("manager") || call.HasRole("integration");
}

bool MaySeeSnapshot(const Call& call, const v1::ForecastSnapshot& snap) {
  return call.Scope().all || snap.created_by() == call.user();
}

void KeepOwnGroups(const Call& call, v1::ForecastGrouping grouping,
                   std::vector<v1::ForecastRow>* rows) {
  if (SeesAllForecasts(call)) return;
  std::set<std::string> mine = {call.user()};
  if (grouping == v1::FORECAST_GROUPING_TEAM) mine.clear();  // refused earlier; nothing if reached
  rows->erase(std::remove_if(rows->begin(), rows->end(),
                             [&](const v1::ForecastRow& r) { return mine.count(r.group()) == 0; }),
              rows->end());
}

}  // namespace

Status GetForecast(Call& call, const v1::GetForecastRequest& request,
                   v1::GetForecastResponse* out) {
  int first = 0, last = 0;
  if (Status s = CheckForecastRequest(request.period(), request.end_period(),
                                      request.currency_code(), &first, &last);
      !s.ok()) {
    return s;
  }
  // A team's row sums deals of owners a rep cannot see.
  if (Grouping(request.grouping()) == v1::FORECAST_GROUPING_TEAM && !SeesAllForecasts(call)) {
    return Status::PermissionDenied("team roll-ups are for managers and admins; ask by owner");
  }
  std::vector<v1::ForecastRow> rows;
  if (Status s = BuildForecast(call, call.Scope(), first, last, Grouping(request.grouping()),
                               request.currency_code(), &rows);
      !s.ok()) {
    return s;
  }
  KeepOwnGroups(call, Grouping(request.grouping()), &rows);
  for (auto& r : rows) *out->add_rows() = std::move(r);
  return {};
}

Status CreateForecastSnapshot(Call& call, const v1::CreateForecastSnapshotRequest& request,
                              int64_t now, v1::ForecastSnapshot* out) {
  if (!SeesAllForecasts(call)) {
    return Status::PermissionDenied("forecast snapshots are taken by managers and admins");
  }
  int first = 0, last = 0;
  if (Status s = CheckForecastRequest(request.period(), request.end_period(), "", &first, &last);
      !s.ok()) {
    return s;
  }
  std::vector<v1::ForecastRow> rows;
  const v1::ForecastGrouping grouping = Grouping(request.grouping());
  if (Status s = BuildForecast(call, call.Scope(), first, last, grouping, "", &rows); !s.ok()) {
    return s;
  }
  v1::ForecastSnapshot snap;
  snap.set_id(rapport::sdk::NewUlid(now / 1000));
  snap.set_period(request.period());
  snap.set_end_period(request.end_period());
  snap.set_grouping(grouping);
  *snap.mutable_create_time() = TimestampFromMicros(now);
  snap.set_created_by(call.user());
  for (auto& r : rows) *snap.add_rows() = std::move(r);
  if (Status s = Save(call, keys::Snapshot(snap.id()), snap); !s.ok()) return s;
  *out = std::move(snap);
  return {};
}

Status ListForecastSnapshots(Call& call, const v1::ListForecastSnapshotsRequest& request,
                             v1::ListForecastSnapshotsResponse* out) {
  call.Scan(keys::kSnapshots, [&](const std::string&, const std::string& value) {
    v1::ForecastSnapshot s;
    if (s.ParseFromString(value) && (request.period().empty() || s.period() == request.period()) &&
        MaySeeSnapshot(call, s)) {
      s.clear_rows();
      *out->add_snapshots() = std::move(s);
    }
    return true;
  });
  return {};
}

Status GetForecastAccuracy(Call& call, const v1::GetForecastAccuracyRequest& request, int64_t now,
                           v1::GetForecastAccuracyResponse* out) {
  if (!SeesAllForecasts(call)) {
    return Status::PermissionDenied("forecast accuracy is for managers and admins");
  }
  if (request.snapshot_id().empty() || request.snapshot_id().find('/') != std::string::npos) {
    return Status::Invalid("snapshot_id: is required");
  }
  auto snap = Load<v1::ForecastSnapshot>(call, keys::Snapshot(request.snapshot_id()));
  // A snapshot holds totals of the scope of whoever took it: a caller who
  // does not read the whole tenant sees only their own snapshots.
  if (!snap || !MaySeeSnapshot(call, *snap)) {
    return Status::NotFound("snapshot '" + request.snapshot_id() + "' not found");
  }
  int first = 0, last = 0;
  if (Status s = ParsePeriodRange(snap->period(), snap->end_period(), &first, &last); !s.ok()) {
    return s;
  }
  std::vector<v1::ForecastRow> now_rows;
  if (Status s = BuildForecast(call, call.Scope(), first, last, snap->grouping(), "", &now_rows);
      !s.ok()) {
    return s;
  }
  std::map<std::pair<std::string, std::string>, v1::ForecastAccuracyRow> rows;
  for (const auto& r : snap->rows()) {
    auto& a = rows[{r.group(), r.currency_code()}];
    a.set_group(r.group());
    a.set_currency_code(r.currency_code());
    a.set_forecast_commit_units(r.commit_units());
    a.set_forecast_best_case_units(r.best_case_units());
  }
  for (const auto& r : now_rows) {
    auto& a = rows[{r.group(), r.currency_code()}];
    a.set_group(r.group());
    a.set_currency_code(r.currency_code());
    a.set_actual_closed_won_units(r.closed_won_units());
  }
  for (auto& [key, a] : rows) {
    a.set_commit_accuracy_basis_points(
        BasisPoints(a.actual_closed_won_units(), a.forecast_commit_units()));
    auto forecast =
        rapport::sdk::CheckedAdd(a.forecast_commit_units(), a.forecast_best_case_units());
    if (!forecast) {
      return Status::OutOfRange("rows[group=" + a.group() + ",currency=" + a.currency_code() +
                                "]: forecast_commit_units + forecast_best_case_units is outside "
                                "the int64 range");
    }
    a.set_best_case_accuracy_basis_points(BasisPoints(a.actual_closed_won_units(), *forecast));
    *out->add_rows() = std::move(a);
  }
  // The period is over once the month after it has begun in Seoul.
  out->set_period_closed(
      rapport::sdk::PeriodContaining(rapport::sdk::PeriodKind::kMonth, now).first_month() > last);
  *out->mutable_snapshot() = std::move(*snap);
  return {};
}

}  // namespace rapport::sfa
