// File: core/records/record_fsck.h
//
// The record store's consistency check: for one tenant, from one snapshot,
// every record against its index entries, its counter and its latest change
// event. Reads only; thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_FSCK_H_
#define RAPPORT_CORE_RECORDS_RECORD_FSCK_H_

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/records/attribute_schemas.h"
#include "core/records/record_store_state.h"
#include "rapport/v1/admin.pb.h"

namespace rapport::records {

class RecordFsck {
 public:
  RecordFsck(RecordStoreState& state, AttributeSchemas& schemas) : s_(state), schemas_(schemas) {}

  // Record <-> index <-> counter <-> feed agreement for one tenant; at most
  // max_problems (0: 100) problems are listed.
  absl::StatusOr<v1::CheckConsistencyResponse> CheckConsistency(const RequestContext& ctx,
                                                                int max_problems);

 private:
  RecordStoreState& s_;
  AttributeSchemas& schemas_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_FSCK_H_
