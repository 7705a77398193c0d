// File: core/query/order_by.h
// -----------------------------------------------------------------------------
//
// This header defines the `order_by` parameter accepted by the List methods of
// Rapport resources, and `ParseOrderBy()`, which parses it.
//
// Grammar (v1):
//
//   order_by  := ""  |  field [ direction ]
//   field     := ident { "." ident }         (same field syntax as filter.h)
//   ident     := [A-Za-z_][A-Za-z0-9_]*
//   direction := "asc" | "desc"
//
// Whitespace (space, tab, CR, LF) is free around the tokens and required
// between the field and the direction. The direction is lowercase only
// (`DESC` is rejected with a hint). v1 orders by exactly one field; a second
// field (e.g. "a, b") is an error. The AIP-132 style "-field" is not accepted.
// Text longer than `kMaxOrderByBytes` is rejected.
//
// Errors are `absl::InvalidArgumentError`s whose message starts with
// "order_by: " and names what is wrong and the 1-based column (in code
// points), e.g.
//
//   order_by: only one field is supported, found ',' at column 12
//
// Whether the field can actually be sorted on is for the caller to decide.

#ifndef RAPPORT_CORE_QUERY_ORDER_BY_H_
#define RAPPORT_CORE_QUERY_ORDER_BY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rapport::query {

// The longest order_by text, in bytes, that `ParseOrderBy()` accepts.
inline constexpr std::size_t kMaxOrderByBytes = 4096;

// A parsed order_by: sort by `field`, descending if `descending`. An empty
// `field` means the resource's default order (and `descending` is false).
struct OrderBy {
  std::string field;
  bool descending = false;

  // Returns a stable canonical text for binding page tokens to a query:
  // "" for the default order, "field" for ascending (an explicit "asc" is
  // dropped) and "field desc" for descending. Parses back to an equal OrderBy.
  std::string Canonical() const;

  friend bool operator==(const OrderBy&, const OrderBy&) = default;
};

// Parses `text` according to the grammar at the top of this file. Empty or
// all-whitespace text yields the default order. On malformed input returns
// `absl::InvalidArgumentError` naming the problem and its column. Never
// throws.
absl::StatusOr<OrderBy> ParseOrderBy(std::string_view text);

}  // namespace rapport::query

#endif  // RAPPORT_CORE_QUERY_ORDER_BY_H_
