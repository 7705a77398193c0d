// Fuzzes the filter and order_by parsers (core/query/), which read text from
// every List call's `filter` and `order_by`. The first byte picks the
// parser; the rest is the text. Besides not crashing, checks the parsers'
// documented promises: an accepted filter's canonical text parses again to
// the same canonical text, and errors are INVALID_ARGUMENT.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/query/filter.h"
#include "core/query/order_by.h"

namespace {
void Require(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto filter = rapport::query::ParseFilter(text);
    if (!filter.ok()) {
      Require(filter.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    const std::string canonical = filter->Canonical();
    auto again = rapport::query::ParseFilter(canonical);
    // The canonical text may be a few bytes over the size limit (filter.h).
    if (!again.ok()) {
      Require(canonical.size() > text.size());
      return 0;
    }
    Require(again->Canonical() == canonical);
  } else {
    auto order = rapport::query::ParseOrderBy(text);
    if (!order.ok()) Require(order.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
