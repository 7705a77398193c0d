#include "util.h"

#include <cstdio>

namespace rapport::sfa {

std::string Pad(int64_t value, int width) {
  if (value < 0) value = 0;
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

int64_t ToMicros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

google::protobuf::Timestamp FromMicros(int64_t micros) {
  google::protobuf::Timestamp t;
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  t.set_seconds(seconds);
  t.set_nanos(static_cast<int32_t>(rest * 1000));
  return t;
}

google::protobuf::Duration DurationFromMicros(int64_t micros) {
  google::protobuf::Duration d;
  d.set_seconds(micros / 1000000);
  d.set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  return d;
}

bool IsKeySafeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (name.front() == ' ' || name.back() == ' ') return false;
  for (unsigned char c : name) {
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    if (at == std::string::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string MonthName(int month_index) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d", month_index / 12, month_index % 12 + 1);
  return buffer;
}

namespace {
bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

Status ParsePeriod(const std::string& field, const std::string& period, int* first, int* last) {
  const std::string usage =
      "; use \"YYYY-MM\" (e.g. \"2026-11\") or \"YYYY-Qn\" (e.g. \"2026-Q4\")";
  if (period.empty()) return Status::Invalid(field + ": is required" + usage);
  if (period.size() == 7 && period[4] == '-' && AllDigits(period.substr(0, 4))) {
    int year = std::stoi(period.substr(0, 4));
    if (year < 1970 || year > 9999)
      return Status::Invalid(field + ": year out of range in '" + period + "'");
    if (AllDigits(period.substr(5, 2))) {
      int month = std::stoi(period.substr(5, 2));
      if (month < 1 || month > 12) {
        return Status::Invalid(field + ": month must be 01..12 in '" + period + "'");
      }
      *first = *last = year * 12 + month - 1;
      return {};
    }
    if ((period[5] == 'Q' || period[5] == 'q') && period[6] >= '1' && period[6] <= '4') {
      int quarter = period[6] - '0';
      *first = year * 12 + (quarter - 1) * 3;
      *last = *first + 2;
      return {};
    }
  }
  return Status::Invalid(field + ": '" + period + "' is not a period" + usage);
}

Status ParsePeriodRange(const std::string& period, const std::string& end_period, int* first,
                        int* last) {
  if (period.empty()) {
    return Status::Invalid("period: is required (a forecast needs a bounded period)");
  }
  if (Status s = ParsePeriod("period", period, first, last); !s.ok()) return s;
  if (!end_period.empty()) {
    int end_first = 0, end_last = 0;
    if (Status s = ParsePeriod("end_period", end_period, &end_first, &end_last); !s.ok()) return s;
    if (end_last < *first) {
      return Status::Invalid("end_period: '" + end_period + "' is before period '" + period + "'");
    }
    *last = end_last;
  }
  if (*last - *first + 1 > 36) {
    return Status::Invalid("end_period: the range " + period + ".." + end_period +
                           " is longer than 36 months");
  }
  return {};
}

// Howard Hinnant's algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
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

int64_t WeightedUnits(int64_t units, int32_t percent) {
  __int128 product = static_cast<__int128>(units) * percent;
  __int128 q = product / 100;
  if (product % 100 != 0 && product < 0) --q;  // floor for negatives
  return static_cast<int64_t>(q);
}

std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

int64_t BasisPoints(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return 0;
  return static_cast<int64_t>(static_cast<__int128>(numerator) * 10000 / denominator);
}

}  // namespace rapport::sfa

namespace rapport::sfa {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

std::string FormatMicros(int64_t micros) {
  const int64_t seconds = FloorDiv(micros, 1000000);
  const int64_t days = FloorDiv(seconds, 86400);
  const int64_t rest = seconds - days * 86400;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), month, day, static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  return buffer;
}

}  // namespace rapport::sfa
