// File: core/records/record_store.h
//
// The core's store of customers, interactions and opportunities, over one
// RocksDB database. Every mutation is exactly one WriteBatch holding the
// record, every index entry it adds or removes, its count delta, its change
// feed event and its idempotency record: all of it is durable or none of it.
//
// Concurrency: records are read and validated without locks; one commit
// mutex then re-checks what was read (revision, references, uniqueness),
// assigns the feed sequence and writes. An update that loses a race is
// retried when the caller gave no expected revision, and is ABORTED with the
// current revision when it did. No update is ever lost.
//
// Thread-safe.
#ifndef RAPPORT_CORE_RECORDS_RECORD_STORE_H_
#define RAPPORT_CORE_RECORDS_RECORD_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/feed/change_feed.h"
#include "core/ids/ulid.h"
#include "core/records/page_token.h"
#include "core/records/query_planner.h"
#include "core/records/record_validator.h"
#include "core/records/resource_kind.h"
#include "core/records/search_key_migration.h"
#include "core/records/write_hooks.h"
#include "core/store/database.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "rapport/v1/admin.pb.h"
#include "rapport/v1/common.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

using RecordPtr = std::unique_ptr<google::protobuf::Message>;

struct RecordStoreOptions {
  ValidationOptions validation;
  // A filter no index narrows is answered by scanning only while the tenant
  // holds at most this many records of the type; beyond, it is refused.
  int64_t unindexed_scan_limit = 1000;
  // Most index entries one List/Search page examines before it returns what
  // it has (possibly fewer than page_size) with a next_page_token.
  int max_examined_per_page = 10000;
};

struct ListRequest {
  std::string filter;
  std::string order_by;
  int32_t page_size = 0;
  std::string page_token;
};

struct ListResult {
  std::vector<RecordPtr> records;
  std::string next_page_token;
};

// The opportunities of one pipeline stage in one currency.
struct StageTotal {
  int64_t opportunity_count = 0;
  int64_t amount_units = 0;  // sum of amount.units
};

// One row of an import.
struct ImportRowInput {
  uint64_t line = 0;
  const google::protobuf::Message* record = nullptr;  // null if client_error is set
  std::string customer_ref;                           // "system:id"
  std::string client_error;
};

struct ImportRowOutcome {
  absl::Status status;  // per-row error (field violations carry the field)
  v1::UpsertResult result = v1::UPSERT_RESULT_UNSPECIFIED;
  std::string id;
  std::vector<std::string> duplicates;  // existing customers this new one matches
};

// State one import keeps across its batches: which record each earlier row
// touched, so a later row naming the same record is reported instead of
// silently overwriting it. Bounded (kMaxTracked records, then tracking stops).
struct ImportSession {
  static constexpr size_t kMaxTracked = 1'000'000;
  absl::flat_hash_map<std::string, uint64_t> touched;  // id16 -> line
};

struct DuplicateMatch {
  std::string id;
  std::vector<std::string> reasons;  // "email", "phone", "organization_name"
};

struct UpsertOutcome {
  RecordPtr record;
  v1::UpsertResult result = v1::UPSERT_RESULT_UNSPECIFIED;
};

struct RecordStoreState;
class AttributeSchemas;
class RecordQuery;
class RecordCommitter;
class RecordWriter;
class RecordBulk;
class RecordFsck;

// A thin facade over the store's jobs (record_store_state.h lists them):
// each method hands the call to the one that does it.
class RecordStore {
 public:
  // REQUIRES: db and clock outlive the store.
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(store::Database* db, const Clock* clock,
                                                           RecordStoreOptions options);

  // Creates a record of `type` from `record` (a message of that kind; output
  // fields must be unset). With a request_id, a retry returns the first
  // result. INVALID_ARGUMENT naming fields on bad input; nothing is written.
  absl::StatusOr<RecordPtr> Create(const RequestContext& ctx, ResourceType type,
                                   const google::protobuf::Message& record,
                                   std::string_view request_id,
                                   v1::DuplicatePolicy duplicates = v1::DUPLICATE_POLICY_ALLOW);
  // NOT_FOUND if no such record in the tenant.
  absl::StatusOr<RecordPtr> Get(const RequestContext& ctx, ResourceType type, std::string_view id);
  absl::StatusOr<RecordPtr> GetByExternalRef(const RequestContext& ctx, ResourceType type,
                                             std::string_view system, std::string_view external_id);
  // Applies the fields named by `mask` from `patch` (which carries the id).
  // expected_revision 0 = any. Returns the record after the update (unchanged
  // records are not rewritten and keep their revision).
  absl::StatusOr<RecordPtr> Update(const RequestContext& ctx, ResourceType type,
                                   const google::protobuf::Message& patch,
                                   const google::protobuf::FieldMask& mask,
                                   int64_t expected_revision);
  // A customer with open opportunities is FAILED_PRECONDITION unless force.
  absl::Status Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                      int64_t expected_revision, bool force);
  absl::StatusOr<ListResult> List(const RequestContext& ctx, ResourceType type,
                                  const ListRequest& request);
  // Customers whose name (any word onwards), email or phone starts with
  // `query`.
  absl::StatusOr<ListResult> SearchCustomers(const RequestContext& ctx, std::string_view query,
                                             int32_t page_size, std::string_view page_token);
  // Count and amount of the opportunities in `stage` of `pipeline` whose
  // amount is in `currency_code`, from the pipeline_stage_amount index (the
  // amounts are in its keys): no record is read unless the caller's scope is
  // restricted, in which case only the records it can see count. OUT_OF_RANGE
  // if the sum exceeds int64.
  absl::StatusOr<StageTotal> GetStageTotal(const RequestContext& ctx, std::string_view pipeline,
                                           std::string_view stage, std::string_view currency_code);
  // Creates or replaces each record (matched by id, else by external ref),
  // all in one atomic write. Errors name "<plural>[i].<field>".
  absl::StatusOr<std::vector<UpsertOutcome>> BatchUpsert(
      const RequestContext& ctx, ResourceType type,
      const std::vector<const google::protobuf::Message*>& records);

  // --- Living beside the ERP (core/records/record_bulk.h).
  // Upserts rows, each validated on its own: a bad row gets its error and
  // the others proceed. Valid rows are written in one batch.
  absl::StatusOr<std::vector<ImportRowOutcome>> ImportRows(
      const RequestContext& ctx, ResourceType type, const std::vector<ImportRowInput>& rows,
      v1::DuplicatePolicy policy, ImportSession* session, bool preserve_ids = false);
  // Every readable record of `types` matching `filter`, from one snapshot.
  // `sink` returns false to stop.
  absl::Status Export(
      const RequestContext& ctx, const std::vector<ResourceType>& types, std::string_view filter,
      const std::function<bool(ResourceType, const google::protobuf::Message&)>& sink);
  // Existing customers matching `customer` by email, phone or organisation
  // name (only those the caller can read).
  absl::StatusOr<std::vector<DuplicateMatch>> FindDuplicates(
      const RequestContext& ctx, const google::protobuf::Message& customer,
      std::string_view exclude_id);
  absl::StatusOr<RecordPtr> MergeCustomers(const RequestContext& ctx, std::string_view survivor_id,
                                           std::string_view merged_id);

  absl::StatusOr<v1::AttributeSchema> GetSchema(const RequestContext& ctx, ResourceType type);
  absl::StatusOr<v1::AttributeSchema> UpdateSchema(const RequestContext& ctx,
                                                   const v1::AttributeSchema& schema,
                                                   int64_t expected_revision);

  // Record <-> index <-> counter <-> feed agreement for one tenant.
  absl::StatusOr<v1::CheckConsistencyResponse> CheckConsistency(const RequestContext& ctx,
                                                                int max_problems);
  // The change feed every commit of this store writes its events to.
  feed::ChangeFeed* feed() const;
  // What Open did to bring the search-index entries to the current
  // derivation (core/records/search_key_migration.h).
  const SearchKeyMigration& search_key_migration() const;
  // The database every write of this store goes to.
  store::Database* database() const;
  // How it reads and normalises values (the default phone region).
  const ValidationOptions& validation_options() const;

  // Plugins' hooks, run before every create, update and delete (null: none).
  // REQUIRES: set before serving, outlives the store.
  void SetWriteHooks(WriteHooks* hooks);

  ~RecordStore();

 private:
  explicit RecordStore(std::unique_ptr<RecordStoreState> state);

  // The shared state and the jobs, each over it (record_store_state.h).
  std::unique_ptr<RecordStoreState> state_;
  std::unique_ptr<AttributeSchemas> schemas_;
  std::unique_ptr<RecordQuery> query_;
  std::unique_ptr<RecordCommitter> committer_;
  std::unique_ptr<RecordWriter> writer_;
  std::unique_ptr<RecordBulk> bulk_;
  std::unique_ptr<RecordFsck> fsck_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_STORE_H_
