// File: sdk/include/rapport/sdk/exact_sum.h
//
// Sums of money (minor units) and counts that never wrap. A module that
// keeps totals from the change feed adds and subtracts every record's
// contribution; with amounts up to 9e15 minor units (the core's limit), a
// thousand deals already leave int64. So:
//
//   - CheckedAdd / CheckedSub: int64 arithmetic that reports overflow
//     instead of wrapping, for totals computed in one request;
//   - ExactSum: a 128-bit running total, stored as two int64 fields
//     (high, low) so it fits a protobuf message. A stored total is always
//     exact; only when it is *answered* as an int64 field may it not fit,
//     and then the caller gets OUT_OF_RANGE (see ToInt64), never a wrapped
//     number.
//
//   rapport::sdk::ExactSum total = ExactSum::FromParts(a.amount_units_high(), a.amount_units());
//   total.Add(delta);
//   a.set_amount_units_high(total.high());  a.set_amount_units(total.low());
//   ...
//   auto units = total.ToInt64();
//   if (!units) return Status::OutOfRange("stages[2].amount_units: the total exceeds int64");
//
// Encoding: value = high * 2^64 + low, with `low` read as a signed int64.
// A total stored before the `high` field existed (high = 0) therefore reads
// back unchanged.
#ifndef RAPPORT_SDK_EXACT_SUM_H_
#define RAPPORT_SDK_EXACT_SUM_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace rapport::sdk {

// a + b, or nullopt when the result leaves int64.
inline std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// a - b, or nullopt when the result leaves int64.
inline std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}

class ExactSum {
 public:
  ExactSum() = default;
  explicit ExactSum(int64_t value) : value_(value) {}

  // The total stored as (high, low); see the file comment.
  static ExactSum FromParts(int64_t high, int64_t low) {
    ExactSum s;
    s.value_ = static_cast<__int128>(high) * kTwo64 + low;
    return s;
  }
  int64_t low() const { return static_cast<int64_t>(static_cast<uint64_t>(value_)); }
  int64_t high() const { return static_cast<int64_t>((value_ - low()) / kTwo64); }

  // 128 bits hold 2^63 contributions of the largest int64 before they could
  // wrap: no module reaches that.
  void Add(int64_t v) { value_ += v; }
  void Add(const ExactSum& other) { value_ += other.value_; }
  // Adds `other` (sign +1) or takes it away (sign -1).
  void Add(const ExactSum& other, int sign) { value_ += sign < 0 ? -other.value_ : other.value_; }
  void Subtract(int64_t v) { value_ -= v; }

  bool IsZero() const { return value_ == 0; }
  bool FitsInt64() const {
    return value_ >= std::numeric_limits<int64_t>::min() &&
           value_ <= std::numeric_limits<int64_t>::max();
  }
  // The total as an int64, or nullopt when it does not fit: answer
  // OUT_OF_RANGE naming the field then.
  std::optional<int64_t> ToInt64() const {
    if (!FitsInt64()) return std::nullopt;
    return static_cast<int64_t>(value_);
  }
  // Decimal digits, exact (for messages and logs).
  std::string ToString() const {
    if (value_ == 0) return "0";
    __int128 v = value_;
    const bool negative = v < 0;
    std::string digits;
    while (v != 0) {
      int d = static_cast<int>(v % 10);
      digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -d : d)));
      v /= 10;
    }
    return negative ? "-" + digits : digits;
  }

  friend bool operator==(const ExactSum& a, const ExactSum& b) { return a.value_ == b.value_; }

 private:
  static constexpr __int128 kTwo64 = static_cast<__int128>(1) << 64;
  __int128 value_ = 0;
};

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_EXACT_SUM_H_
