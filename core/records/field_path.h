// File: core/records/field_path.h
//
// Reads fields of a record by path ("owner", "amount.units",
// "external_refs.erp", "attributes.region") through protobuf reflection, as
// the plain scalars that filters compare and index keys encode:
//
//   proto string            -> string
//   int32/int64/uint32      -> int64
//   bool                    -> bool
//   double/float            -> double
//   enum                    -> string: the value name without the enum's
//                              prefix, lower case (LIFECYCLE_STAGE_LEAD -> "lead")
//   google.protobuf.Timestamp -> int64 microseconds since the Unix epoch
//                              (filter literals: RFC 3339 strings)
//   rapport.v1.Date         -> int64 yyyymmdd (filter literals: "2026-12-31")
//   repeated X              -> every element (a comparison matches if any does)
//   map<string,string> m    -> "m.<key>"
//   attributes.<name>       -> by the tenant's AttributeSchema type
#ifndef RAPPORT_CORE_RECORDS_FIELD_PATH_H_
#define RAPPORT_CORE_RECORDS_FIELD_PATH_H_

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/query/filter.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

using Scalar = std::variant<std::string, int64_t, double, bool>;

// A resolved path. Cheap to copy; valid while the descriptors live (forever).
struct FieldRef {
  enum class Leaf { kPlain, kEnum, kTimestamp, kDate, kStringMap, kAttribute };
  std::string path;
  std::vector<const google::protobuf::FieldDescriptor*> chain;
  Leaf leaf = Leaf::kPlain;
  std::string map_key;  // for kStringMap / kAttribute with a key
  v1::AttributeType attribute_type = v1::ATTRIBUTE_TYPE_UNSPECIFIED;
};

// Resolves `path` against `descriptor`. `schema` (may be null) types
// "attributes.<name>". INVALID_ARGUMENT naming the path if there is no such
// filterable field.
absl::StatusOr<FieldRef> ResolveField(const google::protobuf::Descriptor& descriptor,
                                      std::string_view path, const v1::AttributeSchema* schema);

// All values of the field in `record` (empty if unset map entry / attribute).
std::vector<Scalar> ExtractValues(const google::protobuf::Message& record, const FieldRef& field);

// For map fields resolved without a key ("external_refs", "attributes"):
// every (key, value) pair.
std::vector<std::pair<std::string, Scalar>> ExtractMapEntries(
    const google::protobuf::Message& record, const FieldRef& field);

// Converts a filter literal to the field's scalar type; INVALID_ARGUMENT if
// it cannot be (e.g. "soon" for a Timestamp, 5 for a string field, an
// unknown enum name — the message lists the valid ones).
absl::StatusOr<Scalar> CoerceLiteral(const FieldRef& field, const query::FilterValue& literal);

// Total order within one scalar type (-1, 0, 1); different types compare by
// type index (never happens for values coerced to the same field).
int CompareScalars(const Scalar& a, const Scalar& b);
bool EvaluateComparison(const std::vector<Scalar>& values, query::CompareOp op, const Scalar& rhs);

// Short lower-case enum value name, e.g. "lead".
std::string EnumShortName(const google::protobuf::EnumValueDescriptor& value);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_FIELD_PATH_H_
