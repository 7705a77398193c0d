// File: plugins/voc/holidays_kr.cc
//
// The data behind KoreanPublicHolidays(). Sources (docs/voc.md):
//  - the holidays and the substitute rules: 「관공서의 공휴일에 관한 규정」
//    (Presidential Decree; §2 the holidays, §3 the substitute holidays as
//    amended in 2021 for the national days and in 2023 for 부처님오신날 and
//    성탄절);
//  - the lunar dates of 설날, 부처님오신날 and 추석: the Korea Astronomy and
//    Space Science Institute's almanac (한국천문연구원 월력요항), which
//    computes them for Korea's UTC+9 (so 설날 2027 is 7 February, a day
//    after the Chinese new year);
//  - election days: 「공직선거법」 §34 (a statutory holiday under §2 of the
//    decree); one-off days: the government's announcements.
// Written from those sources by hand; a new year or a newly declared day is
// a new table version (kKoreanHolidayTableVersion), and a tenant can add a
// day at once through SetCalendar (extra_holidays).
#include "holidays_kr.h"

#include <algorithm>
#include <map>
#include <set>

#include "rapport/sdk/time.h"

namespace rapport::voc {
namespace {

using rapport::sdk::DaysFromCivil;
using rapport::sdk::IsoWeekday;

// The lunar holidays per year: the day of 설날 and of 추석 (each the middle
// of three days off) and 부처님오신날.
struct LunarYear {
  int year;
  unsigned seollal_month, seollal_day;
  unsigned buddha_month, buddha_day;
  unsigned chuseok_month, chuseok_day;
};
constexpr LunarYear kLunar[] = {
    {2024, 2, 10, 5, 15, 9, 17}, {2025, 1, 29, 5, 5, 10, 6}, {2026, 2, 17, 5, 24, 9, 25},
    {2027, 2, 7, 5, 13, 9, 15},  {2028, 1, 27, 5, 2, 10, 3}, {2029, 2, 13, 5, 20, 9, 22},
    {2030, 2, 3, 5, 9, 9, 12},
};

// Days off the law fixes by date, each year.
struct FixedHoliday {
  unsigned month, day;
  const char* name;
  SubstituteRule rule;
};
constexpr FixedHoliday kFixed[] = {
    {1, 1, "신정", SubstituteRule::kNone},
    {3, 1, "삼일절", SubstituteRule::kWeekendOrOverlap},
    {5, 5, "어린이날", SubstituteRule::kWeekendOrOverlap},
    {6, 6, "현충일", SubstituteRule::kNone},
    {8, 15, "광복절", SubstituteRule::kWeekendOrOverlap},
    {10, 3, "개천절", SubstituteRule::kWeekendOrOverlap},
    {10, 9, "한글날", SubstituteRule::kWeekendOrOverlap},
    {12, 25, "성탄절", SubstituteRule::kWeekendOrOverlap},
};

// Election days and days the government declared once.
struct OneOff {
  int year;
  unsigned month, day;
  const char* name;
};
constexpr OneOff kOneOff[] = {
    {2024, 4, 10, "제22대 국회의원선거일"},
    {2024, 10, 1, "임시공휴일(국군의 날)"},
    {2025, 1, 27, "임시공휴일"},
    {2025, 6, 3, "제21대 대통령선거일"},
    {2026, 6, 3, "제9회 전국동시지방선거일"},
    {2028, 4, 12, "제23대 국회의원선거일"},
};

struct Base {
  int64_t day;
  std::string name;
  SubstituteRule rule;
  int64_t period_first;  // the lunar period's first day (kLunarPeriod), else `day`
};

std::vector<KoreanHoliday> Build() {
  std::vector<Base> base;
  for (const LunarYear& y : kLunar) {
    const int64_t seollal = DaysFromCivil(y.year, y.seollal_month, y.seollal_day);
    const int64_t chuseok = DaysFromCivil(y.year, y.chuseok_month, y.chuseok_day);
    for (int64_t d = -1; d <= 1; ++d) {
      base.push_back(
          {seollal + d, d == 0 ? "설날" : "설날 연휴", SubstituteRule::kLunarPeriod, seollal - 1});
      base.push_back(
          {chuseok + d, d == 0 ? "추석" : "추석 연휴", SubstituteRule::kLunarPeriod, chuseok - 1});
    }
    const int64_t buddha = DaysFromCivil(y.year, y.buddha_month, y.buddha_day);
    base.push_back({buddha, "부처님오신날", SubstituteRule::kWeekendOrOverlap, buddha});
    for (const FixedHoliday& f : kFixed) {
      const int64_t day = DaysFromCivil(y.year, f.month, f.day);
      base.push_back({day, f.name, f.rule, day});
    }
  }
  for (const OneOff& o : kOneOff) {
    const int64_t day = DaysFromCivil(o.year, o.month, o.day);
    base.push_back({day, o.name, SubstituteRule::kNone, day});
  }

  // Which holidays fall on each day, by the period (or day) they belong to.
  // (A period is one holiday, whichever of its days.)
  std::map<int64_t, std::set<std::string>> owners;
  for (const Base& b : base) {
    owners[b.day].insert(b.rule == SubstituteRule::kLunarPeriod
                             ? "period:" + std::to_string(b.period_first)
                             : b.name);
  }
  auto overlaps = [&](const Base& b) { return owners[b.day].size() > 1; };

  // A triggered substitute: anchored at the day that triggered it (two
  // holidays on one day owe one substitute, as 어린이날 and 부처님오신날 on
  // 2025-05-05 gave only 2025-05-06), searched from the day after the
  // holiday (after the whole period for 설날 and 추석).
  struct Owed {
    int64_t search_from;
    std::string name;
  };
  std::map<int64_t, Owed> owed;
  for (const Base& b : base) {
    const int weekday = IsoWeekday(b.day);
    bool triggered = false;
    int64_t search_from = b.day + 1;
    if (b.rule == SubstituteRule::kLunarPeriod) {
      triggered = weekday == 7 || overlaps(b);
      search_from = b.period_first + 3;
    } else if (b.rule == SubstituteRule::kWeekendOrOverlap) {
      triggered = weekday >= 6 || overlaps(b);
    }
    if (!triggered) continue;
    std::string name = b.name;
    if (name.find(" 연휴") != std::string::npos) name.resize(name.find(" 연휴"));
    auto [it, inserted] = owed.try_emplace(b.day, Owed{search_from, name});
    if (!inserted) it->second.search_from = std::max(it->second.search_from, search_from);
  }
  // A lunar period owes one substitute however many of its days triggered:
  // keep the earliest anchor of each period.
  std::set<int64_t> periods_seen;
  std::vector<std::pair<int64_t, Owed>> ordered;
  for (const auto& [anchor, o] : owed) {
    if (o.search_from > anchor + 1 && !periods_seen.insert(o.search_from).second) continue;
    ordered.emplace_back(anchor, o);
  }

  std::vector<KoreanHoliday> out;
  std::set<int64_t> taken;
  for (const Base& b : base) {
    out.push_back({b.day, b.name, false});
    taken.insert(b.day);
  }
  // The first day after the holiday that is not a weekend day or a holiday
  // (the decree's "다음의 첫 번째 비공휴일"; Saturdays are skipped too, as
  // every published substitute of 2014..2026 is a weekday).
  for (const auto& [anchor, o] : ordered) {
    int64_t d = o.search_from;
    while (IsoWeekday(d) >= 6 || taken.count(d)) ++d;
    taken.insert(d);
    out.push_back({d, "대체공휴일(" + o.name + ")", true});
  }
  std::sort(out.begin(), out.end(), [](const KoreanHoliday& a, const KoreanHoliday& b) {
    return a.day != b.day ? a.day < b.day : a.name < b.name;
  });
  return out;
}

}  // namespace

const std::vector<KoreanHoliday>& KoreanPublicHolidays() {
  static const std::vector<KoreanHoliday>* table = new std::vector<KoreanHoliday>(Build());
  return *table;
}

}  // namespace rapport::voc
