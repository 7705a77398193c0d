// File: plugins/voc/calendar.cc
#include "calendar.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "holidays_kr.h"
#include "rapport/sdk/text.h"
#include "rapport/sdk/time.h"

namespace rapport::voc {
namespace {

using rapport::sdk::IsoWeekday;
using rapport::sdk::kMicrosPerMinute;
using rapport::sdk::ParseCivilDate;

constexpr int kMinutesPerDay = 24 * 60;
// How far the arithmetic looks for working time before giving up.
constexpr int64_t kHorizonDays = 50 * 366;

std::string HourText(int minute) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", minute / 60, minute % 60);
  return buffer;
}

Status CheckHours(v1::BusinessCalendar* proto) {
  bool seen[8] = {};
  bool any = false;
  for (int i = 0; i < proto->working_hours_size(); ++i) {
    v1::WorkingHours* day = proto->mutable_working_hours(i);
    const std::string field = "calendar.working_hours[" + std::to_string(i) + "]";
    if (day->weekday() < 1 || day->weekday() > 7) {
      return Status::Invalid(field + ".weekday: " + std::to_string(day->weekday()) +
                             " is not an ISO weekday (1 Monday .. 7 Sunday)");
    }
    if (seen[day->weekday()]) {
      return Status::Invalid(field + ".weekday: weekday " + std::to_string(day->weekday()) +
                             " is listed twice");
    }
    seen[day->weekday()] = true;
    for (int j = 0; j < day->intervals_size(); ++j) {
      const auto& interval = day->intervals(j);
      const std::string at = field + ".intervals[" + std::to_string(j) + "]";
      if (interval.start_minute() < 0 || interval.start_minute() >= kMinutesPerDay) {
        return Status::Invalid(at + ".start_minute: " + std::to_string(interval.start_minute()) +
                               " is outside 0..1439");
      }
      if (interval.end_minute() > kMinutesPerDay) {
        return Status::Invalid(at + ".end_minute: " + std::to_string(interval.end_minute()) +
                               " is past midnight (at most 1440)");
      }
      if (interval.end_minute() <= interval.start_minute()) {
        return Status::Invalid(at + ": ends (" + HourText(interval.end_minute()) +
                               ") before it starts (" + HourText(interval.start_minute()) + ")");
      }
    }
    std::sort(day->mutable_intervals()->begin(), day->mutable_intervals()->end(),
              [](const auto& a, const auto& b) { return a.start_minute() < b.start_minute(); });
    for (int j = 1; j < day->intervals_size(); ++j) {
      const auto& a = day->intervals(j - 1);
      const auto& b = day->intervals(j);
      if (b.start_minute() < a.end_minute()) {
        return Status::Invalid(field + ".intervals: " + HourText(a.start_minute()) + "-" +
                               HourText(a.end_minute()) + " and " + HourText(b.start_minute()) +
                               "-" + HourText(b.end_minute()) + " overlap");
      }
    }
    any = any || day->intervals_size() > 0;
  }
  if (!any) {
    return Status::Invalid("calendar.working_hours: at least one working interval is required");
  }
  std::sort(proto->mutable_working_hours()->begin(), proto->mutable_working_hours()->end(),
            [](const auto& a, const auto& b) { return a.weekday() < b.weekday(); });
  return {};
}

}  // namespace

bool ParseTimeZone(const std::string& zone, int* utc_offset_minutes) {
  if (zone == "Asia/Seoul") {
    *utc_offset_minutes = rapport::sdk::kSeoulUtcOffsetMinutes;
    return true;
  }
  if (zone == "UTC") {
    *utc_offset_minutes = 0;
    return true;
  }
  // UTC+HH:MM / UTC-HH:MM
  if (zone.size() != 9 || zone.compare(0, 3, "UTC") != 0 || (zone[3] != '+' && zone[3] != '-') ||
      zone[6] != ':') {
    return false;
  }
  for (int i : {4, 5, 7, 8}) {
    if (zone[i] < '0' || zone[i] > '9') return false;
  }
  const int hours = (zone[4] - '0') * 10 + (zone[5] - '0');
  const int minutes = (zone[7] - '0') * 10 + (zone[8] - '0');
  if (minutes >= 60) return false;
  const int offset = (zone[3] == '-' ? -1 : 1) * (hours * 60 + minutes);
  if (offset < rapport::sdk::kMinUtcOffsetMinutes || offset > rapport::sdk::kMaxUtcOffsetMinutes) {
    return false;
  }
  *utc_offset_minutes = offset;
  return true;
}

v1::BusinessCalendar DefaultCalendar() {
  v1::BusinessCalendar c;
  c.set_time_zone("Asia/Seoul");
  for (int weekday = 1; weekday <= 5; ++weekday) {
    v1::WorkingHours* day = c.add_working_hours();
    day->set_weekday(weekday);
    auto* interval = day->add_intervals();
    interval->set_start_minute(9 * 60);
    interval->set_end_minute(18 * 60);
  }
  c.set_public_holidays("KR");
  c.set_holiday_table_version(kKoreanHolidayTableVersion);
  return c;
}

Status NormalizeCalendar(v1::BusinessCalendar* proto) {
  if (proto->time_zone().empty()) proto->set_time_zone("Asia/Seoul");
  int offset = 0;
  if (!ParseTimeZone(proto->time_zone(), &offset)) {
    return Status::Invalid("calendar.time_zone: unknown time zone '" + proto->time_zone() +
                           "' (use Asia/Seoul, UTC or a fixed offset such as UTC+09:00; zones "
                           "with daylight saving time are not supported)");
  }
  if (Status s = CheckHours(proto); !s.ok()) return s;
  if (proto->public_holidays().empty()) proto->set_public_holidays("KR");
  if (proto->public_holidays() != "KR" && proto->public_holidays() != "NONE") {
    return Status::Invalid("calendar.public_holidays: '" + proto->public_holidays() +
                           "' is not a holiday table (KR or NONE)");
  }
  std::set<int64_t> seen;
  for (int i = 0; i < proto->extra_holidays_size(); ++i) {
    v1::Holiday* h = proto->mutable_extra_holidays(i);
    int64_t day;
    const std::string field = "calendar.extra_holidays[" + std::to_string(i) + "]";
    if (!ParseCivilDate(h->date(), &day)) {
      return Status::Invalid(field + ".date: '" + h->date() + "' is not a date (YYYY-MM-DD)");
    }
    if (!seen.insert(day).second) {
      return Status::Invalid(field + ".date: " + h->date() + " is listed twice");
    }
    if (rapport::sdk::CodePoints(h->name()) > rapport::sdk::kMaxNameChars) {
      return Status::Invalid(field + ".name: at most 200 characters");
    }
    h->set_source("tenant");
  }
  std::sort(proto->mutable_extra_holidays()->begin(), proto->mutable_extra_holidays()->end(),
            [](const auto& a, const auto& b) { return a.date() < b.date(); });
  seen.clear();
  for (int i = 0; i < proto->working_days_size(); ++i) {
    int64_t day;
    const std::string field = "calendar.working_days[" + std::to_string(i) + "]";
    if (!ParseCivilDate(proto->working_days(i), &day)) {
      return Status::Invalid(field + ": '" + proto->working_days(i) +
                             "' is not a date (YYYY-MM-DD)");
    }
    if (!seen.insert(day).second) {
      return Status::Invalid(field + ": " + proto->working_days(i) + " is listed twice");
    }
  }
  std::sort(proto->mutable_working_days()->begin(), proto->mutable_working_days()->end());
  proto->set_holiday_table_version(kKoreanHolidayTableVersion);
  return {};
}

Calendar BuildCalendar(const v1::BusinessCalendar& proto) {
  Calendar c;
  ParseTimeZone(proto.time_zone(), &c.utc_offset_minutes);
  for (const auto& day : proto.working_hours()) {
    for (const auto& interval : day.intervals()) {
      c.hours[day.weekday()].emplace_back(interval.start_minute(), interval.end_minute());
    }
  }
  if (proto.public_holidays() == "KR") {
    for (const KoreanHoliday& h : KoreanPublicHolidays()) c.days_off.insert(h.day);
  }
  for (const auto& h : proto.extra_holidays()) {
    int64_t day;
    if (ParseCivilDate(h.date(), &day)) c.days_off.insert(day);
  }
  for (const auto& text : proto.working_days()) {
    int64_t day;
    if (ParseCivilDate(text, &day)) c.days_off.erase(day);
  }
  return c;
}

namespace {

// Working [start, end) instants (UTC micros) of local day `day`.
template <typename Fn>
void ForEachInterval(const Calendar& c, int64_t day, Fn&& fn) {
  if (c.days_off.count(day)) return;
  const int64_t day_start = rapport::sdk::LocalDayStartMicros(day, c.utc_offset_minutes);
  for (const auto& [start, end] : c.hours[IsoWeekday(day)]) {
    if (!fn(day_start + start * kMicrosPerMinute, day_start + end * kMicrosPerMinute)) return;
  }
}

}  // namespace

int64_t AddBusinessMicros(const Calendar& calendar, int64_t from, int64_t amount) {
  if (amount <= 0) return from;
  int64_t remaining = amount;
  int64_t result = std::numeric_limits<int64_t>::max();
  const int64_t first = rapport::sdk::LocalDay(from, calendar.utc_offset_minutes);
  for (int64_t day = first; day < first + kHorizonDays; ++day) {
    bool done = false;
    ForEachInterval(calendar, day, [&](int64_t start, int64_t end) {
      if (end <= from) return true;
      const int64_t s = std::max(start, from);
      if (end - s >= remaining) {
        result = s + remaining;
        done = true;
        return false;
      }
      remaining -= end - s;
      return true;
    });
    if (done) return result;
  }
  return result;
}

int64_t BusinessMicrosBetween(const Calendar& calendar, int64_t from, int64_t to) {
  if (to <= from) return 0;
  int64_t total = 0;
  const int64_t first = rapport::sdk::LocalDay(from, calendar.utc_offset_minutes);
  const int64_t last = rapport::sdk::LocalDay(to - 1, calendar.utc_offset_minutes);
  for (int64_t day = first; day <= last; ++day) {
    ForEachInterval(calendar, day, [&](int64_t start, int64_t end) {
      const int64_t s = std::max(start, from);
      const int64_t e = std::min(end, to);
      if (e > s) total += e - s;
      return true;
    });
  }
  return total;
}

}  // namespace rapport::voc
