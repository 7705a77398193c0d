// File: core/validation/currency.h
// -----------------------------------------------------------------------------
//
// ISO 4217 currency codes and money amounts, as absl::Status. The table and
// the limit are the plugin SDK's (rapport/sdk/money.h): one table in the tree.
//
// Rapport stores every money amount as a pair (currency, units), where `units`
// is an integer count of the currency's minor unit: cents for USD, whole won
// for KRW (which has no minor unit), fils (1/1000) for BHD. There is no
// floating point anywhere in the money path. The functions here answer "how
// many decimal places does this currency have", "is this a storable amount",
// and "how do I show it in a log line or an export".
//
// Error messages never name the field being validated; the caller prefixes the
// field path (e.g. "deal.amount.currency: 'EURO' is not an ISO 4217 currency
// code").
//
// All functions are thread-safe: they only read immutable static data.
//
// Example:
//
//   absl::Status s = rapport::validation::ValidateMoneyUnits("KRW", 1500000);
//   // s.ok()
//   std::string shown = rapport::validation::FormatMoney("USD", 1234);
//   // shown == "USD 12.34"

#ifndef RAPPORT_CORE_VALIDATION_CURRENCY_H_
#define RAPPORT_CORE_VALIDATION_CURRENCY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/sdk/money.h"

namespace rapport::validation {

// The largest money amount, in minor units, that Rapport accepts: 9e18 (just
// under INT64_MAX, about 9.22e18) divided by 1000, i.e. 9e15. A report may add
// up to a thousand such amounts in an int64_t without overflowing. 9e15 minor
// units is 90 trillion USD, 9 quadrillion KRW or 90 trillion IDR, beyond any
// real deal even in currencies with a small unit value. Defined once, in the
// plugin SDK (rapport/sdk/money.h, with the ISO 4217 table), so plugins apply
// the same limit.
inline constexpr int64_t kMaxMoneyUnits = sdk::kMaxMoneyUnits;
static_assert(kMaxMoneyUnits == 9'000'000'000'000'000);

// Returns the number of decimal places of the minor unit of the active
// ISO 4217 currency `code` (0 for KRW and JPY, 2 for USD and EUR, 3 for BHD
// and KWD, 4 for CLF and UYW). `code` must be exactly three upper-case ASCII
// letters. Returns INVALID_ARGUMENT for an empty, lower-case, wrong-length or
// unknown code, and for ISO codes that have no minor unit at all (XAU gold,
// XDR, XTS test code, ...) because those cannot hold a money amount.
absl::StatusOr<int> CurrencyMinorUnits(std::string_view code);

// Returns OK if `units` minor units of `currency` is an amount Rapport can
// store: `currency` is accepted by CurrencyMinorUnits(), and
// 0 <= units <= kMaxMoneyUnits. Returns INVALID_ARGUMENT otherwise; the
// message for an oversized amount names kMaxMoneyUnits.
absl::Status ValidateMoneyUnits(std::string_view currency, int64_t units);

// Formats an amount as "<code> <decimal>" using the currency's minor units and
// '.' as the decimal separator, with no grouping: FormatMoney("KRW", 1500000)
// is "KRW 1500000", FormatMoney("USD", 1234) is "USD 12.34",
// FormatMoney("BHD", 5) is "BHD 0.005". Negative amounts get a leading '-'
// ("USD -0.05"). This is for logs, exports and audit trails, not for
// locale-aware display. Never fails: a code rejected by CurrencyMinorUnits() is
// printed C-escaped, followed by the plain integer `units` ("XAU 12").
std::string FormatMoney(std::string_view currency, int64_t units);

}  // namespace rapport::validation

#endif  // RAPPORT_CORE_VALIDATION_CURRENCY_H_
