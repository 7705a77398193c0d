// File: core/plugin_host/version_range.cc

#include "core/plugin_host/version_range.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rapport::plugin_host {

absl::StatusOr<Version> ParseVersion(const std::string& text) {
  std::string core = text.substr(0, text.find_first_of("-+"));
  std::vector<std::string> parts = absl::StrSplit(core, '.');
  Version v{};
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    ok = !parts[i].empty() && absl::ascii_isdigit(static_cast<unsigned char>(parts[i][0])) &&
         absl::SimpleAtoi(parts[i], &v[i]) && v[i] >= 0;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a version MAJOR.MINOR.PATCH (e.g. 1.2.0)"));
  }
  return v;
}

absl::StatusOr<VersionRange> VersionRange::Parse(const std::string& text) {
  VersionRange range;
  range.text_ = text;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipWhitespace())) {
    std::string w(word);
    Op op = Op::kEq;
    size_t skip = 0;
    bool caret = false;
    if (w.rfind(">=", 0) == 0) {
      op = Op::kGe, skip = 2;
    } else if (w.rfind("<=", 0) == 0) {
      op = Op::kLe, skip = 2;
    } else if (w.rfind(">", 0) == 0) {
      op = Op::kGt, skip = 1;
    } else if (w.rfind("<", 0) == 0) {
      op = Op::kLt, skip = 1;
    } else if (w.rfind("=", 0) == 0) {
      skip = 1;
    } else if (w.rfind("^", 0) == 0) {
      caret = true, skip = 1;
    }
    auto v = ParseVersion(w.substr(skip));
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("version range '", text, "': ", v.status().message(),
                       "; use comparators >=, >, <=, <, = or ^ with versions, e.g. \">=1.2.0 "
                       "<2.0.0\""));
    }
    if (caret) {
      Version upper = (*v)[0] > 0 ? Version{(*v)[0] + 1, 0, 0} : Version{0, (*v)[1] + 1, 0};
      range.all_.push_back({Op::kGe, *v});
      range.all_.push_back({Op::kLt, upper});
    } else {
      range.all_.push_back({op, *v});
    }
  }
  if (range.all_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("version range '", text, "' is empty; e.g. \">=1.2.0 <2.0.0\""));
  }
  return range;
}

bool VersionRange::Contains(const Version& v) const {
  for (const Comparator& c : all_) {
    const bool holds = c.op == Op::kGe   ? v >= c.version
                       : c.op == Op::kGt ? v > c.version
                       : c.op == Op::kLe ? v <= c.version
                       : c.op == Op::kLt ? v < c.version
                                         : v == c.version;
    if (!holds) return false;
  }
  return true;
}

}  // namespace rapport::plugin_host
