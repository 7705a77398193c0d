// File: core/common/strings.h
//
// Debian's Abseil 20220623 is built with ABSL_OPTION_USE_STD_STRING_VIEW=0,
// so absl::string_view is its own type and std::string_view does not convert
// to it. Our code uses std::string_view; AsAbsl() crosses into Abseil.
// Quote() shows untrusted text in an error message.
#ifndef RAPPORT_CORE_COMMON_STRINGS_H_
#define RAPPORT_CORE_COMMON_STRINGS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace rapport {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// Returns `s` in single quotes for an error message: C-escaped (so control
// characters cannot corrupt logs) and cut to at most 64 bytes.
inline std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  if (s.size() <= kMaxShown) {
    return absl::StrCat("'", absl::Utf8SafeCHexEscape(AsAbsl(s)), "'");
  }
  size_t cut = kMaxShown;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("'", absl::Utf8SafeCHexEscape(AsAbsl(s.substr(0, cut))), "...'");
}

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_STRINGS_H_
