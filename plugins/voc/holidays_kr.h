// File: plugins/voc/holidays_kr.h
//
// The built-in Korean public holidays, 2024..2030: a versioned data table
// (holidays_kr.cc) of the holidays the law fixes, the lunar ones and the
// one-off days, from which the substitute holidays (대체공휴일) are computed
// by the rule each holiday follows. docs/voc.md, "The calendar", names the
// sources and what could not be verified.
#ifndef RAPPORT_PLUGINS_VOC_HOLIDAYS_KR_H_
#define RAPPORT_PLUGINS_VOC_HOLIDAYS_KR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rapport::voc {

// The table's version, reported by GetCalendar (holiday_table_version).
inline constexpr char kKoreanHolidayTableVersion[] = "KR-2024-2030.1";
inline constexpr int kKoreanHolidayFirstYear = 2024;
inline constexpr int kKoreanHolidayLastYear = 2030;

// How a holiday's substitute day is triggered (관공서의 공휴일에 관한 규정 §3).
enum class SubstituteRule {
  // 신정, 현충일, election days, one-off days: never.
  kNone,
  // 설날 and 추석, three days each: when one of the three is a Sunday or
  // another holiday (a Saturday does not count).
  kLunarPeriod,
  // 어린이날, the national days (삼일절, 광복절, 개천절, 한글날), 부처님오신날,
  // 성탄절: when the day is a Saturday, a Sunday or another holiday.
  kWeekendOrOverlap,
};

struct KoreanHoliday {
  int64_t day;  // days since 1970-01-01 (a local date)
  std::string name;
  bool substitute = false;  // a 대체공휴일 computed from the rules
};

// Every holiday of the table, substitutes included, sorted by day (one
// entry per day and name; two holidays on one day are two entries).
const std::vector<KoreanHoliday>& KoreanPublicHolidays();

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_HOLIDAYS_KR_H_
