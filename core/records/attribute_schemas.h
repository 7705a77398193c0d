// File: core/records/attribute_schemas.h
//
// The record store's schema job: each tenant's attribute schema per resource
// type, read through a cache, and changed only in ways records already
// written stay valid under (an attribute is never removed, retyped or
// re-indexed). Thread-safe.
#ifndef RAPPORT_CORE_RECORDS_ATTRIBUTE_SCHEMAS_H_
#define RAPPORT_CORE_RECORDS_ATTRIBUTE_SCHEMAS_H_

#include <cstdint>
#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/records/record_store_state.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

class AttributeSchemas {
 public:
  explicit AttributeSchemas(RecordStoreState& state) : s_(state) {}

  // The tenant's schema of `type` (an empty one at revision 0 if none).
  absl::StatusOr<v1::AttributeSchema> Load(uint32_t tenant, ResourceType type);
  // Replaces the schema with one change event; ABORTED if
  // expected_revision (0 = any) is not the current one.
  absl::StatusOr<v1::AttributeSchema> Update(const RequestContext& ctx,
                                             const v1::AttributeSchema& schema,
                                             int64_t expected_revision);

 private:
  RecordStoreState& s_;
  std::shared_mutex schema_mu_;
  absl::flat_hash_map<uint64_t, v1::AttributeSchema> schema_cache_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_ATTRIBUTE_SCHEMAS_H_
