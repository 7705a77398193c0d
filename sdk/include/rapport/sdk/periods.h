// File: sdk/include/rapport/sdk/periods.h
//
// Calendar periods of a report, a forecast or a quota: a day "2026-11-27",
// an ISO 8601 week "2026-W48", a month "2026-11" or a quarter "2026-Q4". A
// Period is a range of local civil days [first_day, end_day); its instants
// are [StartMicros(), EndMicros()) in UTC micros for a fixed UTC offset,
// Korea Standard Time (UTC+9) unless you pass another. Why a fixed offset is
// exact for Korea, and what a module for a zone with daylight saving time
// must do instead, is in time.h. Header-only, standard C++17 plus the
// protobuf well-known types (through time.h), no host calls.
//
//   rapport::sdk::Period p;
//   if (Status s = rapport::sdk::ParsePeriod("period", request.period(), &p); !s.ok()) return s;
//   // "2026-12" is [2026-11-30T15:00:00Z, 2026-12-31T15:00:00Z): a month in Seoul
//   const int64_t from = p.StartMicros(), to = p.EndMicros();
//
//   // The month a deal closed in, in Seoul:
//   Period m = rapport::sdk::PeriodContaining(PeriodKind::kMonth, close_micros);
//   m.Name();  // "2026-12"
//
// Months are also counted by a month index, year * 12 + (month - 1)
// (MonthIndex, MonthName): consecutive months have consecutive indexes, so a
// range of months is a range of ints.
//
// ParsePeriod's errors are INVALID_ARGUMENT and start with the field path you
// pass ("period: month must be 01..12 in '2026-13'"); the text quoted is
// C-escaped and cut to 64 bytes, as in money.h. Years are 1970..9999.
#ifndef RAPPORT_SDK_PERIODS_H_
#define RAPPORT_SDK_PERIODS_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "rapport/sdk/money.h"   // internal::QuoteCode, for messages
#include "rapport/sdk/plugin.h"  // Status
#include "rapport/sdk/time.h"

namespace rapport::sdk {

enum class PeriodKind { kDay, kIsoWeek, kMonth, kQuarter };

// Sets of kinds, for ParsePeriod's `kinds`: PeriodKindBit(kMonth) | ...
inline constexpr unsigned PeriodKindBit(PeriodKind kind) {
  return 1u << static_cast<unsigned>(kind);
}
inline constexpr unsigned kAnyPeriodKind = 0xF;
inline constexpr unsigned kMonthsAndQuarters =
    PeriodKindBit(PeriodKind::kMonth) | PeriodKindBit(PeriodKind::kQuarter);

inline constexpr int kMinPeriodYear = 1970;
inline constexpr int kMaxPeriodYear = 9999;

// ---- months by index

// year * 12 + (month - 1): 2026-11 is 24322.
inline constexpr int MonthIndex(int64_t year, unsigned month) {
  return static_cast<int>(year * 12 + month - 1);
}
// "2026-11" for MonthIndex(2026, 11).
inline std::string MonthName(int month_index) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d", month_index / 12, month_index % 12 + 1);
  return buffer;
}
// The month index of a day count (days since 1970-01-01).
inline int MonthIndexOfDay(int64_t day) {
  int64_t year;
  unsigned month, d;
  CivilFromDays(day, &year, &month, &d);
  return MonthIndex(year, month);
}
// The first day (days since 1970-01-01) of a month index.
inline constexpr int64_t FirstDayOfMonth(int month_index) {
  return DaysFromCivil(month_index / 12, static_cast<unsigned>(month_index % 12 + 1), 1);
}

// ---- ISO 8601 weeks: Monday to Sunday; week 1 of a year is the one with
// its first Thursday (the one holding January 4th), so 2026-W01 begins on
// Monday 2025-12-29 and 2027-01-01 (a Friday) is in 2026-W53.

// The Monday that begins week 1 of `iso_year`, as a day count.
inline constexpr int64_t IsoWeekOneMonday(int64_t iso_year) {
  const int64_t jan4 = DaysFromCivil(iso_year, 1, 4);
  return jan4 - (IsoWeekday(jan4) - 1);
}
// 52 or 53.
inline constexpr int IsoWeeksInYear(int64_t iso_year) {
  return static_cast<int>((IsoWeekOneMonday(iso_year + 1) - IsoWeekOneMonday(iso_year)) / 7);
}
// The ISO week-numbering year and week (1..53) of a day count.
inline void IsoWeekOfDay(int64_t day, int64_t* iso_year, int* week) {
  int64_t year;
  unsigned month, d;
  CivilFromDays(day + (4 - IsoWeekday(day)), &year, &month, &d);  // its week's Thursday
  *iso_year = year;
  *week = static_cast<int>((day - IsoWeekOneMonday(year)) / 7) + 1;
}

// ---- periods

struct Period {
  PeriodKind kind = PeriodKind::kDay;
  int64_t first_day = 0;  // local civil day, days since 1970-01-01
  int64_t end_day = 1;    // the day after the last, exclusive

  // The month indexes of the first and the last day (equal for a month, two
  // apart for a quarter; a week may straddle two months).
  int first_month() const { return MonthIndexOfDay(first_day); }
  int last_month() const { return MonthIndexOfDay(end_day - 1); }

  // [StartMicros, EndMicros) in UTC micros, in the zone at
  // `utc_offset_minutes`: in Seoul, December 2026 is
  // [2026-11-30T15:00:00Z, 2026-12-31T15:00:00Z).
  int64_t StartMicros(int utc_offset_minutes = kSeoulUtcOffsetMinutes) const {
    return LocalDayStartMicros(first_day, utc_offset_minutes);
  }
  int64_t EndMicros(int utc_offset_minutes = kSeoulUtcOffsetMinutes) const {
    return LocalDayStartMicros(end_day, utc_offset_minutes);
  }
  bool Contains(int64_t micros, int utc_offset_minutes = kSeoulUtcOffsetMinutes) const {
    return micros >= StartMicros(utc_offset_minutes) && micros < EndMicros(utc_offset_minutes);
  }

  // Its canonical text, which ParsePeriod reads back: "2026-11-27",
  // "2026-W05", "2026-11" or "2026-Q4".
  std::string Name() const {
    char buffer[40];
    int64_t year;
    unsigned month, day;
    CivilFromDays(first_day, &year, &month, &day);
    switch (kind) {
      case PeriodKind::kDay:
        std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(year),
                      month, day);
        break;
      case PeriodKind::kIsoWeek: {
        int week;
        IsoWeekOfDay(first_day, &year, &week);
        std::snprintf(buffer, sizeof buffer, "%04lld-W%02d", static_cast<long long>(year), week);
        break;
      }
      case PeriodKind::kMonth:
        std::snprintf(buffer, sizeof buffer, "%04lld-%02u", static_cast<long long>(year), month);
        break;
      case PeriodKind::kQuarter:
        std::snprintf(buffer, sizeof buffer, "%04lld-Q%u", static_cast<long long>(year),
                      (month - 1) / 3 + 1);
        break;
    }
    return buffer;
  }

  friend bool operator==(const Period& a, const Period& b) {
    return a.kind == b.kind && a.first_day == b.first_day && a.end_day == b.end_day;
  }
  friend bool operator!=(const Period& a, const Period& b) { return !(a == b); }
};

inline Period DayPeriod(int64_t day) { return Period{PeriodKind::kDay, day, day + 1}; }
// Week 1..IsoWeeksInYear(iso_year) (not checked).
inline Period IsoWeekPeriod(int64_t iso_year, int week) {
  const int64_t monday = IsoWeekOneMonday(iso_year) + 7 * static_cast<int64_t>(week - 1);
  return Period{PeriodKind::kIsoWeek, monday, monday + 7};
}
inline Period MonthPeriod(int month_index) {
  return Period{PeriodKind::kMonth, FirstDayOfMonth(month_index), FirstDayOfMonth(month_index + 1)};
}
// Quarter 1..4 (not checked).
inline Period QuarterPeriod(int64_t year, int quarter) {
  const int first = MonthIndex(year, static_cast<unsigned>((quarter - 1) * 3 + 1));
  return Period{PeriodKind::kQuarter, FirstDayOfMonth(first), FirstDayOfMonth(first + 3)};
}

// The period of `kind` that holds local day `day`.
inline Period PeriodOfDay(PeriodKind kind, int64_t day) {
  switch (kind) {
    case PeriodKind::kIsoWeek: {
      const int64_t monday = day - (IsoWeekday(day) - 1);
      return Period{PeriodKind::kIsoWeek, monday, monday + 7};
    }
    case PeriodKind::kMonth:
      return MonthPeriod(MonthIndexOfDay(day));
    case PeriodKind::kQuarter: {
      const int month = MonthIndexOfDay(day);
      return QuarterPeriod(month / 12, month % 12 / 3 + 1);
    }
    case PeriodKind::kDay:
      break;
  }
  return DayPeriod(day);
}

// The period of `kind` holding the instant `micros` in the zone at
// `utc_offset_minutes` (default Seoul): 2026-11-30T15:00:00Z is in December
// in Seoul, in November in UTC.
inline Period PeriodContaining(PeriodKind kind, int64_t micros,
                               int utc_offset_minutes = kSeoulUtcOffsetMinutes) {
  return PeriodOfDay(kind, LocalDay(micros, utc_offset_minutes));
}

// The period of the same kind right after `p` (2026-Q4 -> 2027-Q1).
inline Period NextPeriod(const Period& p) { return PeriodOfDay(p.kind, p.end_day); }

namespace internal {
inline bool PeriodDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
inline int PeriodNumber(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}
// "; use \"YYYY-MM\" (e.g. \"2026-11\") or \"YYYY-Qn\" (e.g. \"2026-Q4\")"
// for the kinds in `kinds`.
inline std::string PeriodUsage(unsigned kinds) {
  const std::pair<PeriodKind, const char*> forms[] = {
      {PeriodKind::kMonth, "\"YYYY-MM\" (e.g. \"2026-11\")"},
      {PeriodKind::kQuarter, "\"YYYY-Qn\" (e.g. \"2026-Q4\")"},
      {PeriodKind::kIsoWeek, "\"YYYY-Www\" (an ISO week, e.g. \"2026-W48\")"},
      {PeriodKind::kDay, "\"YYYY-MM-DD\" (e.g. \"2026-11-27\")"},
  };
  std::string out;
  int count = 0, total = 0;
  for (const auto& form : forms) total += (kinds & PeriodKindBit(form.first)) != 0;
  for (const auto& form : forms) {
    if (!(kinds & PeriodKindBit(form.first))) continue;
    out += count == 0 ? "; use " : (count + 1 == total ? " or " : ", ");
    out += form.second;
    ++count;
  }
  return out;
}
}  // namespace internal

// Reads a period of one of `kinds` (default: any): "YYYY-MM", "YYYY-Qn",
// "YYYY-Www" (ISO 8601 week, 01..52 or 53) or "YYYY-MM-DD"; the letters Q
// and W may be lower case. INVALID_ARGUMENT naming `field` otherwise:
//   "period: is required; use ..."                         (empty)
//   "period: '2026/11' is not a period; use ..."           (other syntax, a kind not
//                                                           in `kinds`, quarter 0 or 5..9)
//   "period: year out of range in '0999-01'"               (years 1970..9999)
//   "period: month must be 01..12 in '2026-13'"
//   "period: week must be 01..53 in '2026-W54'"
//   "period: 2025 has 52 ISO weeks, no week 53: '2025-W53'"
//   "period: day must be 01..28 in '2026-02-29' (2026-02 has 28 days)"
inline Status ParsePeriod(std::string_view field, std::string_view text, Period* out,
                          unsigned kinds = kAnyPeriodKind) {
  const std::string f(field);
  const std::string usage = internal::PeriodUsage(kinds);
  if (text.empty()) return Status::Invalid(f + ": is required" + usage);
  const std::string quoted = internal::QuoteCode(text);
  auto allowed = [&](PeriodKind k) { return (kinds & PeriodKindBit(k)) != 0; };
  if (text.size() >= 7 && text[4] == '-' && internal::PeriodDigits(text.substr(0, 4))) {
    const int year = internal::PeriodNumber(text.substr(0, 4));
    const bool month_shape =
        text.size() == 7 && (allowed(PeriodKind::kMonth) || allowed(PeriodKind::kQuarter));
    const bool week_shape =
        text.size() == 8 && (text[5] == 'W' || text[5] == 'w') && allowed(PeriodKind::kIsoWeek);
    const bool day_shape = text.size() == 10 && text[7] == '-' && allowed(PeriodKind::kDay);
    if ((month_shape || week_shape || day_shape) &&
        (year < kMinPeriodYear || year > kMaxPeriodYear)) {
      return Status::Invalid(f + ": year out of range in " + quoted);
    }
    if (month_shape && internal::PeriodDigits(text.substr(5, 2)) && allowed(PeriodKind::kMonth)) {
      const int month = internal::PeriodNumber(text.substr(5, 2));
      if (month < 1 || month > 12) {
        return Status::Invalid(f + ": month must be 01..12 in " + quoted);
      }
      *out = MonthPeriod(MonthIndex(year, static_cast<unsigned>(month)));
      return {};
    }
    if (month_shape && (text[5] == 'Q' || text[5] == 'q') && text[6] >= '1' && text[6] <= '4' &&
        allowed(PeriodKind::kQuarter)) {
      *out = QuarterPeriod(year, text[6] - '0');
      return {};
    }
    if (week_shape && internal::PeriodDigits(text.substr(6, 2))) {
      const int week = internal::PeriodNumber(text.substr(6, 2));
      if (week < 1 || week > 53) return Status::Invalid(f + ": week must be 01..53 in " + quoted);
      if (week > IsoWeeksInYear(year)) {
        return Status::Invalid(f + ": " + std::to_string(year) + " has " +
                               std::to_string(IsoWeeksInYear(year)) + " ISO weeks, no week " +
                               std::to_string(week) + ": " + quoted);
      }
      *out = IsoWeekPeriod(year, week);
      return {};
    }
    if (day_shape && internal::PeriodDigits(text.substr(5, 2)) &&
        internal::PeriodDigits(text.substr(8, 2))) {
      const int month = internal::PeriodNumber(text.substr(5, 2));
      const int day = internal::PeriodNumber(text.substr(8, 2));
      if (month < 1 || month > 12) {
        return Status::Invalid(f + ": month must be 01..12 in " + quoted);
      }
      const unsigned days = DaysInMonth(year, static_cast<unsigned>(month));
      if (day < 1 || static_cast<unsigned>(day) > days) {
        return Status::Invalid(f + ": day must be 01.." + std::to_string(days) + " in " + quoted +
                               " (" + std::string(text.substr(0, 7)) + " has " +
                               std::to_string(days) + " days)");
      }
      *out =
          DayPeriod(DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
      return {};
    }
  }
  return Status::Invalid(f + ": " + quoted + " is not a period" + usage);
}

// A UTC offset a request may carry (-720..840 minutes, -12:00..+14:00):
// INVALID_ARGUMENT "<field>: must be -720..840, got 900" otherwise.
inline Status CheckUtcOffsetMinutes(std::string_view field, int utc_offset_minutes) {
  if (utc_offset_minutes < kMinUtcOffsetMinutes || utc_offset_minutes > kMaxUtcOffsetMinutes) {
    return Status::Invalid(
        std::string(field) + ": must be " + std::to_string(kMinUtcOffsetMinutes) + ".." +
        std::to_string(kMaxUtcOffsetMinutes) + ", got " + std::to_string(utc_offset_minutes));
  }
  return {};
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_PERIODS_H_
