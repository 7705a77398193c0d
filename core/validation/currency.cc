// File: core/validation/currency.cc
// -----------------------------------------------------------------------------
//
// Implementation of currency.h: a static, sorted ISO 4217 table plus the
// arithmetic to print minor units as a decimal.

#include "core/validation/currency.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace rapport::validation {
namespace {

// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so
// absl::string_view is a distinct type and does not convert implicitly from
// std::string_view.
absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Returns `s` in single quotes for an error message: C-escaped (so control
// characters cannot corrupt logs) and cut to at most 64 bytes.
std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  if (s.size() <= kMaxShown) {
    return absl::StrCat("'", absl::Utf8SafeCHexEscape(AsAbsl(s)), "'");
  }
  size_t cut = kMaxShown;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("'", absl::Utf8SafeCHexEscape(AsAbsl(s.substr(0, cut))),
                      "...'");
}

struct CurrencyEntry {
  std::string_view code;
  int minor_units;
};

// Active ISO 4217 currencies (List One, published 2024-06-25, plus XCG
// "Caribbean Guilder", in circulation since 2025-03-31; ANG is kept while
// balances in it still exist) with their minor-unit exponent, sorted by code.
//
// Why a static table instead of ICU: ICU's currency data (ucurr_*) comes from
// CLDR, not from ISO. CLDR's "default fraction digits" are rounding advice for
// display and disagree with ISO 4217 for 13 currencies (ICU 72 says 0 for IQD,
// AFN, ALL, IRR, KPW, LAK, LBP, MGA, MMK, RSD, SOS, SYP and YER; ISO says 3 for
// IQD and 2 for the rest). The amounts we store must follow ISO. ICU 72 also
// still lists withdrawn codes (HRK, SLL, VEF) as current, lacks newer ones
// (ZWG, VED, XCG) and the fund codes (CLF, UYW, ...), and its richer APIs are
// locale-dependent. The table is small, reviewed line by line against the ISO
// list, and only changes when ISO publishes an amendment.
//
// Codes whose ISO minor unit is "N.A." (XAU, XAG, XPD, XPT, XDR, XUA, XSU,
// XBA-XBD, XTS, XXX) are deliberately absent; see kNoMinorUnitCodes.
// clang-format off
constexpr std::array<CurrencyEntry, 167> kCurrencies = {{
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
    {"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
    {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
    {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
    {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
    {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
    {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2},
    {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2},
    {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2},
    {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2},
    {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
    {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2},
    {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2},
    {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2},
    {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0},
    {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0},
    {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
    {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
}};
// clang-format on

constexpr bool CodeLess(const CurrencyEntry& a, const CurrencyEntry& b) {
  return a.code < b.code;
}

// Binary search below depends on this; a mis-sorted edit fails the build.
static_assert(std::is_sorted(kCurrencies.begin(), kCurrencies.end(), CodeLess),
              "kCurrencies must be sorted by code");
static_assert(std::adjacent_find(kCurrencies.begin(), kCurrencies.end(),
                                 [](const CurrencyEntry& a,
                                    const CurrencyEntry& b) {
                                   return a.code == b.code;
                                 }) == kCurrencies.end(),
              "kCurrencies must not contain duplicates");

// ISO 4217 codes that exist but have no minor unit ("N.A."): precious metals,
// IMF/bond-market units of account, the SUCRE, and the test/no-currency codes.
// Recognised only to give a more precise error message.
constexpr std::array<std::string_view, 13> kNoMinorUnitCodes = {
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR",
    "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
};

// Returns the table entry for `code`, or nullptr.
const CurrencyEntry* FindCurrency(std::string_view code) {
  const CurrencyEntry key{code, 0};
  const auto it =
      std::lower_bound(kCurrencies.begin(), kCurrencies.end(), key, CodeLess);
  if (it == kCurrencies.end() || it->code != code) return nullptr;
  return &*it;
}

bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

absl::StatusOr<int> CurrencyMinorUnits(std::string_view code) {
  if (code.empty()) {
    return absl::InvalidArgumentError(
        "must not be empty; use an ISO 4217 currency code such as 'USD'");
  }
  if (code.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(code),
                     " is not an ISO 4217 currency code; codes are exactly "
                     "three letters, e.g. 'EUR'"));
  }
  if (!std::all_of(code.begin(), code.end(), IsAsciiUpper)) {
    if (std::all_of(code.begin(), code.end(), [](char c) {
          return IsAsciiUpper(c) || IsAsciiLower(c);
        })) {
      std::string upper(code);
      for (char& c : upper) {
        if (IsAsciiLower(c)) c = static_cast<char>(c - 'a' + 'A');
      }
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(code),
                       " is not an ISO 4217 currency code; codes are "
                       "upper-case, e.g. '",
                       upper, "'"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(code),
                     " is not an ISO 4217 currency code; codes are three "
                     "upper-case letters A-Z, e.g. 'EUR'"));
  }
  if (const CurrencyEntry* entry = FindCurrency(code); entry != nullptr) {
    return entry->minor_units;
  }
  if (std::find(kNoMinorUnitCodes.begin(), kNoMinorUnitCodes.end(), code) !=
      kNoMinorUnitCodes.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(code),
        " has no minor unit in ISO 4217 (it is a precious metal, unit of "
        "account or test code) and cannot be used for money amounts"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Quote(code), " is not an ISO 4217 currency code"));
}

absl::Status ValidateMoneyUnits(std::string_view currency, int64_t units) {
  if (absl::StatusOr<int> minor = CurrencyMinorUnits(currency); !minor.ok()) {
    return minor.status();
  }
  if (units < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount ", units,
                     " is negative; money amounts must be zero or positive"));
  }
  if (units > kMaxMoneyUnits) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount ", units, " exceeds the maximum of ",
                     kMaxMoneyUnits, " minor units"));
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
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(units)
                                      : static_cast<uint64_t>(units);
  if (*minor == 0) {
    return absl::StrCat(AsAbsl(currency), " ", negative ? "-" : "", magnitude);
  }
  uint64_t scale = 1;
  for (int i = 0; i < *minor; ++i) scale *= 10;
  const std::string fraction = absl::StrCat(magnitude % scale);
  return absl::StrCat(
      AsAbsl(currency), " ", negative ? "-" : "", magnitude / scale, ".",
      std::string(static_cast<size_t>(*minor) - fraction.size(), '0'),
      fraction);
}

}  // namespace rapport::validation
