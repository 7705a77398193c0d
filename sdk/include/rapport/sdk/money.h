// File: sdk/include/rapport/sdk/money.h
//
// Money as the core stores it: a pair (ISO 4217 currency code, integer count
// of the currency's minor unit), never a float. This is THE currency table of
// the tree: core/validation/currency.cc answers from it too, so a plugin
// accepts exactly the codes and amounts the core accepts (SDK 1.2).
// Header-only, standard C++17, no host calls.
//
//   std::string why;
//   if (!rapport::sdk::CurrencyMinorUnits(code, &why)) {
//     return Status::Invalid("amount.currency_code: " + why);
//   }
//   // why == "'krw' is not an ISO 4217 currency code; codes are upper-case, e.g. 'KRW'"
//   if (std::string e = rapport::sdk::MoneyUnitsError(units); !e.empty()) {
//     return Status::Invalid("amount.units: " + e);
//   }
//
// Messages never name the field; the caller prefixes the field path. Codes
// quoted in messages are C-escaped (control characters cannot corrupt logs)
// and cut to 64 bytes.
#ifndef RAPPORT_SDK_MONEY_H_
#define RAPPORT_SDK_MONEY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::sdk {

// The largest money amount, in minor units, that Rapport accepts: 9e18 (just
// under INT64_MAX, about 9.22e18) divided by 1000, i.e. 9e15. A report may
// add up to a thousand such amounts in an int64_t without overflowing (for
// totals kept from the feed, see exact_sum.h). 9e15 minor units is 90
// trillion USD, 9 quadrillion KRW or 90 trillion IDR.
inline constexpr int64_t kMaxMoneyUnits = 9'000'000'000'000'000'000 / 1000;
static_assert(kMaxMoneyUnits == 9'000'000'000'000'000);

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
// XBA-XBD, XTS, XXX) are deliberately absent; see kNoMinorUnitCurrencies.
// clang-format off
inline constexpr std::array<CurrencyEntry, 167> kCurrencies = {{
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

// ISO 4217 codes that exist but have no minor unit ("N.A."): precious metals,
// IMF/bond-market units of account, the SUCRE, and the test/no-currency
// codes. Recognised only to give a more precise error message.
inline constexpr std::array<std::string_view, 13> kNoMinorUnitCurrencies = {
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
};

namespace internal {

// Binary search below depends on this; a mis-sorted or duplicated edit fails
// the build. (std::is_sorted is constexpr only from C++20; the SDK is C++17.)
constexpr bool StrictlySortedByCode() {
  for (size_t i = 1; i < kCurrencies.size(); ++i) {
    if (!(kCurrencies[i - 1].code < kCurrencies[i].code)) return false;
  }
  return true;
}
static_assert(StrictlySortedByCode(), "kCurrencies must be sorted by code, without duplicates");

// absl::Utf8SafeCHexEscape, which the core used before this table moved here,
// so the core's messages did not change: \n \r \t \" \' \\ by name, other
// ASCII controls and DEL as \xHH (as is a hex digit right after one), bytes of
// 0x80 and up as they are.
inline std::string CHexEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  bool last_hex = false;
  for (unsigned char c : s) {
    bool hex = false;
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\"':
        out += "\\\"";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      default: {
        const bool printable = c >= 0x20 && c < 0x7f;
        const bool xdigit =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (c < 0x80 && (!printable || (last_hex && xdigit))) {
          out += "\\x";
          out += kHex[c / 16];
          out += kHex[c % 16];
          hex = true;
        } else {
          out += static_cast<char>(c);
        }
      }
    }
    last_hex = hex;
  }
  return out;
}

// `s` in single quotes for a message: C-escaped and cut to at most 64 bytes
// (never inside a UTF-8 sequence), "..." marking a cut.
inline std::string QuoteCode(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  if (s.size() <= kMaxShown) return "'" + CHexEscape(s) + "'";
  size_t cut = kMaxShown;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return "'" + CHexEscape(s.substr(0, cut)) + "...'";
}

}  // namespace internal

// The table entry of `code` (exact, upper case), or nullptr.
inline const CurrencyEntry* FindCurrency(std::string_view code) {
  size_t lo = 0, hi = kCurrencies.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (kCurrencies[mid].code < code) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < kCurrencies.size() && kCurrencies[lo].code == code ? &kCurrencies[lo] : nullptr;
}

// The number of decimal places of the minor unit of the active ISO 4217
// currency `code` (0 for KRW and JPY, 2 for USD and EUR, 3 for BHD and KWD, 4
// for CLF and UYW). nullopt for an empty, lower-case, wrong-length or unknown
// code, and for ISO codes that have no minor unit (XAU gold, XDR, XTS, ...),
// which cannot hold a money amount; then `*why`, if given, says which, e.g.
// "'ABC' is not an ISO 4217 currency code".
inline std::optional<int> CurrencyMinorUnits(std::string_view code, std::string* why = nullptr) {
  auto refuse = [&](std::string message) -> std::optional<int> {
    if (why) *why = std::move(message);
    return std::nullopt;
  };
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  if (code.empty()) return refuse("must not be empty; use an ISO 4217 currency code such as 'USD'");
  const std::string quoted = internal::QuoteCode(code);
  if (code.size() != 3) {
    return refuse(quoted +
                  " is not an ISO 4217 currency code; codes are exactly three letters, e.g. 'EUR'");
  }
  bool upper = true, letters = true;
  for (char c : code) {
    upper = upper && is_upper(c);
    letters = letters && (is_upper(c) || is_lower(c));
  }
  if (!upper) {
    if (!letters) {
      return refuse(quoted +
                    " is not an ISO 4217 currency code; codes are three upper-case letters A-Z, "
                    "e.g. 'EUR'");
    }
    std::string suggestion(code);
    for (char& c : suggestion) {
      if (is_lower(c)) c = static_cast<char>(c - 'a' + 'A');
    }
    return refuse(quoted + " is not an ISO 4217 currency code; codes are upper-case, e.g. '" +
                  suggestion + "'");
  }
  if (const CurrencyEntry* entry = FindCurrency(code)) return entry->minor_units;
  for (std::string_view none : kNoMinorUnitCurrencies) {
    if (none == code) {
      return refuse(quoted +
                    " has no minor unit in ISO 4217 (it is a precious metal, unit of account or "
                    "test code) and cannot be used for money amounts");
    }
  }
  return refuse(quoted + " is not an ISO 4217 currency code");
}

// Whether `code` is an active ISO 4217 currency that can hold an amount.
inline bool IsCurrencyCode(std::string_view code) { return CurrencyMinorUnits(code).has_value(); }

// "" when 0 <= units <= kMaxMoneyUnits; otherwise why not ("amount -1 is
// negative; ...", "amount N exceeds the maximum of 9000000000000000 minor
// units").
inline std::string MoneyUnitsError(int64_t units) {
  if (units < 0) {
    return "amount " + std::to_string(units) +
           " is negative; money amounts must be zero or positive";
  }
  if (units > kMaxMoneyUnits) {
    return "amount " + std::to_string(units) + " exceeds the maximum of " +
           std::to_string(kMaxMoneyUnits) + " minor units";
  }
  return "";
}

// "" when `units` minor units of `currency` is an amount Rapport stores (the
// core's check on every Money field); otherwise the first reason it is not.
inline std::string MoneyError(std::string_view currency, int64_t units) {
  std::string why;
  if (!CurrencyMinorUnits(currency, &why)) return why;
  return MoneyUnitsError(units);
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_MONEY_H_
