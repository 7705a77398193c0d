// The facade: opens the store and hands each call to the job that does it
// (record_store_state.h lists them).
#include "core/records/record_store.h"

#include <openssl/rand.h>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "core/common/status_util.h"
#include "core/records/attribute_schemas.h"
#include "core/records/record_bulk.h"
#include "core/records/record_commit.h"
#include "core/records/record_fsck.h"
#include "core/records/record_query.h"
#include "core/records/record_store_state.h"
#include "core/records/record_writer.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::records {

using google::protobuf::Message;

RecordStore::RecordStore(std::unique_ptr<RecordStoreState> state)
    : state_(std::move(state)),
      schemas_(std::make_unique<AttributeSchemas>(*state_)),
      query_(std::make_unique<RecordQuery>(*state_, *schemas_)),
      committer_(std::make_unique<RecordCommitter>(*state_)),
      writer_(std::make_unique<RecordWriter>(*state_, *schemas_, *query_, *committer_)),
      bulk_(std::make_unique<RecordBulk>(*state_, *schemas_, *query_, *writer_, *committer_)),
      fsck_(std::make_unique<RecordFsck>(*state_, *schemas_)) {}

RecordStore::~RecordStore() = default;

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(store::Database* db,
                                                               const Clock* clock,
                                                               RecordStoreOptions options) {
  std::string secret;
  auto stored = db->Get(db->meta(), store::PageSecretKey());
  if (stored.ok()) {
    secret = *stored;
  } else if (absl::IsNotFound(stored.status())) {
    secret.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) {
      return absl::InternalError("no randomness for the page-token secret");
    }
    rocksdb::WriteBatch batch;
    batch.Put(db->meta(), store::PageSecretKey(), secret);
    RAPPORT_RETURN_IF_ERROR(db->Write(&batch));
  } else {
    return stored.status();
  }
  RAPPORT_ASSIGN_OR_RETURN(std::unique_ptr<feed::ChangeFeed> feed,
                           feed::ChangeFeed::Open(db, clock));
  // Search-index entries written with an older key derivation are
  // re-derived before anything reads them.
  RAPPORT_ASSIGN_OR_RETURN(SearchKeyMigration migration, MigrateSearchKeys(db));
  auto state = std::make_unique<RecordStoreState>(db, clock, std::move(options), std::move(secret),
                                                  std::move(feed));
  state->search_key_migration = migration;
  return std::unique_ptr<RecordStore>(new RecordStore(std::move(state)));
}

namespace {

// Times a single-record write runs again (its plugins' hooks included) when
// a pre-commit hook's keyspace reads went out of date before the commit.
// Each retry first waits a random 0..(attempt x 200) microseconds, so that
// writers racing on one hot key do not keep colliding in step.
constexpr int kKeyspaceConflictRetries = 32;

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

absl::Duration RetryJitter(int attempt) {
  thread_local absl::BitGen random;
  return absl::Microseconds(absl::Uniform<int64_t>(random, 0, int64_t{200} * attempt + 1));
}

template <typename Write>
auto RetryKeyspaceConflicts(Write write) {
  auto result = write();
  for (int i = 0; i < kKeyspaceConflictRetries && IsKeyspaceConflict(StatusOf(result)); ++i) {
    absl::SleepFor(RetryJitter(i + 1));
    result = write();
  }
  return result;
}

}  // namespace

feed::ChangeFeed* RecordStore::feed() const { return state_->feed.get(); }

const SearchKeyMigration& RecordStore::search_key_migration() const {
  return state_->search_key_migration;
}

store::Database* RecordStore::database() const { return state_->db; }

const ValidationOptions& RecordStore::validation_options() const {
  return state_->options.validation;
}

void RecordStore::SetWriteHooks(WriteHooks* hooks) { state_->hooks = hooks; }

absl::StatusOr<RecordPtr> RecordStore::Create(const RequestContext& ctx, ResourceType type,
                                              const Message& record, std::string_view request_id,
                                              v1::DuplicatePolicy duplicates) {
  return RetryKeyspaceConflicts(
      [&] { return writer_->Create(ctx, type, record, request_id, duplicates); });
}

absl::StatusOr<RecordPtr> RecordStore::Get(const RequestContext& ctx, ResourceType type,
                                           std::string_view id) {
  return query_->Get(ctx, type, id);
}

absl::StatusOr<RecordPtr> RecordStore::GetByExternalRef(const RequestContext& ctx,
                                                        ResourceType type, std::string_view system,
                                                        std::string_view external_id) {
  return query_->GetByExternalRef(ctx, type, system, external_id);
}

absl::StatusOr<RecordPtr> RecordStore::Update(const RequestContext& ctx, ResourceType type,
                                              const Message& patch,
                                              const google::protobuf::FieldMask& mask,
                                              int64_t expected_revision) {
  return RetryKeyspaceConflicts(
      [&] { return writer_->Update(ctx, type, patch, mask, expected_revision); });
}

absl::Status RecordStore::Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                                 int64_t expected_revision, bool force) {
  return RetryKeyspaceConflicts(
      [&] { return writer_->Delete(ctx, type, id, expected_revision, force); });
}

absl::StatusOr<ListResult> RecordStore::List(const RequestContext& ctx, ResourceType type,
                                             const ListRequest& request) {
  return query_->List(ctx, type, request);
}

absl::StatusOr<ListResult> RecordStore::SearchCustomers(const RequestContext& ctx,
                                                        std::string_view query, int32_t page_size,
                                                        std::string_view page_token) {
  return query_->SearchCustomers(ctx, query, page_size, page_token);
}

absl::StatusOr<StageTotal> RecordStore::GetStageTotal(const RequestContext& ctx,
                                                      std::string_view pipeline,
                                                      std::string_view stage,
                                                      std::string_view currency_code) {
  return query_->GetStageTotal(ctx, pipeline, stage, currency_code);
}

absl::StatusOr<std::vector<UpsertOutcome>> RecordStore::BatchUpsert(
    const RequestContext& ctx, ResourceType type, const std::vector<const Message*>& records) {
  return writer_->BatchUpsert(ctx, type, records);
}

absl::StatusOr<std::vector<ImportRowOutcome>> RecordStore::ImportRows(
    const RequestContext& ctx, ResourceType type, const std::vector<ImportRowInput>& rows,
    v1::DuplicatePolicy policy, ImportSession* session, bool preserve_ids) {
  return bulk_->ImportRows(ctx, type, rows, policy, session, preserve_ids);
}

absl::Status RecordStore::Export(const RequestContext& ctx, const std::vector<ResourceType>& types,
                                 std::string_view filter,
                                 const std::function<bool(ResourceType, const Message&)>& sink) {
  return bulk_->Export(ctx, types, filter, sink);
}

absl::StatusOr<std::vector<DuplicateMatch>> RecordStore::FindDuplicates(
    const RequestContext& ctx, const Message& customer, std::string_view exclude_id) {
  return query_->FindDuplicates(ctx, customer, exclude_id);
}

absl::StatusOr<RecordPtr> RecordStore::MergeCustomers(const RequestContext& ctx,
                                                      std::string_view survivor_id,
                                                      std::string_view merged_id) {
  return bulk_->MergeCustomers(ctx, survivor_id, merged_id);
}

absl::StatusOr<v1::AttributeSchema> RecordStore::GetSchema(const RequestContext& ctx,
                                                           ResourceType type) {
  return schemas_->Load(ctx.tenant, type);
}

absl::StatusOr<v1::AttributeSchema> RecordStore::UpdateSchema(const RequestContext& ctx,
                                                              const v1::AttributeSchema& schema,
                                                              int64_t expected_revision) {
  return schemas_->Update(ctx, schema, expected_revision);
}

absl::StatusOr<v1::CheckConsistencyResponse> RecordStore::CheckConsistency(
    const RequestContext& ctx, int max_problems) {
  return fsck_->CheckConsistency(ctx, max_problems);
}

}  // namespace rapport::records
