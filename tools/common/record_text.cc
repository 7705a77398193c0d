#include "tools/common/record_text.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/records/field_path.h"

namespace rapport::tools {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using records::FieldRef;

absl::Status Bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
}

bool IsMessage(const FieldDescriptor* f, const char* full_name) {
  return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         f->message_type()->full_name() == full_name;
}

// The field a column names, resolved as filters resolve it
// (core/records/field_path.h), so a column and a filter mean the same field.
// One addition: a google.protobuf.Duration column ("duration") holds its
// whole seconds.
absl::StatusOr<FieldRef> ResolveColumn(const Descriptor& descriptor, const std::string& path,
                                       const v1::AttributeSchema& schema) {
  auto ref = records::ResolveField(descriptor, path, &schema);
  if (ref.ok()) return ref;
  auto seconds = records::ResolveField(descriptor, path + ".seconds", &schema);
  if (seconds.ok() && seconds->chain.size() >= 2 &&
      IsMessage(seconds->chain[seconds->chain.size() - 2], "google.protobuf.Duration")) {
    seconds->path = path;
    return seconds;
  }
  return ref.status();
}

const v1::AttributeDefinition* FindAttribute(const v1::AttributeSchema& schema,
                                             const std::string& name) {
  for (const auto& a : schema.attributes())
    if (a.name() == name) return &a;
  return nullptr;
}

absl::StatusOr<absl::Time> ParseRfc3339(const std::string& path, const std::string& value) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
    return Bad(path, absl::StrCat("'", value,
                                  "' is not an RFC 3339 time such as 2026-07-01T09:00:00+09:00"));
  }
  return t;
}

absl::StatusOr<v1::AttributeValue> ParseAttribute(const std::string& path,
                                                  const v1::AttributeDefinition& def,
                                                  const std::string& value) {
  v1::AttributeValue av;
  switch (def.type()) {
    case v1::ATTRIBUTE_TYPE_INT: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not an integer"));
      av.set_int_value(v);
      break;
    }
    case v1::ATTRIBUTE_TYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not a number"));
      av.set_double_value(v);
      break;
    }
    case v1::ATTRIBUTE_TYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not true/false"));
      av.set_bool_value(v);
      break;
    }
    case v1::ATTRIBUTE_TYPE_TIMESTAMP: {
      auto t = ParseRfc3339(path, value);
      if (!t.ok()) return t.status();
      av.mutable_timestamp_value()->set_seconds(absl::ToUnixSeconds(*t));
      break;
    }
    default:
      av.set_string_value(value);
  }
  return av;
}

// Adds key -> value to the map field `f` of `m`: external_refs take the text,
// attributes the value typed by the tenant's schema.
absl::Status AddMapEntry(Message* m, const FieldDescriptor* f, const std::string& path,
                         const std::string& key, const std::string& value,
                         const v1::AttributeSchema& schema) {
  v1::AttributeValue typed;
  const bool attribute =
      IsMessage(f->message_type()->FindFieldByName("value"), "rapport.v1.AttributeValue");
  if (attribute) {
    const v1::AttributeDefinition* def = FindAttribute(schema, key);
    if (def == nullptr) return Bad(path, "no such custom attribute");
    auto parsed = ParseAttribute(path, *def, value);
    if (!parsed.ok()) return parsed.status();
    typed = std::move(*parsed);
  }
  // A key already there is replaced, as a map would (two columns for one
  // key: the later wins). Through reflection a map is its repeated entries,
  // and adding would keep both (the import fuzzer found "12;0.5").
  const auto* r = m->GetReflection();
  const Descriptor* ed = f->message_type();
  Message* entry = nullptr;
  for (int i = 0; i < r->FieldSize(*m, f) && entry == nullptr; ++i) {
    Message* existing = r->MutableRepeatedMessage(m, f, i);
    if (existing->GetReflection()->GetString(*existing, ed->FindFieldByName("key")) == key) {
      entry = existing;
    }
  }
  if (entry == nullptr) entry = r->AddMessage(m, f);
  const auto* er = entry->GetReflection();
  er->SetString(entry, ed->FindFieldByName("key"), key);
  const FieldDescriptor* vf = ed->FindFieldByName("value");
  if (attribute) {
    er->MutableMessage(entry, vf)->CopyFrom(typed);
  } else {
    er->SetString(entry, vf, value);
  }
  return absl::OkStatus();
}

// Sets (or, repeated, adds) one value of the leaf field `f` of `m`.
absl::Status SetOne(Message* m, const FieldRef& ref, const std::string& path,
                    const std::string& value) {
  const FieldDescriptor* f = ref.chain.back();
  const auto* r = m->GetReflection();
  const bool rep = f->is_repeated();
  auto sub = [&]() { return rep ? r->AddMessage(m, f) : r->MutableMessage(m, f); };
  switch (ref.leaf) {
    case FieldRef::Leaf::kEnum: {
      auto name = records::CoerceLiteral(ref, query::FilterValue{value});
      if (!name.ok()) return name.status();
      const auto* et = f->enum_type();
      for (int i = 0; i < et->value_count(); ++i) {
        if (records::EnumShortName(*et->value(i)) != std::get<std::string>(*name)) continue;
        rep ? r->AddEnum(m, f, et->value(i)) : r->SetEnum(m, f, et->value(i));
        return absl::OkStatus();
      }
      return Bad(path, absl::StrCat("'", value, "' is not a value of ", et->full_name()));
    }
    case FieldRef::Leaf::kDate: {
      auto date = records::CoerceLiteral(ref, query::FilterValue{value});
      if (!date.ok()) return date.status();
      const int64_t yyyymmdd = std::get<int64_t>(*date);
      Message* d = sub();
      const Descriptor* dd = d->GetDescriptor();
      d->GetReflection()->SetInt32(d, dd->FindFieldByName("year"),
                                   static_cast<int32_t>(yyyymmdd / 10000));
      d->GetReflection()->SetInt32(d, dd->FindFieldByName("month"),
                                   static_cast<int32_t>(yyyymmdd / 100 % 100));
      d->GetReflection()->SetInt32(d, dd->FindFieldByName("day"),
                                   static_cast<int32_t>(yyyymmdd % 100));
      return absl::OkStatus();
    }
    case FieldRef::Leaf::kTimestamp: {
      // Parsed here rather than by CoerceLiteral, which keeps microseconds:
      // a record keeps nanoseconds.
      auto t = ParseRfc3339(path, value);
      if (!t.ok()) return t.status();
      const int64_t seconds = absl::ToUnixSeconds(*t);
      Message* ts = sub();
      const Descriptor* td = ts->GetDescriptor();
      ts->GetReflection()->SetInt64(ts, td->FindFieldByName("seconds"), seconds);
      ts->GetReflection()->SetInt32(
          ts, td->FindFieldByName("nanos"),
          static_cast<int32_t>(absl::ToInt64Nanoseconds(*t - absl::FromUnixSeconds(seconds))));
      return absl::OkStatus();
    }
    default:
      break;
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(m, f, value) : r->SetString(m, f, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not an integer"));
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not an integer"));
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(value, &v))
        return Bad(path, absl::StrCat("'", value, "' is not true/false"));
      rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    default:
      return Bad(path, "cannot be set from text");
  }
}

// A value read by core's ExtractValues as cell text.
std::string ScalarText(const records::Scalar& value, v1::AttributeType type) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&value)) return absl::StrCat(*d);
  const int64_t i = std::get<int64_t>(value);
  if (type == v1::ATTRIBUTE_TYPE_TIMESTAMP) {
    return absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(i), absl::UTCTimeZone());
  }
  return absl::StrCat(i);
}

}  // namespace

absl::Status CheckColumn(const Descriptor& descriptor, const std::string& path,
                         const v1::AttributeSchema& schema) {
  if (path == "customer_ref" && descriptor.FindFieldByName("customer_id")) return absl::OkStatus();
  auto ref = ResolveColumn(descriptor, path, schema);
  if (!ref.ok()) return ref.status();
  const std::string& name = ref->chain.back()->name();
  if (name == "create_time" || name == "update_time" || name == "revision") {
    return Bad(path, "is output only");
  }
  if (ref->leaf == FieldRef::Leaf::kAttribute && ref->map_key.empty()) {
    return Bad(path, "name the attribute: attributes.<name>");
  }
  return absl::OkStatus();
}

absl::Status SetFromText(Message* record, const std::string& path, const std::string& raw,
                         const v1::AttributeSchema& schema) {
  std::string text(absl::StripAsciiWhitespace(raw));
  if (text.empty()) return absl::OkStatus();
  auto ref = ResolveColumn(*record->GetDescriptor(), path, schema);
  if (!ref.ok()) return ref.status();
  Message* m = record;
  for (size_t i = 0; i + 1 < ref->chain.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, ref->chain[i]);
  }
  const FieldDescriptor* f = ref->chain.back();
  if (f->is_map()) {
    if (!ref->map_key.empty()) return AddMapEntry(m, f, path, ref->map_key, text, schema);
    // All entries in one cell: "erp:ICC-1;billing:B-7".
    for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
      std::string entry(absl::StripAsciiWhitespace(item));
      size_t colon = entry.find(':');
      if (colon == std::string::npos)
        return Bad(path, absl::StrCat("'", entry, "' is not SYSTEM:ID"));
      if (auto s = AddMapEntry(m, f, path, entry.substr(0, colon), entry.substr(colon + 1), schema);
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  if (!f->is_repeated()) return SetOne(m, *ref, path, text);
  for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    if (auto s = SetOne(m, *ref, path, std::string(absl::StripAsciiWhitespace(item))); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

std::string FormatText(const Message& record, const std::string& path,
                       const v1::AttributeSchema& schema) {
  auto ref = ResolveColumn(*record.GetDescriptor(), path, schema);
  if (!ref.ok()) return "";
  // An unset message, on the way or at the end, reads as empty rather than
  // as its defaults.
  const Message* m = &record;
  for (size_t i = 0; i < ref->chain.size(); ++i) {
    const FieldDescriptor* f = ref->chain[i];
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
        !m->GetReflection()->HasField(*m, f)) {
      return "";
    }
    if (i + 1 < ref->chain.size()) m = &m->GetReflection()->GetMessage(*m, f);
  }
  switch (ref->leaf) {
    case FieldRef::Leaf::kTimestamp: {
      // From the message, to keep nanoseconds (ExtractValues has microseconds).
      const Message& ts = m->GetReflection()->GetMessage(*m, ref->chain.back());
      const Descriptor* td = ts.GetDescriptor();
      const auto* tr = ts.GetReflection();
      return absl::FormatTime(
          absl::RFC3339_full,
          absl::FromUnixSeconds(tr->GetInt64(ts, td->FindFieldByName("seconds"))) +
              absl::Nanoseconds(tr->GetInt32(ts, td->FindFieldByName("nanos"))),
          absl::UTCTimeZone());
    }
    case FieldRef::Leaf::kEnum:
      // An unset enum (its 0 value, "unspecified") is an empty cell: the
      // import side refuses "unspecified", so an export must not write it
      // (the import fuzzer found an opportunity without status exported as
      // a cell it could not read back).
      if (!ref->chain.back()->is_repeated() &&
          m->GetReflection()->GetEnumValue(*m, ref->chain.back()) == 0) {
        return "";
      }
      break;
    case FieldRef::Leaf::kDate: {
      const int64_t yyyymmdd = std::get<int64_t>(records::ExtractValues(record, *ref).at(0));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(yyyymmdd / 10000),
                    static_cast<int>(yyyymmdd / 100 % 100), static_cast<int>(yyyymmdd % 100));
      return buf;
    }
    case FieldRef::Leaf::kStringMap:
    case FieldRef::Leaf::kAttribute:
      if (ref->map_key.empty()) {
        std::vector<std::string> joined;
        for (const auto& [key, value] : records::ExtractMapEntries(record, *ref)) {
          joined.push_back(
              absl::StrCat(key, ":", ScalarText(value, v1::ATTRIBUTE_TYPE_UNSPECIFIED)));
        }
        return absl::StrJoin(joined, ";");
      }
      break;
    default:
      break;
  }
  std::vector<std::string> items;
  for (const auto& value : records::ExtractValues(record, *ref)) {
    items.push_back(ScalarText(value, ref->attribute_type));
  }
  return absl::StrJoin(items, ";");
}

std::vector<std::string> ExportColumns(const Descriptor& descriptor,
                                       const v1::AttributeSchema& schema) {
  std::vector<std::string> columns;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* f = descriptor.field(i);
    if (f->name() == "attributes") continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
      const std::string type = f->message_type()->full_name();
      if (type == "rapport.v1.Money") {
        columns.push_back(f->name() + ".currency_code");
        columns.push_back(f->name() + ".units");
        continue;
      }
      if (type == "rapport.v1.PostalAddress") {
        for (const char* sub : {"lines", "locality", "region", "postal_code", "country_code"})
          columns.push_back(f->name() + "." + sub);
        continue;
      }
    }
    columns.push_back(f->name());
  }
  for (const auto& a : schema.attributes()) columns.push_back("attributes." + a.name());
  return columns;
}

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace rapport::tools
