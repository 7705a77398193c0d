#include "core/records/record_store.h"

#include <openssl/rand.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/records/record_store_internal.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "rocksdb/write_batch.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;
using google::protobuf::util::FieldMaskUtil;

constexpr size_t kMaxRequestIdBytes = 128;
constexpr int kMaxConflictRetries = 16;
constexpr size_t kMaxBatch = 1000;
constexpr char kConflictPayload[] = "rapport.dev/revision-conflict";

absl::Status Conflict(const ResourceKind& kind, const std::string& id, int64_t current) {
  absl::Status s = absl::AbortedError(
      absl::StrCat(kind.name, " ", id, " was changed concurrently; current revision is ", current,
                   ". Read it again and retry"));
  s.SetPayload(kConflictPayload, absl::Cord(absl::StrCat(current)));
  return s;
}
bool IsConflict(const absl::Status& s) { return s.GetPayload(kConflictPayload).has_value(); }

std::string Fingerprint(const Message& m) {
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return PageTokenCodec::Fingerprint(absl::StrCat(m.GetDescriptor()->full_name(), bytes));
}

}  // namespace

RecordStore::RecordStore(store::Database* db, const Clock* clock, RecordStoreOptions options,
                         std::string page_secret, std::unique_ptr<feed::ChangeFeed> feed)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      page_tokens_(std::move(page_secret)),
      feed_(std::move(feed)) {}

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
  auto store = std::unique_ptr<RecordStore>(
      new RecordStore(db, clock, std::move(options), std::move(secret), std::move(feed)));
  store->search_key_migration_ = migration;
  return store;
}

absl::StatusOr<v1::AttributeSchema> RecordStore::LoadSchema(uint32_t tenant, ResourceType type) {
  uint64_t cache_key = (static_cast<uint64_t>(tenant) << 8) | static_cast<uint8_t>(type);
  {
    std::shared_lock lock(schema_mu_);
    if (auto it = schema_cache_.find(cache_key); it != schema_cache_.end()) return it->second;
  }
  v1::AttributeSchema schema;
  schema.set_resource_type(ToProto(type));
  auto value = db_->Get(db_->meta(), store::SchemaKey(tenant, static_cast<uint8_t>(type)));
  if (value.ok()) {
    if (!schema.ParseFromString(*value)) return absl::DataLossError("corrupt attribute schema");
  } else if (!absl::IsNotFound(value.status())) {
    return value.status();
  }
  // try_emplace: SetAttributeSchema caches the committed schema itself, and
  // a read that raced it must not put the older one back.
  std::unique_lock lock(schema_mu_);
  return schema_cache_.try_emplace(cache_key, std::move(schema)).first->second;
}

absl::StatusOr<RecordPtr> RecordStore::ReadRecord(uint32_t tenant, const ResourceKind& kind,
                                                  std::string_view id16,
                                                  const rocksdb::Snapshot* snapshot) const {
  auto value = db_->Get(db_->entity(), store::EntityKey(tenant, kind.code(), id16), snapshot);
  if (!value.ok()) {
    if (absl::IsNotFound(value.status())) {
      return absl::NotFoundError(
          absl::StrCat("no ", kind.name, " with id ", ids::UlidToString(id16)));
    }
    return value.status();
  }
  RecordPtr record = kind.NewRecord();
  if (!record->ParseFromString(*value)) {
    return absl::DataLossError(
        absl::StrCat("undecodable ", kind.name, " ", ids::UlidToString(id16)));
  }
  return record;
}

bool CanSee(const RequestContext& ctx, const Message& record) {
  return ctx.CanRead(GetOwner(record)) || (ctx.Restricted() && IsCollaborator(record, ctx.user_id));
}

absl::StatusOr<RecordPtr> RecordStore::ReadVisible(const RequestContext& ctx,
                                                   const ResourceKind& kind,
                                                   std::string_view id16) const {
  auto record = ReadRecord(ctx.tenant, kind, id16);
  if (record.ok() && !CanSee(ctx, **record)) {
    // Outside the caller's scope: indistinguishable from absent.
    return absl::NotFoundError(
        absl::StrCat("no ", kind.name, " with id ", ids::UlidToString(id16)));
  }
  return record;
}

absl::Status RecordStore::CheckWritable(const RequestContext& ctx, const ResourceKind& kind,
                                        const Message& after, const Message* before) const {
  if (!ctx.CanWrite()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "user '", ctx.user_id, "' may read but not write ", kind.plural, " (viewer role)"));
  }
  const std::string owner = GetOwner(after);
  // A collaborator outside the owner's scope may change the record, but not
  // who owns it or who else may change it.
  if (before != nullptr && !ctx.CanRead(GetOwner(*before)) &&
      IsCollaborator(*before, ctx.user_id)) {
    if (GetOwner(*before) != owner) {
      return absl::PermissionDeniedError(
          absl::StrCat(kind.name, ".owner: user '", ctx.user_id,
                       "' is a collaborator and may not change the owner"));
    }
    if (GetCollaborators(*before) != GetCollaborators(after)) {
      return absl::PermissionDeniedError(
          absl::StrCat(kind.name, ".collaborators: user '", ctx.user_id,
                       "' is a collaborator and may not change the collaborators"));
    }
    return absl::OkStatus();
  }
  if (!ctx.CanRead(owner)) {
    return absl::PermissionDeniedError(absl::StrCat(kind.name, ".owner: user '", ctx.user_id,
                                                    "' cannot give records to '", owner,
                                                    "', who is outside their teams"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecordStore::ParseId(std::string_view field,
                                                 std::string_view id) const {
  if (id.empty()) return InvalidField(field, "is required");
  // IDs are case-insensitive on input (Crockford base32); stored upper-case.
  auto parsed = ids::UlidFromString(id);
  if (!parsed.ok()) return InvalidField(field, AsStd(parsed.status().message()));
  return *parsed;
}

absl::Status RecordStore::Prepare(const ResourceKind& kind, const v1::AttributeSchema& schema,
                                  Message* record) const {
  // References are stored in canonical (upper-case) form so that filters and
  // timelines find them however the caller spelled the ID.
  for (const char* field : {"customer_id", "organization_id", "opportunity_id"}) {
    const auto* f = kind.descriptor->FindFieldByName(field);
    if (f == nullptr) continue;
    std::string value = record->GetReflection()->GetString(*record, f);
    if (value.empty()) continue;
    auto id16 = ids::UlidFromString(value);
    if (!id16.ok()) return InvalidField(field, AsStd(id16.status().message()));
    record->GetReflection()->SetString(record, f, ids::UlidToString(*id16));
  }
  // An interaction logged without a time happened now: one field fewer to type.
  if (kind.type == ResourceType::kInteraction) {
    auto* interaction = static_cast<v1::Interaction*>(record);
    if (!interaction->has_occurred_at()) SetTime(record, "occurred_at", clock_->Now());
  }
  return ValidateRecord(kind, record, schema, options_.validation);
}

absl::Status RecordStore::RunHooks(const RequestContext& ctx, const ResourceKind& kind,
                                   const v1::AttributeSchema& schema, WriteOperation op,
                                   Change* change) {
  if (hooks_ == nullptr) return absl::OkStatus();
  std::string original = change->after ? change->after->SerializeAsString() : std::string();
  RAPPORT_RETURN_IF_ERROR(hooks_->BeforeWrite(ctx, kind.type, op, change->before.get(),
                                              change->after.get(), &change->extra_writes));
  if (change->after && change->after->SerializeAsString() != original) {
    // A hook changed the record: output fields stay the store's, and the
    // result must be as valid as any write.
    for (const char* f : {"id", "revision", "create_time", "update_time"}) {
      if (change->before) CopyField(*change->before, change->after.get(), f);
    }
    if (!change->before) SetId(change->after.get(), ids::UlidToString(change->id16));
    RAPPORT_RETURN_IF_ERROR(
        PrefixFields(Prepare(kind, schema, change->after.get()), absl::StrCat(kind.name, ".")));
    if (change->before) {
      change->changed_fields = ChangedFields(*change->before, *change->after);
      SetRevision(change->after.get(), GetRevision(*change->before) + 1);
    } else {
      change->changed_fields = SetFields(*change->after);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RecordStore::CountRecords(uint32_t tenant, ResourceType type) const {
  auto value = db_->Get(db_->counters(), store::CounterKey(tenant, static_cast<uint8_t>(type)));
  if (absl::IsNotFound(value.status())) return 0;
  if (!value.ok()) return value.status();
  return store::DecodeCounter(*value);
}

absl::Status RecordStore::CheckReferencesLocked(const RequestContext& ctx, const ResourceKind& kind,
                                                const Message& record,
                                                const Message* before) const {
  auto changed = [&](const char* field) {
    if (before == nullptr) return true;
    const auto* f = kind.descriptor->FindFieldByName(field);
    return record.GetReflection()->GetString(record, f) !=
           before->GetReflection()->GetString(*before, f);
  };
  auto must_exist = [&](const char* field, std::string_view id, ResourceType type,
                        RecordPtr* out) -> absl::Status {
    auto id16 = ParseId(field, id);
    if (!id16.ok()) return id16.status();
    auto found = ReadVisible(ctx, KindOf(type), *id16);
    if (absl::IsNotFound(found.status())) {
      return InvalidField(
          field, absl::StrCat("no ", KindOf(type).name, " '", AsAbsl(id), "' in this tenant"));
    }
    if (!found.ok()) return found.status();
    if (out) *out = std::move(*found);
    return absl::OkStatus();
  };
  switch (kind.type) {
    case ResourceType::kCustomer: {
      const auto& c = static_cast<const v1::Customer&>(record);
      if (c.organization_id().empty() || !changed("organization_id")) return absl::OkStatus();
      if (c.organization_id() == c.id()) {
        return InvalidField("organization_id", "a customer cannot belong to itself");
      }
      RecordPtr org;
      RAPPORT_RETURN_IF_ERROR(
          must_exist("organization_id", c.organization_id(), ResourceType::kCustomer, &org));
      if (static_cast<const v1::Customer&>(*org).kind() != v1::CUSTOMER_KIND_ORGANIZATION) {
        return InvalidField("organization_id", absl::StrCat("'", c.organization_id(),
                                                            "' is a person, not an organization"));
      }
      return absl::OkStatus();
    }
    case ResourceType::kInteraction: {
      const auto& r = static_cast<const v1::Interaction&>(record);
      if (changed("customer_id")) {
        RAPPORT_RETURN_IF_ERROR(
            must_exist("customer_id", r.customer_id(), ResourceType::kCustomer, nullptr));
      }
      if (r.opportunity_id().empty() || !(changed("opportunity_id") || changed("customer_id"))) {
        return absl::OkStatus();
      }
      RecordPtr opp;
      RAPPORT_RETURN_IF_ERROR(
          must_exist("opportunity_id", r.opportunity_id(), ResourceType::kOpportunity, &opp));
      if (static_cast<const v1::Opportunity&>(*opp).customer_id() != r.customer_id()) {
        return InvalidField("opportunity_id", absl::StrCat("opportunity '", r.opportunity_id(),
                                                           "' belongs to another customer"));
      }
      return absl::OkStatus();
    }
    case ResourceType::kOpportunity:
      if (!changed("customer_id")) return absl::OkStatus();
      return must_exist("customer_id", static_cast<const v1::Opportunity&>(record).customer_id(),
                        ResourceType::kCustomer, nullptr);
  }
  return absl::OkStatus();
}

absl::Status RecordStore::Commit(const RequestContext& ctx, std::vector<Change>& changes) {
  PrepareForCommit(ctx, changes);
  auto lock = feed_->LockCommits();
  return CommitLocked(ctx, changes);
}

void RecordStore::PrepareForCommit(const RequestContext& ctx, std::vector<Change>& changes) const {
  for (Change& change : changes) PrepareChange(ctx, &change);
}

void RecordStore::PrepareChange(const RequestContext& ctx, Change* c) const {
  Change& change = *c;
  const ResourceKind& kind = *change.kind;
  change.old_index_keys.clear();
  change.new_index_keys.clear();
  if (change.before) {
    change.old_index_keys =
        IndexKeysFor(ctx.tenant, kind, *change.before, change.id16, change.schema);
  }
  if (change.after) {
    change.new_index_keys =
        IndexKeysFor(ctx.tenant, kind, *change.after, change.id16, change.schema);
    change.after_bytes = change.after->SerializeAsString();
  }
  v1::ChangeEvent& event = change.event;
  event.Clear();
  event.set_resource_type(ToProto(kind.type));
  event.set_resource_id(ids::UlidToString(change.id16));
  event.set_operation(!change.before  ? v1::CHANGE_OPERATION_CREATE
                      : !change.after ? v1::CHANGE_OPERATION_DELETE
                                      : v1::CHANGE_OPERATION_UPDATE);
  for (const auto& f : change.changed_fields) event.add_changed_fields(f);
  if (change.before) event.mutable_before()->PackFrom(*change.before);
  if (change.after) {
    // The bytes just serialized, not a second serialization.
    event.mutable_after()->set_type_url(
        absl::StrCat("type.googleapis.com/", change.after->GetDescriptor()->full_name()));
    event.mutable_after()->set_value(change.after_bytes);
  }
  for (const auto& [system, external_id] :
       GetExternalRefs(change.after ? *change.after : *change.before)) {
    (*event.mutable_external_refs())[system] = external_id;
  }
  event.set_principal(ctx.principal);
  event.set_origin(ctx.origin);
  event.set_request_id(change.request_id);
  event.set_hook_depth(ctx.hook_depth);
  change.prepared = true;
}

absl::Status RecordStore::CommitLocked(const RequestContext& ctx, std::vector<Change>& changes,
                                       std::vector<absl::Status>* per_change) {
  rocksdb::WriteBatch batch;
  feed::ChangeFeed::Batch events(feed_.get(), ctx.tenant, &batch);
  std::set<std::string> claimed;   // unique index prefixes taken within this batch
  std::set<std::string> released;  // index entries removed by earlier changes of the batch
  if (per_change) per_change->assign(changes.size(), absl::OkStatus());
  // Callers that did not prepare (merges): derive here, under the lock.
  for (Change& change : changes) {
    if (!change.prepared) PrepareChange(ctx, &change);
  }
  for (size_t c = 0; c < changes.size(); ++c) {
    Change& change = changes[c];
    const ResourceKind& kind = *change.kind;
    const std::string id = ids::UlidToString(change.id16);
    std::vector<std::string> removed, added, claims;
    // Checks what must still hold under the lock; nothing is added to the
    // batch for a change that fails them.
    auto check = [&]() -> absl::Status {
      // 1. What we read must still be current.
      auto current = ReadRecord(ctx.tenant, kind, change.id16);
      if (change.before == nullptr) {
        if (current.ok()) return absl::InternalError(absl::StrCat("id collision on ", id));
      } else {
        if (absl::IsNotFound(current.status())) {
          return absl::NotFoundError(
              absl::StrCat(change.error_prefix, kind.name, " ", id, " was deleted concurrently"));
        }
        if (!current.ok()) return current.status();
        if (GetRevision(**current) != GetRevision(*change.before)) {
          return Conflict(kind, id, GetRevision(**current));
        }
      }
      // 2. References and uniqueness.
      if (change.after != nullptr && !change.skip_reference_check) {
        RAPPORT_RETURN_IF_ERROR(
            PrefixFields(CheckReferencesLocked(ctx, kind, *change.after, change.before.get()),
                         change.error_prefix));
      }
      const std::vector<std::string>& old_keys = change.old_index_keys;
      const std::vector<std::string>& new_keys = change.new_index_keys;
      std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(),
                          std::back_inserter(removed));
      std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(),
                          std::back_inserter(added));
      for (const std::string& key : added) {
        store::KeyReader reader(key);
        uint32_t tenant;
        uint16_t index_id;
        if (!reader.U32(&tenant) || !reader.U16(&index_id))
          return absl::InternalError("bad index key");
        const IndexSpec* spec = nullptr;
        for (const auto& s : kind.indexes)
          if (s.id == index_id) spec = &s;
        if (spec == nullptr || !spec->unique) continue;
        std::string prefix = key.substr(0, key.size() - 16);
        std::string holder;
        if (claimed.count(prefix) || std::count(claims.begin(), claims.end(), prefix)) {
          holder = "another record in this batch";
        } else {
          claims.push_back(prefix);
          auto it = db_->NewIterator(db_->index());
          for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
            std::string other(it->key().data() + it->key().size() - 16, 16);
            if (released.count(it->key().ToString())) continue;  // freed earlier in this batch
            if (other != change.id16) {
              holder = ctx.Restricted() ? absl::StrCat("another ", kind.name)
                                        : absl::StrCat(kind.name, " ", ids::UlidToString(other));
              break;
            }
          }
        }
        if (!holder.empty()) {
          std::string system, value;
          (void)reader.String(&system);
          (void)reader.String(&value);
          return InvalidField(absl::StrCat(change.error_prefix, "external_refs[", system, "]"),
                              absl::StrCat("'", value, "' already belongs to ", holder,
                                           " (external refs are unique per tenant and system)"));
        }
      }
      return absl::OkStatus();
    };
    absl::Status status = check();
    if (!status.ok()) {
      if (per_change == nullptr) return status;
      (*per_change)[c] = status;
      continue;
    }
    claimed.insert(claims.begin(), claims.end());
    released.insert(removed.begin(), removed.end());
    for (const auto& key : removed) batch.Delete(db_->index(), key);
    for (const auto& key : added) batch.Put(db_->index(), key, "");
    // 3. The record and its count.
    const std::string entity_key = store::EntityKey(ctx.tenant, kind.code(), change.id16);
    const std::string counter_key = store::CounterKey(ctx.tenant, kind.code());
    if (change.after) {
      batch.Put(db_->entity(), entity_key, change.after_bytes);
    } else {
      batch.Delete(db_->entity(), entity_key);
    }
    for (const ExtraWrite& w : change.extra_writes) {
      if (w.value) {
        batch.Put(db_->meta(), w.key, *w.value);
      } else {
        batch.Delete(db_->meta(), w.key);
      }
    }
    if (!change.before) batch.Merge(db_->counters(), counter_key, store::EncodeCounterDelta(1));
    if (!change.after) batch.Merge(db_->counters(), counter_key, store::EncodeCounterDelta(-1));
    // 4. The change event: prepared outside the lock but for its sequence
    // and commit time.
    events.Add(&change.event);
    // 5. The idempotency record: fingerprint, then the response.
    if (!change.request_id.empty()) {
      batch.Put(db_->meta(), store::IdempotencyKey(ctx.tenant, kind.code(), change.request_id),
                absl::StrCat(change.request_fingerprint, change.after_bytes));
    }
  }
  return events.Commit();  // writes nothing when every change failed its checks
}

absl::StatusOr<RecordPtr> RecordStore::FindIdempotent(const RequestContext& ctx,
                                                      const ResourceKind& kind,
                                                      std::string_view request_id,
                                                      std::string_view fingerprint) const {
  auto previous = db_->Get(db_->meta(), store::IdempotencyKey(ctx.tenant, kind.code(), request_id));
  if (absl::IsNotFound(previous.status())) return RecordPtr();
  if (!previous.ok()) return previous.status();
  if (previous->substr(0, 8) != fingerprint) {
    return InvalidField("request_id",
                        "was already used for a different request; use a new request_id");
  }
  RecordPtr record = kind.NewRecord();
  if (!record->ParseFromString(previous->substr(8))) {
    return absl::DataLossError("corrupt idempotency record");
  }
  return record;
}

absl::StatusOr<RecordPtr> RecordStore::Create(const RequestContext& ctx, ResourceType type,
                                              const Message& input, std::string_view request_id,
                                              v1::DuplicatePolicy duplicates) {
  const ResourceKind& kind = KindOf(type);
  if (request_id.size() > kMaxRequestIdBytes || !IsValidUtf8(request_id)) {
    return InvalidField("request_id",
                        absl::StrCat("must be at most ", kMaxRequestIdBytes, " bytes of UTF-8"));
  }
  if (!GetId(input).empty()) {
    return InvalidField(absl::StrCat(kind.name, ".id"),
                        "is assigned by the server; leave it empty on create");
  }
  const std::string fingerprint = Fingerprint(input);
  if (!request_id.empty()) {
    // A retry returns the first result even if validation rules changed since.
    auto previous = FindIdempotent(ctx, kind, request_id, fingerprint);
    if (!previous.ok() || *previous != nullptr) return previous;
  }
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, LoadSchema(ctx.tenant, type));
  Change change;
  change.kind = &kind;
  change.schema = schema;
  change.after = RecordPtr(input.New());
  change.after->CopyFrom(input);
  for (const char* f : {"revision", "create_time", "update_time"})
    ClearField(change.after.get(), f);
  if (GetOwner(*change.after).empty()) SetOwner(change.after.get(), ctx.user_id);
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *change.after));
  RAPPORT_RETURN_IF_ERROR(
      PrefixFields(Prepare(kind, schema, change.after.get()), absl::StrCat(kind.name, ".")));
  if (type == ResourceType::kCustomer && duplicates == v1::DUPLICATE_POLICY_BLOCK) {
    RAPPORT_ASSIGN_OR_RETURN(auto matches, FindDuplicates(ctx, *change.after, ""));
    if (!matches.empty()) {
      std::vector<std::string> described;
      for (const auto& m : matches) {
        described.push_back(absl::StrCat(m.id, " (", absl::StrJoin(m.reasons, ", "), ")"));
      }
      return absl::AlreadyExistsError(
          absl::StrCat("customer matches existing customers: ", absl::StrJoin(described, "; "),
                       ". Merge or update them, or create with duplicate_policy ALLOW"));
    }
  }
  const absl::Time now = clock_->Now();
  change.id16 = ids_.Next(absl::ToUnixMillis(now));
  SetId(change.after.get(), ids::UlidToString(change.id16));
  SetRevision(change.after.get(), 1);
  SetTime(change.after.get(), "create_time", now);
  SetTime(change.after.get(), "update_time", now);
  change.changed_fields = SetFields(*change.after);
  change.request_id = std::string(request_id);
  change.request_fingerprint = fingerprint;
  {
    // Hooks see the record as it will be written; on a changed record the
    // store re-checks everything, so restore the output fields after.
    absl::Time create_time = now;
    RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema, WriteOperation::kCreate, &change));
    SetRevision(change.after.get(), 1);
    SetTime(change.after.get(), "create_time", create_time);
    SetTime(change.after.get(), "update_time", create_time);
  }

  std::vector<Change> changes;
  changes.push_back(std::move(change));
  PrepareForCommit(ctx, changes);
  auto lock = feed_->LockCommits();
  // Again under the lock: a concurrent retry may have just committed.
  if (!request_id.empty()) {
    auto previous = FindIdempotent(ctx, kind, request_id, changes[0].request_fingerprint);
    if (!previous.ok() || *previous != nullptr) return previous;
  }
  auto status = PrefixFields(CommitLocked(ctx, changes), "");
  if (!status.ok()) {
    // Field errors from the commit name fields of the resource.
    auto violations = FieldViolations(status);
    if (!violations.empty()) return PrefixFields(status, absl::StrCat(kind.name, "."));
    return status;
  }
  return std::move(changes[0].after);
}

absl::StatusOr<RecordPtr> RecordStore::Get(const RequestContext& ctx, ResourceType type,
                                           std::string_view id) {
  RAPPORT_ASSIGN_OR_RETURN(std::string id16, ParseId("id", id));
  return ReadVisible(ctx, KindOf(type), id16);
}

absl::StatusOr<RecordPtr> RecordStore::GetByExternalRef(const RequestContext& ctx,
                                                        ResourceType type, std::string_view system,
                                                        std::string_view external_id) {
  const ResourceKind& kind = KindOf(type);
  if (system.empty()) return InvalidField("system", "is required, e.g. \"erp\"");
  if (external_id.empty()) return InvalidField("external_id", "is required");
  const IndexSpec* index = kind.FindIndex(kExternalRefIndex);
  std::string prefix = IndexValuePrefix(
      ctx.tenant, *index, {Scalar(std::string(system)), Scalar(std::string(external_id))});
  auto it = db_->NewIterator(db_->index());
  it->Seek(prefix);
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "external ref lookup"));
    return absl::NotFoundError(absl::StrCat("no ", kind.name, " with external ref ", AsAbsl(system),
                                            ":", AsAbsl(external_id)));
  }
  std::string id16(it->key().data() + it->key().size() - 16, 16);
  auto record = ReadVisible(ctx, kind, id16);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("no ", kind.name, " with external ref ", AsAbsl(system),
                                            ":", AsAbsl(external_id)));
  }
  return record;
}

absl::StatusOr<RecordPtr> RecordStore::Update(const RequestContext& ctx, ResourceType type,
                                              const Message& patch,
                                              const google::protobuf::FieldMask& mask,
                                              int64_t expected_revision) {
  const ResourceKind& kind = KindOf(type);
  RAPPORT_ASSIGN_OR_RETURN(std::string id16, ParseId(absl::StrCat(kind.name, ".id"), GetId(patch)));
  if (mask.paths_size() == 0) {
    return InvalidField("update_mask", "is required: list the fields to change, e.g. \"owner\"");
  }
  for (const std::string& path : mask.paths()) {
    std::string top = path.substr(0, path.find('.'));
    if (!FieldMaskUtil::GetFieldDescriptors(kind.descriptor, path, nullptr) || path.empty()) {
      return InvalidField("update_mask",
                          absl::StrCat("'", path, "' is not a field of ", kind.name));
    }
    if (IsOutputOnlyField(top)) {
      return InvalidField("update_mask", absl::StrCat("'", path, "' is output only"));
    }
  }
  if (expected_revision < 0) return InvalidField("expected_revision", "must not be negative");
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, LoadSchema(ctx.tenant, type));
    RAPPORT_ASSIGN_OR_RETURN(RecordPtr current, ReadVisible(ctx, kind, id16));
    RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *current, current.get()));
    if (expected_revision != 0 && GetRevision(*current) != expected_revision) {
      return Conflict(kind, GetId(*current), GetRevision(*current));
    }
    RecordPtr after(current->New());
    after->CopyFrom(*current);
    FieldMaskUtil::MergeOptions merge;
    merge.set_replace_message_fields(true);
    merge.set_replace_repeated_fields(true);
    FieldMaskUtil::MergeMessageTo(patch, mask, merge, after.get());
    RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *after, current.get()));
    RAPPORT_RETURN_IF_ERROR(
        PrefixFields(Prepare(kind, schema, after.get()), absl::StrCat(kind.name, ".")));
    std::vector<std::string> changed = ChangedFields(*current, *after);
    if (changed.empty()) return current;
    SetRevision(after.get(), GetRevision(*current) + 1);
    SetTime(after.get(), "update_time", clock_->Now());
    std::vector<Change> changes(1);
    changes[0].kind = &kind;
    changes[0].id16 = id16;
    changes[0].schema = schema;
    changes[0].changed_fields = std::move(changed);
    changes[0].before = std::move(current);
    changes[0].after = std::move(after);
    RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema, WriteOperation::kUpdate, &changes[0]));
    SetTime(changes[0].after.get(), "update_time", clock_->Now());
    absl::Status status = Commit(ctx, changes);
    if (IsConflict(status) && expected_revision == 0) continue;
    if (!status.ok()) {
      if (!FieldViolations(status).empty())
        return PrefixFields(status, absl::StrCat(kind.name, "."));
      return status;
    }
    return std::move(changes[0].after);
  }
  return absl::AbortedError(
      absl::StrCat("too many concurrent updates of ", kind.name, " ", GetId(patch), "; retry"));
}

absl::Status RecordStore::Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                                 int64_t expected_revision, bool force) {
  const ResourceKind& kind = KindOf(type);
  RAPPORT_ASSIGN_OR_RETURN(std::string id16, ParseId("id", id));
  if (expected_revision < 0) return InvalidField("expected_revision", "must not be negative");
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, LoadSchema(ctx.tenant, type));
  RAPPORT_ASSIGN_OR_RETURN(RecordPtr current, ReadVisible(ctx, kind, id16));
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *current));
  if (expected_revision != 0 && GetRevision(*current) != expected_revision) {
    return Conflict(kind, std::string(id), GetRevision(*current));
  }
  std::vector<Change> changes(1);
  changes[0].kind = &kind;
  changes[0].id16 = id16;
  changes[0].schema = schema;
  changes[0].before = std::move(current);
  // Hooks run outside the commit lock (they may be slow); the commit checks
  // that the record did not change meanwhile.
  RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema, WriteOperation::kDelete, &changes[0]));
  PrepareForCommit(ctx, changes);
  auto lock = feed_->LockCommits();
  if (type == ResourceType::kCustomer && !force) {
    const ResourceKind& opps = KindOf(ResourceType::kOpportunity);
    std::string prefix =
        IndexValuePrefix(ctx.tenant, *opps.FindIndex("customer_status"),
                         {Scalar(ids::UlidToString(id16)), Scalar(std::string("open"))});
    std::vector<std::string> open;
    auto it = db_->NewIterator(db_->index());
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && open.size() < 10;
         it->Next()) {
      open.push_back(
          ids::UlidToString(std::string_view(it->key().data() + it->key().size() - 16, 16)));
    }
    if (!open.empty()) {
      std::string which = ctx.Restricted() ? absl::StrCat(open.size(), open.size() == 10 ? "+" : "")
                                           : absl::StrCat(absl::StrJoin(open, ", "),
                                                          open.size() == 10 ? ", ..." : "");
      return absl::FailedPreconditionError(absl::StrCat("customer ", AsAbsl(id),
                                                        " has open opportunities (", which,
                                                        "); close them or delete with force=true"));
    }
  }
  return CommitLocked(ctx, changes);
}

absl::StatusOr<UpsertOutcome> RecordStore::PrepareUpsert(const RequestContext& ctx,
                                                         const ResourceKind& kind,
                                                         const v1::AttributeSchema& schema,
                                                         const Message& input, Change* change,
                                                         bool create_with_id) {
  RecordPtr current;
  std::string id = GetId(input);
  std::string given_id16;
  if (!id.empty()) {
    RAPPORT_ASSIGN_OR_RETURN(change->id16, ParseId("id", id));
    auto found = ReadVisible(ctx, kind, change->id16);
    if (absl::IsNotFound(found.status())) {
      if (!create_with_id) {
        return InvalidField("id", absl::StrCat("no ", kind.name, " '", id,
                                               "' to update; leave id empty to create"));
      }
      if (ReadRecord(ctx.tenant, kind, change->id16).ok()) {
        return InvalidField("id", absl::StrCat("'", id, "' is in use"));
      }
      given_id16 = change->id16;
    } else if (!found.ok()) {
      return found.status();
    } else {
      current = std::move(*found);
    }
  } else {
    for (const auto& [system, external_id] : GetExternalRefs(input)) {
      auto found = GetByExternalRef(ctx, kind.type, system, external_id);
      if (absl::IsNotFound(found.status())) {
        // Taken by a record outside the caller's scope? Then it is not
        // theirs to upsert; the commit's uniqueness check refuses it.
        continue;
      }
      if (!found.ok())
        return PrefixFields(found.status(), absl::StrCat("external_refs[", system, "]"));
      if (current && GetId(*current) != GetId(**found)) {
        return InvalidField("external_refs",
                            absl::StrCat("match two different ", kind.plural, ": ", GetId(*current),
                                         " and ", GetId(**found)));
      }
      current = std::move(*found);
    }
  }
  RecordPtr after(input.New());
  after->CopyFrom(input);
  if (GetOwner(*after).empty()) SetOwner(after.get(), current ? GetOwner(*current) : ctx.user_id);
  if (current) RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *current, current.get()));
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *after, current.get()));
  RAPPORT_RETURN_IF_ERROR(Prepare(kind, schema, after.get()));
  UpsertOutcome outcome;
  const absl::Time now = clock_->Now();
  change->kind = &kind;
  change->schema = schema;
  if (current) {
    for (const char* f : {"id", "create_time", "revision", "update_time"})
      CopyField(*current, after.get(), f);
    change->changed_fields = ChangedFields(*current, *after);
    if (change->changed_fields.empty()) {
      outcome.result = v1::UPSERT_RESULT_UNCHANGED;
      outcome.record = std::move(current);
      return outcome;
    }
    change->id16 = *ids::UlidFromString(GetId(*current));
    SetRevision(after.get(), GetRevision(*current) + 1);
    SetTime(after.get(), "update_time", now);
    change->before = std::move(current);
    outcome.result = v1::UPSERT_RESULT_UPDATED;
  } else {
    change->id16 = given_id16.empty() ? ids_.Next(absl::ToUnixMillis(now)) : given_id16;
    SetId(after.get(), ids::UlidToString(change->id16));
    SetRevision(after.get(), 1);
    SetTime(after.get(), "create_time", now);
    SetTime(after.get(), "update_time", now);
    change->changed_fields = SetFields(*after);
    outcome.result = v1::UPSERT_RESULT_CREATED;
  }
  change->after = std::move(after);
  RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema,
                                   outcome.result == v1::UPSERT_RESULT_CREATED
                                       ? WriteOperation::kCreate
                                       : WriteOperation::kUpdate,
                                   change));
  if (outcome.result == v1::UPSERT_RESULT_CREATED) {
    SetRevision(change->after.get(), 1);
    SetTime(change->after.get(), "create_time", now);
    SetTime(change->after.get(), "update_time", now);
  }
  return outcome;
}

absl::StatusOr<std::vector<UpsertOutcome>> RecordStore::BatchUpsert(
    const RequestContext& ctx, ResourceType type, const std::vector<const Message*>& records) {
  const ResourceKind& kind = KindOf(type);
  if (records.empty()) return InvalidField(kind.plural, "at least one record is required");
  if (records.size() > kMaxBatch) {
    return InvalidField(kind.plural,
                        absl::StrCat("at most ", kMaxBatch, " per batch, got ", records.size()));
  }
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, LoadSchema(ctx.tenant, type));
    std::vector<UpsertOutcome> outcomes(records.size());
    std::vector<Change> changes;
    std::vector<size_t> change_item;
    std::map<std::string, size_t> seen_ids;
    for (size_t i = 0; i < records.size(); ++i) {
      std::string prefix = absl::StrCat(kind.plural, "[", i, "].");
      Change change;
      change.error_prefix = prefix;
      auto outcome = PrepareUpsert(ctx, kind, schema, *records[i], &change);
      if (!outcome.ok()) return PrefixFields(outcome.status(), prefix);
      {
        std::string key = outcome->result == v1::UPSERT_RESULT_UNCHANGED ? GetId(*outcome->record)
                                                                         : GetId(*change.after);
        auto [it, fresh] = seen_ids.emplace(key, i);
        if (!fresh) {
          return InvalidField(
              absl::StrCat(kind.plural, "[", i, "]"),
              absl::StrCat("is the same ", kind.name, " as ", kind.plural, "[", it->second, "]"));
        }
      }
      outcomes[i] = std::move(*outcome);
      if (outcomes[i].result != v1::UPSERT_RESULT_UNCHANGED) {
        changes.push_back(std::move(change));
        change_item.push_back(i);
      }
    }
    absl::Status status = Commit(ctx, changes);
    if (IsConflict(status)) continue;
    RAPPORT_RETURN_IF_ERROR(status);
    for (size_t c = 0; c < changes.size(); ++c)
      outcomes[change_item[c]].record = std::move(changes[c].after);
    return outcomes;
  }
  return absl::AbortedError("too many concurrent changes to the records of this batch; retry");
}

}  // namespace rapport::records
