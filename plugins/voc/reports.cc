// File: plugins/voc/reports.cc
#include "reports.h"

#include <algorithm>
#include <map>
#include <vector>

#include "case_state.h"
#include "keyspace.h"
#include "rapport/sdk/keys.h"
#include "rapport/sdk/time.h"
#include "sla.h"

namespace rapport::voc {
namespace {

using rapport::sdk::FormatCivilDate;
using rapport::sdk::kMicrosPerMinute;
using rapport::sdk::ToMicros;

// The longest report range, in days.
constexpr int64_t kMaxReportDays = 366;

std::string DateOf(int64_t micros, const Calendar& calendar) {
  return FormatCivilDate(rapport::sdk::LocalDay(micros, calendar.utc_offset_minutes));
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// The counters a case's current state holds one of.
std::vector<std::string> StateKeys(const v1::Case& c) {
  std::vector<std::string> keys;
  keys.push_back(keys::kCapturedByDate + c.create_date() + "/" + OrDash(c.category()));
  if (IsOpen(c.status())) {
    keys.push_back(keys::kOpenByCategory + OrDash(c.category()));
    keys.push_back(keys::kOpenByQueue + OrDash(c.queue()));
    keys.push_back(keys::kOpenByDate + c.create_date());
  }
  return keys;
}

int Bucket(int64_t minutes) {
  int b = 0;
  while (b + 1 < kHistogramBuckets && minutes >= kHistogramBounds[b + 1]) ++b;
  return b;
}

// Counts a clock that stopped at this event: met or breached (with a
// target) and its business minutes.
void CountStop(const v1::SlaClock& clock, int64_t elapsed, const std::string& date,
               const char* code, std::map<std::string, int64_t>* deltas) {
  if (clock.target_minutes() > 0) {
    (*deltas)[keys::kSlaByDate + date + "/" + code + (clock.breached() ? "/b" : "/m")] += 1;
  }
  (*deltas)[keys::kHistogramByDate + date + "/" + code + "/" +
            rapport::sdk::ZeroPad(Bucket(elapsed / kMicrosPerMinute), 2)] += 1;
}

// Sums counters under `prefix` whose next key part (a date) is in
// [from, to], by the rest of the key.
Status SumByDate(const Call& call, const std::string& prefix, const std::string& from,
                 const std::string& to, std::map<std::string, int64_t>* out) {
  return ScanCounters(call, prefix, [&](const std::string& rest, int64_t n) {
    const std::string date = rest.substr(0, 10);
    if (date > to) return false;  // keys sort by date
    if (date >= from && rest.size() >= 12) (*out)[rest.substr(11)] += n;
    return true;
  });
}

Status Counters(const Call& call, const std::string& prefix, std::map<std::string, int64_t>* out) {
  return ScanCounters(call, prefix, [&](const std::string& rest, int64_t n) {
    if (n != 0) (*out)[rest] = n;
    return true;
  });
}

void AddCounts(const std::map<std::string, int64_t>& counts,
               google::protobuf::RepeatedPtrField<v1::Report::Count>* out) {
  for (const auto& [key, n] : counts) {
    v1::Report::Count* c = out->Add();
    c->set_key(key);
    c->set_count(n);
  }
}

int64_t Median(const std::vector<int64_t>& histogram) {
  int64_t total = 0;
  for (int64_t n : histogram) total += n;
  if (total == 0) return 0;
  const double half = static_cast<double>(total) / 2.0;
  double seen = 0;
  for (int b = 0; b < kHistogramBuckets; ++b) {
    const double n = static_cast<double>(histogram[b]);
    if (seen + n >= half && n > 0) {
      if (b + 1 == kHistogramBuckets) return kHistogramBounds[b];
      const double lo = static_cast<double>(kHistogramBounds[b]);
      const double hi = static_cast<double>(kHistogramBounds[b + 1]);
      return static_cast<int64_t>(lo + (hi - lo) * (half - seen) / n);
    }
    seen += n;
  }
  return kHistogramBounds[kHistogramBuckets - 1];
}

}  // namespace

Status CountForReports(const Call& call, const CaseRecord& record, const Calendar& calendar) {
  if (record.current.shadow()) return {};  // shadow cases stay out of reports
  std::map<std::string, int64_t> deltas;
  if (record.before) {
    for (const std::string& k : StateKeys(*record.before)) deltas[k] -= 1;
  } else {
    // A new case: its creator's teams captured it.
    if (auto teams = call.UserTeams(record.current.creator())) {
      for (const std::string& team : *teams) {
        deltas[keys::kTeamCasesByDate + record.current.create_date() + "/" + team] += 1;
      }
    }
  }
  for (const std::string& k : StateKeys(record.current)) deltas[k] += 1;
  // Clocks that stop at a new event, and CSAT.
  for (size_t i = record.stored_events; i < record.events.size(); ++i) {
    const v1::CaseEvent& e = record.events[i];
    const int64_t at = ToMicros(e.time());
    const std::string date = DateOf(at, calendar);
    if (e.kind() == v1::CaseEvent::KIND_AGENT_REPLIED ||
        (e.kind() == v1::CaseEvent::KIND_STATUS_CHANGED && !IsOpen(e.to_status()))) {
      const std::vector<v1::CaseEvent> upto(record.events.begin(), record.events.begin() + i);
      const std::vector<v1::CaseEvent> with(record.events.begin(), record.events.begin() + i + 1);
      const Clocks before = ReplayClocks(calendar, upto, at);
      const Clocks after = ReplayClocks(calendar, with, at);
      if (!before.first_response.has_stop_time() && after.first_response.has_stop_time()) {
        CountStop(after.first_response, after.first_response_elapsed, date, "fr", &deltas);
      }
      if (e.kind() == v1::CaseEvent::KIND_STATUS_CHANGED &&
          e.to_status() == v1::CASE_STATUS_SOLVED) {
        CountStop(after.resolution, after.resolution_elapsed, date, "res", &deltas);
      }
    }
    if (e.kind() == v1::CaseEvent::KIND_STATUS_CHANGED && Pauses(e.to_status())) {
      deltas[keys::kPausesByDate + date + "/" + OrDash(e.actor())] += 1;
      if (e.pause_flagged())
        deltas[keys::kFlaggedPausesByDate + date + "/" + OrDash(e.actor())] += 1;
    }
    if (e.kind() == v1::CaseEvent::KIND_STATUS_CHANGED && Pauses(e.from_status())) {
      // The pause ends: its business minutes go to whoever began it.
      for (size_t j = i; j-- > 0;) {
        const v1::CaseEvent& p = record.events[j];
        if (p.kind() != v1::CaseEvent::KIND_STATUS_CHANGED || !Pauses(p.to_status())) continue;
        const int64_t minutes =
            BusinessMicrosBetween(calendar, ToMicros(p.time()), at) / kMicrosPerMinute;
        deltas[keys::kPausedMinutesByDate + date + "/" + OrDash(p.actor())] += minutes;
        break;
      }
    }
    if (e.kind() == v1::CaseEvent::KIND_CSAT) {
      deltas[keys::kCsatByDate + date + "/" + std::to_string(e.csat_rating())] += 1;
      // A second rating replaces the first.
      for (size_t j = i; j-- > 0;) {
        const v1::CaseEvent& p = record.events[j];
        if (p.kind() != v1::CaseEvent::KIND_CSAT) continue;
        deltas[keys::kCsatByDate + DateOf(ToMicros(p.time()), calendar) + "/" +
               std::to_string(p.csat_rating())] -= 1;
        break;
      }
    }
  }
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    if (Status s = call.Increment(key, delta); !s.ok()) return s;
  }
  return {};
}

Status CountInbound(const Call& call, const rapport::v1::Interaction& interaction,
                    const Calendar& calendar, int64_t commit_micros) {
  if (interaction.direction() != rapport::v1::INTERACTION_DIRECTION_INBOUND) return {};
  auto teams = call.UserTeams(interaction.owner());
  if (!teams) return {};
  const int64_t at =
      interaction.has_occurred_at() ? ToMicros(interaction.occurred_at()) : commit_micros;
  for (const std::string& team : *teams) {
    if (Status s = call.Increment(keys::kTeamInboundByDate + DateOf(at, calendar) + "/" + team, 1);
        !s.ok()) {
      return s;
    }
  }
  return {};
}

Status GetReport(Call& call, const v1::GetReportRequest& request, int64_t now, v1::Report* out) {
  if (!call.HasRole("admin") && !call.HasRole("manager")) {
    return Status::PermissionDenied("GetReport: admins and managers only");
  }
  v1::BusinessCalendar calendar_proto;
  if (Status s = LoadCalendar(call, &calendar_proto); !s.ok()) return s;
  const Calendar calendar = BuildCalendar(calendar_proto);
  const int64_t today = rapport::sdk::LocalDay(now, calendar.utc_offset_minutes);
  int64_t to = today, from = today - 27;
  if (!request.to_date().empty() && !rapport::sdk::ParseCivilDate(request.to_date(), &to)) {
    return Status::Invalid("to_date: '" + request.to_date() + "' is not a date (YYYY-MM-DD)");
  }
  if (request.from_date().empty()) {
    from = to - 27;
  } else if (!rapport::sdk::ParseCivilDate(request.from_date(), &from)) {
    return Status::Invalid("from_date: '" + request.from_date() + "' is not a date (YYYY-MM-DD)");
  }
  if (to < from) return Status::Invalid("to_date: is before from_date");
  if (to - from + 1 > kMaxReportDays) {
    return Status::Invalid("to_date: a report covers at most 366 days");
  }
  const std::string from_date = FormatCivilDate(from), to_date = FormatCivilDate(to);
  out->set_from_date(from_date);
  out->set_to_date(to_date);

  std::map<std::string, int64_t> counts;
  if (Status s = Counters(call, keys::kOpenByCategory, &counts); !s.ok()) return s;
  AddCounts(counts, out->mutable_open_by_category());
  counts.clear();
  if (Status s = Counters(call, keys::kOpenByQueue, &counts); !s.ok()) return s;
  AddCounts(counts, out->mutable_open_by_queue());
  counts.clear();
  if (Status s = Counters(call, keys::kOpenByDate, &counts); !s.ok()) return s;
  std::map<std::string, int64_t> ages = {
      {"0-1d", 0}, {"1-3d", 0}, {"3-7d", 0}, {"7-30d", 0}, {"30d+", 0}};
  for (const auto& [date, n] : counts) {
    int64_t day;
    if (!rapport::sdk::ParseCivilDate(date, &day)) continue;
    const int64_t age = today - day;
    ages[age < 1 ? "0-1d" : age < 3 ? "1-3d" : age < 7 ? "3-7d" : age < 30 ? "7-30d" : "30d+"] += n;
  }
  for (const char* bucket : {"0-1d", "1-3d", "3-7d", "7-30d", "30d+"}) {
    v1::Report::Count* c = out->add_open_by_age();
    c->set_key(bucket);
    c->set_count(ages[bucket]);
  }

  std::map<std::string, int64_t> sla, histogram;
  if (Status s = SumByDate(call, keys::kSlaByDate, from_date, to_date, &sla); !s.ok()) return s;
  if (Status s = SumByDate(call, keys::kHistogramByDate, from_date, to_date, &histogram); !s.ok()) {
    return s;
  }
  for (const auto& [code, name] : {std::pair{"fr", "first_response"}, {"res", "resolution"}}) {
    v1::Report::Sla* r = out->add_sla();
    r->set_clock(name);
    r->set_met(sla[std::string(code) + "/m"]);
    r->set_breached(sla[std::string(code) + "/b"]);
    if (r->met() + r->breached() > 0) {
      r->set_attainment(static_cast<double>(r->met()) /
                        static_cast<double>(r->met() + r->breached()));
    }
    std::vector<int64_t> h(kHistogramBuckets, 0);
    for (int b = 0; b < kHistogramBuckets; ++b) {
      h[b] = histogram[std::string(code) + "/" + rapport::sdk::ZeroPad(b, 2)];
      r->add_histogram(h[b]);
    }
    r->set_median_minutes(Median(h));
  }

  std::map<std::string, int64_t> csat;
  if (Status s = SumByDate(call, keys::kCsatByDate, from_date, to_date, &csat); !s.ok()) return s;
  int64_t responses = 0, points = 0;
  for (int rating = 1; rating <= 5; ++rating) {
    const int64_t n = csat[std::to_string(rating)];
    out->add_csat_distribution(n);
    responses += n;
    points += n * rating;
  }
  out->set_csat_responses(responses);
  if (responses > 0) out->set_csat_average(static_cast<double>(points) / responses);

  std::map<std::string, int64_t> this_week, last_week;
  if (Status s =
          SumByDate(call, keys::kCapturedByDate, FormatCivilDate(to - 6), to_date, &this_week);
      !s.ok()) {
    return s;
  }
  if (Status s = SumByDate(call, keys::kCapturedByDate, FormatCivilDate(to - 13),
                           FormatCivilDate(to - 7), &last_week);
      !s.ok()) {
    return s;
  }
  std::map<std::string, bool> categories;
  for (const auto& [c, n] : this_week) categories[c] = true;
  for (const auto& [c, n] : last_week) categories[c] = true;
  for (const auto& [category, unused] : categories) {
    v1::Report::Trend* t = out->add_categories_week_over_week();
    t->set_category(category);
    t->set_this_week(this_week[category]);
    t->set_last_week(last_week[category]);
  }
  std::stable_sort(out->mutable_categories_week_over_week()->begin(),
                   out->mutable_categories_week_over_week()->end(),
                   [](const v1::Report::Trend& a, const v1::Report::Trend& b) {
                     return a.this_week() - a.last_week() > b.this_week() - b.last_week();
                   });

  std::map<std::string, int64_t> team_cases, team_inbound;
  if (Status s = SumByDate(call, keys::kTeamCasesByDate, from_date, to_date, &team_cases);
      !s.ok()) {
    return s;
  }
  if (Status s = SumByDate(call, keys::kTeamInboundByDate, from_date, to_date, &team_inbound);
      !s.ok()) {
    return s;
  }
  std::map<std::string, bool> teams;
  for (const auto& [t, n] : team_cases) teams[t] = true;
  for (const auto& [t, n] : team_inbound) teams[t] = true;
  for (const auto& [team, unused] : teams) {
    v1::Report::TeamCapture* t = out->add_capture_by_team();
    t->set_team(team);
    t->set_cases(team_cases[team]);
    t->set_inbound_interactions(team_inbound[team]);
    if (t->inbound_interactions() > 0) {
      t->set_capture_rate(static_cast<double>(t->cases()) /
                          static_cast<double>(t->inbound_interactions()));
    }
  }
  std::map<std::string, int64_t> pauses, flagged, paused;
  for (auto [prefix, into] : {std::pair{keys::kPausesByDate, &pauses},
                              {keys::kFlaggedPausesByDate, &flagged},
                              {keys::kPausedMinutesByDate, &paused}}) {
    if (Status s = SumByDate(call, prefix, from_date, to_date, into); !s.ok()) return s;
  }
  std::map<std::string, bool> agents;
  for (const auto* m : {&pauses, &flagged, &paused}) {
    for (const auto& [agent, n] : *m) agents[agent] = true;
  }
  for (const auto& [agent, unused] : agents) {
    v1::Report::PauseAudit* a = out->add_pause_audit();
    a->set_agent(agent);
    a->set_pauses(pauses[agent]);
    a->set_flagged(flagged[agent]);
    a->set_paused_minutes(paused[agent]);
  }
  return {};
}

}  // namespace rapport::voc
