// rapport/sdk/time.h: civil dates, local days at a fixed UTC offset (Seoul
// by default), Timestamp/Duration <-> micros and RFC 3339 text.
#include "rapport/sdk/time.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace rapport::sdk {
namespace {

// UTC micros of a civil date and time of day.
int64_t Utc(int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return DaysFromCivil(y, m, d) * kMicrosPerDay + hh * kMicrosPerHour + mm * kMicrosPerMinute +
         ss * kMicrosPerSecond;
}

TEST(CivilDateTest, DaysRoundTripAndKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2026, 12, 1), 20788);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1) - DaysFromCivil(2000, 2, 28), 2);  // 2000 is leap
  EXPECT_EQ(DaysFromCivil(2100, 3, 1) - DaysFromCivil(2100, 2, 28), 1);  // 2100 is not
  for (int64_t days = -800000; days <= 3000000; days += 997) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    ASSERT_GE(m, 1u);
    ASSERT_LE(m, 12u);
    ASSERT_GE(d, 1u);
    ASSERT_LE(d, DaysInMonth(y, m));
    ASSERT_EQ(DaysFromCivil(y, m, d), days);
  }
}

TEST(CivilDateTest, LeapYearsAndMonthLengths) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(2026));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_EQ(DaysInMonth(2026, 2), 28u);
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(2026, 4), 30u);
  EXPECT_EQ(DaysInMonth(2026, 12), 31u);
}

TEST(CivilDateTest, IsoWeekdays) {
  EXPECT_EQ(IsoWeekday(0), 4);                            // 1970-01-01, a Thursday
  EXPECT_EQ(IsoWeekday(-1), 3);                           // 1969-12-31, a Wednesday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2026, 11, 27)), 5);  // a Friday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2025, 12, 29)), 1);  // a Monday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2026, 11, 29)), 7);  // a Sunday
}

TEST(CivilDateTest, FloorDivRoundsTowardsThePast) {
  EXPECT_EQ(FloorDiv(7, 2), 3);
  EXPECT_EQ(FloorDiv(-7, 2), -4);
  EXPECT_EQ(FloorDiv(-8, 2), -4);
  EXPECT_EQ(FloorDiv(-1, kMicrosPerDay), -1);
  EXPECT_EQ(FloorDiv(0, kMicrosPerDay), 0);
}

TEST(LocalDayTest, MidnightInSeoulIsThreePmUtcTheDayBefore) {
  const int64_t dec1 = DaysFromCivil(2026, 12, 1);
  // 2026-11-30T15:00:00Z is 2026-12-01T00:00:00+09:00.
  EXPECT_EQ(LocalDayStartMicros(dec1), Utc(2026, 11, 30, 15));
  EXPECT_EQ(LocalDay(Utc(2026, 11, 30, 15)), dec1);
  EXPECT_EQ(LocalDay(Utc(2026, 11, 30, 15) - 1), dec1 - 1);
  EXPECT_EQ(LocalDay(Utc(2026, 11, 30, 15), kSeoulUtcOffsetMinutes), dec1);
  // In UTC it is still November 30th until 24:00Z.
  EXPECT_EQ(LocalDay(Utc(2026, 11, 30, 15), 0), dec1 - 1);
  EXPECT_EQ(LocalDay(Utc(2026, 11, 30, 23, 59, 59), 0), dec1 - 1);
  // West of UTC (-05:00), midnight is at 05:00Z the same day.
  EXPECT_EQ(LocalDayStartMicros(dec1, -300), Utc(2026, 12, 1, 5));
  EXPECT_EQ(LocalDay(Utc(2026, 12, 1, 4, 59, 59), -300), dec1 - 1);
  // Before 1970 the day is floored, not truncated.
  EXPECT_EQ(LocalDay(-1, 0), -1);
  EXPECT_EQ(LocalDay(-9 * kMicrosPerHour), 0);
  EXPECT_EQ(LocalDay(-9 * kMicrosPerHour - 1), -1);
}

TEST(TimestampTest, MicrosRoundTripAndNormalisation) {
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1796050800123456},
                         int64_t{-1000001}, int64_t{253402300799999999}}) {
    const google::protobuf::Timestamp t = TimestampFromMicros(micros);
    EXPECT_GE(t.nanos(), 0) << micros;
    EXPECT_LT(t.nanos(), 1000000000) << micros;
    EXPECT_EQ(ToMicros(t), micros);
  }
  const google::protobuf::Timestamp t = TimestampFromMicros(-1);
  EXPECT_EQ(t.seconds(), -1);
  EXPECT_EQ(t.nanos(), 999999000);
  google::protobuf::Timestamp fine;
  fine.set_seconds(10);
  fine.set_nanos(1999);  // sub-microsecond nanos are truncated
  EXPECT_EQ(ToMicros(fine), 10000001);
  // Seconds no Timestamp can hold are clamped, never wrapped.
  google::protobuf::Timestamp huge;
  huge.set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_GT(ToMicros(huge), 0);
  huge.set_seconds(std::numeric_limits<int64_t>::min());
  EXPECT_LT(ToMicros(huge), 0);
}

TEST(TimestampTest, DurationsKeepOneSign) {
  google::protobuf::Duration d = DurationFromMicros(-1500000);
  EXPECT_EQ(d.seconds(), -1);
  EXPECT_EQ(d.nanos(), -500000000);
  EXPECT_EQ(ToMicros(d), -1500000);
  d = DurationFromMicros(3 * kMicrosPerDay + 7);
  EXPECT_EQ(d.seconds(), 3 * 86400);
  EXPECT_EQ(d.nanos(), 7000);
  EXPECT_EQ(ToMicros(d), 3 * kMicrosPerDay + 7);
}

TEST(Rfc3339Test, UtcAndLocal) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 27, 9) + 999999), "2026-11-27T09:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 30, 15), kSeoulUtcOffsetMinutes),
            "2026-12-01T00:00:00+09:00");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 30, 15), 0), "2026-11-30T15:00:00+00:00");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 30, 15), -150), "2026-11-30T12:30:00-02:30");
  EXPECT_EQ(FormatRfc3339(Utc(2024, 2, 29, 23, 59, 59)), "2024-02-29T23:59:59Z");
}

}  // namespace
}  // namespace rapport::sdk
