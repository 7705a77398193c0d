// File: plugins/sfa/util.h
//
// Small helpers of the SFA plugin: key encoding, times, calendar periods
// and exact money arithmetic. No host calls. (IDs, currencies and text
// limits come from the SDK: rapport/sdk/ids.h, money.h, text.h.)
#ifndef RAPPORT_PLUGINS_SFA_UTIL_H_
#define RAPPORT_PLUGINS_SFA_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/sdk/plugin.h"

namespace rapport::sfa {

using rapport::sdk::Status;

// `value` (>= 0) zero-padded to `width` digits, so keys sort numerically.
std::string Pad(int64_t value, int width);

int64_t ToMicros(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp FromMicros(int64_t micros);
google::protobuf::Duration DurationFromMicros(int64_t micros);

// A name that can sit in a key: 1..64 bytes, no '/', no control
// characters, no leading or trailing space.
bool IsKeySafeName(const std::string& name);

std::string Join(const std::vector<std::string>& parts, const std::string& separator = ", ");
// Splits on `separator`, keeping empty parts.
std::vector<std::string> Split(const std::string& text, char separator);
bool StartsWith(const std::string& text, const std::string& prefix);

// Months are counted as year * 12 + (month - 1).
std::string MonthName(int month_index);  // "2026-11"
// "YYYY-MM" or "YYYY-Qn" -> the months it covers. INVALID_ARGUMENT naming
// `field` on bad syntax.
Status ParsePeriod(const std::string& field, const std::string& period, int* first, int* last);
// A bounded range: period required, end_period optional (inclusive), not
// reversed, at most 36 months.
Status ParsePeriodRange(const std::string& period, const std::string& end_period, int* first,
                        int* last);

// Days since 1970-01-01 for a civil date and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// floor(units * percent / 100), exact (units <= 9e15).
int64_t WeightedUnits(int64_t units, int32_t percent);
// a * b, or nullopt on int64 overflow.
std::optional<int64_t> CheckedMul(int64_t a, int64_t b);
// numerator / denominator in basis points (0 when denominator is 0).
int64_t BasisPoints(int64_t numerator, int64_t denominator);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_UTIL_H_

namespace rapport::sfa {
// RFC 3339 in UTC, to the second: "2026-11-27T09:00:00Z".
std::string FormatMicros(int64_t micros);
// a / b rounded towards negative infinity (b > 0).
int64_t FloorDiv(int64_t a, int64_t b);
}  // namespace rapport::sfa
