// File: core/common/status_util.h
//
// Field-level errors. An INVALID_ARGUMENT that names the offending field
// carries a google.rpc.BadRequest as an absl::Status payload; services/ turns
// it into the gRPC status details clients read.
#ifndef RAPPORT_CORE_COMMON_STATUS_UTIL_H_
#define RAPPORT_CORE_COMMON_STATUS_UTIL_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace rapport {

inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT "field: description" with one field violation.
absl::Status InvalidField(std::string_view field, std::string_view description);
// INVALID_ARGUMENT naming every violation (REQUIRES: !violations.empty()).
absl::Status InvalidFields(const std::vector<FieldViolation>& violations);
// The field violations carried by `status` (empty if none).
std::vector<FieldViolation> FieldViolations(const absl::Status& status);
// Returns `status` with every field path prefixed by `prefix` (e.g.
// "customers[3]."), and the message too. OK and non-field errors pass
// through unchanged apart from the message prefix.
absl::Status PrefixFields(const absl::Status& status, std::string_view prefix);

// Propagates a non-OK status.
#define RAPPORT_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status _rapport_status = (expr);           \
    if (!_rapport_status.ok()) return _rapport_status; \
  } while (0)

#define RAPPORT_CONCAT_INNER(a, b) a##b
#define RAPPORT_CONCAT(a, b) RAPPORT_CONCAT_INNER(a, b)
// Assigns the value of a StatusOr expression or returns its error.
#define RAPPORT_ASSIGN_OR_RETURN(lhs, expr) \
  RAPPORT_ASSIGN_OR_RETURN_IMPL(RAPPORT_CONCAT(_rapport_or_, __LINE__), lhs, expr)
#define RAPPORT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(*tmp)

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_STATUS_UTIL_H_
