// rapport/sdk/periods.h: days, ISO weeks, months and quarters as local
// calendar periods (Seoul unless told otherwise), their parsing with
// field-named errors, and the Korean-calendar edges: a month begins at
// 15:00Z the day before.
#include "rapport/sdk/periods.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

int64_t Utc(int64_t y, unsigned m, unsigned d, int hh = 0) {
  return DaysFromCivil(y, m, d) * kMicrosPerDay + hh * kMicrosPerHour;
}

Period Parse(const std::string& text, unsigned kinds = kAnyPeriodKind) {
  Period p;
  Status s = ParsePeriod("period", text, &p, kinds);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message;
  return p;
}

// The message of a refused period (and that it is INVALID_ARGUMENT).
std::string Refusal(const std::string& text, unsigned kinds = kAnyPeriodKind,
                    const std::string& field = "period") {
  Period p;
  Status s = ParsePeriod(field, text, &p, kinds);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << text;
  EXPECT_EQ(s.message.rfind(field + ": ", 0), 0u) << s.message;
  return s.message;
}

TEST(MonthIndexTest, CountsMonthsFromYearZero) {
  EXPECT_EQ(MonthIndex(2026, 11), 24322);
  EXPECT_EQ(MonthName(24322), "2026-11");
  EXPECT_EQ(MonthName(MonthIndex(2026, 12) + 1), "2027-01");
  EXPECT_EQ(MonthIndexOfDay(DaysFromCivil(2026, 2, 28)), MonthIndex(2026, 2));
  EXPECT_EQ(FirstDayOfMonth(MonthIndex(2027, 1)), DaysFromCivil(2027, 1, 1));
}

TEST(PeriodTest, EachKindParsesAndNamesItself) {
  const Period month = Parse("2026-11");
  EXPECT_EQ(month.kind, PeriodKind::kMonth);
  EXPECT_EQ(month.first_day, DaysFromCivil(2026, 11, 1));
  EXPECT_EQ(month.end_day, DaysFromCivil(2026, 12, 1));
  EXPECT_EQ(month.first_month(), MonthIndex(2026, 11));
  EXPECT_EQ(month.last_month(), MonthIndex(2026, 11));
  EXPECT_EQ(month.Name(), "2026-11");

  const Period quarter = Parse("2026-q4");  // lower case accepted, named upper case
  EXPECT_EQ(quarter.kind, PeriodKind::kQuarter);
  EXPECT_EQ(quarter.first_month(), MonthIndex(2026, 10));
  EXPECT_EQ(quarter.last_month(), MonthIndex(2026, 12));
  EXPECT_EQ(quarter.Name(), "2026-Q4");
  EXPECT_EQ(Parse("2026-Q1").first_day, DaysFromCivil(2026, 1, 1));

  const Period week = Parse("2026-W48");
  EXPECT_EQ(week.kind, PeriodKind::kIsoWeek);
  EXPECT_EQ(week.first_day, DaysFromCivil(2026, 11, 23));  // a Monday
  EXPECT_EQ(week.end_day - week.first_day, 7);
  EXPECT_EQ(week.Name(), "2026-W48");
  EXPECT_EQ(Parse("2026-w05").Name(), "2026-W05");

  const Period day = Parse("2026-11-27");
  EXPECT_EQ(day.kind, PeriodKind::kDay);
  EXPECT_EQ(day.first_day, DaysFromCivil(2026, 11, 27));
  EXPECT_EQ(day.end_day, day.first_day + 1);
  EXPECT_EQ(day.Name(), "2026-11-27");
}

TEST(PeriodTest, BoundsAreSeoulMidnightsInUtcMicros) {
  // December 2026 in Seoul: from 2026-11-30T15:00Z to 2026-12-31T15:00Z.
  const Period dec = Parse("2026-12");
  EXPECT_EQ(dec.StartMicros(), Utc(2026, 11, 30, 15));
  EXPECT_EQ(dec.EndMicros(), Utc(2026, 12, 31, 15));
  EXPECT_EQ(FormatRfc3339(dec.StartMicros()), "2026-11-30T15:00:00Z");
  // The same month in UTC.
  EXPECT_EQ(dec.StartMicros(0), Utc(2026, 12, 1));
  EXPECT_EQ(dec.EndMicros(0), Utc(2027, 1, 1));
  // 2026-Q4 in Seoul.
  const Period q4 = Parse("2026-Q4");
  EXPECT_EQ(q4.StartMicros(), Utc(2026, 9, 30, 15));
  EXPECT_EQ(q4.EndMicros(), Utc(2026, 12, 31, 15));
  // One day in Seoul is 15:00Z to 15:00Z.
  const Period day = Parse("2026-11-27");
  EXPECT_EQ(day.StartMicros(), Utc(2026, 11, 26, 15));
  EXPECT_EQ(day.EndMicros(), Utc(2026, 11, 27, 15));
}

TEST(PeriodTest, AMonthBoundaryAt1500ZIsMidnightInSeoul) {
  const int64_t boundary = Utc(2026, 11, 30, 15);  // 2026-12-01T00:00+09:00
  EXPECT_EQ(PeriodContaining(PeriodKind::kMonth, boundary).Name(), "2026-12");
  EXPECT_EQ(PeriodContaining(PeriodKind::kMonth, boundary - 1).Name(), "2026-11");
  EXPECT_TRUE(Parse("2026-12").Contains(boundary));
  EXPECT_FALSE(Parse("2026-11").Contains(boundary));
  EXPECT_TRUE(Parse("2026-11").Contains(boundary - 1));
  // The same instant is still November in UTC.
  EXPECT_EQ(PeriodContaining(PeriodKind::kMonth, boundary, 0).Name(), "2026-11");
  // New Year in Seoul: a new month, quarter, day and year at 15:00Z on
  // December 31st, while 2027-01-01 is the Friday of ISO week 2026-W53.
  const int64_t new_year = Utc(2026, 12, 31, 15);
  EXPECT_EQ(PeriodContaining(PeriodKind::kMonth, new_year).Name(), "2027-01");
  EXPECT_EQ(PeriodContaining(PeriodKind::kQuarter, new_year).Name(), "2027-Q1");
  EXPECT_EQ(PeriodContaining(PeriodKind::kQuarter, new_year - 1).Name(), "2026-Q4");
  EXPECT_EQ(PeriodContaining(PeriodKind::kDay, new_year).Name(), "2027-01-01");
  EXPECT_EQ(PeriodContaining(PeriodKind::kIsoWeek, new_year).Name(), "2026-W53");
  // A week in Seoul begins on Sunday 15:00Z.
  const int64_t monday = Utc(2026, 11, 22, 15);  // Monday 2026-11-23 00:00+09:00
  EXPECT_EQ(PeriodContaining(PeriodKind::kIsoWeek, monday).Name(), "2026-W48");
  EXPECT_EQ(PeriodContaining(PeriodKind::kIsoWeek, monday - 1).Name(), "2026-W47");
}

TEST(PeriodTest, IsoWeeksFollowIso8601) {
  EXPECT_EQ(Parse("2026-W01").first_day, DaysFromCivil(2025, 12, 29));
  EXPECT_EQ(IsoWeeksInYear(2026), 53);
  EXPECT_EQ(IsoWeeksInYear(2025), 52);
  EXPECT_EQ(IsoWeeksInYear(2020), 53);
  EXPECT_EQ(Parse("2026-W53").first_day, DaysFromCivil(2026, 12, 28));
  EXPECT_EQ(Parse("2020-W53").Name(), "2020-W53");
  EXPECT_EQ(PeriodOfDay(PeriodKind::kIsoWeek, DaysFromCivil(2021, 1, 3)).Name(), "2020-W53");
  int64_t iso_year;
  int week;
  IsoWeekOfDay(DaysFromCivil(2027, 1, 1), &iso_year, &week);
  EXPECT_EQ(iso_year, 2026);
  EXPECT_EQ(week, 53);
  // A week may straddle two months.
  const Period w = Parse("2026-W49");  // 2026-11-30 .. 2026-12-06
  EXPECT_EQ(w.first_month(), MonthIndex(2026, 11));
  EXPECT_EQ(w.last_month(), MonthIndex(2026, 12));
}

TEST(PeriodTest, NextPeriodAndNamesRoundTripOverADecade) {
  EXPECT_EQ(NextPeriod(Parse("2026-Q4")).Name(), "2027-Q1");
  EXPECT_EQ(NextPeriod(Parse("2026-12")).Name(), "2027-01");
  EXPECT_EQ(NextPeriod(Parse("2026-W53")).Name(), "2027-W01");
  EXPECT_EQ(NextPeriod(Parse("2024-02-28")).Name(), "2024-02-29");
  EXPECT_EQ(NextPeriod(Parse("2026-02-28")).Name(), "2026-03-01");
  for (int64_t day = DaysFromCivil(2019, 12, 1); day < DaysFromCivil(2031, 2, 1); ++day) {
    for (PeriodKind kind :
         {PeriodKind::kDay, PeriodKind::kIsoWeek, PeriodKind::kMonth, PeriodKind::kQuarter}) {
      const Period p = PeriodOfDay(kind, day);
      ASSERT_LE(p.first_day, day);
      ASSERT_GT(p.end_day, day);
      ASSERT_EQ(Parse(p.Name()), p) << p.Name();
      ASSERT_EQ(NextPeriod(p).first_day, p.end_day) << p.Name();
    }
  }
}

TEST(PeriodTest, FebruaryTwentyNinthOnlyInLeapYears) {
  EXPECT_EQ(Parse("2024-02-29").first_day, DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(Parse("2000-02-29").first_day, DaysFromCivil(2000, 2, 29));
  EXPECT_EQ(Refusal("2026-02-29"),
            "period: day must be 01..28 in '2026-02-29' (2026-02 has 28 days)");
  EXPECT_EQ(Refusal("2100-02-29"),
            "period: day must be 01..28 in '2100-02-29' (2100-02 has 28 days)");
  EXPECT_EQ(Refusal("2024-02-30"),
            "period: day must be 01..29 in '2024-02-30' (2024-02 has 29 days)");
  EXPECT_EQ(Refusal("2026-04-31"),
            "period: day must be 01..30 in '2026-04-31' (2026-04 has 30 days)");
  EXPECT_EQ(Refusal("2026-11-00"),
            "period: day must be 01..30 in '2026-11-00' (2026-11 has 30 days)");
  EXPECT_EQ(Refusal("2026-13-01"), "period: month must be 01..12 in '2026-13-01'");
}

TEST(PeriodTest, BadQuartersAndWeeksAreRefused) {
  const std::string usage =
      "; use \"YYYY-MM\" (e.g. \"2026-11\"), \"YYYY-Qn\" (e.g. \"2026-Q4\"), \"YYYY-Www\" (an ISO "
      "week, e.g. \"2026-W48\") or \"YYYY-MM-DD\" (e.g. \"2026-11-27\")";
  EXPECT_EQ(Refusal("2026-Q5"), "period: '2026-Q5' is not a period" + usage);
  EXPECT_EQ(Refusal("2026-Q0"), "period: '2026-Q0' is not a period" + usage);
  EXPECT_EQ(Refusal("2026-W54"), "period: week must be 01..53 in '2026-W54'");
  EXPECT_EQ(Refusal("2026-W00"), "period: week must be 01..53 in '2026-W00'");
  EXPECT_EQ(Refusal("2025-W53"), "period: 2025 has 52 ISO weeks, no week 53: '2025-W53'");
  Refusal("2026-W5");
  Refusal("2026-W5x");
}

TEST(PeriodTest, MalformedPeriodsAreRefusedNamingTheField) {
  const std::string usage =
      "; use \"YYYY-MM\" (e.g. \"2026-11\"), \"YYYY-Qn\" (e.g. \"2026-Q4\"), \"YYYY-Www\" (an ISO "
      "week, e.g. \"2026-W48\") or \"YYYY-MM-DD\" (e.g. \"2026-11-27\")";
  EXPECT_EQ(Refusal(""), "period: is required" + usage);
  EXPECT_EQ(Refusal("2026/11"), "period: '2026/11' is not a period" + usage);
  EXPECT_EQ(Refusal("2026-13"), "period: month must be 01..12 in '2026-13'");
  EXPECT_EQ(Refusal("2026-00"), "period: month must be 01..12 in '2026-00'");
  EXPECT_EQ(Refusal("1969-12"), "period: year out of range in '1969-12'");
  EXPECT_EQ(Refusal("0999-01-01"), "period: year out of range in '0999-01-01'");
  for (const char* bad : {"2026", "26-11", "Q4-2026", "2026-1", "2026-11-1", "2026-11 ", " 2026-11",
                          "2026-11-27T00:00:00Z", "2026-1a",
                          "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92"
                          "\xEF\xBC\x96-11" /* full-width digits */,
                          "2026-+1", "abcd-ef"}) {
    Refusal(bad);
  }
  // Another field name; control characters are escaped in the message.
  EXPECT_EQ(Refusal("2026-11\n", kAnyPeriodKind, "quota.period"),
            "quota.period: '2026-11\\n' is not a period" + usage);
}

TEST(PeriodTest, KindsLimitWhatIsAccepted) {
  // SFA's forecasts: months and quarters, with exactly its old message.
  const std::string usage =
      "; use \"YYYY-MM\" (e.g. \"2026-11\") or \"YYYY-Qn\" (e.g. \"2026-Q4\")";
  EXPECT_EQ(Refusal("2026-W05", kMonthsAndQuarters), "period: '2026-W05' is not a period" + usage);
  EXPECT_EQ(Refusal("2026-11-27", kMonthsAndQuarters),
            "period: '2026-11-27' is not a period" + usage);
  EXPECT_EQ(Refusal("", kMonthsAndQuarters), "period: is required" + usage);
  EXPECT_EQ(Parse("2026-Q2", kMonthsAndQuarters).Name(), "2026-Q2");
  // Months only.
  const unsigned months = PeriodKindBit(PeriodKind::kMonth);
  EXPECT_EQ(Refusal("2026-Q2", months),
            "period: '2026-Q2' is not a period; use \"YYYY-MM\" (e.g. \"2026-11\")");
  // Weeks and days.
  const unsigned weeks_days = PeriodKindBit(PeriodKind::kIsoWeek) | PeriodKindBit(PeriodKind::kDay);
  EXPECT_EQ(Refusal("2026-11", weeks_days),
            "period: '2026-11' is not a period; use \"YYYY-Www\" (an ISO week, e.g. \"2026-W48\") "
            "or \"YYYY-MM-DD\" (e.g. \"2026-11-27\")");
}

TEST(UtcOffsetTest, OffsetsOnEarthAreAccepted) {
  EXPECT_TRUE(CheckUtcOffsetMinutes("utc_offset_minutes", 540).ok());
  EXPECT_TRUE(CheckUtcOffsetMinutes("utc_offset_minutes", -720).ok());
  EXPECT_TRUE(CheckUtcOffsetMinutes("utc_offset_minutes", 840).ok());
  const Status s = CheckUtcOffsetMinutes("utc_offset_minutes", 900);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "utc_offset_minutes: must be -720..840, got 900");
  EXPECT_EQ(CheckUtcOffsetMinutes("tz", -721).message, "tz: must be -720..840, got -721");
}

}  // namespace
}  // namespace rapport::sdk
