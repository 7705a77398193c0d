// The write path: create, update, delete, batch upsert.
#include "core/records/record_writer.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/records/record_validator.h"
#include "core/store/keyspace.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/field_mask_util.h"
#include "rapport/v1/interaction.pb.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;
using google::protobuf::util::FieldMaskUtil;

constexpr size_t kMaxRequestIdBytes = 128;
constexpr int kMaxConflictRetries = 16;
constexpr size_t kMaxBatch = 1000;

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

absl::Status RecordWriter::Prepare(const ResourceKind& kind, const v1::AttributeSchema& schema,
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
    if (!interaction->has_occurred_at()) SetTime(record, "occurred_at", s_.clock->Now());
  }
  return ValidateRecord(kind, record, schema, s_.options.validation);
}

absl::Status RecordWriter::RunHooks(const RequestContext& ctx, const ResourceKind& kind,
                                    const v1::AttributeSchema& schema, WriteOperation op,
                                    RecordChange* change) {
  if (s_.hooks == nullptr) return absl::OkStatus();
  std::string original = change->after ? change->after->SerializeAsString() : std::string();
  // The hooks see the write's request_id (call_request_id) when it has one.
  const RequestContext* hook_ctx = &ctx;
  RequestContext with_request_id;
  if (!change->request_id.empty() && ctx.request_id != change->request_id) {
    with_request_id = ctx;
    with_request_id.request_id = change->request_id;
    hook_ctx = &with_request_id;
  }
  RAPPORT_RETURN_IF_ERROR(s_.hooks->BeforeWrite(*hook_ctx, kind.type, op, change->before.get(),
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

absl::StatusOr<RecordPtr> RecordWriter::FindIdempotent(const RequestContext& ctx,
                                                       const ResourceKind& kind,
                                                       std::string_view request_id,
                                                       std::string_view fingerprint) const {
  auto previous =
      s_.db->Get(s_.db->meta(), store::IdempotencyKey(ctx.tenant, kind.code(), request_id));
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

absl::StatusOr<RecordPtr> RecordWriter::Create(const RequestContext& ctx, ResourceType type,
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
    if (!previous.ok()) return previous;
    if (*previous != nullptr) {
      // The first attempt may still await its fsync (group commit).
      RAPPORT_RETURN_IF_ERROR(s_.feed->AwaitDurable());
      return previous;
    }
  }
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
  RecordChange change;
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
    RAPPORT_ASSIGN_OR_RETURN(auto matches, query_.FindDuplicates(ctx, *change.after, ""));
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
  const absl::Time now = s_.clock->Now();
  change.id16 = s_.ids.Next(absl::ToUnixMillis(now));
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

  std::vector<RecordChange> changes;
  changes.push_back(std::move(change));
  committer_.PrepareForCommit(ctx, changes);
  auto lock = s_.feed->LockCommits();
  // Again under the lock: a concurrent retry may have just committed.
  if (!request_id.empty()) {
    auto previous = FindIdempotent(ctx, kind, request_id, changes[0].request_fingerprint);
    if (!previous.ok()) return previous;
    if (*previous != nullptr) {
      RAPPORT_RETURN_IF_ERROR(lock.Release());  // waits for the first attempt's fsync
      return previous;
    }
  }
  auto status = PrefixFields(lock.ReleaseAfter(committer_.CommitLocked(ctx, changes)), "");
  if (!status.ok()) {
    // Field errors from the commit name fields of the resource.
    auto violations = FieldViolations(status);
    if (!violations.empty()) return PrefixFields(status, absl::StrCat(kind.name, "."));
    return status;
  }
  return std::move(changes[0].after);
}

absl::StatusOr<RecordPtr> RecordWriter::Update(const RequestContext& ctx, ResourceType type,
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
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
    RAPPORT_ASSIGN_OR_RETURN(RecordPtr current, s_.ReadVisible(ctx, kind, id16));
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
    if (changed.empty()) {
      // Answered from the stored record, which another writer's commit may
      // have written and still be syncing (group commit).
      RAPPORT_RETURN_IF_ERROR(s_.feed->AwaitDurable());
      return current;
    }
    SetRevision(after.get(), GetRevision(*current) + 1);
    SetTime(after.get(), "update_time", s_.clock->Now());
    std::vector<RecordChange> changes(1);
    changes[0].kind = &kind;
    changes[0].id16 = id16;
    changes[0].schema = schema;
    changes[0].changed_fields = std::move(changed);
    changes[0].before = std::move(current);
    changes[0].after = std::move(after);
    RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema, WriteOperation::kUpdate, &changes[0]));
    SetTime(changes[0].after.get(), "update_time", s_.clock->Now());
    absl::Status status = committer_.Commit(ctx, changes);
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

absl::Status RecordWriter::Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                                  int64_t expected_revision, bool force) {
  const ResourceKind& kind = KindOf(type);
  RAPPORT_ASSIGN_OR_RETURN(std::string id16, ParseId("id", id));
  if (expected_revision < 0) return InvalidField("expected_revision", "must not be negative");
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
  RAPPORT_ASSIGN_OR_RETURN(RecordPtr current, s_.ReadVisible(ctx, kind, id16));
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, kind, *current));
  if (expected_revision != 0 && GetRevision(*current) != expected_revision) {
    return Conflict(kind, std::string(id), GetRevision(*current));
  }
  std::vector<RecordChange> changes(1);
  changes[0].kind = &kind;
  changes[0].id16 = id16;
  changes[0].schema = schema;
  changes[0].before = std::move(current);
  // Hooks run outside the commit lock (they may be slow); the commit checks
  // that the record did not change meanwhile.
  RAPPORT_RETURN_IF_ERROR(RunHooks(ctx, kind, schema, WriteOperation::kDelete, &changes[0]));
  committer_.PrepareForCommit(ctx, changes);
  auto lock = s_.feed->LockCommits();
  if (type == ResourceType::kCustomer && !force) {
    const ResourceKind& opps = KindOf(ResourceType::kOpportunity);
    std::string prefix =
        IndexValuePrefix(ctx.tenant, *opps.FindIndex("customer_status"),
                         {Scalar(ids::UlidToString(id16)), Scalar(std::string("open"))});
    std::vector<std::string> open;
    auto it = s_.db->NewIterator(s_.db->index());
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
  return lock.ReleaseAfter(committer_.CommitLocked(ctx, changes));
}

absl::StatusOr<UpsertOutcome> RecordWriter::PrepareUpsert(
    const RequestContext& ctx, const ResourceKind& kind, const v1::AttributeSchema& schema,
    const Message& input, RecordChange* change, bool create_with_id) {
  RecordPtr current;
  std::string id = GetId(input);
  std::string given_id16;
  if (!id.empty()) {
    RAPPORT_ASSIGN_OR_RETURN(change->id16, ParseId("id", id));
    auto found = s_.ReadVisible(ctx, kind, change->id16);
    if (absl::IsNotFound(found.status())) {
      if (!create_with_id) {
        return InvalidField("id", absl::StrCat("no ", kind.name, " '", id,
                                               "' to update; leave id empty to create"));
      }
      if (s_.ReadRecord(ctx.tenant, kind, change->id16).ok()) {
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
      auto found = query_.GetByExternalRef(ctx, kind.type, system, external_id);
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
  const absl::Time now = s_.clock->Now();
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
    change->id16 = given_id16.empty() ? s_.ids.Next(absl::ToUnixMillis(now)) : given_id16;
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

absl::StatusOr<std::vector<UpsertOutcome>> RecordWriter::BatchUpsert(
    const RequestContext& ctx, ResourceType type, const std::vector<const Message*>& records) {
  const ResourceKind& kind = KindOf(type);
  if (records.empty()) return InvalidField(kind.plural, "at least one record is required");
  if (records.size() > kMaxBatch) {
    return InvalidField(kind.plural,
                        absl::StrCat("at most ", kMaxBatch, " per batch, got ", records.size()));
  }
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
    std::vector<UpsertOutcome> outcomes(records.size());
    std::vector<RecordChange> changes;
    std::vector<size_t> change_item;
    std::map<std::string, size_t> seen_ids;
    for (size_t i = 0; i < records.size(); ++i) {
      std::string prefix = absl::StrCat(kind.plural, "[", i, "].");
      RecordChange change;
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
    absl::Status status = committer_.Commit(ctx, changes);
    if (IsConflict(status)) continue;
    RAPPORT_RETURN_IF_ERROR(status);
    for (size_t c = 0; c < changes.size(); ++c)
      outcomes[change_item[c]].record = std::move(changes[c].after);
    return outcomes;
  }
  return absl::AbortedError("too many concurrent changes to the records of this batch; retry");
}

}  // namespace rapport::records
