#include "util.h"

namespace rapport::sfa {

namespace {
// "YYYY-MM" or "YYYY-Qn" into the months it covers; INVALID_ARGUMENT naming
// `field` otherwise.
Status ParseMonths(const std::string& field, const std::string& period, int* first, int* last) {
  rapport::sdk::Period p;
  if (Status s = rapport::sdk::ParsePeriod(field, period, &p, rapport::sdk::kMonthsAndQuarters);
      !s.ok()) {
    return s;
  }
  *first = p.first_month();
  *last = p.last_month();
  return {};
}
}  // namespace

Status ParsePeriodRange(const std::string& period, const std::string& end_period, int* first,
                        int* last) {
  if (period.empty()) {
    return Status::Invalid("period: is required (a forecast needs a bounded period)");
  }
  if (Status s = ParseMonths("period", period, first, last); !s.ok()) return s;
  if (!end_period.empty()) {
    int end_first = 0, end_last = 0;
    if (Status s = ParseMonths("end_period", end_period, &end_first, &end_last); !s.ok()) return s;
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
