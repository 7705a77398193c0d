// File: core/common/strings.h
//
// Debian's Abseil 20220623 is built with ABSL_OPTION_USE_STD_STRING_VIEW=0,
// so absl::string_view is its own type and std::string_view does not convert
// to it. Our code uses std::string_view; AsAbsl() crosses into Abseil.
#ifndef RAPPORT_CORE_COMMON_STRINGS_H_
#define RAPPORT_CORE_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace rapport {

inline absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_STRINGS_H_
