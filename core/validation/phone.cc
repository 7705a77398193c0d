// File: core/validation/phone.cc
// -----------------------------------------------------------------------------
//
// Implementation of phone.h on top of libphonenumber (which itself uses ICU
// and protobuf). libphonenumber reports errors through return codes and does
// not throw, but its calls are still wrapped in try/catch so that nothing
// (std::bad_alloc, a protobuf check) can escape into a request handler.

#include "core/validation/phone.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/common/strings.h"

namespace rapport::validation {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's name for "no region".
constexpr std::string_view kUnknownRegion = "ZZ";

// Longest query PhoneSearchKey() looks at.
constexpr size_t kMaxSearchQueryBytes = 256;

// Returns `region` upper-cased, or "ZZ" if it is empty. libphonenumber only
// understands upper-case region codes: Parse("010...", "kr") fails with
// INVALID_COUNTRY_CODE_ERROR.
std::string CanonicalRegion(std::string_view region) {
  if (region.empty()) return std::string(kUnknownRegion);
  return absl::AsciiStrToUpper(AsAbsl(region));
}

// Describes the default region for an error message.
std::string DescribeDefaultRegion(const std::string& region) {
  if (region == kUnknownRegion) return "no default region";
  return absl::StrCat("default region ", Quote(region));
}

// Message for a Parse() failure.
std::string ParseErrorMessage(PhoneNumberUtil::ErrorType error, std::string_view raw,
                              const std::string& region, bool region_supported) {
  const std::string quoted = Quote(raw);
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      if (!raw.empty() && raw.front() == '+') {
        return absl::StrCat(quoted, " starts with an unknown country calling code");
      }
      if (!region_supported) {
        return absl::StrCat(quoted, " has no country code and ",
                            region == kUnknownRegion
                                ? std::string("there is no default region")
                                : absl::StrCat(Quote(region), " is not a supported default region"),
                            "; write it as '+' followed by the country code and number");
      }
      return absl::StrCat(quoted, " has an unknown country calling code (",
                          DescribeDefaultRegion(region), ")");
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return absl::StrCat(quoted, " is too short to be a phone number (",
                          DescribeDefaultRegion(region), ")");
    case PhoneNumberUtil::TOO_LONG_NSN:
      return absl::StrCat(quoted, " is too long to be a phone number (",
                          DescribeDefaultRegion(region), ")");
    case PhoneNumberUtil::NOT_A_NUMBER:
    default:
      return absl::StrCat(quoted, " is not a phone number (", DescribeDefaultRegion(region), ")");
  }
}

absl::StatusOr<std::string> NormalizePhoneUnguarded(std::string_view raw,
                                                    std::string_view default_region) {
  if (raw.size() > kMaxPhoneInputBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(raw), " is ", raw.size(), " bytes long; the maximum is ", kMaxPhoneInputBytes));
  }
  const absl::string_view trimmed = absl::StripAsciiWhitespace(AsAbsl(raw));
  const std::string_view input(trimmed.data(), trimmed.size());
  if (input.empty()) {
    return absl::InvalidArgumentError("must not be empty");
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string region = CanonicalRegion(default_region);
  const bool region_supported = util.GetCountryCodeForRegion(region) != 0;

  PhoneNumber number;
  const PhoneNumberUtil::ErrorType error = util.Parse(std::string(input), region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    return absl::InvalidArgumentError(ParseErrorMessage(error, input, region, region_supported));
  }
  // The region the number was actually interpreted in: the default region for
  // national numbers, the main region of the country code otherwise.
  std::string number_region;
  util.GetRegionCodeForCountryCode(number.country_code(), &number_region);
  if (!util.IsValidNumber(number)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(input), " is not a valid phone number for region ", number_region, " (+",
                     number.country_code(), ")"));
  }
  if (number.has_extension() && !number.extension().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(input), " has an extension (", Quote(number.extension()),
                     "); remove it and store the extension separately"));
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::string PhoneSearchKeyUnguarded(std::string_view query, std::string_view default_region) {
  if (query.size() > kMaxSearchQueryBytes) return "";
  bool plus = false;
  std::string digits;
  const int32_t length = static_cast<int32_t>(query.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(query.data(), i, length, c);
    if (c < 0) continue;  // Ill-formed UTF-8: skip, like any other noise.
    if (u_isdigit(c)) {
      // Decimal digits of any script (ASCII, full-width, Arabic-Indic, ...).
      const int32_t value = u_charDigitValue(c);
      if (value >= 0 && value <= 9) {
        digits.push_back(static_cast<char>('0' + value));
      }
    } else if ((c == '+' || c == 0xFF0B /* FULLWIDTH PLUS SIGN */) && digits.empty()) {
      plus = true;
    }
  }
  if (digits.empty()) return "";
  if (plus) return absl::StrCat("+", digits);

  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string region = CanonicalRegion(default_region);
  const int country_code = util.GetCountryCodeForRegion(region);
  if (country_code == 0) return absl::StrCat("+", digits);

  std::string trunk_prefix;
  util.GetNddPrefixForRegion(region, /*strip_non_digits=*/true, &trunk_prefix);
  absl::string_view national = digits;
  // "00" is the international call prefix almost everywhere (and the start of
  // Korea's 001/002/00700), never a single trunk prefix "0".
  if (!trunk_prefix.empty() && absl::StartsWith(national, trunk_prefix) &&
      !absl::StartsWith(national, "00")) {
    national.remove_prefix(trunk_prefix.size());
  }
  return absl::StrCat("+", country_code, national);
}

}  // namespace

absl::StatusOr<std::string> NormalizePhone(std::string_view raw, std::string_view default_region) {
  try {
    return NormalizePhoneUnguarded(raw, default_region);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("phone number normalization failed: ", e.what()));
  } catch (...) {
    return absl::InternalError("phone number normalization failed");
  }
}

std::string PhoneSearchKey(std::string_view query, std::string_view default_region) {
  try {
    return PhoneSearchKeyUnguarded(query, default_region);
  } catch (...) {
    return "";
  }
}

}  // namespace rapport::validation
