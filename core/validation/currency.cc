// File: core/validation/currency.cc
// -----------------------------------------------------------------------------
//
// Implementation of currency.h. The ISO 4217 table, the amount limit and the
// refusal messages live in the plugin SDK (rapport/sdk/money.h), so the core
// and every plugin accept exactly the same codes; this file adapts them to
// absl::Status and formats amounts as decimals.

#include "core/validation/currency.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/common/strings.h"
#include "rapport/sdk/money.h"

namespace rapport::validation {
absl::StatusOr<int> CurrencyMinorUnits(std::string_view code) {
  std::string why;
  if (std::optional<int> minor = sdk::CurrencyMinorUnits(code, &why)) {
    return *minor;
  }
  return absl::InvalidArgumentError(why);
}

absl::Status ValidateMoneyUnits(std::string_view currency, int64_t units) {
  if (std::string why = sdk::MoneyError(currency, units); !why.empty()) {
    return absl::InvalidArgumentError(why);
  }
  return absl::OkStatus();
}

std::string FormatMoney(std::string_view currency, int64_t units) {
  const absl::StatusOr<int> minor = CurrencyMinorUnits(currency);
  if (!minor.ok()) {
    return absl::StrCat(absl::Utf8SafeCHexEscape(AsAbsl(currency)), " ", units);
  }
  // Work on the magnitude as uint64_t so that INT64_MIN does not overflow.
  const bool negative = units < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  if (*minor == 0) {
    return absl::StrCat(AsAbsl(currency), " ", negative ? "-" : "", magnitude);
  }
  uint64_t scale = 1;
  for (int i = 0; i < *minor; ++i) scale *= 10;
  const std::string fraction = absl::StrCat(magnitude % scale);
  return absl::StrCat(AsAbsl(currency), " ", negative ? "-" : "", magnitude / scale, ".",
                      std::string(static_cast<size_t>(*minor) - fraction.size(), '0'), fraction);
}

}  // namespace rapport::validation
