// File: plugins/voc/settings.cc
//
// The tenant's VOC configuration (taxonomy, rules, queues, SLA policies) and
// its business calendar. Only admins change them; a calendar change reports
// the open cases whose running deadlines it moved.
#include <string>

#include "case_state.h"
#include "case_store.h"
#include "handlers.h"
#include "holidays_kr.h"
#include "keyspace.h"
#include "rapport/sdk/time.h"
#include "sla.h"
#include "sla_timers.h"
#include "validation.h"

namespace rapport::voc {
namespace {

using rapport::sdk::ParseCivilDate;

// At most this many days in one ListHolidays answer (about ten years).
constexpr int64_t kMaxHolidayRangeDays = 3700;

Status AdminOnly(const Call& call, const std::string& what) {
  if (!call.HasRole("admin")) return Status::PermissionDenied(what + ": admins only");
  return {};
}

// The due times of a case's running clocks (0 when not running).
std::pair<int64_t, int64_t> DueTimes(const CaseRecord& record, const Calendar& calendar,
                                     int64_t now) {
  const v1::Case view = ViewCase(record, calendar, now);
  auto micros = [](const v1::SlaClock& clock) {
    return clock.has_due_time() ? rapport::sdk::ToMicros(clock.due_time()) : 0;
  };
  return {micros(view.first_response()), micros(view.resolution())};
}

void ReportMove(const std::string& id, const char* clock, int64_t before, int64_t after,
                v1::SetCalendarResponse* out) {
  if (before == after) return;
  v1::DeadlineChange* change = out->add_moved();
  change->set_case_id(id);
  change->set_clock(clock);
  if (before) *change->mutable_old_due_time() = rapport::sdk::TimestampFromMicros(before);
  if (after) *change->mutable_new_due_time() = rapport::sdk::TimestampFromMicros(after);
}

}  // namespace

Status GetSettings(Call& call, const v1::GetSettingsRequest&, int64_t, v1::Settings* out) {
  return LoadSettings(call, out);
}

Status UpdateSettings(Call& call, const v1::UpdateSettingsRequest& request, int64_t,
                      v1::Settings* out) {
  if (Status s = AdminOnly(call, "UpdateSettings"); !s.ok()) return s;
  if (request.update_mask().paths().empty()) {
    return Status::Invalid(
        "update_mask: is required (taxonomy, category_rules, queues, routing_rules, "
        "default_queue, sla_policies, user_channels, classifier_disabled, classifier_threshold, "
        "classifier_min_examples, auto_capture_kinds, shadow_teams, pause_audit_minutes)");
  }
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  if (request.expected_revision() != 0 && request.expected_revision() != settings.revision()) {
    return Status{RAPPORT_ABORTED, "settings were changed concurrently; current revision is " +
                                       std::to_string(settings.revision()) +
                                       ". Read them again and retry"};
  }
  const v1::Settings& patch = request.settings();
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "taxonomy") {
      *settings.mutable_taxonomy() = patch.taxonomy();
    } else if (path == "category_rules") {
      *settings.mutable_category_rules() = patch.category_rules();
    } else if (path == "queues") {
      *settings.mutable_queues() = patch.queues();
    } else if (path == "routing_rules") {
      *settings.mutable_routing_rules() = patch.routing_rules();
    } else if (path == "default_queue") {
      settings.set_default_queue(patch.default_queue().empty() ? "general" : patch.default_queue());
    } else if (path == "sla_policies") {
      *settings.mutable_sla_policies() = patch.sla_policies();
    } else if (path == "user_channels") {
      *settings.mutable_user_channels() = patch.user_channels();
    } else if (path == "classifier_disabled") {
      settings.set_classifier_disabled(patch.classifier_disabled());
    } else if (path == "classifier_threshold") {
      settings.set_classifier_threshold(patch.classifier_threshold());
    } else if (path == "classifier_min_examples") {
      settings.set_classifier_min_examples(patch.classifier_min_examples());
    } else if (path == "auto_capture_kinds") {
      *settings.mutable_auto_capture_kinds() = patch.auto_capture_kinds();
    } else if (path == "shadow_teams") {
      *settings.mutable_shadow_teams() = patch.shadow_teams();
    } else if (path == "pause_audit_minutes") {
      settings.set_pause_audit_minutes(patch.pause_audit_minutes());
    } else {
      return Status::Invalid("update_mask: '" + path + "' is not a settings field");
    }
  }
  if (Status s = CheckSettings(call, settings); !s.ok()) return s;
  settings.set_revision(settings.revision() + 1);
  if (Status s = call.Put(keys::kSettings, settings.SerializeAsString()); !s.ok()) return s;
  *out = std::move(settings);
  return {};
}

Status GetCalendar(Call& call, const v1::GetCalendarRequest&, int64_t, v1::BusinessCalendar* out) {
  return LoadCalendar(call, out);
}

Status SetCalendar(Call& call, const v1::SetCalendarRequest& request, int64_t now,
                   v1::SetCalendarResponse* out) {
  if (Status s = AdminOnly(call, "SetCalendar"); !s.ok()) return s;
  v1::BusinessCalendar proto = request.calendar();
  if (Status s = NormalizeCalendar(&proto); !s.ok()) return s;
  v1::BusinessCalendar old_proto;
  if (Status s = LoadCalendar(call, &old_proto); !s.ok()) return s;
  if (request.expected_revision() != 0 && request.expected_revision() != old_proto.revision()) {
    return Status{RAPPORT_ABORTED, "the calendar was changed concurrently; current revision is " +
                                       std::to_string(old_proto.revision()) +
                                       ". Read it again and retry"};
  }
  proto.set_revision(old_proto.revision() + 1);
  v1::Settings settings;
  if (Status s = LoadSettings(call, &settings); !s.ok()) return s;
  const Calendar before = BuildCalendar(old_proto);
  const Calendar after = BuildCalendar(proto);
  Status failed;
  Status s = call.Scan(keys::kOpen, [&](const std::string& key, const std::string&) {
    CaseRecord record;
    const std::string id = key.substr(sizeof(keys::kOpen) - 1);
    if (Status l = LoadCase(call, id, &record); !l.ok()) {
      failed = l;
      return false;
    }
    auto [fr_before, res_before] = DueTimes(record, before, now);
    auto [fr_after, res_after] = DueTimes(record, after, now);
    ReportMove(id, "first_response", fr_before, fr_after, out);
    ReportMove(id, "resolution", res_before, res_after, out);
    if (fr_before != fr_after || res_before != res_after) {
      if (Status t = ScheduleSlaTimers(call, record, after, settings, now); !t.ok()) {
        failed = t;
        return false;
      }
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  if (Status p = call.Put(keys::kCalendar, proto.SerializeAsString()); !p.ok()) return p;
  *out->mutable_calendar() = std::move(proto);
  return {};
}

Status ListHolidays(Call& call, const v1::ListHolidaysRequest& request, int64_t,
                    v1::ListHolidaysResponse* out) {
  int64_t from, to;
  if (!ParseCivilDate(request.from_date(), &from)) {
    return Status::Invalid("from_date: '" + request.from_date() + "' is not a date (YYYY-MM-DD)");
  }
  if (!ParseCivilDate(request.to_date(), &to)) {
    return Status::Invalid("to_date: '" + request.to_date() + "' is not a date (YYYY-MM-DD)");
  }
  if (to < from) return Status::Invalid("to_date: is before from_date");
  if (to - from > kMaxHolidayRangeDays) {
    return Status::Invalid("to_date: at most about ten years (3700 days) after from_date");
  }
  v1::BusinessCalendar calendar;
  if (Status s = LoadCalendar(call, &calendar); !s.ok()) return s;
  std::set<int64_t> working;
  for (const std::string& d : calendar.working_days()) {
    int64_t day;
    if (ParseCivilDate(d, &day)) working.insert(day);
  }
  std::vector<v1::Holiday> all;
  if (calendar.public_holidays() == "KR") {
    for (const KoreanHoliday& h : KoreanPublicHolidays()) {
      if (h.day < from || h.day > to || working.count(h.day)) continue;
      v1::Holiday& out_h = all.emplace_back();
      out_h.set_date(rapport::sdk::FormatCivilDate(h.day));
      out_h.set_name(h.name);
      out_h.set_source("KR");
    }
  }
  for (const v1::Holiday& h : calendar.extra_holidays()) {
    int64_t day;
    if (ParseCivilDate(h.date(), &day) && day >= from && day <= to) all.push_back(h);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const v1::Holiday& a, const v1::Holiday& b) { return a.date() < b.date(); });
  for (v1::Holiday& h : all) *out->add_holidays() = std::move(h);
  return {};
}

}  // namespace rapport::voc
