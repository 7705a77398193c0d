#include "core/ids/ulid.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/strings.h"

namespace rapport::ids {

std::string UlidToString(std::string_view b) { return sdk::UlidToString(b); }

absl::StatusOr<std::string> UlidFromString(std::string_view text) {
  if (text.size() != 26) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AsAbsl(text.substr(0, 40)), "' is not an ID (expected 26 characters)"));
  }
  std::optional<std::string> bytes = sdk::UlidFromString(text);
  if (!bytes) return absl::InvalidArgumentError(absl::StrCat("'", AsAbsl(text), "' is not an ID"));
  return *std::move(bytes);
}

int64_t UlidTimeMs(std::string_view b) { return sdk::UlidTimeMs(b); }

}  // namespace rapport::ids
