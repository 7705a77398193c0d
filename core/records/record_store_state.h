// File: core/records/record_store_state.h
//
// What the record store's jobs share and its public header must not expose
// (issue 13): the state every job reads (the database, the clock, options,
// the page-token codec, the ID generator, the write hooks, the feed), the
// reads and access checks all of them make, and one pending change of a
// WriteBatch. RecordStore (record_store.h) owns one RecordStoreState and
// hands it to each job:
//
//   AttributeSchemas  attribute_schemas.h  schemas and their cache
//   RecordQuery       record_query.h       get, list, search, stage totals,
//                                          duplicates, counts
//   RecordCommitter   record_commit.h      the commit: re-checks, indexes,
//                                          counters, feed event, one batch
//   RecordWriter      record_writer.h      create, update, delete, upsert
//   RecordBulk        record_bulk.h        import, export, merge
//   RecordFsck        record_fsck.h        the consistency check
#ifndef RAPPORT_CORE_RECORDS_RECORD_STORE_STATE_H_
#define RAPPORT_CORE_RECORDS_RECORD_STORE_STATE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/feed/change_feed.h"
#include "core/ids/ulid.h"
#include "core/records/page_token.h"
#include "core/records/record_store.h"
#include "core/records/resource_kind.h"
#include "core/records/search_key_migration.h"
#include "core/records/write_hooks.h"
#include "core/store/database.h"
#include "google/protobuf/message.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

struct RecordStoreState {
  RecordStoreState(store::Database* db, const Clock* clock, RecordStoreOptions options,
                   std::string page_secret, std::unique_ptr<feed::ChangeFeed> feed)
      : db(db),
        clock(clock),
        options(std::move(options)),
        page_tokens(std::move(page_secret)),
        feed(std::move(feed)) {}

  // The stored record, or NOT_FOUND naming the kind and the id.
  absl::StatusOr<RecordPtr> ReadRecord(uint32_t tenant, const ResourceKind& kind,
                                       std::string_view id16,
                                       const rocksdb::Snapshot* snapshot = nullptr) const;
  // ReadRecord, but NOT_FOUND for records outside the caller's scope.
  absl::StatusOr<RecordPtr> ReadVisible(const RequestContext& ctx, const ResourceKind& kind,
                                        std::string_view id16) const;

  store::Database* db;
  const Clock* clock;
  RecordStoreOptions options;
  PageTokenCodec page_tokens;
  ids::UlidGenerator ids;
  WriteHooks* hooks = nullptr;
  std::unique_ptr<feed::ChangeFeed> feed;
  SearchKeyMigration search_key_migration;
};

// One pending change of a WriteBatch.
struct RecordChange {
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

  // What depends only on before/after, derived by
  // RecordCommitter::PrepareForCommit before the commit lock is taken, so the
  // lock covers only the re-checks, the sequence and the write
  // (docs/performance.md, finding 3).
  bool prepared = false;
  std::vector<std::string> old_index_keys, new_index_keys;  // sorted
  std::string after_bytes;
  v1::ChangeEvent event;  // all but sequence and commit_time
};

// Whether the caller may read `record`: their scope covers its owner, or
// they are one of its collaborators.
bool CanSee(const RequestContext& ctx, const google::protobuf::Message& record);

// PERMISSION_DENIED unless the caller may write `after` (role and owner;
// a collaborator of `before` may write it if owner and collaborators stay).
absl::Status CheckWritable(const RequestContext& ctx, const ResourceKind& kind,
                           const google::protobuf::Message& after,
                           const google::protobuf::Message* before = nullptr);

// The 16-byte ID `id` names (case-insensitive), or INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<std::string> ParseId(std::string_view field, std::string_view id);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_STORE_STATE_H_
