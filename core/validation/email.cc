// File: core/validation/email.cc
// -----------------------------------------------------------------------------
//
// Implementation of email.h. A hand-written scanner rather than a regular
// expression, so that every rejection can say exactly what is wrong.

#include "core/validation/email.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/common/strings.h"

namespace rapport::validation {
namespace {

constexpr size_t kMaxLabelBytes = 63;

// Quotes a single character for an error message.
std::string QuoteChar(char c) { return Quote(std::string_view(&c, 1)); }

absl::Status Invalid(std::string_view address, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Quote(address), " ", AsAbsl(problem)));
}

// RFC 5322 section 3.2.3 atext, i.e. what may appear in a dot-atom besides '.'.
bool IsAtext(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != std::string_view::npos;
}

bool IsLabelChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; }

absl::Status CheckLocalPart(std::string_view address, std::string_view local) {
  if (local.size() > kMaxEmailLocalPartBytes) {
    return Invalid(address, absl::StrCat("has a local part (before '@') of ", local.size(),
                                         " bytes; the maximum is ", kMaxEmailLocalPartBytes));
  }
  if (local.front() == '.' || local.back() == '.') {
    return Invalid(address, "has a '.' at the start or end of the part before '@'");
  }
  if (local.find("..") != std::string_view::npos) {
    return Invalid(address, "contains consecutive dots ('..') before '@'");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) {
      return Invalid(address, absl::StrCat("contains ", QuoteChar(c),
                                           ", which is not allowed before "
                                           "'@'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDomain(std::string_view address, std::string_view domain) {
  if (domain.find('.') == std::string_view::npos) {
    return Invalid(address, absl::StrCat("has domain ", Quote(domain),
                                         " without a dot; use a full domain such as "
                                         "'example.com'"));
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(AsAbsl(domain), '.');
  for (const absl::string_view label : labels) {
    if (label.empty()) {
      return Invalid(address,
                     "has an empty domain label; check for '..' or a leading "
                     "or trailing '.' after '@'");
    }
    if (label.size() > kMaxLabelBytes) {
      return Invalid(address, absl::StrCat("has a domain label of ", label.size(),
                                           " characters; the maximum is ", kMaxLabelBytes));
    }
    for (char c : label) {
      if (!IsLabelChar(c)) {
        return Invalid(address, absl::StrCat("contains ", QuoteChar(c),
                                             " in the domain; only letters, digits, "
                                             "'-' and '.' are allowed after '@'"));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(address, absl::StrCat("has domain label '", label,
                                           "', which must not start or end with '-'"));
    }
  }
  if (std::all_of(labels.back().begin(), labels.back().end(),
                  [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return Invalid(address, absl::StrCat("has top-level domain '", labels.back(),
                                         "', which must not be all digits"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NormalizeEmail(std::string_view raw) {
  const absl::string_view trimmed_absl = absl::StripAsciiWhitespace(AsAbsl(raw));
  const std::string_view address(trimmed_absl.data(), trimmed_absl.size());
  if (address.empty()) {
    return absl::InvalidArgumentError("must not be empty");
  }
  if (address.size() > kMaxEmailBytes) {
    return Invalid(address, absl::StrCat("is ", address.size(), " bytes long; the maximum is ",
                                         kMaxEmailBytes));
  }
  for (char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == ' ' || absl::ascii_isspace(byte)) {
      return Invalid(address, "contains whitespace; remove it");
    }
    if (absl::ascii_iscntrl(byte)) {
      return Invalid(address, "contains a control character; remove it");
    }
    if (byte >= 0x80) {
      return Invalid(address,
                     "contains non-ASCII characters; only ASCII addresses "
                     "are supported (write an internationalized domain in "
                     "punycode, e.g. 'xn--...')");
    }
  }
  const size_t at = address.find('@');
  if (at == std::string_view::npos) {
    return Invalid(address, "has no '@'");
  }
  if (address.find('@', at + 1) != std::string_view::npos) {
    return Invalid(address, "has more than one '@'");
  }
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.empty()) {
    return Invalid(address, "has nothing before '@'");
  }
  if (domain.empty()) {
    return Invalid(address, "has no domain");
  }
  if (absl::Status s = CheckLocalPart(address, local); !s.ok()) return s;
  if (absl::Status s = CheckDomain(address, domain); !s.ok()) return s;
  return absl::AsciiStrToLower(AsAbsl(address));
}

}  // namespace rapport::validation
