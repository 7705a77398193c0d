#include "core/records/record_validator.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/common/status_util.h"
#include "core/validation/currency.h"
#include "core/validation/email.h"
#include "core/validation/phone.h"
#include "core/validation/text.h"
#include "rapport/sdk/text.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::records {
namespace {

// The text limits plugins see too: one definition, in the SDK.
using sdk::kMaxBodyBytes;
using sdk::kMaxNameChars;
using sdk::kMaxSubjectChars;
using sdk::kMaxTagChars;
constexpr int kMaxTags = 50;
constexpr int kMaxEmails = 20;
constexpr int kMaxPhones = 20;
constexpr int kMaxExternalRefs = 16;
constexpr size_t kMaxExternalIdBytes = 128;
constexpr size_t kMaxOwnerBytes = 128;
constexpr int kMaxParticipants = 50;
constexpr size_t kMaxAttributeStringBytes = 1024;
constexpr int kMaxAttributes = 100;
// 0001-01-01 .. 9999-12-31, as google.protobuf.Timestamp allows.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

class Violations {
 public:
  void Add(std::string field, std::string description) {
    list_.push_back({std::move(field), std::move(description)});
  }
  // Records `status`'s message against `field` if it is an error.
  void AddIf(const std::string& field, const absl::Status& status) {
    if (!status.ok()) Add(field, std::string(status.message()));
  }
  absl::Status ToStatus() const { return list_.empty() ? absl::OkStatus() : InvalidFields(list_); }

 private:
  std::vector<FieldViolation> list_;
};

bool ValidSystemName(std::string_view s) {
  if (s.empty() || s.size() > 32 || !absl::ascii_islower(s[0])) return false;
  for (char c : s)
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-')) return false;
  return true;
}

bool HasControlChars(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  return false;
}

// Normalises an optional single-line text field in place.
void OptionalText(std::string* value, const std::string& field, size_t max_chars, Violations* v) {
  if (value->empty()) return;
  auto normalized = validation::NormalizeDisplayText(*value, max_chars);
  if (!normalized.ok()) {
    v->Add(field, std::string(normalized.status().message()));
  } else {
    *value = *normalized;
  }
}

void RequiredText(std::string* value, const std::string& field, size_t max_chars, Violations* v) {
  if (value->empty()) {
    v->Add(field, "is required");
    return;
  }
  OptionalText(value, field, max_chars, v);
}

template <typename Enum>
void CheckEnum(int value, bool (*is_valid)(int), const std::string& field, Violations* v) {
  if (!is_valid(value)) v->Add(field, absl::StrCat(value, " is not a valid value"));
}

void CheckTimestamp(const google::protobuf::Timestamp& t, const std::string& field, Violations* v) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    v->Add(field, "is not a valid timestamp (years 1..9999, nanos 0..999999999)");
  }
}

void CheckOwner(const std::string& owner, Violations* v) {
  if (owner.size() > kMaxOwnerBytes || HasControlChars(owner) || !IsValidUtf8(owner)) {
    v->Add("owner", absl::StrCat("must be at most ", kMaxOwnerBytes,
                                 " bytes of UTF-8 without control characters"));
  }
}

void NormalizeTags(google::protobuf::RepeatedPtrField<std::string>* tags, Violations* v) {
  if (tags->size() > kMaxTags) {
    v->Add("tags", absl::StrCat("at most ", kMaxTags, " tags, got ", tags->size()));
    return;
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int i = 0; i < tags->size(); ++i) {
    auto t = validation::NormalizeDisplayText(tags->Get(i), kMaxTagChars);
    if (!t.ok()) {
      v->Add(absl::StrCat("tags[", i, "]"), std::string(t.status().message()));
      continue;
    }
    if (seen.insert(*t).second) out.push_back(*t);
  }
  tags->Clear();
  for (auto& t : out) *tags->Add() = std::move(t);
}

void CheckExternalRefs(const google::protobuf::Map<std::string, std::string>& refs, Violations* v) {
  if (static_cast<int>(refs.size()) > kMaxExternalRefs) {
    v->Add("external_refs", absl::StrCat("at most ", kMaxExternalRefs, " systems"));
  }
  for (const auto& [system, id] : refs) {
    if (!ValidSystemName(system)) {
      v->Add(absl::StrCat("external_refs[", system, "]"),
             "system must match [a-z][a-z0-9_-]{0,31}, e.g. \"erp\"");
    }
    if (id.empty() || id.size() > kMaxExternalIdBytes || HasControlChars(id) || !IsValidUtf8(id)) {
      v->Add(absl::StrCat("external_refs[", system, "]"),
             absl::StrCat("external ID must be 1..", kMaxExternalIdBytes,
                          " bytes of UTF-8 without control characters"));
    }
  }
}

void CheckAttributes(google::protobuf::Map<std::string, v1::AttributeValue>* attributes,
                     const v1::AttributeSchema& schema, Violations* v) {
  if (static_cast<int>(attributes->size()) > kMaxAttributes) {
    v->Add("attributes", absl::StrCat("at most ", kMaxAttributes, " attributes"));
  }
  for (auto& [name, value] : *attributes) {
    std::string field = absl::StrCat("attributes.", name);
    const v1::AttributeDefinition* def = nullptr;
    for (const auto& d : schema.attributes())
      if (d.name() == name) def = &d;
    if (def == nullptr) {
      std::vector<std::string> known;
      for (const auto& d : schema.attributes()) known.push_back(d.name());
      v->Add(field, known.empty()
                        ? "no custom attributes are defined for this resource type"
                        : absl::StrCat("unknown attribute; defined: ", absl::StrJoin(known, ", ")));
      continue;
    }
    using K = v1::AttributeValue;
    K::KindCase expected = K::KIND_NOT_SET;
    switch (def->type()) {
      case v1::ATTRIBUTE_TYPE_STRING:
        expected = K::kStringValue;
        break;
      case v1::ATTRIBUTE_TYPE_INT:
        expected = K::kIntValue;
        break;
      case v1::ATTRIBUTE_TYPE_DOUBLE:
        expected = K::kDoubleValue;
        break;
      case v1::ATTRIBUTE_TYPE_BOOL:
        expected = K::kBoolValue;
        break;
      case v1::ATTRIBUTE_TYPE_TIMESTAMP:
        expected = K::kTimestampValue;
        break;
      default:
        break;
    }
    if (value.kind_case() != expected) {
      v->Add(field,
             absl::StrCat("must be a ",
                          absl::AsciiStrToLower(v1::AttributeType_Name(def->type()).substr(15)),
                          " value"));
      continue;
    }
    if (value.kind_case() == K::kStringValue) {
      const std::string& s = value.string_value();
      if (s.size() > kMaxAttributeStringBytes || !IsValidUtf8(s)) {
        v->Add(field,
               absl::StrCat("must be at most ", kMaxAttributeStringBytes, " bytes of UTF-8"));
      } else if (def->allowed_values_size() > 0 &&
                 std::find(def->allowed_values().begin(), def->allowed_values().end(), s) ==
                     def->allowed_values().end()) {
        v->Add(field, absl::StrCat(
                          "'", s, "' is not one of: ", absl::StrJoin(def->allowed_values(), ", ")));
      }
    } else if (value.kind_case() == K::kDoubleValue && !std::isfinite(value.double_value())) {
      v->Add(field, "must be a finite number");
    } else if (value.kind_case() == K::kTimestampValue) {
      CheckTimestamp(value.timestamp_value(), field, v);
    }
  }
  for (const auto& d : schema.attributes()) {
    if (d.required() && !attributes->contains(d.name())) {
      v->Add(absl::StrCat("attributes.", d.name()), "is required by the tenant's schema");
    }
  }
}

void ValidateCustomer(v1::Customer* c, const ValidationOptions& options, Violations* v) {
  if (c->kind() == v1::CUSTOMER_KIND_UNSPECIFIED) c->set_kind(v1::CUSTOMER_KIND_PERSON);
  CheckEnum<v1::CustomerKind>(c->kind(), v1::CustomerKind_IsValid, "kind", v);
  RequiredText(c->mutable_display_name(), "display_name", kMaxNameChars, v);
  if (!c->organization_id().empty() && c->kind() != v1::CUSTOMER_KIND_PERSON) {
    v->Add("organization_id", "only a person can belong to an organization");
  }
  if (c->emails_size() > kMaxEmails) v->Add("emails", absl::StrCat("at most ", kMaxEmails));
  std::vector<std::string> emails;
  for (int i = 0; i < c->emails_size(); ++i) {
    auto e = validation::NormalizeEmail(c->emails(i));
    if (!e.ok()) {
      v->Add(absl::StrCat("emails[", i, "]"), std::string(e.status().message()));
    } else if (std::find(emails.begin(), emails.end(), *e) == emails.end()) {
      emails.push_back(*e);
    }
  }
  c->clear_emails();
  for (auto& e : emails) c->add_emails(e);
  if (c->phones_size() > kMaxPhones) v->Add("phones", absl::StrCat("at most ", kMaxPhones));
  std::vector<std::string> phones;
  for (int i = 0; i < c->phones_size(); ++i) {
    auto p = validation::NormalizePhone(c->phones(i), options.default_region);
    if (!p.ok()) {
      v->Add(absl::StrCat("phones[", i, "]"), std::string(p.status().message()));
    } else if (std::find(phones.begin(), phones.end(), *p) == phones.end()) {
      phones.push_back(*p);
    }
  }
  c->clear_phones();
  for (auto& p : phones) c->add_phones(p);
  if (c->lifecycle_stage() == v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    c->set_lifecycle_stage(v1::LIFECYCLE_STAGE_LEAD);
  }
  CheckEnum<v1::LifecycleStage>(c->lifecycle_stage(), v1::LifecycleStage_IsValid, "lifecycle_stage",
                                v);
  if (c->has_address()) {
    auto* a = c->mutable_address();
    if (a->lines_size() > 5) v->Add("address.lines", "at most 5 lines");
    for (int i = 0; i < a->lines_size(); ++i)
      OptionalText(a->mutable_lines(i), absl::StrCat("address.lines[", i, "]"), 200, v);
    OptionalText(a->mutable_locality(), "address.locality", 100, v);
    OptionalText(a->mutable_region(), "address.region", 100, v);
    OptionalText(a->mutable_postal_code(), "address.postal_code", 20, v);
    const std::string& cc = a->country_code();
    if (!cc.empty() &&
        (cc.size() != 2 || !absl::ascii_isupper(cc[0]) || !absl::ascii_isupper(cc[1]))) {
      v->Add("address.country_code",
             absl::StrCat("'", cc, "' is not an ISO 3166-1 alpha-2 code such as \"KR\""));
    }
  }
}

void ValidateInteraction(v1::Interaction* r, Violations* v) {
  if (r->kind() == v1::INTERACTION_KIND_UNSPECIFIED) {
    v->Add("kind", "is required: call, meeting, email, visit or note");
  } else {
    CheckEnum<v1::InteractionKind>(r->kind(), v1::InteractionKind_IsValid, "kind", v);
  }
  CheckEnum<v1::InteractionDirection>(r->direction(), v1::InteractionDirection_IsValid, "direction",
                                      v);
  if (r->has_occurred_at()) CheckTimestamp(r->occurred_at(), "occurred_at", v);
  if (r->has_duration() && (r->duration().seconds() < 0 || r->duration().nanos() < 0 ||
                            r->duration().seconds() > 30LL * 24 * 3600)) {
    v->Add("duration", "must be between 0 and 30 days");
  }
  if (r->customer_id().empty()) v->Add("customer_id", "is required");
  OptionalText(r->mutable_subject(), "subject", kMaxSubjectChars, v);
  if (r->body().size() > kMaxBodyBytes || !IsValidUtf8(r->body())) {
    v->Add("body", absl::StrCat("must be at most ", kMaxBodyBytes, " bytes of UTF-8"));
  }
  if (r->participants_size() > kMaxParticipants) {
    v->Add("participants", absl::StrCat("at most ", kMaxParticipants));
  }
  for (int i = 0; i < r->participants_size(); ++i) {
    RequiredText(r->mutable_participants(i), absl::StrCat("participants[", i, "]"), kMaxNameChars,
                 v);
  }
}

bool ValidDate(const v1::Date& d) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1)
    return false;
  if (d.day() > kDays[d.month() - 1]) return false;
  bool leap = (d.year() % 4 == 0 && d.year() % 100 != 0) || d.year() % 400 == 0;
  return !(d.month() == 2 && d.day() == 29 && !leap);
}

void ValidateOpportunity(v1::Opportunity* o, Violations* v) {
  if (o->customer_id().empty()) v->Add("customer_id", "is required");
  RequiredText(o->mutable_name(), "name", kMaxNameChars, v);
  if (o->has_amount()) {
    auto s = validation::ValidateMoneyUnits(o->amount().currency_code(), o->amount().units());
    if (!s.ok()) {
      bool currency = !validation::CurrencyMinorUnits(o->amount().currency_code()).ok();
      v->Add(currency ? "amount.currency_code" : "amount.units", std::string(s.message()));
    }
  }
  OptionalText(o->mutable_pipeline(), "pipeline", 64, v);
  OptionalText(o->mutable_stage(), "stage", 64, v);
  if (o->status() == v1::OPPORTUNITY_STATUS_UNSPECIFIED) o->set_status(v1::OPPORTUNITY_STATUS_OPEN);
  CheckEnum<v1::OpportunityStatus>(o->status(), v1::OpportunityStatus_IsValid, "status", v);
  if (o->probability() < 0 || o->probability() > 100) {
    v->Add("probability", absl::StrCat("must be 0..100, got ", o->probability()));
  }
  if (o->has_expected_close_date() && !ValidDate(o->expected_close_date())) {
    const auto& d = o->expected_close_date();
    v->Add("expected_close_date",
           absl::StrCat(d.year(), "-", d.month(), "-", d.day(), " is not a valid calendar date"));
  }
  OptionalText(o->mutable_close_reason(), "close_reason", kMaxSubjectChars, v);
  constexpr int kMaxCollaborators = 50;
  if (o->collaborators_size() > kMaxCollaborators) {
    v->Add("collaborators",
           absl::StrCat("at most ", kMaxCollaborators, ", got ", o->collaborators_size()));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < o->collaborators_size(); ++i) {
    const std::string& c = o->collaborators(i);
    const std::string field = absl::StrCat("collaborators[", i, "]");
    if (c.empty() || c.size() > kMaxOwnerBytes || HasControlChars(c) || !IsValidUtf8(c)) {
      v->Add(field, absl::StrCat("must be a user id of 1..", kMaxOwnerBytes,
                                 " bytes without control characters"));
    } else if (!seen.insert(c).second) {
      v->Add(field, absl::StrCat("'", c, "' is listed twice"));
    }
  }
}

template <typename M>
void ValidateCommon(M* r, const v1::AttributeSchema& schema, Violations* v) {
  CheckOwner(r->owner(), v);
  NormalizeTags(r->mutable_tags(), v);
  CheckExternalRefs(r->external_refs(), v);
  CheckAttributes(r->mutable_attributes(), schema, v);
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else
      return false;
    if (i + static_cast<size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

absl::Status ValidateRecord(const ResourceKind& kind, google::protobuf::Message* record,
                            const v1::AttributeSchema& schema, const ValidationOptions& options) {
  Violations v;
  switch (kind.type) {
    case ResourceType::kCustomer: {
      auto* c = static_cast<v1::Customer*>(record);
      ValidateCustomer(c, options, &v);
      ValidateCommon(c, schema, &v);
      break;
    }
    case ResourceType::kInteraction: {
      auto* r = static_cast<v1::Interaction*>(record);
      ValidateInteraction(r, &v);
      ValidateCommon(r, schema, &v);
      break;
    }
    case ResourceType::kOpportunity: {
      auto* o = static_cast<v1::Opportunity*>(record);
      ValidateOpportunity(o, &v);
      ValidateCommon(o, schema, &v);
      break;
    }
  }
  return v.ToStatus();
}

absl::Status ValidateAttributeSchema(const v1::AttributeSchema& schema) {
  Violations v;
  if (schema.resource_type() == v1::RESOURCE_TYPE_UNSPECIFIED ||
      !v1::ResourceType_IsValid(schema.resource_type())) {
    v.Add("schema.resource_type", "must be customer, interaction or opportunity");
  }
  if (schema.attributes_size() > kMaxAttributes) {
    v.Add("schema.attributes", absl::StrCat("at most ", kMaxAttributes, " attributes"));
  }
  std::set<std::string> names;
  for (int i = 0; i < schema.attributes_size(); ++i) {
    const auto& a = schema.attributes(i);
    std::string field = absl::StrCat("schema.attributes[", i, "]");
    const std::string& n = a.name();
    bool ok = !n.empty() && n.size() <= 63 && absl::ascii_islower(n[0]);
    for (char c : n) ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_');
    if (!ok) v.Add(field + ".name", absl::StrCat("'", n, "' must match [a-z][a-z0-9_]{0,62}"));
    if (!names.insert(n).second)
      v.Add(field + ".name", absl::StrCat("duplicate attribute '", n, "'"));
    if (a.type() == v1::ATTRIBUTE_TYPE_UNSPECIFIED || !v1::AttributeType_IsValid(a.type())) {
      v.Add(field + ".type", "must be string, int, double, bool or timestamp");
    }
    if (a.allowed_values_size() > 0 && a.type() != v1::ATTRIBUTE_TYPE_STRING) {
      v.Add(field + ".allowed_values", "only string attributes take allowed values");
    }
    std::set<std::string> allowed;
    for (const auto& av : a.allowed_values()) {
      if (av.empty() || av.size() > kMaxAttributeStringBytes || !IsValidUtf8(av))
        v.Add(field + ".allowed_values", "values must be 1..1024 bytes of UTF-8");
      if (!allowed.insert(av).second)
        v.Add(field + ".allowed_values", absl::StrCat("duplicate value '", av, "'"));
    }
    if (a.description().size() > 1000) v.Add(field + ".description", "at most 1000 bytes");
  }
  return v.ToStatus();
}

}  // namespace rapport::records
