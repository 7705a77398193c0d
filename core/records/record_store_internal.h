// File: core/records/record_store_internal.h
//
// What the record store's source files share and its public header must not
// expose: one pending change of a WriteBatch.
#ifndef RAPPORT_CORE_RECORDS_RECORD_STORE_INTERNAL_H_
#define RAPPORT_CORE_RECORDS_RECORD_STORE_INTERNAL_H_

#include <string>
#include <vector>

#include "core/records/record_store.h"
#include "core/records/write_hooks.h"
#include "rapport/v1/event.pb.h"

namespace rapport::records {

struct RecordStore::Change {
  const ResourceKind* kind = nullptr;
  std::string id16;
  RecordPtr before;  // null: create
  RecordPtr after;   // null: delete
  std::vector<std::string> changed_fields;
  v1::AttributeSchema schema;
  std::string request_id;
  std::string request_fingerprint;
  std::string error_prefix;  // "customers[3]." in batches
  // Set by merges, whose re-pointed records reference each other within
  // the batch (the caller has checked them).
  bool skip_reference_check = false;
  // Keyspace writes pre-commit hooks added; they join the batch.
  std::vector<ExtraWrite> extra_writes;

  // What depends only on before/after, derived by PrepareForCommit before
  // the commit lock is taken, so the lock covers only the re-checks, the
  // sequence and the write (docs/performance.md, finding 3).
  bool prepared = false;
  std::vector<std::string> old_index_keys, new_index_keys;  // sorted
  std::string after_bytes;
  v1::ChangeEvent event;  // all but sequence and commit_time
};

// Whether the caller may read `record`: their scope covers its owner, or
// they are one of its collaborators.
bool CanSee(const RequestContext& ctx, const google::protobuf::Message& record);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_STORE_INTERNAL_H_
