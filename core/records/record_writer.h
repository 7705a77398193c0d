// File: core/records/record_writer.h
//
// The record store's write path: create, update, delete and batch upsert.
// Each reads and validates without locks, runs the write hooks, and hands
// its changes to RecordCommitter; an update that loses a race is retried
// when the caller gave no expected revision. Thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_WRITER_H_
#define RAPPORT_CORE_RECORDS_RECORD_WRITER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/records/attribute_schemas.h"
#include "core/records/record_commit.h"
#include "core/records/record_query.h"
#include "core/records/record_store_state.h"
#include "google/protobuf/field_mask.pb.h"

namespace rapport::records {

class RecordWriter {
 public:
  RecordWriter(RecordStoreState& state, AttributeSchemas& schemas, RecordQuery& query,
               RecordCommitter& committer)
      : s_(state), schemas_(schemas), query_(query), committer_(committer) {}

  // The methods of the same names of RecordStore (record_store.h).
  absl::StatusOr<RecordPtr> Create(const RequestContext& ctx, ResourceType type,
                                   const google::protobuf::Message& record,
                                   std::string_view request_id, v1::DuplicatePolicy duplicates);
  absl::StatusOr<RecordPtr> Update(const RequestContext& ctx, ResourceType type,
                                   const google::protobuf::Message& patch,
                                   const google::protobuf::FieldMask& mask,
                                   int64_t expected_revision);
  absl::Status Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                      int64_t expected_revision, bool force);
  absl::StatusOr<std::vector<UpsertOutcome>> BatchUpsert(
      const RequestContext& ctx, ResourceType type,
      const std::vector<const google::protobuf::Message*>& records);

  // Prepares `change` to create or replace the record `input` names (by id,
  // else by external ref); UNCHANGED outcomes leave `change` unused. With
  // create_with_id, an id that names no record creates it with that id.
  absl::StatusOr<UpsertOutcome> PrepareUpsert(const RequestContext& ctx, const ResourceKind& kind,
                                              const v1::AttributeSchema& schema,
                                              const google::protobuf::Message& input,
                                              RecordChange* change, bool create_with_id = false);
  // Fills output fields and validates a record about to be written.
  absl::Status Prepare(const ResourceKind& kind, const v1::AttributeSchema& schema,
                       google::protobuf::Message* record) const;

 private:
  // Runs the write hooks (if any) on a prepared change; re-validates a
  // record a hook changed.
  absl::Status RunHooks(const RequestContext& ctx, const ResourceKind& kind,
                        const v1::AttributeSchema& schema, WriteOperation op, RecordChange* change);
  // The stored first result for `request_id`, null if none, or
  // INVALID_ARGUMENT if it was used for a different request.
  absl::StatusOr<RecordPtr> FindIdempotent(const RequestContext& ctx, const ResourceKind& kind,
                                           std::string_view request_id,
                                           std::string_view fingerprint) const;

  RecordStoreState& s_;
  AttributeSchemas& schemas_;
  RecordQuery& query_;
  RecordCommitter& committer_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_WRITER_H_
