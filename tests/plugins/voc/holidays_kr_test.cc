// The built-in Korean holiday table: the substitute days its rules compute
// are the ones the government published, and the rules differ by holiday.
#include "holidays_kr.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "rapport/sdk/time.h"

namespace rapport::voc {
namespace {

std::set<std::string> Substitutes() {
  std::set<std::string> out;
  for (const KoreanHoliday& h : KoreanPublicHolidays()) {
    if (h.substitute) out.insert(rapport::sdk::FormatCivilDate(h.day));
  }
  return out;
}

bool IsHoliday(const std::string& date) {
  int64_t day;
  EXPECT_TRUE(rapport::sdk::ParseCivilDate(date, &day)) << date;
  for (const KoreanHoliday& h : KoreanPublicHolidays()) {
    if (h.day == day) return true;
  }
  return false;
}

TEST(KoreanHolidays, PublishedSubstituteDaysAreComputed) {
  const std::set<std::string> subs = Substitutes();
  // Published by the government for 2024..2026.
  for (const char* date : {"2024-02-12",  // 설날 on Sunday 02-11
                           "2024-05-06",  // 어린이날 on Sunday
                           "2025-03-03",  // 삼일절 on Saturday
                           "2025-05-06",  // 어린이날 and 부처님오신날 on one day: one substitute
                           "2025-10-08",     // 추석 period starts on Sunday 10-05
                           "2026-03-02",     // 삼일절 on Sunday
                           "2026-05-25",     // 부처님오신날 on Sunday
                           "2026-08-17",     // 광복절 on Saturday
                           "2026-10-05",     // 개천절 on Saturday
                           "2027-02-09"}) {  // 설날 2027-02-07 is a Sunday
    EXPECT_TRUE(subs.count(date)) << date;
  }
}

TEST(KoreanHolidays, RulesDifferByHoliday) {
  // 현충일 on Saturday 2026-06-06 and Sunday 2027-06-06: no substitute.
  EXPECT_FALSE(IsHoliday("2026-06-08"));
  EXPECT_FALSE(IsHoliday("2027-06-07"));
  // 신정 on Saturday 2028-01-01: none either.
  EXPECT_FALSE(IsHoliday("2028-01-03"));
  // 추석 2026 (Thursday..Saturday): a Saturday does not move 설날 or 추석.
  EXPECT_TRUE(IsHoliday("2026-09-26"));
  EXPECT_FALSE(IsHoliday("2026-09-28"));
  // 한글날 on Saturday 2027-10-09 moves to Monday 10-11.
  EXPECT_TRUE(Substitutes().count("2027-10-11"));
  // 추석 2028 overlaps 개천절 (10-03): one substitute, the day after the period.
  EXPECT_TRUE(Substitutes().count("2028-10-05"));
  EXPECT_FALSE(IsHoliday("2028-10-06"));
}

TEST(KoreanHolidays, Year2025IsComplete) {
  // 2025's holidays as published (weekdays and weekends alike), with the
  // one-off 01-27 and the election of 06-03.
  const std::set<std::string> expected = {"2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29",
                                          "2025-01-30", "2025-03-01", "2025-03-03", "2025-05-05",
                                          "2025-05-06", "2025-06-03", "2025-06-06", "2025-08-15",
                                          "2025-10-03", "2025-10-05", "2025-10-06", "2025-10-07",
                                          "2025-10-08", "2025-10-09", "2025-12-25"};
  std::set<std::string> got;
  for (const KoreanHoliday& h : KoreanPublicHolidays()) {
    const std::string date = rapport::sdk::FormatCivilDate(h.day);
    if (date.compare(0, 4, "2025") == 0) got.insert(date);
  }
  EXPECT_EQ(got, expected);
}

TEST(KoreanHolidays, EveryYearOfTheTableHasItsLunarHolidays) {
  for (int year = kKoreanHolidayFirstYear; year <= kKoreanHolidayLastYear; ++year) {
    int seollal = 0, chuseok = 0, buddha = 0;
    for (const KoreanHoliday& h : KoreanPublicHolidays()) {
      int64_t y;
      unsigned m, d;
      rapport::sdk::CivilFromDays(h.day, &y, &m, &d);
      if (y != year) continue;
      seollal += h.name.rfind("설날", 0) == 0;
      chuseok += h.name.rfind("추석", 0) == 0;
      buddha += h.name == "부처님오신날";
    }
    EXPECT_EQ(seollal, 3) << year;
    EXPECT_EQ(chuseok, 3) << year;
    EXPECT_EQ(buddha, 1) << year;
  }
}

}  // namespace
}  // namespace rapport::voc
