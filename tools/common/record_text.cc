#include "tools/common/record_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/v1/common.pb.h"

namespace rapport::tools {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

absl::Status Bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
}

std::string EnumShort(const google::protobuf::EnumValueDescriptor& v) {
  std::string zero = v.type()->FindValueByNumber(0)->name();
  std::string prefix = zero.substr(0, zero.size() - std::string("UNSPECIFIED").size());
  std::string name = v.name();
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

// Resolves a dotted path to (message holding the leaf, leaf field).
absl::Status Walk(Message* record, const std::string& path, Message** holder,
                  const FieldDescriptor** leaf) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  Message* m = record;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) return Bad(path, absl::StrCat("no field '", parts[i], "'"));
    bool last = i + 1 == parts.size();
    if (f->is_map()) {
      *holder = m;
      *leaf = f;
      return absl::OkStatus();  // the map key is the rest of the path
    }
    if (last || f->message_type() == nullptr || f->is_repeated() ||
        f->message_type()->full_name() == "google.protobuf.Timestamp" ||
        f->message_type()->full_name() == "google.protobuf.Duration" ||
        f->message_type()->full_name() == "rapport.v1.Date") {
      if (!last) return Bad(path, absl::StrCat("'", parts[i], "' has no sub-fields"));
      *holder = m;
      *leaf = f;
      return absl::OkStatus();
    }
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return Bad(path, "empty path");
}

const v1::AttributeDefinition* FindAttribute(const v1::AttributeSchema& schema, const std::string& name) {
  for (const auto& a : schema.attributes())
    if (a.name() == name) return &a;
  return nullptr;
}

}  // namespace

absl::Status CheckColumn(const Descriptor& descriptor, const std::string& path,
                         const v1::AttributeSchema& schema) {
  if (path == "customer_ref" && descriptor.FindFieldByName("customer_id")) return absl::OkStatus();
  std::unique_ptr<Message> probe(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&descriptor)->New());
  Message* holder;
  const FieldDescriptor* leaf;
  if (auto s = Walk(probe.get(), path, &holder, &leaf); !s.ok()) return s;
  if (leaf->name() == "create_time" || leaf->name() == "update_time" || leaf->name() == "revision") {
    return Bad(path, "is output only");
  }
  if (leaf->is_map() && leaf->name() == "attributes") {
    std::string name = path.substr(path.find('.') == std::string::npos ? path.size() : path.find('.') + 1);
    if (name.empty() || name == path) return Bad(path, "name the attribute: attributes.<name>");
    if (FindAttribute(schema, name) == nullptr) return Bad(path, "no such custom attribute in the tenant's schema");
  }
  if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !leaf->is_map() &&
      leaf->message_type()->full_name() != "google.protobuf.Timestamp" &&
      leaf->message_type()->full_name() != "google.protobuf.Duration" &&
      leaf->message_type()->full_name() != "rapport.v1.Date") {
    return Bad(path, "is a message; name one of its fields (e.g. amount.units)");
  }
  return absl::OkStatus();
}

absl::Status SetFromText(Message* record, const std::string& path, const std::string& raw,
                         const v1::AttributeSchema& schema) {
  std::string text(absl::StripAsciiWhitespace(raw));
  if (text.empty()) return absl::OkStatus();
  Message* m;
  const FieldDescriptor* f;
  if (auto s = Walk(record, path, &m, &f); !s.ok()) return s;
  const auto* r = m->GetReflection();
  if (f->is_map()) {
    const bool attributes = f->name() == "attributes";
    auto add_entry = [&](const std::string& key, const std::string& value) -> absl::Status {
      Message* entry = r->AddMessage(m, f);
      const auto* ed = entry->GetDescriptor();
      entry->GetReflection()->SetString(entry, ed->FindFieldByName("key"), key);
      const FieldDescriptor* vf = ed->FindFieldByName("value");
      if (!attributes) {
        entry->GetReflection()->SetString(entry, vf, value);
        return absl::OkStatus();
      }
      auto* av = static_cast<v1::AttributeValue*>(entry->GetReflection()->MutableMessage(entry, vf));
      const v1::AttributeDefinition* def = FindAttribute(schema, key);
      if (def == nullptr) return Bad(path, "no such custom attribute");
      switch (def->type()) {
        case v1::ATTRIBUTE_TYPE_INT: {
          int64_t v;
          if (!absl::SimpleAtoi(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not an integer"));
          av->set_int_value(v);
          break;
        }
        case v1::ATTRIBUTE_TYPE_DOUBLE: {
          double v;
          if (!absl::SimpleAtod(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not a number"));
          av->set_double_value(v);
          break;
        }
        case v1::ATTRIBUTE_TYPE_BOOL: {
          bool v;
          if (!absl::SimpleAtob(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not true/false"));
          av->set_bool_value(v);
          break;
        }
        case v1::ATTRIBUTE_TYPE_TIMESTAMP: {
          absl::Time t;
          std::string err;
          if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
            return Bad(path, absl::StrCat("'", value, "' is not an RFC 3339 time"));
          }
          av->mutable_timestamp_value()->set_seconds(absl::ToUnixSeconds(t));
          break;
        }
        default:
          av->set_string_value(value);
      }
      return absl::OkStatus();
    };
    size_t dot = path.find('.');
    if (dot != std::string::npos && path.substr(0, dot) == f->name()) {
      return add_entry(path.substr(dot + 1), text);
    }
    // "erp:ICC-1;billing:B-7"
    for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
      std::string entry(absl::StripAsciiWhitespace(item));
      size_t colon = entry.find(':');
      if (colon == std::string::npos) return Bad(path, absl::StrCat("'", entry, "' is not SYSTEM:ID"));
      if (auto s = add_entry(entry.substr(0, colon), entry.substr(colon + 1)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  auto one = [&](const std::string& value) -> absl::Status {
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        rep ? r->AddString(m, f, value) : r->SetString(m, f, value);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v;
        if (!absl::SimpleAtoi(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not an integer"));
        rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v;
        if (!absl::SimpleAtoi(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not an integer"));
        rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v;
        if (!absl::SimpleAtob(value, &v)) return Bad(path, absl::StrCat("'", value, "' is not true/false"));
        rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* et = f->enum_type();
        std::vector<std::string> names;
        for (int i = 1; i < et->value_count(); ++i) {
          const auto* ev = et->value(i);
          if (absl::EqualsIgnoreCase(value, EnumShort(*ev)) || value == ev->name()) {
            rep ? r->AddEnum(m, f, ev) : r->SetEnum(m, f, ev);
            return absl::OkStatus();
          }
          names.push_back(EnumShort(*ev));
        }
        return Bad(path, absl::StrCat("'", value, "' is not one of: ", absl::StrJoin(names, ", ")));
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const std::string type = f->message_type()->full_name();
        Message* sub = r->MutableMessage(m, f);
        if (type == "google.protobuf.Timestamp") {
          absl::Time t;
          std::string err;
          if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
            return Bad(path, absl::StrCat("'", value, "' is not an RFC 3339 time such as 2026-07-01T09:00:00+09:00"));
          }
          auto* ts = static_cast<google::protobuf::Timestamp*>(sub);
          ts->set_seconds(absl::ToUnixSeconds(t));
          ts->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(ts->seconds()))));
          return absl::OkStatus();
        }
        if (type == "google.protobuf.Duration") {
          int64_t seconds;
          if (!absl::SimpleAtoi(value, &seconds)) return Bad(path, absl::StrCat("'", value, "' is not a number of seconds"));
          static_cast<google::protobuf::Duration*>(sub)->set_seconds(seconds);
          return absl::OkStatus();
        }
        if (type == "rapport.v1.Date") {
          int y, mo, d;
          if (value.size() != 10 || value[4] != '-' || value[7] != '-' || !absl::SimpleAtoi(value.substr(0, 4), &y) ||
              !absl::SimpleAtoi(value.substr(5, 2), &mo) || !absl::SimpleAtoi(value.substr(8, 2), &d)) {
            return Bad(path, absl::StrCat("'", value, "' is not a date YYYY-MM-DD"));
          }
          auto* date = static_cast<v1::Date*>(sub);
          date->set_year(y);
          date->set_month(mo);
          date->set_day(d);
          return absl::OkStatus();
        }
        return Bad(path, "cannot be set from text");
      }
      default:
        return Bad(path, "cannot be set from text");
    }
  };
  if (f->is_repeated()) {
    for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
      if (auto s = one(std::string(absl::StripAsciiWhitespace(item))); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return one(text);
}

std::string FormatText(const Message& record, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  const Message* m = &record;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) return "";
    const auto* r = m->GetReflection();
    if (f->is_map()) {
      std::vector<std::pair<std::string, std::string>> entries;
      for (int k = 0; k < r->FieldSize(*m, f); ++k) {
        const Message& e = r->GetRepeatedMessage(*m, f, k);
        const auto* ed = e.GetDescriptor();
        std::string key = e.GetReflection()->GetString(e, ed->FindFieldByName("key"));
        const FieldDescriptor* vf = ed->FindFieldByName("value");
        std::string value;
        if (vf->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          value = e.GetReflection()->GetString(e, vf);
        } else {
          const auto& av = static_cast<const v1::AttributeValue&>(e.GetReflection()->GetMessage(e, vf));
          switch (av.kind_case()) {
            case v1::AttributeValue::kStringValue: value = av.string_value(); break;
            case v1::AttributeValue::kIntValue: value = absl::StrCat(av.int_value()); break;
            case v1::AttributeValue::kDoubleValue: value = absl::StrCat(av.double_value()); break;
            case v1::AttributeValue::kBoolValue: value = av.bool_value() ? "true" : "false"; break;
            case v1::AttributeValue::kTimestampValue:
              value = absl::FormatTime(absl::RFC3339_full, absl::FromUnixSeconds(av.timestamp_value().seconds()),
                                       absl::UTCTimeZone());
              break;
            default: break;
          }
        }
        entries.emplace_back(key, value);
      }
      std::sort(entries.begin(), entries.end());
      if (i + 1 < parts.size()) {
        for (const auto& [k, v] : entries)
          if (k == parts[i + 1]) return v;
        return "";
      }
      std::vector<std::string> joined;
      for (const auto& [k, v] : entries) joined.push_back(absl::StrCat(k, ":", v));
      return absl::StrJoin(joined, ";");
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      if (!r->HasField(*m, f)) return "";
      const std::string type = f->message_type()->full_name();
      const Message& sub = r->GetMessage(*m, f);
      if (type == "google.protobuf.Timestamp") {
        const auto& ts = static_cast<const google::protobuf::Timestamp&>(sub);
        return absl::FormatTime(absl::RFC3339_full,
                                absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos()),
                                absl::UTCTimeZone());
      }
      if (type == "google.protobuf.Duration") {
        return absl::StrCat(static_cast<const google::protobuf::Duration&>(sub).seconds());
      }
      if (type == "rapport.v1.Date") {
        const auto& d = static_cast<const v1::Date&>(sub);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
        return buf;
      }
      m = &sub;
      continue;
    }
    auto one = [&](int k) -> std::string {
      bool rep = f->is_repeated();
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: return rep ? r->GetRepeatedString(*m, f, k) : r->GetString(*m, f);
        case FieldDescriptor::CPPTYPE_INT32: return absl::StrCat(rep ? r->GetRepeatedInt32(*m, f, k) : r->GetInt32(*m, f));
        case FieldDescriptor::CPPTYPE_INT64: return absl::StrCat(rep ? r->GetRepeatedInt64(*m, f, k) : r->GetInt64(*m, f));
        case FieldDescriptor::CPPTYPE_BOOL: return (rep ? r->GetRepeatedBool(*m, f, k) : r->GetBool(*m, f)) ? "true" : "false";
        case FieldDescriptor::CPPTYPE_ENUM: return EnumShort(rep ? *r->GetRepeatedEnum(*m, f, k) : *r->GetEnum(*m, f));
        default: return "";
      }
    };
    if (f->is_repeated()) {
      std::vector<std::string> items;
      for (int k = 0; k < r->FieldSize(*m, f); ++k) items.push_back(one(k));
      return absl::StrJoin(items, ";");
    }
    return one(0);
  }
  return "";
}

std::vector<std::string> ExportColumns(const Descriptor& descriptor, const v1::AttributeSchema& schema) {
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
