// Business-time arithmetic: known answers on the default Seoul calendar
// (Mon-Fri 09:00-18:00, Korean public holidays), properties over many
// random instants, and the calendar's bad inputs.
#include "calendar.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "rapport/sdk/time.h"
#include "voc_test_util.h"

namespace rapport::voc {
namespace {

using rapport::sdk::kMicrosPerHour;
using rapport::sdk::kMicrosPerMinute;

TEST(BusinessTime, FridayAfternoonPlusTwoHoursIsMondayMorning) {
  // 2026-11-27 is a Friday.
  EXPECT_EQ(Local(AddBusinessMicros(Default(), Seoul(2026, 11, 27, 17, 30), 2 * kMicrosPerHour)),
            "2026-11-30T10:30:00+09:00");
}

TEST(BusinessTime, OutsideHoursStartsAtTheNextOpening) {
  const Calendar c = Default();
  // Saturday night + 1h -> Monday 10:00.
  EXPECT_EQ(Local(AddBusinessMicros(c, Seoul(2026, 11, 28, 23, 0), kMicrosPerHour)),
            "2026-11-30T10:00:00+09:00");
  // A whole day's hours end at closing time, not at the next opening.
  EXPECT_EQ(Local(AddBusinessMicros(c, Seoul(2026, 11, 30, 9, 0), 9 * kMicrosPerHour)),
            "2026-11-30T18:00:00+09:00");
  // Exactly at closing: the hour is the next day's first.
  EXPECT_EQ(Local(AddBusinessMicros(c, Seoul(2026, 12, 1, 18, 0), kMicrosPerHour)),
            "2026-12-02T10:00:00+09:00");
}

TEST(BusinessTime, ChuseokTwentyTwentyFiveAndItsSubstituteDay) {
  // Thursday 2025-10-02 16:00 + 8 working hours: 2 h on Thursday, 10-03 개천절,
  // the weekend, 10-06..10-07 추석, 10-08 its substitute, 10-09 한글날,
  // then Friday 10-10 09:00 + 6 h = 15:00.
  EXPECT_EQ(Local(AddBusinessMicros(Default(), Seoul(2025, 10, 2, 16, 0), 8 * kMicrosPerHour)),
            "2025-10-10T15:00:00+09:00");
}

TEST(BusinessTime, SeollalTwentyTwentySeven) {
  // Friday 2027-02-05 17:00 + 2 h: 1 h on Friday; 02-06..02-08 설날 (Sat..Mon)
  // and the substitute Tuesday 02-09; Wednesday 02-10 10:00.
  EXPECT_EQ(Local(AddBusinessMicros(Default(), Seoul(2027, 2, 5, 17, 0), 2 * kMicrosPerHour)),
            "2027-02-10T10:00:00+09:00");
}

TEST(BusinessTime, TenantHolidaysAndWorkingDays) {
  v1::BusinessCalendar proto = DefaultCalendar();
  v1::Holiday* h = proto.add_extra_holidays();
  h->set_date("2026-12-31");
  h->set_name("창립기념일");
  proto.add_working_days("2026-06-03");  // works on election day
  ASSERT_TRUE(NormalizeCalendar(&proto).ok());
  const Calendar c = BuildCalendar(proto);
  EXPECT_EQ(Local(AddBusinessMicros(c, Seoul(2026, 12, 30, 17, 0), 2 * kMicrosPerHour)),
            "2027-01-04T10:00:00+09:00");  // 12-31 off, 01-01 신정, weekend
  EXPECT_EQ(Local(AddBusinessMicros(c, Seoul(2026, 6, 2, 17, 0), 2 * kMicrosPerHour)),
            "2026-06-03T10:00:00+09:00");
  EXPECT_EQ(Local(AddBusinessMicros(Default(), Seoul(2026, 6, 2, 17, 0), 2 * kMicrosPerHour)),
            "2026-06-04T10:00:00+09:00");
}

TEST(BusinessTime, LunchBreaksAndOtherZones) {
  v1::BusinessCalendar proto;
  proto.set_time_zone("UTC-05:00");
  proto.set_public_holidays("NONE");
  v1::WorkingHours* monday = proto.add_working_hours();
  monday->set_weekday(1);
  auto* afternoon = monday->add_intervals();
  afternoon->set_start_minute(13 * 60);
  afternoon->set_end_minute(17 * 60);
  auto* morning = monday->add_intervals();  // listed out of order: sorted
  morning->set_start_minute(9 * 60);
  morning->set_end_minute(12 * 60);
  ASSERT_TRUE(NormalizeCalendar(&proto).ok());
  const Calendar c = BuildCalendar(proto);
  // Monday 2026-11-30 11:00 at UTC-5 is 16:00Z; + 2 h -> 12:00 + lunch -> 14:00 local.
  const int64_t start =
      rapport::sdk::LocalDayStartMicros(rapport::sdk::DaysFromCivil(2026, 11, 30), -300) +
      11 * kMicrosPerHour;
  EXPECT_EQ(rapport::sdk::FormatRfc3339(AddBusinessMicros(c, start, 2 * kMicrosPerHour), -300),
            "2026-11-30T14:00:00-05:00");
  // 5 h are left that Monday, so 6 h end next Monday at 10:00.
  EXPECT_EQ(rapport::sdk::FormatRfc3339(AddBusinessMicros(c, start, 6 * kMicrosPerHour), -300),
            "2026-12-07T10:00:00-05:00");
}

TEST(BusinessTime, AddAndBetweenAgreeOnRandomInstants) {
  const Calendar c = Default();
  std::mt19937_64 random(20261206);
  const int64_t from = Seoul(2024, 1, 1, 0, 0);
  const int64_t span = Seoul(2030, 12, 1, 0, 0) - from;
  for (int i = 0; i < 2000; ++i) {
    const int64_t start = from + static_cast<int64_t>(random() % static_cast<uint64_t>(span));
    const int64_t amount = static_cast<int64_t>(random() % (200 * kMicrosPerHour)) + 1;
    const int64_t due = AddBusinessMicros(c, start, amount);
    ASSERT_GT(due, start);
    // Exactly `amount` of working time lies between, and the deadline is
    // the earliest such instant (a microsecond before is short of it).
    ASSERT_EQ(BusinessMicrosBetween(c, start, due), amount) << Local(start);
    ASSERT_EQ(BusinessMicrosBetween(c, start, due - 1), amount - 1) << Local(start);
    // Splitting the amount gives the same deadline.
    const int64_t half = amount / 2;
    ASSERT_EQ(AddBusinessMicros(c, AddBusinessMicros(c, start, half), amount - half), due);
  }
}

TEST(CalendarInput, BadCalendarsAreRefusedWithTheField) {
  auto refuse = [](v1::BusinessCalendar proto, const std::string& part) {
    Status s = NormalizeCalendar(&proto);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << part;
    EXPECT_NE(s.message.find(part), std::string::npos) << s.message;
  };
  v1::BusinessCalendar overlapping = DefaultCalendar();
  auto* extra = overlapping.mutable_working_hours(0)->add_intervals();
  extra->set_start_minute(17 * 60);
  extra->set_end_minute(20 * 60);
  refuse(overlapping, "calendar.working_hours[0].intervals: 09:00-18:00 and 17:00-20:00 overlap");
  v1::BusinessCalendar inverted = DefaultCalendar();
  inverted.mutable_working_hours(1)->mutable_intervals(0)->set_end_minute(8 * 60);
  refuse(inverted, "calendar.working_hours[1].intervals[0]: ends (08:00) before it starts (09:00)");
  v1::BusinessCalendar bad_date = DefaultCalendar();
  bad_date.add_extra_holidays()->set_date("2026-02-30");
  refuse(bad_date, "calendar.extra_holidays[0].date: '2026-02-30' is not a date");
  v1::BusinessCalendar bad_zone = DefaultCalendar();
  bad_zone.set_time_zone("Mars/Olympus");
  refuse(bad_zone, "calendar.time_zone: unknown time zone 'Mars/Olympus'");
  v1::BusinessCalendar empty;
  refuse(empty, "calendar.working_hours: at least one working interval");
  v1::BusinessCalendar twice = DefaultCalendar();
  twice.mutable_working_hours(1)->set_weekday(1);
  refuse(twice, "weekday 1 is listed twice");
  v1::BusinessCalendar table = DefaultCalendar();
  table.set_public_holidays("JP");
  refuse(table, "calendar.public_holidays: 'JP'");
}

TEST(CalendarInput, TimeZones) {
  int offset = 0;
  EXPECT_TRUE(ParseTimeZone("Asia/Seoul", &offset));
  EXPECT_EQ(offset, 540);
  EXPECT_TRUE(ParseTimeZone("UTC-05:30", &offset));
  EXPECT_EQ(offset, -330);
  EXPECT_FALSE(ParseTimeZone("UTC+15:00", &offset));
  EXPECT_FALSE(ParseTimeZone("UTC+09:60", &offset));
  EXPECT_FALSE(ParseTimeZone("America/New_York", &offset));
  EXPECT_FALSE(ParseTimeZone("", &offset));
}

}  // namespace
}  // namespace rapport::voc
