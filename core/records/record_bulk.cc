// Living beside the ERP: imports, exports, merges.
#include "core/records/record_bulk.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/query/filter.h"
#include "core/records/field_path.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rapport/v1/customer.pb.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;

constexpr size_t kMaxMergeRepoints = 10000;

}  // namespace

absl::StatusOr<std::vector<ImportRowOutcome>> RecordBulk::ImportRows(
    const RequestContext& ctx, ResourceType type, const std::vector<ImportRowInput>& rows,
    v1::DuplicatePolicy policy, ImportSession* session, bool preserve_ids) {
  // Creating a record with a chosen id would tell a restricted caller
  // whether an id they cannot see is taken ("is in use" versus created), so
  // restoring ids is for callers who read the whole tenant.
  if (preserve_ids && ctx.Restricted()) {
    return absl::PermissionDeniedError(
        "preserve_ids: restoring records with their ids is for admins and integrations (callers "
        "who read every record of the tenant)");
  }
  const ResourceKind& kind = KindOf(type);
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
  std::vector<ImportRowOutcome> outcomes(rows.size());
  std::vector<RecordChange> changes;
  std::vector<size_t> change_row;
  std::map<std::string, uint64_t> in_batch;       // id16 -> line
  std::map<std::string, uint64_t> refs_in_batch;  // system \x1f id -> line
  for (size_t i = 0; i < rows.size(); ++i) {
    const ImportRowInput& row = rows[i];
    ImportRowOutcome& outcome = outcomes[i];
    if (!row.client_error.empty() || row.record == nullptr) {
      outcome.status = InvalidField("", row.client_error.empty() ? "empty row" : row.client_error);
      continue;
    }
    RecordPtr input(row.record->New());
    input->CopyFrom(*row.record);
    if (!row.customer_ref.empty()) {
      const auto* f = kind.descriptor->FindFieldByName("customer_id");
      size_t colon = row.customer_ref.find(':');
      if (f == nullptr || colon == std::string::npos) {
        outcome.status = InvalidField("customer_ref", "must be SYSTEM:ID, e.g. erp:ICC-0042");
        continue;
      }
      auto customer =
          query_.GetByExternalRef(ctx, ResourceType::kCustomer, row.customer_ref.substr(0, colon),
                                  row.customer_ref.substr(colon + 1));
      if (!customer.ok()) {
        outcome.status = InvalidField(
            "customer_ref", absl::StrCat("no customer with external ref ", row.customer_ref));
        continue;
      }
      input->GetReflection()->SetString(input.get(), f, GetId(**customer));
    }
    RecordChange change;
    auto prepared = writer_.PrepareUpsert(ctx, kind, schema, *input, &change, preserve_ids);
    if (!prepared.ok()) {
      outcome.status = prepared.status();
      continue;
    }
    std::string id16 = prepared->result == v1::UPSERT_RESULT_UNCHANGED
                           ? *ids::UlidFromString(GetId(*prepared->record))
                           : change.id16;
    uint64_t earlier = 0;
    if (auto it = in_batch.find(id16); it != in_batch.end()) earlier = it->second;
    if (auto it = session->touched.find(id16); it != session->touched.end()) earlier = it->second;
    if (earlier != 0 && prepared->result != v1::UPSERT_RESULT_CREATED) {
      outcome.status =
          InvalidField("", absl::StrCat("names the same ", kind.name, " as line ", earlier,
                                        " (duplicate id or external ref in this import)"));
      continue;
    }
    // Two new rows claiming one external ref: the second names the first.
    if (prepared->result == v1::UPSERT_RESULT_CREATED) {
      bool clash = false;
      for (const auto& [system, external_id] : GetExternalRefs(*change.after)) {
        auto [it, fresh] =
            refs_in_batch.emplace(absl::StrCat(system, "\x1f", external_id), row.line);
        if (!fresh) {
          outcome.status = InvalidField(
              absl::StrCat("external_refs[", system, "]"),
              absl::StrCat("'", external_id, "' is also on line ", it->second, " of this import"));
          clash = true;
          break;
        }
      }
      if (clash) {
        outcome.result = v1::UPSERT_RESULT_UNSPECIFIED;
        continue;
      }
    }
    in_batch[id16] = row.line;
    if (session->touched.size() < ImportSession::kMaxTracked) session->touched[id16] = row.line;
    outcome.result = prepared->result;
    outcome.id = ids::UlidToString(id16);
    if (prepared->result == v1::UPSERT_RESULT_CREATED && type == ResourceType::kCustomer) {
      auto matches = query_.FindDuplicates(ctx, *change.after, "");
      if (matches.ok() && !matches->empty()) {
        for (const auto& m : *matches) outcome.duplicates.push_back(m.id);
        if (policy == v1::DUPLICATE_POLICY_BLOCK) {
          outcome.status = absl::AlreadyExistsError(absl::StrCat(
              "matches existing customers: ", absl::StrJoin(outcome.duplicates, ", ")));
          continue;
        }
      }
    }
    if (prepared->result != v1::UPSERT_RESULT_UNCHANGED) {
      changes.push_back(std::move(change));
      change_row.push_back(i);
    }
  }
  std::vector<absl::Status> committed;
  committer_.PrepareForCommit(ctx, changes);
  {
    auto lock = s_.feed->LockCommits();
    RAPPORT_RETURN_IF_ERROR(lock.ReleaseAfter(committer_.CommitLocked(ctx, changes, &committed)));
  }
  for (size_t c = 0; c < changes.size(); ++c) {
    if (!committed[c].ok()) {
      outcomes[change_row[c]].status = committed[c];
      outcomes[change_row[c]].result = v1::UPSERT_RESULT_UNSPECIFIED;
    }
  }
  return outcomes;
}

absl::Status RecordBulk::Export(const RequestContext& ctx, const std::vector<ResourceType>& types,
                                std::string_view filter_text,
                                const std::function<bool(ResourceType, const Message&)>& sink) {
  auto filter = query::ParseFilter(filter_text);
  if (!filter.ok()) return InvalidField("filter", AsStd(filter.status().message()));
  const rocksdb::Snapshot* snapshot = s_.db->db()->GetSnapshot();
  absl::Status result = absl::OkStatus();
  for (ResourceType type : types) {
    const ResourceKind& kind = KindOf(type);
    RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
    std::vector<std::pair<FieldRef, std::pair<query::CompareOp, Scalar>>> comparisons;
    for (const auto& c : filter->comparisons) {
      auto field = ResolveField(*kind.descriptor, c.field, &schema);
      if (!field.ok()) {
        s_.db->db()->ReleaseSnapshot(snapshot);
        return PrefixFields(field.status(), "filter.");
      }
      auto value = CoerceLiteral(*field, c.value);
      if (!value.ok()) {
        s_.db->db()->ReleaseSnapshot(snapshot);
        return PrefixFields(value.status(), "filter.");
      }
      comparisons.push_back({*field, {c.op, *value}});
    }
    std::string prefix = store::EntityPrefix(ctx.tenant, kind.code());
    auto it = s_.db->NewIterator(s_.db->entity(), snapshot);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      RecordPtr record = kind.NewRecord();
      if (!record->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        result = absl::DataLossError("undecodable record during export");
        break;
      }
      if (!CanSee(ctx, *record)) continue;
      bool match = true;
      for (const auto& [field, cmp] : comparisons) {
        match = match && EvaluateComparison(ExtractValues(*record, field), cmp.first, cmp.second);
      }
      if (match && !sink(type, *record)) break;
    }
    if (result.ok()) result = store::FromRocks(it->status(), "export scan");
    if (!result.ok()) break;
  }
  s_.db->db()->ReleaseSnapshot(snapshot);
  return result;
}

absl::StatusOr<RecordPtr> RecordBulk::MergeCustomers(const RequestContext& ctx,
                                                     std::string_view survivor_id,
                                                     std::string_view merged_id) {
  const ResourceKind& customers = KindOf(ResourceType::kCustomer);
  RAPPORT_ASSIGN_OR_RETURN(std::string survivor16, ParseId("survivor_id", survivor_id));
  RAPPORT_ASSIGN_OR_RETURN(std::string merged16, ParseId("merged_id", merged_id));
  if (survivor16 == merged16) return InvalidField("merged_id", "must differ from survivor_id");
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema customer_schema,
                           schemas_.Load(ctx.tenant, ResourceType::kCustomer));
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema interaction_schema,
                           schemas_.Load(ctx.tenant, ResourceType::kInteraction));
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema opportunity_schema,
                           schemas_.Load(ctx.tenant, ResourceType::kOpportunity));
  // Everything under the commit lock: a merge reads many records and must
  // see them unchanged when it writes.
  auto lock = s_.feed->LockCommits();
  RAPPORT_ASSIGN_OR_RETURN(RecordPtr survivor_record, s_.ReadVisible(ctx, customers, survivor16));
  RAPPORT_ASSIGN_OR_RETURN(RecordPtr merged_record, s_.ReadVisible(ctx, customers, merged16));
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, customers, *survivor_record));
  RAPPORT_RETURN_IF_ERROR(CheckWritable(ctx, customers, *merged_record));
  const auto& survivor = static_cast<const v1::Customer&>(*survivor_record);
  const auto& merged = static_cast<const v1::Customer&>(*merged_record);
  if (survivor.kind() != merged.kind()) {
    return absl::FailedPreconditionError("cannot merge a person with an organization");
  }
  v1::Customer result = survivor;
  for (const auto& [system, external_id] : merged.external_refs()) {
    auto it = result.external_refs().find(system);
    if (it != result.external_refs().end() && it->second != external_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("both customers have an external ref in '", system, "' (", it->second,
                       " and ", external_id, "); reconcile them in that system first"));
    }
    (*result.mutable_external_refs())[system] = external_id;
  }
  auto add_unique = [](google::protobuf::RepeatedPtrField<std::string>* into,
                       const google::protobuf::RepeatedPtrField<std::string>& from) {
    for (const auto& v : from)
      if (std::find(into->begin(), into->end(), v) == into->end()) *into->Add() = v;
  };
  add_unique(result.mutable_emails(), merged.emails());
  add_unique(result.mutable_phones(), merged.phones());
  add_unique(result.mutable_tags(), merged.tags());
  for (const auto& [name, value] : merged.attributes()) {
    if (!result.attributes().contains(name)) (*result.mutable_attributes())[name] = value;
  }
  if (result.organization_id().empty() && merged.organization_id() != survivor.id()) {
    result.set_organization_id(merged.organization_id());
  }
  if (!result.has_address() && merged.has_address()) *result.mutable_address() = merged.address();
  RAPPORT_RETURN_IF_ERROR(
      PrefixFields(writer_.Prepare(customers, customer_schema, &result), "customer."));

  const absl::Time now = s_.clock->Now();
  std::vector<RecordChange> changes;
  auto repoint = [&](ResourceType type, const char* index_name, std::vector<Scalar> prefix_values,
                     const char* field, const v1::AttributeSchema& schema) -> absl::Status {
    const ResourceKind& kind = KindOf(type);
    std::string prefix = IndexValuePrefix(ctx.tenant, *kind.FindIndex(index_name), prefix_values);
    auto it = s_.db->NewIterator(s_.db->index());
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (changes.size() >= kMaxMergeRepoints) {
        return absl::FailedPreconditionError(absl::StrCat("the merged customer has more than ",
                                                          kMaxMergeRepoints, " related records"));
      }
      std::string id16(it->key().data() + it->key().size() - 16, 16);
      auto before = s_.ReadRecord(ctx.tenant, kind, id16);
      if (!before.ok()) return before.status();
      RecordChange change;
      change.kind = &kind;
      change.id16 = id16;
      change.schema = schema;
      change.skip_reference_check = true;
      change.after = RecordPtr((*before)->New());
      change.after->CopyFrom(**before);
      change.after->GetReflection()->SetString(
          change.after.get(), kind.descriptor->FindFieldByName(field), survivor.id());
      SetRevision(change.after.get(), GetRevision(**before) + 1);
      SetTime(change.after.get(), "update_time", now);
      change.changed_fields = {field};
      change.before = std::move(*before);
      changes.push_back(std::move(change));
    }
    return store::FromRocks(it->status(), "merge scan");
  };
  const Scalar merged_scalar(merged.id());
  RAPPORT_RETURN_IF_ERROR(repoint(ResourceType::kInteraction, "customer_timeline", {merged_scalar},
                                  "customer_id", interaction_schema));
  RAPPORT_RETURN_IF_ERROR(repoint(ResourceType::kOpportunity, "customer_status", {merged_scalar},
                                  "customer_id", opportunity_schema));
  RAPPORT_RETURN_IF_ERROR(repoint(ResourceType::kCustomer, "organization", {merged_scalar},
                                  "organization_id", customer_schema));
  // The survivor (unless it was re-pointed above, which cannot happen: a
  // customer never belongs to itself) and the merged customer's deletion.
  RecordChange survivor_change;
  survivor_change.kind = &customers;
  survivor_change.id16 = survivor16;
  survivor_change.schema = customer_schema;
  survivor_change.skip_reference_check = true;
  survivor_change.changed_fields = ChangedFields(survivor, result);
  SetRevision(&result, survivor.revision() + 1);
  SetTime(&result, "update_time", now);
  survivor_change.before = std::move(survivor_record);
  survivor_change.after = std::make_unique<v1::Customer>(result);
  changes.push_back(std::move(survivor_change));
  RecordChange removal;
  removal.kind = &customers;
  removal.id16 = merged16;
  removal.schema = customer_schema;
  removal.before = std::move(merged_record);
  // The merged customer's external refs move to the survivor in this same
  // batch; delete first so the survivor can claim them.
  changes.insert(changes.begin(), std::move(removal));
  RAPPORT_RETURN_IF_ERROR(lock.ReleaseAfter(committer_.CommitLocked(ctx, changes)));
  return RecordPtr(std::make_unique<v1::Customer>(result));
}

}  // namespace rapport::records
