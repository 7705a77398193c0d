// The reads and access checks every job of the record store makes.
#include "core/records/record_store_state.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/records/record_fields.h"
#include "core/store/keyspace.h"

namespace rapport::records {

using google::protobuf::Message;

absl::StatusOr<RecordPtr> RecordStoreState::ReadRecord(uint32_t tenant, const ResourceKind& kind,
                                                       std::string_view id16,
                                                       const rocksdb::Snapshot* snapshot) const {
  auto value = db->Get(db->entity(), store::EntityKey(tenant, kind.code(), id16), snapshot);
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

absl::StatusOr<RecordPtr> RecordStoreState::ReadVisible(const RequestContext& ctx,
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

absl::Status CheckWritable(const RequestContext& ctx, const ResourceKind& kind,
                           const Message& after, const Message* before) {
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

absl::StatusOr<std::string> ParseId(std::string_view field, std::string_view id) {
  if (id.empty()) return InvalidField(field, "is required");
  // IDs are case-insensitive on input (Crockford base32); stored upper-case.
  auto parsed = ids::UlidFromString(id);
  if (!parsed.ok()) return InvalidField(field, AsStd(parsed.status().message()));
  return *parsed;
}

}  // namespace rapport::records
