// File: core/validation/email.h
// -----------------------------------------------------------------------------
//
// Validation and normalization of e-mail addresses for CRM contacts.
//
// This deliberately accepts a practical subset of RFC 5321/5322: the
// "dot-atom" form that every real mailbox uses, such as
// "first.last+tag@example.co.kr". It rejects quoted local parts
// ("\"a b\"@example.com"), comments, domain literals ("user@[192.0.2.1]")
// and raw non-ASCII (SMTPUTF8) addresses. Internationalized domain names are
// accepted in their ASCII (punycode) form, e.g. "user@xn--3e0b707e.kr";
// converting Unicode domains to punycode is the caller's job.
//
// Normalized addresses are fully lower-cased, including the local part. RFC
// 5321 says the local part *may* be case-sensitive, but no mainstream provider
// treats it so, and CRM users expect "Kim@Example.com" and "kim@example.com" to
// be the same contact. The normalized form is therefore what we store, match
// and deduplicate on.
//
// Error messages never name the field being validated; the caller prefixes the
// field path. Thread-safe: no shared state.
//
// Example:
//
//   absl::StatusOr<std::string> e =
//       rapport::validation::NormalizeEmail("  Kim.MinSu@Example.CO.KR ");
//   // *e == "kim.minsu@example.co.kr"

#ifndef RAPPORT_CORE_VALIDATION_EMAIL_H_
#define RAPPORT_CORE_VALIDATION_EMAIL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rapport::validation {

// Limits from RFC 5321 section 4.5.3.1 (local part) and RFC 3696 erratum 1690
// (a forward-path of 256 octets minus the angle brackets).
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMaxEmailLocalPartBytes = 64;

// Returns `raw` trimmed of leading and trailing ASCII whitespace and
// lower-cased, if it is a valid address:
//   * exactly one '@', with a non-empty local part of at most 64 bytes before
//     it and a domain after it;
//   * at most 254 bytes in total; no spaces, control or non-ASCII characters;
//   * local part made of RFC 5322 atext (A-Z a-z 0-9 and !#$%&'*+-/=?^_`{|}~)
//     and dots, with no leading, trailing or consecutive dots;
//   * domain of at least two dot-separated labels, each 1-63 characters of
//     A-Z a-z 0-9 '-', not starting or ending with '-' (so punycode "xn--"
//     labels are accepted), and a top-level label that is not all digits.
// Returns INVALID_ARGUMENT naming the problem otherwise, e.g.
// "'foo@' has no domain".
absl::StatusOr<std::string> NormalizeEmail(std::string_view raw);

}  // namespace rapport::validation

#endif  // RAPPORT_CORE_VALIDATION_EMAIL_H_
