// The commit: re-checks under the lock and one WriteBatch per write.
#include "core/records/record_commit.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/records/extra_write_resolver.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "google/protobuf/any.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "rocksdb/write_batch.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;

constexpr char kConflictPayload[] = "rapport.dev/revision-conflict";
constexpr char kKeyspaceConflictPayload[] = "rapport.dev/keyspace-conflict";

}  // namespace

absl::Status Conflict(const ResourceKind& kind, const std::string& id, int64_t current) {
  absl::Status s = absl::AbortedError(
      absl::StrCat(kind.name, " ", id, " was changed concurrently; current revision is ", current,
                   ". Read it again and retry"));
  s.SetPayload(kConflictPayload, absl::Cord(absl::StrCat(current)));
  return s;
}

bool IsConflict(const absl::Status& s) { return s.GetPayload(kConflictPayload).has_value(); }

absl::Status KeyspaceConflict(const absl::Status& resolver_status) {
  absl::Status s = absl::AbortedError(absl::StrCat(
      "a plugin's pre-commit hook read keys that changed before the write could commit (",
      resolver_status.message(), "); retry"));
  s.SetPayload(kKeyspaceConflictPayload, absl::Cord("1"));
  return s;
}

bool IsKeyspaceConflict(const absl::Status& s) {
  return s.GetPayload(kKeyspaceConflictPayload).has_value();
}

absl::Status RecordCommitter::Commit(const RequestContext& ctx,
                                     std::vector<RecordChange>& changes) {
  PrepareForCommit(ctx, changes);
  auto lock = s_.feed->LockCommits();
  return lock.ReleaseAfter(CommitLocked(ctx, changes));
}

void RecordCommitter::PrepareForCommit(const RequestContext& ctx,
                                       std::vector<RecordChange>& changes) const {
  for (RecordChange& change : changes) PrepareChange(ctx, &change);
}

void RecordCommitter::PrepareChange(const RequestContext& ctx, RecordChange* c) const {
  RecordChange& change = *c;
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

absl::Status RecordCommitter::CommitLocked(const RequestContext& ctx,
                                           std::vector<RecordChange>& changes,
                                           std::vector<absl::Status>* per_change) {
  rocksdb::WriteBatch batch;
  feed::ChangeFeed::Batch events(s_.feed.get(), ctx.tenant, &batch);
  std::set<std::string> claimed;   // unique index prefixes taken within this batch
  std::set<std::string> released;  // index entries removed by earlier changes of the batch
  if (per_change) per_change->assign(changes.size(), absl::OkStatus());
  // The plugins' pre-commit keyspace operations: their reads checked, their
  // counter adds summed, change after change.
  ExtraWriteResolver keyspace(s_.db);
  // Callers that did not prepare (merges): derive here, under the lock.
  for (RecordChange& change : changes) {
    if (!change.prepared) PrepareChange(ctx, &change);
  }
  for (size_t c = 0; c < changes.size(); ++c) {
    RecordChange& change = changes[c];
    const ResourceKind& kind = *change.kind;
    const std::string id = ids::UlidToString(change.id16);
    std::vector<std::string> removed, added, claims;
    // Checks what must still hold under the lock; nothing is added to the
    // batch for a change that fails them.
    auto check = [&]() -> absl::Status {
      // 1. What we read must still be current.
      auto current = s_.ReadRecord(ctx.tenant, kind, change.id16);
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
          auto it = s_.db->NewIterator(s_.db->index());
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
    std::vector<ExtraWrite> plugin_writes;
    if (status.ok() && !change.extra_writes.empty()) {
      bool conflict = false;
      auto resolved = keyspace.Resolve(change.extra_writes, &conflict, store::DescribePluginKey);
      if (resolved.ok()) {
        plugin_writes = std::move(*resolved);
      } else {
        // Name the module whose hook wrote (all of a change's plugin keys
        // are one tenant's; the first names a module that wrote).
        std::string module, unused;
        const bool named = store::SplitPluginKey(change.extra_writes.front().key, &module, &unused);
        const std::string who = named ? absl::StrCat("module '", module, "': ") : "";
        status = conflict ? KeyspaceConflict(resolved.status())
                          : absl::Status(resolved.status().code(),
                                         absl::StrCat(who, resolved.status().message()));
      }
    }
    if (!status.ok()) {
      if (per_change == nullptr) return status;
      (*per_change)[c] = status;
      continue;
    }
    claimed.insert(claims.begin(), claims.end());
    released.insert(removed.begin(), removed.end());
    for (const auto& key : removed) batch.Delete(s_.db->index(), key);
    for (const auto& key : added) batch.Put(s_.db->index(), key, "");
    // 3. The record and its count.
    const std::string entity_key = store::EntityKey(ctx.tenant, kind.code(), change.id16);
    const std::string counter_key = store::CounterKey(ctx.tenant, kind.code());
    if (change.after) {
      batch.Put(s_.db->entity(), entity_key, change.after_bytes);
    } else {
      batch.Delete(s_.db->entity(), entity_key);
    }
    for (const ExtraWrite& w : plugin_writes) {
      if (w.op == ExtraWrite::Op::kEvent) continue;  // below, after the change's own event
      if (w.value) {
        batch.Put(s_.db->meta(), w.key, *w.value);
      } else {
        batch.Delete(s_.db->meta(), w.key);
      }
    }
    if (!change.before) batch.Merge(s_.db->counters(), counter_key, store::EncodeCounterDelta(1));
    if (!change.after) batch.Merge(s_.db->counters(), counter_key, store::EncodeCounterDelta(-1));
    // 4. The change event: prepared outside the lock but for its sequence
    // and commit time.
    events.Add(&change.event);
    // Module events the hooks emitted (emit_event), which the change caused.
    for (const ExtraWrite& w : plugin_writes) {
      if (w.op != ExtraWrite::Op::kEvent || !w.value) continue;
      v1::ChangeEvent emitted;
      if (!emitted.ParseFromString(*w.value)) continue;
      if (emitted.request_id().empty()) emitted.set_request_id(change.request_id);
      events.Add(&emitted);
    }
    // 5. The idempotency record: fingerprint, then the response.
    if (!change.request_id.empty()) {
      batch.Put(s_.db->meta(), store::IdempotencyKey(ctx.tenant, kind.code(), change.request_id),
                absl::StrCat(change.request_fingerprint, change.after_bytes));
    }
  }
  return events.Commit();  // writes nothing when every change failed its checks
}

absl::Status RecordCommitter::CheckReferencesLocked(const RequestContext& ctx,
                                                    const ResourceKind& kind, const Message& record,
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
    auto found = s_.ReadVisible(ctx, KindOf(type), *id16);
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

}  // namespace rapport::records
