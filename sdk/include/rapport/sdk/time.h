// File: sdk/include/rapport/sdk/time.h
//
// Times as a plugin keeps them: int64 microseconds since the Unix epoch
// (UTC), the unit of Plugin::NowMicros() and of the core's keys; civil
// dates as days since 1970-01-01 (proleptic Gregorian); protobuf Timestamp
// and Duration at the edges; RFC 3339 text for messages. Calendar periods
// ("2026-11", "2026-Q4", ...) are in periods.h. Header-only, standard C++17
// plus the protobuf well-known types, no host calls: nothing of it crosses
// the plugin ABI.
//
//   const int64_t now = NowMicros();
//   const int64_t today = rapport::sdk::LocalDay(now);             // in Seoul
//   const int64_t tomorrow_starts = rapport::sdk::LocalDayStartMicros(today + 1);
//   *task.mutable_due_time() = rapport::sdk::TimestampFromMicros(tomorrow_starts);
//   // "2026-11-27T15:00:00Z" (midnight of the 28th in Seoul)
//   std::string shown = rapport::sdk::FormatRfc3339(tomorrow_starts);
//
// Time zones. Rapport is built for Korea, so every function that needs a
// zone takes a fixed UTC offset in minutes, defaulting to Korea Standard
// Time, UTC+9 (kSeoulUtcOffsetMinutes). A fixed offset is exact for
// Asia/Seoul: Korea has kept UTC+9 all year since 1988 (its last daylight
// saving time was the 1987 and 1988 summers around the Seoul Olympics), so
// the offset of any instant a CRM stores since then is +9h, and local
// midnight is always 15:00Z of the day before. A module for a zone with
// daylight saving time (America/New_York, Europe/Berlin, Australia/Sydney)
// must NOT pass one fixed offset for a whole year: the offset changes twice
// a year, so a day may be 23 or 25 hours long and a month's bounds carry
// different offsets at each end. Such a module resolves the zone with a time
// zone database (C++20 std::chrono::zoned_time, or the Howard Hinnant "date"
// / abseil cctz libraries, fed with the IANA tzdata) and calls these
// functions with the offset in force *at each boundary* (e.g. a month's
// start with the offset at its first local midnight, its end with the
// offset at the next month's first local midnight). Let the caller choose
// the zone (as SFA's GetAgenda takes utc_offset_minutes) rather than using
// the server's local zone, which is usually UTC.
#ifndef RAPPORT_SDK_TIME_H_
#define RAPPORT_SDK_TIME_H_

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace rapport::sdk {

inline constexpr int64_t kMicrosPerSecond = 1000000;
inline constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// Korea Standard Time, UTC+9 with no daylight saving time (see the file
// comment): the default zone of every function here and in periods.h.
inline constexpr int kSeoulUtcOffsetMinutes = 9 * 60;
// The UTC offsets in use anywhere on Earth, -12:00 .. +14:00, in minutes.
inline constexpr int kMinUtcOffsetMinutes = -12 * 60;
inline constexpr int kMaxUtcOffsetMinutes = 14 * 60;

// a / b rounded towards negative infinity (b > 0): the day of a negative
// time is the one before 1970-01-01, not the one after.
inline constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

// ---- civil dates (Howard Hinnant's algorithms, proleptic Gregorian)

// Days since 1970-01-01 of year-month-day (month 1..12, day 1..31; not
// checked: 2026-02-30 is 2026-03-02).
inline constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The civil date of a day count (the inverse of DaysFromCivil).
inline void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

inline constexpr bool IsLeapYear(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

// 28..31 (month 1..12).
inline constexpr unsigned DaysInMonth(int64_t year, unsigned month) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[(month - 1) % 12];
}

// ISO 8601 weekday of a day count: 1 Monday .. 7 Sunday (1970-01-01 was a
// Thursday, 4).
inline constexpr int IsoWeekday(int64_t days) {
  return static_cast<int>(days + 3 - FloorDiv(days + 3, 7) * 7) + 1;
}

// ---- instants and local days

// The local civil day (days since 1970-01-01) of the instant `micros` in the
// zone at `utc_offset_minutes` (default Seoul): 2026-11-30T15:00:00Z is
// already 2026-12-01 in Seoul.
inline constexpr int64_t LocalDay(int64_t micros, int utc_offset_minutes = kSeoulUtcOffsetMinutes) {
  return FloorDiv(micros + static_cast<int64_t>(utc_offset_minutes) * kMicrosPerMinute,
                  kMicrosPerDay);
}

// The instant (UTC micros) local day `day` begins, at its local midnight.
inline constexpr int64_t LocalDayStartMicros(int64_t day,
                                             int utc_offset_minutes = kSeoulUtcOffsetMinutes) {
  return day * kMicrosPerDay - static_cast<int64_t>(utc_offset_minutes) * kMicrosPerMinute;
}

// ---- protobuf Timestamp and Duration

// Microseconds of a Timestamp (nanoseconds truncated). Seconds beyond the
// Timestamp range (years 0001..9999) are clamped so the result never wraps.
inline int64_t ToMicros(const google::protobuf::Timestamp& t) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kMicrosPerSecond - 1;
  int64_t seconds = t.seconds();
  if (seconds > kMaxSeconds) seconds = kMaxSeconds;
  if (seconds < -kMaxSeconds) seconds = -kMaxSeconds;
  return seconds * kMicrosPerSecond + t.nanos() / 1000;
}

// A Timestamp of `micros`, normalised (0 <= nanos < 1e9, also before 1970).
inline google::protobuf::Timestamp TimestampFromMicros(int64_t micros) {
  google::protobuf::Timestamp t;
  t.set_seconds(FloorDiv(micros, kMicrosPerSecond));
  t.set_nanos(static_cast<int32_t>((micros - t.seconds() * kMicrosPerSecond) * 1000));
  return t;
}

// Microseconds of a Duration (nanoseconds truncated towards zero), clamped
// like ToMicros(Timestamp).
inline int64_t ToMicros(const google::protobuf::Duration& d) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kMicrosPerSecond - 1;
  int64_t seconds = d.seconds();
  if (seconds > kMaxSeconds) seconds = kMaxSeconds;
  if (seconds < -kMaxSeconds) seconds = -kMaxSeconds;
  return seconds * kMicrosPerSecond + d.nanos() / 1000;
}

// A Duration of `micros`: seconds and nanos carry the same sign, as the
// Duration type requires.
inline google::protobuf::Duration DurationFromMicros(int64_t micros) {
  google::protobuf::Duration d;
  d.set_seconds(micros / kMicrosPerSecond);
  d.set_nanos(static_cast<int32_t>((micros % kMicrosPerSecond) * 1000));
  return d;
}

// ---- ISO 8601 calendar dates (SDK 1.3)

// "2026-09-25" for a day count.
inline std::string FormatCivilDate(int64_t days) {
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buffer[32];
  int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(year),
                        month, day);
  return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
}

// "YYYY-MM-DD" (years 1..9999, a real day of that month) -> days since
// 1970-01-01; false for anything else ("2026-02-30", "2026-9-5", "").
inline bool ParseCivilDate(const std::string& text, int64_t* days) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int values[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int widths[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (int i = 0; i < widths[f]; ++i) {
      const char c = text[starts[f] + i];
      if (c < '0' || c > '9') return false;
      values[f] = values[f] * 10 + (c - '0');
    }
  }
  if (values[0] < 1 || values[1] < 1 || values[1] > 12 || values[2] < 1 ||
      values[2] > static_cast<int>(DaysInMonth(values[0], static_cast<unsigned>(values[1])))) {
    return false;
  }
  *days =
      DaysFromCivil(values[0], static_cast<unsigned>(values[1]), static_cast<unsigned>(values[2]));
  return true;
}

// ---- RFC 3339

namespace internal {
inline std::string FormatRfc3339(int64_t micros, int utc_offset_minutes, bool zulu) {
  const int64_t local = micros + static_cast<int64_t>(utc_offset_minutes) * kMicrosPerMinute;
  const int64_t seconds = FloorDiv(local, kMicrosPerSecond);
  const int64_t days = FloorDiv(seconds, 86400);
  const int64_t rest = seconds - days * 86400;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buffer[64];
  int n =
      std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                    static_cast<long long>(year), month, day, static_cast<long long>(rest / 3600),
                    static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  std::string out(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  if (zulu) return out + "Z";
  const int offset = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+',
                offset / 60, offset % 60);
  return out + buffer;
}
}  // namespace internal

// RFC 3339 in UTC, to the second (fractions truncated towards the past):
// "2026-11-27T09:00:00Z". For messages and logs.
inline std::string FormatRfc3339(int64_t micros) {
  return internal::FormatRfc3339(micros, 0, /*zulu=*/true);
}

// The same instant as local time at `utc_offset_minutes`:
// FormatRfc3339(t, kSeoulUtcOffsetMinutes) == "2026-11-27T18:00:00+09:00".
inline std::string FormatRfc3339(int64_t micros, int utc_offset_minutes) {
  return internal::FormatRfc3339(micros, utc_offset_minutes, /*zulu=*/false);
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_TIME_H_
