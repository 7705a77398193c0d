#include "aggregates.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "keyspace.h"
#include "process.h"
#include "rapport/sdk/exact_sum.h"
#include "util.h"

namespace rapport::sfa {

namespace {

using rapport::sdk::ExactSum;
using rapport::sdk::ReadScope;

// A key's change (or, when reading, its total): amounts are exact
// 128-bit sums (rapport/sdk/exact_sum.h), so no number of deals wraps them.
struct Sum {
  int64_t count = 0;
  ExactSum amount;
  ExactSum weighted;
  int64_t micros = 0;
  bool IsZero() const { return count == 0 && amount.IsZero() && weighted.IsZero() && micros == 0; }
};
using Deltas = std::map<std::string, Sum>;

void Add(Deltas* deltas, const std::string& key, int sign, int64_t count, int64_t amount = 0,
         int64_t weighted = 0, int64_t micros = 0) {
  Sum& a = (*deltas)[key];
  a.count += sign * count;
  a.amount.Add(ExactSum(amount), sign);
  a.weighted.Add(ExactSum(weighted), sign);
  a.micros += sign * micros;
}

// What `state` of opportunity `id` adds to the sums (sign +1) or takes away
// (-1).
void Contribute(const v1::OpportunityState& s, int sign, Deltas* deltas) {
  if (!s.month().empty()) {
    Add(deltas,
        keys::Forecast(s.month(), s.owner(), s.currency_code(), s.pipeline(), s.stage(),
                       s.status()),
        sign, 1, s.amount_units(), s.weighted_units());
  }
  if (s.pipeline().empty()) return;
  const std::string& p = s.pipeline();
  Add(deltas, keys::FunnelNow(p, s.stage(), s.currency_code()), sign, 1, s.amount_units());
  for (const auto& x : s.entered_stages()) {
    Add(deltas, keys::FunnelStage(keys::kFunnelEntered, p, x), sign, 1);
  }
  for (const auto& x : s.advanced_stages()) {
    Add(deltas, keys::FunnelStage(keys::kFunnelAdvanced, p, x), sign, 1);
  }
  for (const auto& stay : s.stays()) {
    Add(deltas, keys::FunnelStage(keys::kFunnelStays, p, stay.stage()), sign, 1, 0, 0,
        stay.micros());
  }
}

std::string ActivityKey(const v1::OpportunityState& s, const std::string& id) {
  if (s.pipeline().empty() || s.status() != "o") return "";
  return keys::Activity(s.pipeline(), s.last_activity_micros(), id);
}

Sum FromStored(const v1::Aggregate& a) {
  Sum sum;
  sum.count = a.count();
  sum.amount = ExactSum::FromParts(a.amount_units_high(), a.amount_units());
  sum.weighted = ExactSum::FromParts(a.weighted_units_high(), a.weighted_units());
  sum.micros = a.total_micros();
  return sum;
}

v1::Aggregate ToStored(const Sum& sum) {
  v1::Aggregate a;
  a.set_count(sum.count);
  a.set_amount_units(sum.amount.low());
  a.set_amount_units_high(sum.amount.high());
  a.set_weighted_units(sum.weighted.low());
  a.set_weighted_units_high(sum.weighted.high());
  a.set_total_micros(sum.micros);
  return a;
}

Status ApplyDeltas(const Call& call, const Deltas& deltas) {
  for (const auto& [key, delta] : deltas) {
    if (delta.IsZero()) continue;
    Sum current;
    if (auto stored = call.Get(key)) {
      v1::Aggregate a;
      if (!a.ParseFromString(*stored)) return Status::Internal("unreadable aggregate " + key);
      current = FromStored(a);
    }
    current.count += delta.count;
    current.amount.Add(delta.amount);
    current.weighted.Add(delta.weighted);
    current.micros += delta.micros;
    Status s =
        current.IsZero() ? call.Delete(key) : call.Put(key, ToStored(current).SerializeAsString());
    if (!s.ok()) return s;
  }
  return {};
}

// The funnel and forecast sums under `prefix` that the caller may see:
// every stored aggregate when they read the whole tenant; otherwise the
// contributions of the opportunities whose owner they may read, summed from
// each opportunity's state (os/<id>) the same way the stored aggregates are.
// Keys in the result are relative to `prefix`.
std::map<std::string, Sum> VisibleSums(const Call& call, const ReadScope& scope,
                                       const std::string& prefix) {
  std::map<std::string, Sum> out;
  if (scope.all) {
    call.Scan(prefix, [&](const std::string& key, const std::string& value) {
      v1::Aggregate a;
      if (a.ParseFromString(value)) out[key.substr(prefix.size())] = FromStored(a);
      return true;
    });
    return out;
  }
  call.Scan(keys::kOpportunityStates, [&](const std::string&, const std::string& value) {
    v1::OpportunityState state;
    if (!state.ParseFromString(value) || !scope.CanRead(state.owner())) return true;
    Deltas mine;
    Contribute(state, +1, &mine);
    for (auto& [key, sum] : mine) {
      if (!StartsWith(key, prefix)) continue;
      Sum& total = out[key.substr(prefix.size())];
      total.count += sum.count;
      total.amount.Add(sum.amount);
      total.weighted.Add(sum.weighted);
      total.micros += sum.micros;
    }
    return true;
  });
  return out;
}

// `sum` as an int64 field of the answer, or OUT_OF_RANGE naming `field`.
Status Fit(const ExactSum& sum, const std::string& field, int64_t* out) {
  auto value = sum.ToInt64();
  if (!value) {
    return Status::OutOfRange(field + ": the total " + sum.ToString() +
                              " is outside the int64 range of minor units");
  }
  *out = *value;
  return {};
}

Status MoveIndex(const Call& call, const std::string& old_key, const std::string& new_key) {
  if (old_key == new_key) return {};
  if (!old_key.empty()) {
    if (Status s = call.Delete(old_key); !s.ok()) return s;
  }
  if (!new_key.empty()) return call.Put(new_key, "");
  return {};
}

std::optional<v1::OpportunityState> LoadState(const Call& call, const std::string& id) {
  auto stored = call.Get(keys::OpportunityState(id));
  if (!stored) return std::nullopt;
  v1::OpportunityState state;
  if (!state.ParseFromString(*stored)) return std::nullopt;
  return state;
}

bool Has(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

std::optional<v1::Pipeline> LoadPipeline(const Call& call, const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto stored = call.Get(keys::Pipeline(name));
  if (!stored) return std::nullopt;
  v1::Pipeline p;
  if (!p.ParseFromString(*stored)) return std::nullopt;
  return p;
}

std::vector<v1::Pipeline> LoadPipelines(const Call& call) {
  std::vector<v1::Pipeline> out;
  call.Scan(keys::kPipelines, [&](const std::string&, const std::string& value) {
    v1::Pipeline p;
    if (p.ParseFromString(value)) out.push_back(std::move(p));
    return true;
  });
  return out;
}

v1::OpportunityState NextState(const rapport::v1::Opportunity& opp,
                               const v1::OpportunityState* previous, int64_t commit_micros,
                               const v1::Pipeline* pipeline) {
  v1::OpportunityState s;
  s.set_pipeline(opp.pipeline());
  s.set_stage(opp.stage());
  s.set_status(std::string(1, StatusChar(opp.status())));
  s.set_owner(opp.owner());
  if (opp.has_amount()) {
    s.set_currency_code(opp.amount().currency_code());
    s.set_amount_units(opp.amount().units());
    s.set_weighted_units(WeightedUnits(opp.amount().units(), opp.probability()));
  }
  if (opp.has_expected_close_date() && opp.expected_close_date().year() > 0 &&
      opp.expected_close_date().month() >= 1 && opp.expected_close_date().month() <= 12) {
    s.set_month(
        MonthName(opp.expected_close_date().year() * 12 + opp.expected_close_date().month() - 1));
  }
  const bool same_pipeline = previous && previous->pipeline() == s.pipeline();
  if (same_pipeline && previous->stage() == s.stage()) {
    s.set_stage_entered_micros(previous->stage_entered_micros());
    s.set_last_activity_micros(previous->last_activity_micros());
    *s.mutable_entered_stages() = previous->entered_stages();
    *s.mutable_advanced_stages() = previous->advanced_stages();
    *s.mutable_stays() = previous->stays();
    return s;
  }
  // A stage change (or the first state).
  s.set_stage_entered_micros(commit_micros);
  s.set_last_activity_micros(previous ? std::max(previous->last_activity_micros(), commit_micros)
                                      : commit_micros);
  if (same_pipeline) {
    *s.mutable_entered_stages() = previous->entered_stages();
    *s.mutable_advanced_stages() = previous->advanced_stages();
    *s.mutable_stays() = previous->stays();
    v1::StageStay* stay = s.add_stays();
    stay->set_stage(previous->stage());
    stay->set_micros(std::max<int64_t>(0, commit_micros - previous->stage_entered_micros()));
  }
  if (s.pipeline().empty()) return s;
  const int to = pipeline ? StageIndex(*pipeline, ResolveStage(*pipeline, s.stage())) : -1;
  if (to >= 0) {
    for (const auto& x : s.entered_stages()) {
      const int from = StageIndex(*pipeline, ResolveStage(*pipeline, x));
      if (from >= 0 && from < to && !Has(s.advanced_stages(), x)) s.add_advanced_stages(x);
    }
  }
  if (!Has(s.entered_stages(), s.stage())) s.add_entered_stages(s.stage());
  return s;
}

Status ApplyOpportunityChange(const Call& call, const rapport::v1::ChangeEvent& event) {
  const std::string& id = event.resource_id();
  std::optional<v1::OpportunityState> previous = LoadState(call, id);
  if (event.operation() == rapport::v1::CHANGE_OPERATION_DELETE) {
    if (previous) {
      Deltas deltas;
      Contribute(*previous, -1, &deltas);
      if (Status s = ApplyDeltas(call, deltas); !s.ok()) return s;
      if (Status s = MoveIndex(call, ActivityKey(*previous, id), ""); !s.ok()) return s;
    }
    for (const std::string& key : keys::OfOpportunity(id)) {
      if (Status s = call.Delete(key); !s.ok()) return s;
    }
    return {};
  }
  rapport::v1::Opportunity opp;
  if (!opp.ParseFromString(event.after().value())) {
    return Status::Internal("change event " + std::to_string(event.sequence()) +
                            ": unreadable opportunity");
  }
  std::optional<v1::Pipeline> pipeline = LoadPipeline(call, opp.pipeline());
  v1::OpportunityState next =
      NextState(opp, previous ? &*previous : nullptr, ToMicros(event.commit_time()),
                pipeline ? &*pipeline : nullptr);
  return ReplaceState(call, id, previous ? &*previous : nullptr, next);
}

Status ReplaceState(const Call& call, const std::string& id, const v1::OpportunityState* previous,
                    const v1::OpportunityState& next) {
  Deltas deltas;
  std::string old_index;
  if (previous) {
    Contribute(*previous, -1, &deltas);
    old_index = ActivityKey(*previous, id);
  }
  Contribute(next, +1, &deltas);
  if (Status s = ApplyDeltas(call, deltas); !s.ok()) return s;
  if (Status s = MoveIndex(call, old_index, ActivityKey(next, id)); !s.ok()) return s;
  return call.Put(keys::OpportunityState(id), next.SerializeAsString());
}

Status RecordActivity(const Call& call, const std::string& opportunity_id, int64_t micros) {
  std::optional<v1::OpportunityState> state = LoadState(call, opportunity_id);
  if (!state || micros <= state->last_activity_micros()) return {};
  const std::string old_index = ActivityKey(*state, opportunity_id);
  state->set_last_activity_micros(micros);
  if (Status s = MoveIndex(call, old_index, ActivityKey(*state, opportunity_id)); !s.ok()) return s;
  return call.Put(keys::OpportunityState(opportunity_id), state->SerializeAsString());
}

Status BuildFunnel(const Call& call, const ReadScope& scope, const v1::Pipeline& pipeline,
                   v1::GetFunnelResponse* out) {
  out->set_pipeline(pipeline.name());
  out->set_pipeline_version(pipeline.version());
  std::map<std::string, v1::FunnelStage*> by_name;
  std::map<std::string, std::map<std::string, std::pair<int64_t, ExactSum>>> totals;
  std::map<std::string, int64_t> stay_micros;
  for (const auto& stage : pipeline.stages()) {
    v1::FunnelStage* f = out->add_stages();
    f->set_name(stage.name());
    f->set_forecast_category(stage.forecast_category());
    by_name[stage.name()] = f;
  }
  auto stage_of = [&](const std::string& raw) -> v1::FunnelStage* {
    auto it = by_name.find(ResolveStage(pipeline, raw));
    return it == by_name.end() ? nullptr : it->second;
  };
  for (const char* kind :
       {keys::kFunnelNow, keys::kFunnelEntered, keys::kFunnelAdvanced, keys::kFunnelStays}) {
    for (const auto& [key, a] :
         VisibleSums(call, scope, keys::FunnelPrefix(kind, pipeline.name()))) {
      std::vector<std::string> parts = SplitKey(key, '/');
      v1::FunnelStage* f = stage_of(parts[0]);
      if (!f) continue;
      if (kind == keys::kFunnelNow) {
        const std::string currency = parts.size() > 1 ? parts[1] : "";
        auto& [count, amount] = totals[f->name()][currency];
        count += a.count;
        amount.Add(a.amount);
        f->set_count(f->count() + a.count);
      } else if (kind == keys::kFunnelEntered) {
        f->set_entered_count(f->entered_count() + a.count);
      } else if (kind == keys::kFunnelAdvanced) {
        f->set_advanced_count(f->advanced_count() + a.count);
      } else {
        f->set_completed_stays(f->completed_stays() + a.count);
        stay_micros[f->name()] += a.micros;
      }
    }
  }
  for (auto& [name, f] : by_name) {
    for (auto& [currency, total] : totals[name]) {
      v1::CurrencyTotal* t = f->add_totals();
      t->set_currency_code(currency);
      t->set_count(total.first);
      int64_t units = 0;
      if (Status s = Fit(total.second, "stages[" + name + "].totals[" + currency + "].amount_units",
                         &units);
          !s.ok()) {
        return s;
      }
      t->set_amount_units(units);
    }
    f->set_conversion_basis_points(BasisPoints(f->advanced_count(), f->entered_count()));
    if (f->completed_stays() > 0) {
      *f->mutable_average_time_in_stage() =
          DurationFromMicros(stay_micros[name] / f->completed_stays());
    }
  }
  return {};
}

namespace {

// One forecast row's sums before they are answered as int64 fields.
struct RowSums {
  v1::ForecastRow row;  // group, currency and the counts
  ExactSum pipeline, best_case, commit, closed_won, closed_lost, omitted, weighted;
};

Status FinishRow(RowSums& sums, v1::ForecastRow* out) {
  *out = std::move(sums.row);
  const std::string at = "rows[group=" + out->group() + ",currency=" + out->currency_code() + "].";
  int64_t v = 0;
  const std::pair<const ExactSum*, void (v1::ForecastRow::*)(int64_t)> fields[] = {
      {&sums.pipeline, &v1::ForecastRow::set_pipeline_units},
      {&sums.best_case, &v1::ForecastRow::set_best_case_units},
      {&sums.commit, &v1::ForecastRow::set_commit_units},
      {&sums.closed_won, &v1::ForecastRow::set_closed_won_units},
      {&sums.closed_lost, &v1::ForecastRow::set_closed_lost_units},
      {&sums.omitted, &v1::ForecastRow::set_omitted_units},
      {&sums.weighted, &v1::ForecastRow::set_weighted_units}};
  const char* names[] = {"pipeline_units",   "best_case_units",   "commit_units",
                         "closed_won_units", "closed_lost_units", "omitted_units",
                         "weighted_units"};
  for (size_t i = 0; i < std::size(fields); ++i) {
    if (Status s = Fit(*fields[i].first, at + names[i], &v); !s.ok()) return s;
    (out->*fields[i].second)(v);
  }
  return {};
}

}  // namespace

Status BuildForecast(const Call& call, const ReadScope& scope, int first, int last,
                     v1::ForecastGrouping grouping, const std::string& currency,
                     std::vector<v1::ForecastRow>* rows) {
  std::map<std::string, std::optional<v1::Pipeline>> pipelines;
  std::map<std::string, std::vector<std::string>> groups_of_owner;
  std::map<std::pair<std::string, std::string>, RowSums> table;
  for (int month = first; month <= last; ++month) {
    const std::string prefix = keys::ForecastMonthPrefix(MonthName(month));
    call.Scan(prefix, [&](const std::string& key, const std::string& value) {
      std::vector<std::string> parts = SplitKey(key.substr(prefix.size()), '/');
      if (parts.size() != 5) return true;
      const std::string& owner = parts[0];
      const std::string& row_currency = parts[1];
      if (!currency.empty() && row_currency != currency) return true;
      // Deals of owners the caller cannot read are not in their forecast.
      if (!scope.CanRead(owner)) return true;
      v1::Aggregate stored;
      if (!stored.ParseFromString(value)) return true;
      const Sum a = FromStored(stored);
      auto pit = pipelines.find(parts[2]);
      if (pit == pipelines.end())
        pit = pipelines.emplace(parts[2], LoadPipeline(call, parts[2])).first;
      const v1::ForecastCategory category = CategoryOf(
          pit->second ? &*pit->second : nullptr, parts[3], parts[4].empty() ? 'o' : parts[4][0]);
      auto git = groups_of_owner.find(owner);
      if (git == groups_of_owner.end()) {
        std::vector<std::string> groups;
        if (grouping == v1::FORECAST_GROUPING_TEAM) {
          auto teams = call.UserTeams(owner);
          if (teams && !teams->empty()) {
            std::set<std::string> unique(teams->begin(), teams->end());
            groups.assign(unique.begin(), unique.end());
          } else {
            groups.push_back("");
          }
        } else {
          groups.push_back(owner);
        }
        git = groups_of_owner.emplace(owner, std::move(groups)).first;
      }
      for (const std::string& group : git->second) {
        RowSums& r = table[{group, row_currency}];
        r.row.set_group(group);
        r.row.set_currency_code(row_currency);
        switch (category) {
          case v1::FORECAST_CATEGORY_PIPELINE:
            r.pipeline.Add(a.amount);
            break;
          case v1::FORECAST_CATEGORY_BEST_CASE:
            r.best_case.Add(a.amount);
            break;
          case v1::FORECAST_CATEGORY_COMMIT:
            r.commit.Add(a.amount);
            break;
          case v1::FORECAST_CATEGORY_CLOSED_WON:
            r.closed_won.Add(a.amount);
            r.row.set_won_count(r.row.won_count() + a.count);
            break;
          case v1::FORECAST_CATEGORY_CLOSED_LOST:
            r.closed_lost.Add(a.amount);
            r.row.set_lost_count(r.row.lost_count() + a.count);
            break;
          default:
            r.omitted.Add(a.amount);
            break;
        }
        if (category == v1::FORECAST_CATEGORY_PIPELINE ||
            category == v1::FORECAST_CATEGORY_BEST_CASE ||
            category == v1::FORECAST_CATEGORY_COMMIT) {
          r.weighted.Add(a.weighted);
        }
        if (category != v1::FORECAST_CATEGORY_CLOSED_WON &&
            category != v1::FORECAST_CATEGORY_CLOSED_LOST) {
          r.row.set_open_count(r.row.open_count() + a.count);
        }
      }
      return true;
    });
  }
  rows->clear();
  for (auto& [key, sums] : table) {
    v1::ForecastRow row;
    if (Status s = FinishRow(sums, &row); !s.ok()) {
      rows->clear();
      return s;
    }
    rows->push_back(std::move(row));
  }
  return {};
}

Status ListStalled(const Call& call, const v1::Pipeline& pipeline, int64_t cutoff_micros,
                   int page_size, const std::string& page_token,
                   v1::ListStalledDealsResponse* out) {
  const std::string prefix = keys::ActivityPrefix(pipeline.name());
  if (!page_token.empty() && !StartsWith(page_token, prefix)) {
    return Status::Invalid("page_token: not from this pipeline's listing");
  }
  std::string last_key;
  bool more = false;
  call.Scan(prefix, [&](const std::string& key, const std::string& value) {
    (void)value;
    if (!page_token.empty() && key <= page_token) return true;
    std::vector<std::string> parts = SplitKey(key.substr(prefix.size()), '/');
    if (parts.size() != 2) return true;
    const int64_t micros = std::stoll(parts[0]);
    if (micros > cutoff_micros) return false;
    if (out->deals_size() >= page_size) {
      more = true;
      return false;
    }
    last_key = key;
    const std::string& id = parts[1];
    // Only deals the caller may read.
    if (!call.GetRecord<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, id)) return true;
    std::optional<v1::OpportunityState> state = LoadState(call, id);
    if (!state) return true;
    v1::StalledDeal* d = out->add_deals();
    d->set_opportunity_id(id);
    std::string stage = ResolveStage(pipeline, state->stage());
    d->set_stage(stage.empty() ? state->stage() : stage);
    d->set_owner(state->owner());
    if (!state->currency_code().empty()) {
      d->mutable_amount()->set_currency_code(state->currency_code());
      d->mutable_amount()->set_units(state->amount_units());
    }
    *d->mutable_last_activity_time() = TimestampFromMicros(micros);
    return true;
  });
  if (more) out->set_next_page_token(last_key);
  return {};
}

}  // namespace rapport::sfa
