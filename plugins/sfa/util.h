// File: plugins/sfa/util.h
//
// Small helpers of the SFA plugin: its period ranges and exact money
// arithmetic. No host calls. Keys, times and calendar periods come from the
// SDK (rapport/sdk/keys.h, time.h, periods.h), as do IDs, currencies and
// text limits (ids.h, money.h, text.h); the using-declarations below let the
// plugin's files name them unqualified.
#ifndef RAPPORT_PLUGINS_SFA_UTIL_H_
#define RAPPORT_PLUGINS_SFA_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "rapport/sdk/keys.h"
#include "rapport/sdk/periods.h"
#include "rapport/sdk/plugin.h"
#include "rapport/sdk/time.h"

namespace rapport::sfa {

using rapport::sdk::Status;

using rapport::sdk::DurationFromMicros;
using rapport::sdk::FormatRfc3339;
using rapport::sdk::IsKeySafeName;
using rapport::sdk::Join;
using rapport::sdk::kMicrosPerDay;
using rapport::sdk::MonthName;
using rapport::sdk::ParseZeroPadded;
using rapport::sdk::SplitKey;
using rapport::sdk::StartsWith;
using rapport::sdk::TimestampFromMicros;
using rapport::sdk::ToMicros;
using rapport::sdk::ZeroPad;

// A bounded range of months for a forecast, as month indexes (year * 12 +
// month - 1): period required, end_period optional (inclusive), each
// "YYYY-MM" or "YYYY-Qn" (rapport::sdk::ParsePeriod), not reversed, at most
// 36 months.
Status ParsePeriodRange(const std::string& period, const std::string& end_period, int* first,
                        int* last);

// floor(units * percent / 100), exact (units <= 9e15).
int64_t WeightedUnits(int64_t units, int32_t percent);
// a * b, or nullopt on int64 overflow.
std::optional<int64_t> CheckedMul(int64_t a, int64_t b);
// numerator / denominator in basis points (0 when denominator is 0).
int64_t BasisPoints(int64_t numerator, int64_t denominator);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_UTIL_H_
