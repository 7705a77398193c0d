// File: core/plugin_host/version_range.h
//
// The version ranges a manifest's "requires" may put on a module:
//   ">=1.2.0 <2.0.0"  every comparator must hold (space-separated);
//   "^1.2.0"          the same as ">=1.2.0 <2.0.0" (for 0.y.z: <0.(y+1).0);
//   "1.2.0", "=1.2.0" exactly that version;
// comparators >=, >, <=, <, =. Versions are MAJOR.MINOR.PATCH with
// non-negative integers; a pre-release or build suffix of the module's own
// version ("1.3.0-beta", "1.3.0+abc") is ignored when comparing.
#ifndef RAPPORT_CORE_PLUGIN_HOST_VERSION_RANGE_H_
#define RAPPORT_CORE_PLUGIN_HOST_VERSION_RANGE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::plugin_host {

using Version = std::array<int64_t, 3>;

// "1.2.3" (a suffix after '-' or '+' ignored); INVALID_ARGUMENT otherwise.
absl::StatusOr<Version> ParseVersion(const std::string& text);

class VersionRange {
 public:
  // INVALID_ARGUMENT naming the part that is wrong.
  static absl::StatusOr<VersionRange> Parse(const std::string& text);
  bool Contains(const Version& v) const;
  const std::string& text() const { return text_; }

 private:
  enum class Op { kGe, kGt, kLe, kLt, kEq };
  struct Comparator {
    Op op;
    Version version;
  };
  std::string text_;
  std::vector<Comparator> all_;
};

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_VERSION_RANGE_H_
