// Reads: get, planned List and Search with tamper-evident page tokens, stage
// totals, duplicate candidates.
#include "core/records/record_query.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/query/filter.h"
#include "core/query/order_by.h"
#include "core/records/duplicates.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/records/record_validator.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "core/validation/currency.h"
#include "core/validation/phone.h"
#include "core/validation/text.h"
#include "rapport/v1/customer.pb.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;

constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 1000;
constexpr size_t kMaxSearchQueryBytes = 200;
constexpr int kMaxExaminedForEmptyPage = 1000000;

// Releases a snapshot on scope exit.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// The page size a request asks for: 0 is the default, beyond the maximum is
// the maximum.
absl::StatusOr<int32_t> PageSize(int32_t requested) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

absl::Status FieldError(std::string_view field, const absl::Status& parse_error) {
  std::string message(parse_error.message());
  std::string prefix = absl::StrCat(std::string(field), ": ");
  if (absl::StartsWith(message, prefix)) message = message.substr(prefix.size());
  return InvalidField(field, message);
}

}  // namespace

absl::StatusOr<RecordPtr> RecordQuery::Get(const RequestContext& ctx, ResourceType type,
                                           std::string_view id) {
  RAPPORT_ASSIGN_OR_RETURN(std::string id16, ParseId("id", id));
  return s_.ReadVisible(ctx, KindOf(type), id16);
}

absl::StatusOr<RecordPtr> RecordQuery::GetByExternalRef(const RequestContext& ctx,
                                                        ResourceType type, std::string_view system,
                                                        std::string_view external_id) {
  const ResourceKind& kind = KindOf(type);
  if (system.empty()) return InvalidField("system", "is required, e.g. \"erp\"");
  if (external_id.empty()) return InvalidField("external_id", "is required");
  const IndexSpec* index = kind.FindIndex(kExternalRefIndex);
  std::string prefix = IndexValuePrefix(
      ctx.tenant, *index, {Scalar(std::string(system)), Scalar(std::string(external_id))});
  auto it = s_.db->NewIterator(s_.db->index());
  it->Seek(prefix);
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "external ref lookup"));
    return absl::NotFoundError(absl::StrCat("no ", kind.name, " with external ref ", AsAbsl(system),
                                            ":", AsAbsl(external_id)));
  }
  std::string id16(it->key().data() + it->key().size() - 16, 16);
  auto record = s_.ReadVisible(ctx, kind, id16);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("no ", kind.name, " with external ref ", AsAbsl(system),
                                            ":", AsAbsl(external_id)));
  }
  return record;
}

absl::StatusOr<ListResult> RecordQuery::List(const RequestContext& ctx, ResourceType type,
                                             const ListRequest& request) {
  const ResourceKind& kind = KindOf(type);
  auto filter = query::ParseFilter(request.filter);
  if (!filter.ok()) return FieldError("filter", filter.status());
  auto order_by = query::ParseOrderBy(request.order_by);
  if (!order_by.ok()) return FieldError("order_by", order_by.status());
  RAPPORT_ASSIGN_OR_RETURN(v1::AttributeSchema schema, schemas_.Load(ctx.tenant, type));
  RAPPORT_ASSIGN_OR_RETURN(ScanPlan plan, PlanQuery(ctx.tenant, kind, *filter, *order_by, schema));
  std::string fingerprint = PageTokenCodec::Fingerprint(
      absl::StrCat("list\n", ctx.tenant, "\n", kind.name, "\n", filter->Canonical(), "\n",
                   order_by->Canonical(), "\n", plan.description));
  // For restricted callers, an index scan is only worth it when its leading
  // equality is selective (a customer's timeline, an external ref, an email)
  // or when it provides the requested order; otherwise the owner merge reads
  // only the caller's records.
  static const std::set<std::string> kSelective = {
      "customer_id", "opportunity_id", "organization_id", "external_refs", "emails",
      "phones",      "owner"};
  const bool selective = plan.index != nullptr && !plan.unindexed_filter &&
                         plan.open_component >= 1 && kSelective.count(plan.index->fields[0]);
  const bool ordered_by_index =
      plan.index != nullptr && !order_by->field.empty() && order_by->field != "create_time";
  if (ctx.Restricted() && !selective && !ordered_by_index) {
    // A rep's or manager's records come from the owner index, one scan per
    // readable owner merged in ID order: pages are full while readable
    // records remain, however sparse they are in the tenant.
    if (!order_by->field.empty() && order_by->field != "create_time") {
      return InvalidField("order_by",
                          absl::StrCat("'", order_by->field,
                                       "' needs an equality filter on an indexed field "
                                       "for your role; create_time [desc] always works"));
    }
    return MergeOwnersScan(ctx, kind, plan, order_by->descending, request.page_size,
                           request.page_token, PageTokenCodec::Fingerprint("merge" + fingerprint));
  }
  if (plan.unindexed_filter) {
    RAPPORT_ASSIGN_OR_RETURN(int64_t count, CountRecords(ctx.tenant, type));
    if (count > s_.options.unindexed_scan_limit) {
      std::vector<std::string> fields;
      for (const auto& c : plan.comparisons) fields.push_back(c.field.path);
      return absl::FailedPreconditionError(
          absl::StrCat("filter: no index serves a filter on ", absl::StrJoin(fields, ", "),
                       " and this tenant has ", count, " ", kind.plural,
                       " (unindexed filters are refused above ", s_.options.unindexed_scan_limit,
                       "). Add an equality on an indexed field: ", IndexedFieldList(kind, schema)));
    }
  }
  return Scan(ctx, kind, plan, request.page_size, request.page_token, fingerprint, nullptr);
}

absl::StatusOr<ListResult> RecordQuery::SearchCustomers(const RequestContext& ctx,
                                                        std::string_view raw_query,
                                                        int32_t page_size,
                                                        std::string_view page_token) {
  const ResourceKind& kind = KindOf(ResourceType::kCustomer);
  std::string query(absl::StripAsciiWhitespace(std::string(raw_query)));
  if (query.empty()) return InvalidField("query", "is required: a name, email or phone prefix");
  if (query.size() > kMaxSearchQueryBytes || !IsValidUtf8(query)) {
    return InvalidField("query",
                        absl::StrCat("must be at most ", kMaxSearchQueryBytes, " bytes of UTF-8"));
  }
  for (char c : query) {
    if (static_cast<unsigned char>(c) < 0x20)
      return InvalidField("query", "must not contain control characters");
  }
  const IndexSpec* index;
  std::string prefix;
  bool phone_like = std::any_of(query.begin(), query.end(), absl::ascii_isdigit) &&
                    std::all_of(query.begin(), query.end(), [](char c) {
                      return absl::ascii_isdigit(c) || c == '+' || c == '-' || c == ' ' ||
                             c == '(' || c == ')' || c == '.';
                    });
  if (query.find('@') != std::string::npos) {
    index = kind.FindIndex(kEmailIndex);
    prefix = absl::AsciiStrToLower(query);
  } else if (phone_like) {
    index = kind.FindIndex(kPhoneIndex);
    prefix = validation::PhoneSearchKey(query, s_.options.validation.default_region);
    if (prefix.empty()) return InvalidField("query", "has no digits to search phones by");
  } else {
    index = kind.FindIndex(kNameSearchIndex);
    prefix = validation::SearchKey(query);
  }
  ScanPlan plan;
  plan.index = index;
  std::string base = store::IndexPrefix(ctx.tenant, index->id);
  plan.bound_prefix_size = base.size();
  plan.lower = base + prefix;
  plan.upper = store::PrefixSuccessor(plan.lower);
  plan.open_component = 0;
  plan.description = absl::StrCat("search ", index->name);
  std::string fingerprint = PageTokenCodec::Fingerprint(
      absl::StrCat("search\n", ctx.tenant, "\n", index->name, "\n", prefix));
  return Scan(ctx, kind, plan, page_size, page_token, fingerprint, &prefix);
}

absl::StatusOr<ListResult> RecordQuery::Scan(const RequestContext& ctx, const ResourceKind& kind,
                                             const ScanPlan& plan, int32_t page_size,
                                             std::string_view page_token,
                                             std::string_view fingerprint,
                                             const std::string* search_prefix) {
  RAPPORT_ASSIGN_OR_RETURN(page_size, PageSize(page_size));
  std::string resume;
  if (!page_token.empty()) {
    RAPPORT_ASSIGN_OR_RETURN(resume, s_.page_tokens.Decode(page_token, fingerprint));
    if (resume < plan.lower || resume >= plan.upper) {
      return InvalidField("page_token", "does not belong to this query");
    }
  }
  ScopedSnapshot snapshot(s_.db->db());
  rocksdb::ColumnFamilyHandle* family = plan.index ? s_.db->index() : s_.db->entity();
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.get();
  rocksdb::Slice lower(plan.lower), upper(plan.upper);
  read_options.iterate_lower_bound = &lower;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->db()->NewIterator(read_options, family));
  if (plan.reverse) {
    if (resume.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(resume);
      if (it->Valid() && it->key() == rocksdb::Slice(resume)) it->Prev();
    }
  } else {
    if (resume.empty()) {
      it->SeekToFirst();
    } else {
      it->Seek(resume);
      if (it->Valid() && it->key() == rocksdb::Slice(resume)) it->Next();
    }
  }
  auto advance = [&] { plan.reverse ? it->Prev() : it->Next(); };

  // When the open component is a repeated field (or a search key), a record
  // has several entries in range; keep only the first one in scan order.
  const FieldRef* open_ref = nullptr;
  if (plan.index && plan.index->kind == IndexSpec::Kind::kFields && plan.open_component >= 0 &&
      plan.open_component < static_cast<int>(plan.index->refs.size()) &&
      plan.index->refs[plan.open_component].chain.back()->is_repeated()) {
    open_ref = &plan.index->refs[plan.open_component];
  }
  const bool dedupe = open_ref != nullptr || search_prefix != nullptr;

  ListResult result;
  int examined = 0;
  std::string last_key;
  for (; it->Valid(); advance()) {
    ++examined;
    std::string_view key = it->key().ToStringView();
    last_key.assign(key);
    std::string id16(key.substr(key.size() - 16));
    RecordPtr record;
    if (plan.index == nullptr) {
      record = kind.NewRecord();
      if (!record->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(
            absl::StrCat("undecodable ", kind.name, " ", ids::UlidToString(id16)));
      }
    } else {
      auto found = s_.ReadRecord(ctx.tenant, kind, id16, snapshot.get());
      if (absl::IsNotFound(found.status())) continue;  // fsck reports such entries
      if (!found.ok()) return found.status();
      record = std::move(*found);
    }
    bool emit = CanSee(ctx, *record);
    if (emit && dedupe) {
      std::string entry_value;
      store::KeyReader reader(key.substr(plan.bound_prefix_size));
      if (!reader.String(&entry_value)) continue;
      std::vector<Scalar> values = search_prefix ? plan.index->derive
                                                       ? plan.index->derive(*record)
                                                       : ExtractValues(*record, plan.index->refs[0])
                                                 : ExtractValues(*record, *open_ref);
      std::vector<std::string> matching;
      for (const Scalar& v : values) {
        const auto* s = std::get_if<std::string>(&v);
        if (s == nullptr) continue;
        bool ok = search_prefix ? absl::StartsWith(*s, *search_prefix) : true;
        for (const auto& c : plan.open_constraints)
          ok = ok && EvaluateComparison({v}, c.op, c.value);
        if (ok) matching.push_back(*s);
      }
      if (!matching.empty()) {
        std::string first = plan.reverse ? *std::max_element(matching.begin(), matching.end())
                                         : *std::min_element(matching.begin(), matching.end());
        emit = first == entry_value;
      }
    }
    for (const auto& c : plan.comparisons) {
      if (!emit) break;
      emit = EvaluateComparison(ExtractValues(*record, c.field), c.op, c.value);
    }
    if (emit) {
      result.records.push_back(std::move(record));
      if (static_cast<int32_t>(result.records.size()) == page_size) {
        advance();
        if (it->Valid()) result.next_page_token = s_.page_tokens.Encode(fingerprint, last_key);
        break;
      }
    }
    // Bounded work per page, but never an empty page with a token: keep
    // going until something matches (up to a hard cap).
    if ((examined >= s_.options.max_examined_per_page && !result.records.empty()) ||
        examined >= kMaxExaminedForEmptyPage) {
      advance();
      if (it->Valid()) result.next_page_token = s_.page_tokens.Encode(fingerprint, last_key);
      break;
    }
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "scan"));
  return result;
}

absl::StatusOr<ListResult> RecordQuery::MergeOwnersScan(
    const RequestContext& ctx, const ResourceKind& kind, const ScanPlan& plan, bool descending,
    int32_t page_size, std::string_view page_token, std::string_view fingerprint) {
  RAPPORT_ASSIGN_OR_RETURN(page_size, PageSize(page_size));
  std::string resume;
  if (!page_token.empty()) {
    RAPPORT_ASSIGN_OR_RETURN(resume, s_.page_tokens.Decode(page_token, fingerprint));
    if (resume.size() != 16) return InvalidField("page_token", "does not belong to this query");
  }
  const IndexSpec* owner_index = kind.FindIndex("owner");
  ScopedSnapshot snapshot(s_.db->db());
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.get();
  struct Cursor {
    std::string prefix;
    std::unique_ptr<rocksdb::Iterator> it;
    std::string upper;
    rocksdb::Slice upper_slice;
    std::string_view id() const {
      return std::string_view(it->key().data() + it->key().size() - 16, 16);
    }
  };
  std::vector<std::unique_ptr<Cursor>> cursors;
  for (const std::string& owner : ctx.scope->owners) {
    auto cursor = std::make_unique<Cursor>();
    cursor->prefix = IndexValuePrefix(ctx.tenant, *owner_index, {Scalar(owner)});
    cursor->upper = store::PrefixSuccessor(cursor->prefix);
    cursor->upper_slice = rocksdb::Slice(cursor->upper);
    rocksdb::ReadOptions ro = read_options;
    ro.iterate_upper_bound = &cursor->upper_slice;
    cursor->it.reset(s_.db->db()->NewIterator(ro, s_.db->index()));
    if (descending) {
      if (resume.empty()) {
        cursor->it->SeekForPrev(cursor->upper);
        if (cursor->it->Valid() && !cursor->it->key().starts_with(cursor->prefix))
          cursor->it->Prev();
      } else {
        cursor->it->SeekForPrev(cursor->prefix + resume);
        if (cursor->it->Valid() && cursor->it->key() == rocksdb::Slice(cursor->prefix + resume)) {
          cursor->it->Prev();
        }
      }
    } else {
      cursor->it->Seek(cursor->prefix + resume);
      if (!resume.empty() && cursor->it->Valid() &&
          cursor->it->key() == rocksdb::Slice(cursor->prefix + resume)) {
        cursor->it->Next();
      }
    }
    auto valid = [&] {
      return cursor->it->Valid() && cursor->it->key().starts_with(cursor->prefix);
    };
    if (valid()) cursors.push_back(std::move(cursor));
    RAPPORT_RETURN_IF_ERROR(
        store::FromRocks(cursor ? cursor->it->status() : rocksdb::Status::OK(), "owner scan"));
  }
  ListResult result;
  int examined = 0;
  std::string last_id;
  while (!cursors.empty()) {
    // The next record in ID order across every readable owner.
    size_t best = 0;
    for (size_t i = 1; i < cursors.size(); ++i) {
      bool better = descending ? cursors[i]->id() > cursors[best]->id()
                               : cursors[i]->id() < cursors[best]->id();
      if (better) best = i;
    }
    std::string id16(cursors[best]->id());
    if (descending) {
      cursors[best]->it->Prev();
    } else {
      cursors[best]->it->Next();
    }
    if (!cursors[best]->it->Valid() ||
        !cursors[best]->it->key().starts_with(cursors[best]->prefix)) {
      RAPPORT_RETURN_IF_ERROR(store::FromRocks(cursors[best]->it->status(), "owner scan"));
      cursors.erase(cursors.begin() + static_cast<long>(best));
    }
    ++examined;
    last_id = id16;
    auto record = s_.ReadRecord(ctx.tenant, kind, id16, snapshot.get());
    if (absl::IsNotFound(record.status())) continue;
    if (!record.ok()) return record.status();
    bool emit = true;
    for (const auto& c : plan.comparisons) {
      if (!emit) break;
      emit = EvaluateComparison(ExtractValues(**record, c.field), c.op, c.value);
    }
    if (emit) result.records.push_back(std::move(*record));
    bool full = static_cast<int32_t>(result.records.size()) == page_size;
    bool enough_work = (examined >= s_.options.max_examined_per_page && !result.records.empty()) ||
                       examined >= kMaxExaminedForEmptyPage;
    if (full || enough_work) {
      if (!cursors.empty()) result.next_page_token = s_.page_tokens.Encode(fingerprint, last_id);
      break;
    }
  }
  return result;
}

absl::StatusOr<StageTotal> RecordQuery::GetStageTotal(const RequestContext& ctx,
                                                      std::string_view pipeline,
                                                      std::string_view stage,
                                                      std::string_view currency_code) {
  std::vector<FieldViolation> violations;
  if (pipeline.empty()) violations.push_back({"pipeline", "is required"});
  if (stage.empty()) violations.push_back({"stage", "is required"});
  if (currency_code.empty()) {
    violations.push_back(
        {"currency_code", "is required (amounts in different currencies are not added up)"});
  } else if (auto minor = validation::CurrencyMinorUnits(currency_code); !minor.ok()) {
    violations.push_back({"currency_code", std::string(minor.status().message())});
  }
  if (!violations.empty()) return InvalidFields(violations);
  const ResourceKind& kind = KindOf(ResourceType::kOpportunity);
  const IndexSpec* index = kind.FindIndex("pipeline_stage_amount");
  if (index == nullptr) return absl::InternalError("pipeline_stage_amount index missing");
  const std::string prefix =
      IndexValuePrefix(ctx.tenant, *index,
                       {Scalar(std::string(pipeline)), Scalar(std::string(stage)),
                        Scalar(std::string(currency_code))});
  const std::string upper = store::PrefixSuccessor(prefix);
  ScopedSnapshot snapshot(s_.db->db());
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.get();
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->db()->NewIterator(read_options, s_.db->index()));
  StageTotal total;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key = it->key().ToStringView();
    store::KeyReader reader(key.substr(prefix.size()));
    int64_t units = 0;
    std::string id16;
    if (!reader.I64(&units) || !reader.Bytes16(&id16) || !reader.done()) {
      return absl::DataLossError("undecodable pipeline_stage_amount entry");
    }
    if (ctx.Restricted()) {
      auto record = s_.ReadRecord(ctx.tenant, kind, id16, snapshot.get());
      if (absl::IsNotFound(record.status())) continue;  // fsck reports such entries
      if (!record.ok()) return record.status();
      if (!CanSee(ctx, **record)) continue;
    }
    if (__builtin_add_overflow(total.amount_units, units, &total.amount_units)) {
      return absl::OutOfRangeError(absl::StrCat("the total of stage '", std::string(stage), "' in ",
                                                std::string(currency_code),
                                                " exceeds 2^63 minor units"));
    }
    ++total.opportunity_count;
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "stage total"));
  return total;
}

absl::StatusOr<std::vector<DuplicateMatch>> RecordQuery::FindDuplicates(
    const RequestContext& ctx, const Message& input, std::string_view exclude_id) {
  const ResourceKind& kind = KindOf(ResourceType::kCustomer);
  v1::Customer customer;
  customer.CopyFrom(input);
  // Normalise like a write would (emails, phones), ignoring other errors.
  v1::AttributeSchema no_schema;
  (void)ValidateRecord(kind, &customer, no_schema, s_.options.validation);
  std::map<std::string, std::set<std::string>> reasons;  // id -> reasons
  auto probe = [&](const char* index_name, const std::string& value, const char* reason) {
    const IndexSpec* index = kind.FindIndex(index_name);
    std::string prefix = IndexValuePrefix(ctx.tenant, *index, {Scalar(value)});
    auto it = s_.db->NewIterator(s_.db->index());
    int n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && n < 20;
         it->Next(), ++n) {
      std::string id16(it->key().data() + it->key().size() - 16, 16);
      reasons[id16].insert(reason);
    }
  };
  for (const auto& email : customer.emails()) probe(kEmailIndex, email, "email");
  for (const auto& phone : customer.phones()) probe(kPhoneIndex, phone, "phone");
  if (customer.kind() == v1::CUSTOMER_KIND_ORGANIZATION) {
    std::string key = OrganizationMatchKey(customer.display_name());
    if (!key.empty()) probe(kOrganizationMatchIndex, key, "organization_name");
  }
  std::vector<DuplicateMatch> matches;
  for (const auto& [id16, why] : reasons) {
    std::string id = ids::UlidToString(id16);
    if (id == exclude_id) continue;
    auto record = s_.ReadVisible(ctx, kind, id16);
    if (!record.ok()) continue;  // gone, or outside the caller's scope
    matches.push_back({id, std::vector<std::string>(why.begin(), why.end())});
  }
  return matches;
}

absl::StatusOr<int64_t> RecordQuery::CountRecords(uint32_t tenant, ResourceType type) const {
  auto value = s_.db->Get(s_.db->counters(), store::CounterKey(tenant, static_cast<uint8_t>(type)));
  if (absl::IsNotFound(value.status())) return 0;
  if (!value.ok()) return value.status();
  return store::DecodeCounter(*value);
}

}  // namespace rapport::records
