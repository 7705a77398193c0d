// File: plugins/voc/calendar.h
//
// A tenant's business calendar and the business-time arithmetic the SLA
// clocks run on: working hours per weekday in one time zone, minus public
// holidays (holidays_kr.h) and the tenant's own days off. Pure functions of
// their arguments; times are Unix microseconds (UTC), as the SDK keeps them.
//
//   v1::BusinessCalendar proto = DefaultCalendar();  // Mon-Fri 09-18, Seoul, KR holidays
//   NormalizeCalendar(&proto);
//   const Calendar c = BuildCalendar(proto);
//   int64_t due = AddBusinessMicros(c, friday_1730, 2 * kMicrosPerHour);  // Monday 10:30
#ifndef RAPPORT_PLUGINS_VOC_CALENDAR_H_
#define RAPPORT_PLUGINS_VOC_CALENDAR_H_

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Status;

struct Calendar {
  int utc_offset_minutes = 9 * 60;
  // [weekday 1..7] -> sorted, disjoint [start, end) local minutes of the day.
  std::array<std::vector<std::pair<int, int>>, 8> hours;
  // Local days (days since 1970-01-01) with no working hours.
  std::set<int64_t> days_off;
};

// Mon-Fri 09:00-18:00, Asia/Seoul, the Korean public holidays.
v1::BusinessCalendar DefaultCalendar();

// Checks `proto` (errors name the field under `calendar.`) and fills its
// defaults (time zone, public holidays, table version) in place, and sorts
// its working hours and holidays.
Status NormalizeCalendar(v1::BusinessCalendar* proto);
// `proto` must be normalised.
Calendar BuildCalendar(const v1::BusinessCalendar& proto);

// "Asia/Seoul", "UTC", "UTC+09:00", "UTC-05:30" -> minutes east of UTC;
// false for anything else.
bool ParseTimeZone(const std::string& zone, int* utc_offset_minutes);

// The instant `amount` business microseconds after `from` (amount >= 0);
// `from` itself when amount is 0 (even outside working hours). Returns
// INT64_MAX when the calendar has no working time in the next 50 years.
int64_t AddBusinessMicros(const Calendar& calendar, int64_t from, int64_t amount);
// Business microseconds in [from, to) (0 when to <= from).
int64_t BusinessMicrosBetween(const Calendar& calendar, int64_t from, int64_t to);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CALENDAR_H_
