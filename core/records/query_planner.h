// File: core/records/query_planner.h
//
// Turns a parsed filter and order_by into one index scan. The rule: a filter
// is served by the index whose leading components are bound by the most
// equality comparisons (then one range comparison on the next component);
// order_by must be the next unbound component of that index, or create_time
// when every component is bound (record IDs are time-ordered and end every
// index key). Every comparison is still checked on each record, so the index
// only narrows the scan. A filter that no index narrows is planned as a scan
// of all records; RecordStore refuses it for tenants larger than its scan
// limit instead of silently scanning.
#ifndef RAPPORT_CORE_RECORDS_QUERY_PLANNER_H_
#define RAPPORT_CORE_RECORDS_QUERY_PLANNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/query/filter.h"
#include "core/query/order_by.h"
#include "core/records/field_path.h"
#include "core/records/resource_kind.h"
#include "core/store/keyspace.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

struct ResolvedComparison {
  FieldRef field;
  query::CompareOp op;
  Scalar value;
};

struct ScanPlan {
  // Null: scan the entity family (records in ID order).
  const IndexSpec* index = nullptr;
  // Keys scanned: [lower, upper).
  std::string lower;
  std::string upper;
  bool reverse = false;
  // Size of the key prefix fixed by equality comparisons; the component
  // after it is `open_component` (-1: none), e.g. the range or search field.
  size_t bound_prefix_size = 0;
  int open_component = -1;
  // Comparisons on the open component, used to pick one entry per record
  // when the component is repeated (tags >= "a" matches each tag).
  std::vector<ResolvedComparison> open_constraints;
  // Every comparison, checked against each record.
  std::vector<ResolvedComparison> comparisons;
  // True if no index narrows a non-empty filter.
  bool unindexed_filter = false;
  std::string description;
};

// Resolves fields and literals (INVALID_ARGUMENT naming the field) and picks
// the scan. INVALID_ARGUMENT naming order_by if no index yields that order.
absl::StatusOr<ScanPlan> PlanQuery(store::TenantId tenant, const ResourceKind& kind,
                                   const query::Filter& filter, const query::OrderBy& order_by,
                                   const v1::AttributeSchema& schema);

// The fields equality filters can use as a first index component, for error
// messages ("indexed fields: owner, lifecycle_stage, ...").
std::string IndexedFieldList(const ResourceKind& kind, const v1::AttributeSchema& schema);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_QUERY_PLANNER_H_
