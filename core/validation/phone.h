// File: core/validation/phone.h
// -----------------------------------------------------------------------------
//
// Phone numbers for CRM contacts, backed by Google's libphonenumber.
//
// Rapport stores every phone number in E.164 form ("+821012345678"), which is
// unique per subscriber line and sorts by country. NormalizePhone() turns what
// a user typed ("010-1234-5678" in Korea, "(415) 555-2671" in the US,
// "+82 10 1234 5678" anywhere) into that form, using a default region (an
// ISO 3166-1 alpha-2 code such as "KR") for numbers written without a country
// code. PhoneSearchKey() turns a partially typed number into a prefix of the
// stored E.164 keys, so that the search box can match as the user types.
//
// Thread-safety: all functions are thread-safe. They use
// i18n::phonenumbers::PhoneNumberUtil::GetInstance(), a lazily created
// singleton whose creation is synchronized and whose const methods may be
// called concurrently.
//
// Error messages never name the field being validated; the caller prefixes the
// field path.
//
// Example:
//
//   absl::StatusOr<std::string> e164 =
//       rapport::validation::NormalizePhone("010-1234-5678", "KR");
//   // *e164 == "+821012345678"
//   std::string key = rapport::validation::PhoneSearchKey("010-12", "KR");
//   // key == "+821012", a prefix of *e164

#ifndef RAPPORT_CORE_VALIDATION_PHONE_H_
#define RAPPORT_CORE_VALIDATION_PHONE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rapport::validation {

// Longest input NormalizePhone() accepts, in bytes. Real numbers, even with
// punctuation and an international prefix, are far shorter; the cap bounds the
// work libphonenumber's regular expressions do on hostile input.
inline constexpr size_t kMaxPhoneInputBytes = 64;

// Returns the E.164 form ("+" followed by up to 15 digits) of the phone number
// `raw`. A number starting with '+' (or an international "tel:" URI) carries
// its own country code; any other number is read as a national number of
// `default_region`, an ISO 3166-1 alpha-2 code matched case-insensitively
// ("KR", "US"; empty means "no default region"). Full-width digits are
// accepted. Returns INVALID_ARGUMENT, with a message quoting `raw` and the
// region, if `raw` is empty, longer than kMaxPhoneInputBytes, cannot be parsed,
// has an unknown country code, is not a valid number according to
// libphonenumber's metadata (PhoneNumberUtil::IsValidNumber), or has an
// extension ("ext. 12"), which E.164 cannot represent and must be stored
// separately.
absl::StatusOr<std::string> NormalizePhone(std::string_view raw, std::string_view default_region);

// Returns the key for prefix-searching stored E.164 numbers with a partially
// typed `query`: keys of stored numbers that start with the returned string
// match. Everything but digits (including full-width digits) and a '+'
// preceding the first digit is dropped; then
//   * "+" followed by digits is returned as is ("+82 10-12" -> "+821012");
//   * digits starting with `default_region`'s national trunk prefix ("0" in
//     Korea, the UK or Japan; "1" in the US) lose that prefix and get the
//     region's country code: "010-12" in "KR" -> "+821012". "00..." is an
//     international call prefix, not a single trunk "0", and is not stripped;
//   * other digits get the region's country code: "2671" in "US" -> "+12671";
//   * if `default_region` is empty or unknown, the digits are taken to start
//     with a country code: "8210" -> "+8210".
// Returns "" if the query has no digits (or is absurdly long, over 256 bytes);
// callers should then not search by phone at all.
std::string PhoneSearchKey(std::string_view query, std::string_view default_region);

}  // namespace rapport::validation

#endif  // RAPPORT_CORE_VALIDATION_PHONE_H_
