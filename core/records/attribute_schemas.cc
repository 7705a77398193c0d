// Attribute schemas: the cached read and the checked update.
#include "core/records/attribute_schemas.h"

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/records/record_validator.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::records {

absl::StatusOr<v1::AttributeSchema> AttributeSchemas::Load(uint32_t tenant, ResourceType type) {
  uint64_t cache_key = (static_cast<uint64_t>(tenant) << 8) | static_cast<uint8_t>(type);
  {
    std::shared_lock lock(schema_mu_);
    if (auto it = schema_cache_.find(cache_key); it != schema_cache_.end()) return it->second;
  }
  v1::AttributeSchema schema;
  schema.set_resource_type(ToProto(type));
  auto value = s_.db->Get(s_.db->meta(), store::SchemaKey(tenant, static_cast<uint8_t>(type)));
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

absl::StatusOr<v1::AttributeSchema> AttributeSchemas::Update(const RequestContext& ctx,
                                                             const v1::AttributeSchema& input,
                                                             int64_t expected_revision) {
  RAPPORT_RETURN_IF_ERROR(ValidateAttributeSchema(input));
  const ResourceType type = FromProto(input.resource_type());
  auto lock = s_.feed->LockCommits();
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema current, Load(ctx.tenant, type));
  if (expected_revision != 0 && expected_revision != current.revision()) {
    return absl::AbortedError(
        absl::StrCat("the schema changed concurrently; current revision is ", current.revision()));
  }
  std::vector<FieldViolation> violations;
  for (const auto& old_def : current.attributes()) {
    const v1::AttributeDefinition* new_def = nullptr;
    int position = 0;
    for (int i = 0; i < input.attributes_size(); ++i) {
      if (input.attributes(i).name() == old_def.name()) {
        new_def = &input.attributes(i);
        position = i;
      }
    }
    if (new_def == nullptr) {
      // Records may carry the attribute; removing it would make their next
      // write fail. Mark it deprecated in its description instead.
      violations.push_back({"schema.attributes",
                            absl::StrCat("'", old_def.name(), "' cannot be removed once defined")});
      continue;
    }
    std::string field = absl::StrCat("schema.attributes[", position, "]");
    if (new_def->type() != old_def.type()) {
      violations.push_back({field + ".type", absl::StrCat("the type of '", old_def.name(),
                                                          "' cannot change once defined")});
    }
    if (new_def->indexed() != old_def.indexed()) {
      violations.push_back(
          {field + ".indexed",
           absl::StrCat("'", old_def.name(),
                        "': indexed is fixed when the attribute is first defined")});
    }
  }
  if (!violations.empty()) return InvalidFields(violations);
  // A new indexed attribute can have no values yet (unknown attributes are
  // refused on write), so it needs no backfill.
  v1::AttributeSchema next = input;
  next.set_revision(current.revision() + 1);
  rocksdb::WriteBatch batch;
  batch.Put(s_.db->meta(), store::SchemaKey(ctx.tenant, static_cast<uint8_t>(type)),
            next.SerializeAsString());
  v1::ChangeEvent event;
  event.set_operation(current.revision() == 0 ? v1::CHANGE_OPERATION_CREATE
                                              : v1::CHANGE_OPERATION_UPDATE);
  event.set_subject(absl::StrCat("schema/", KindOf(type).name));
  event.mutable_before()->PackFrom(current);
  event.mutable_after()->PackFrom(next);
  RAPPORT_RETURN_IF_ERROR(s_.feed->CommitWithEventLocked(ctx, &batch, std::move(event)));
  {
    std::unique_lock schema_lock(schema_mu_);
    schema_cache_[(static_cast<uint64_t>(ctx.tenant) << 8) | static_cast<uint8_t>(type)] = next;
  }
  RAPPORT_RETURN_IF_ERROR(lock.Release());
  return next;
}

}  // namespace rapport::records
