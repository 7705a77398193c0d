// File: core/records/record_commit.h
//
// The record store's commit: every change of a write becomes one WriteBatch
// holding the record, the index entries it adds and removes, its count
// delta, its change event and its idempotency record. Under the feed's
// commit lock it re-checks what the change was prepared from (revision,
// references, unique index entries). Thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_COMMIT_H_
#define RAPPORT_CORE_RECORDS_RECORD_COMMIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/common/request_context.h"
#include "core/records/record_store_state.h"

namespace rapport::records {

// ABORTED "changed concurrently; current revision is N", marked so that
// IsConflict recognises it (updates without an expected revision retry).
absl::Status Conflict(const ResourceKind& kind, const std::string& id, int64_t current);
bool IsConflict(const absl::Status& s);
// ABORTED: a plugin's pre-commit keyspace reads (write_hooks.h, ExtraWrite)
// went out of date before the change could commit. The write path runs the
// change, hooks included, again.
absl::Status KeyspaceConflict(const absl::Status& resolver_status);
bool IsKeyspaceConflict(const absl::Status& s);

class RecordCommitter {
 public:
  explicit RecordCommitter(RecordStoreState& state) : s_(state) {}

  // PrepareForCommit, then CommitLocked under the commit lock.
  absl::Status Commit(const RequestContext& ctx, std::vector<RecordChange>& changes);
  // Derives index keys, the serialized record and the change event of each
  // change, outside the lock. CommitLocked derives what was not prepared.
  void PrepareForCommit(const RequestContext& ctx, std::vector<RecordChange>& changes) const;
  // Under the feed's commit lock: re-checks and writes all changes in one
  // batch. With `per_change`, a change that fails its checks is skipped and
  // its error recorded there instead of failing the whole batch (imports).
  absl::Status CommitLocked(const RequestContext& ctx, std::vector<RecordChange>& changes,
                            std::vector<absl::Status>* per_change = nullptr);

 private:
  void PrepareChange(const RequestContext& ctx, RecordChange* change) const;
  // Checks the references `record` holds (customer_id, ...) that differ from
  // those of `before` (null on create): a record whose customer was deleted
  // with force stays editable.
  absl::Status CheckReferencesLocked(const RequestContext& ctx, const ResourceKind& kind,
                                     const google::protobuf::Message& record,
                                     const google::protobuf::Message* before) const;

  RecordStoreState& s_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_COMMIT_H_
