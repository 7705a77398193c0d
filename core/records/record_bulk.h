// File: core/records/record_bulk.h
//
// The record store's bulk job, for living beside the ERP: imports (each row
// validated on its own, valid rows in one batch), exports from one snapshot,
// and customer merges. Thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_BULK_H_
#define RAPPORT_CORE_RECORDS_RECORD_BULK_H_

#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/records/attribute_schemas.h"
#include "core/records/record_commit.h"
#include "core/records/record_query.h"
#include "core/records/record_store_state.h"
#include "core/records/record_writer.h"

namespace rapport::records {

class RecordBulk {
 public:
  RecordBulk(RecordStoreState& state, AttributeSchemas& schemas, RecordQuery& query,
             RecordWriter& writer, RecordCommitter& committer)
      : s_(state), schemas_(schemas), query_(query), writer_(writer), committer_(committer) {}

  // The methods of the same names of RecordStore (record_store.h).
  absl::StatusOr<std::vector<ImportRowOutcome>> ImportRows(
      const RequestContext& ctx, ResourceType type, const std::vector<ImportRowInput>& rows,
      v1::DuplicatePolicy policy, ImportSession* session, bool preserve_ids);
  absl::Status Export(
      const RequestContext& ctx, const std::vector<ResourceType>& types, std::string_view filter,
      const std::function<bool(ResourceType, const google::protobuf::Message&)>& sink);
  absl::StatusOr<RecordPtr> MergeCustomers(const RequestContext& ctx, std::string_view survivor_id,
                                           std::string_view merged_id);

 private:
  RecordStoreState& s_;
  AttributeSchemas& schemas_;
  RecordQuery& query_;
  RecordWriter& writer_;
  RecordCommitter& committer_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_BULK_H_
