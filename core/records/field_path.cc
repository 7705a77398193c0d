#include "core/records/field_path.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/v1/common.pb.h"

namespace rapport::records {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsTimestamp(const Descriptor* d) { return d->full_name() == "google.protobuf.Timestamp"; }
bool IsDate(const Descriptor* d) { return d->full_name() == "rapport.v1.Date"; }

int64_t TimestampMicros(const Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  int64_t seconds = r->GetInt64(m, d->FindFieldByName("seconds"));
  int32_t nanos = r->GetInt32(m, d->FindFieldByName("nanos"));
  return seconds * 1000000 + nanos / 1000;
}

int64_t DateNumber(const Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  return r->GetInt32(m, d->FindFieldByName("year")) * 10000LL +
         r->GetInt32(m, d->FindFieldByName("month")) * 100LL +
         r->GetInt32(m, d->FindFieldByName("day"));
}

// True if `s` has the shape of `pattern`, where '9' stands for an ASCII digit
// and 'T' for 'T' or 't' (RFC 3339 allows either); other characters match
// themselves.
bool HasShape(std::string_view s, std::string_view pattern) {
  if (s.size() != pattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char p = pattern[i];
    bool ok = p == '9'   ? absl::ascii_isdigit(static_cast<unsigned char>(s[i]))
              : p == 'T' ? (s[i] == 'T' || s[i] == 't')
                         : s[i] == p;
    if (!ok) return false;
  }
  return true;
}

// The day "YYYY-MM-DD" at the start of `s` (exactly four, two and two
// digits) as yyyymmdd, if it is a day of the (proleptic Gregorian) calendar
// in years 0001..9999: "2026-02-30", "2026-13-01" and "0000-01-01" are not.
std::optional<int64_t> CalendarDay(std::string_view s) {
  if (s.size() < 10 || !HasShape(s.substr(0, 10), "9999-99-99")) return std::nullopt;
  auto number = [&](size_t pos, size_t len) {
    int n = 0;
    for (char c : s.substr(pos, len)) n = n * 10 + (c - '0');
    return n;
  };
  int y = number(0, 4), m = number(5, 2), d = number(8, 2);
  // absl::CivilDay normalises (2026-02-30 becomes 2026-03-02): a day it
  // keeps as written is a real one.
  absl::CivilDay day(y, m, d);
  if (y < 1 || day.year() != y || day.month() != m || day.day() != d) return std::nullopt;
  return static_cast<int64_t>(y) * 10000 + m * 100 + d;
}

// An RFC 3339 date-time with an offset ("2026-07-01T09:00:00+09:00",
// "2026-07-01T00:00:00.5Z") as microseconds since the Unix epoch. Only that
// form: absl::ParseTime alone would also take one-digit fields, five-digit
// years, "+09" offsets, surrounding spaces and "infinite-future".
std::optional<int64_t> Rfc3339Micros(std::string_view s) {
  if (!CalendarDay(s) || s.size() < 20 || !HasShape(s.substr(10, 9), "T99:99:99")) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = 1;
    while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits == 1) return std::nullopt;
    rest.remove_prefix(digits);
  }
  if (rest != "Z" && rest != "z" && !HasShape(rest, "+99:99") && !HasShape(rest, "-99:99")) {
    return std::nullopt;
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &err)) return std::nullopt;
  return absl::ToUnixMicros(t);
}

Scalar AttributeScalar(const v1::AttributeValue& v) {
  switch (v.kind_case()) {
    case v1::AttributeValue::kStringValue:
      return v.string_value();
    case v1::AttributeValue::kIntValue:
      return v.int_value();
    case v1::AttributeValue::kDoubleValue:
      return v.double_value();
    case v1::AttributeValue::kBoolValue:
      return v.bool_value();
    case v1::AttributeValue::kTimestampValue:
      return v.timestamp_value().seconds() * 1000000 + v.timestamp_value().nanos() / 1000;
    default:
      return std::string();
  }
}

// Appends the scalar(s) of a leaf field of `m`.
void AppendLeaf(const Message& m, const FieldDescriptor* f, const FieldRef& ref,
                std::vector<Scalar>* out) {
  const Reflection* r = m.GetReflection();
  auto one = [&](int i) -> Scalar {
    bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
      case FieldDescriptor::CPPTYPE_INT32:
        return static_cast<int64_t>(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
      case FieldDescriptor::CPPTYPE_INT64:
        return rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f);
      case FieldDescriptor::CPPTYPE_UINT32:
        return static_cast<int64_t>(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
      case FieldDescriptor::CPPTYPE_UINT64:
        return static_cast<int64_t>(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
      case FieldDescriptor::CPPTYPE_BOOL:
        return rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f);
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return static_cast<double>(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
      case FieldDescriptor::CPPTYPE_ENUM:
        return EnumShortName(rep ? *r->GetRepeatedEnum(m, f, i) : *r->GetEnum(m, f));
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& sub = rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
        if (ref.leaf == FieldRef::Leaf::kTimestamp) return TimestampMicros(sub);
        if (ref.leaf == FieldRef::Leaf::kDate) return DateNumber(sub);
        return std::string();
      }
    }
    return std::string();
  };
  if (f->is_repeated()) {
    int n = r->FieldSize(m, f);
    for (int i = 0; i < n; ++i) out->push_back(one(i));
  } else {
    out->push_back(one(0));
  }
}

}  // namespace

std::string EnumShortName(const google::protobuf::EnumValueDescriptor& value) {
  const auto* zero = value.type()->FindValueByNumber(0);
  std::string prefix;
  if (zero && absl::EndsWith(zero->name(), "_UNSPECIFIED")) {
    prefix = zero->name().substr(0, zero->name().size() - std::string("UNSPECIFIED").size());
  }
  std::string name = value.name();
  if (!prefix.empty() && absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<FieldRef> ResolveField(const Descriptor& descriptor, std::string_view path,
                                      const v1::AttributeSchema* schema) {
  FieldRef ref;
  ref.path = std::string(path);
  std::vector<std::string> parts = absl::StrSplit(AsAbsl(path), '.');
  const Descriptor* d = &descriptor;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = d ? d->FindFieldByName(parts[i]) : nullptr;
    if (f == nullptr) {
      return InvalidField(path, absl::StrCat("no field '", parts[i], "' on ", descriptor.name()));
    }
    ref.chain.push_back(f);
    if (f->is_map()) {
      const FieldDescriptor* value = f->message_type()->FindFieldByName("value");
      bool attributes = value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                        value->message_type()->full_name() == "rapport.v1.AttributeValue";
      ref.leaf = attributes ? FieldRef::Leaf::kAttribute : FieldRef::Leaf::kStringMap;
      if (i + 1 == parts.size()) return ref;  // the whole map (index extraction)
      if (i + 2 != parts.size()) {
        return InvalidField(path, "a map field takes exactly one key, e.g. external_refs.erp");
      }
      ref.map_key = parts[i + 1];
      if (attributes) {
        const v1::AttributeDefinition* def = nullptr;
        if (schema) {
          for (const auto& a : schema->attributes())
            if (a.name() == ref.map_key) def = &a;
        }
        if (def == nullptr) {
          return InvalidField(path, absl::StrCat("no custom attribute '", ref.map_key,
                                                 "' is defined for ", descriptor.name()));
        }
        ref.attribute_type = def->type();
      }
      return ref;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (IsTimestamp(f->message_type())) {
        ref.leaf = FieldRef::Leaf::kTimestamp;
      } else if (IsDate(f->message_type())) {
        ref.leaf = FieldRef::Leaf::kDate;
      } else {
        d = f->message_type();
        if (i + 1 == parts.size()) {
          return InvalidField(
              path, absl::StrCat("'", AsAbsl(path), "' is a message; name one of its fields"));
        }
        if (f->is_repeated()) {
          return InvalidField(path, "repeated messages cannot be filtered");
        }
        continue;
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      ref.leaf = FieldRef::Leaf::kEnum;
    }
    if (i + 1 != parts.size()) {
      return InvalidField(path, absl::StrCat("'", parts[i], "' has no sub-fields"));
    }
    return ref;
  }
  return InvalidField(path, "empty field path");
}

std::vector<Scalar> ExtractValues(const Message& record, const FieldRef& field) {
  std::vector<Scalar> out;
  const Message* m = &record;
  for (size_t i = 0; i + 1 < field.chain.size(); ++i) {
    m = &m->GetReflection()->GetMessage(*m, field.chain[i]);
  }
  const FieldDescriptor* leaf = field.chain.back();
  if (leaf->is_map()) {
    for (auto& [key, value] : ExtractMapEntries(record, field)) {
      if (key == field.map_key) out.push_back(std::move(value));
    }
    return out;
  }
  AppendLeaf(*m, leaf, field, &out);
  return out;
}

std::vector<std::pair<std::string, Scalar>> ExtractMapEntries(const Message& record,
                                                              const FieldRef& field) {
  std::vector<std::pair<std::string, Scalar>> out;
  const Message* m = &record;
  for (size_t i = 0; i + 1 < field.chain.size(); ++i) {
    m = &m->GetReflection()->GetMessage(*m, field.chain[i]);
  }
  const FieldDescriptor* f = field.chain.back();
  const Reflection* r = m->GetReflection();
  int n = r->FieldSize(*m, f);
  for (int i = 0; i < n; ++i) {
    const Message& entry = r->GetRepeatedMessage(*m, f, i);
    const auto* ed = entry.GetDescriptor();
    const auto* er = entry.GetReflection();
    std::string key = er->GetString(entry, ed->FindFieldByName("key"));
    const FieldDescriptor* vf = ed->FindFieldByName("value");
    if (vf->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      out.emplace_back(std::move(key), er->GetString(entry, vf));
    } else {
      v1::AttributeValue value;
      value.CopyFrom(er->GetMessage(entry, vf));
      out.emplace_back(std::move(key), AttributeScalar(value));
    }
  }
  // Map iteration order is unspecified; sort so derived keys are stable.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

absl::StatusOr<Scalar> CoerceLiteral(const FieldRef& field, const query::FilterValue& literal) {
  const Scalar& v = literal.v;
  auto wrong = [&](std::string_view expected) {
    return InvalidField(
        field.path, absl::StrCat("expected ", AsAbsl(expected), ", got ", literal.DebugString()));
  };
  auto as_time = [&]() -> absl::StatusOr<Scalar> {
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (auto micros = Rfc3339Micros(*s)) return *micros;
      return wrong("an RFC 3339 time such as \"2026-07-01T09:00:00+09:00\"");
    }
    return wrong("an RFC 3339 time string");
  };
  switch (field.leaf) {
    case FieldRef::Leaf::kTimestamp:
      return as_time();
    case FieldRef::Leaf::kDate: {
      const auto* s = std::get_if<std::string>(&v);
      if (s != nullptr && s->size() == 10) {
        if (auto day = CalendarDay(*s)) return *day;
      }
      return wrong("a date string \"YYYY-MM-DD\" (a calendar day, years 0001 to 9999)");
    }
    case FieldRef::Leaf::kEnum: {
      const auto* s = std::get_if<std::string>(&v);
      const auto* et = field.chain.back()->enum_type();
      std::vector<std::string> names;
      for (int i = 1; i < et->value_count(); ++i) {
        std::string short_name = EnumShortName(*et->value(i));
        if (s && (absl::EqualsIgnoreCase(*s, short_name) || *s == et->value(i)->name())) {
          return short_name;
        }
        names.push_back(short_name);
      }
      return InvalidField(field.path,
                          absl::StrCat(s ? absl::StrCat("'", *s, "'") : literal.DebugString(),
                                       " is not one of: ", absl::StrJoin(names, ", ")));
    }
    case FieldRef::Leaf::kStringMap:
      if (std::holds_alternative<std::string>(v)) return v;
      return wrong("a string");
    case FieldRef::Leaf::kAttribute:
      switch (field.attribute_type) {
        case v1::ATTRIBUTE_TYPE_STRING:
          if (std::holds_alternative<std::string>(v)) return v;
          return wrong("a string");
        case v1::ATTRIBUTE_TYPE_INT:
          if (std::holds_alternative<int64_t>(v)) return v;
          return wrong("an integer");
        case v1::ATTRIBUTE_TYPE_DOUBLE:
          if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
          if (std::holds_alternative<double>(v)) return v;
          return wrong("a number");
        case v1::ATTRIBUTE_TYPE_BOOL:
          if (std::holds_alternative<bool>(v)) return v;
          return wrong("true or false");
        case v1::ATTRIBUTE_TYPE_TIMESTAMP:
          return as_time();
        default:
          return wrong("a value");
      }
    case FieldRef::Leaf::kPlain:
      break;
  }
  switch (field.chain.back()->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (std::holds_alternative<std::string>(v)) return v;
      return wrong("a string");
    case FieldDescriptor::CPPTYPE_BOOL:
      if (std::holds_alternative<bool>(v)) return v;
      return wrong("true or false");
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
      if (std::holds_alternative<double>(v)) return v;
      return wrong("a number");
    default:
      if (std::holds_alternative<int64_t>(v)) return v;
      return wrong("an integer");
  }
}

int CompareScalars(const Scalar& a, const Scalar& b) {
  if (a.index() != b.index()) return a.index() < b.index() ? -1 : 1;
  return std::visit(
      [&](const auto& x) {
        const auto& y = std::get<std::decay_t<decltype(x)>>(b);
        return x < y ? -1 : (y < x ? 1 : 0);
      },
      a);
}

bool EvaluateComparison(const std::vector<Scalar>& values, query::CompareOp op, const Scalar& rhs) {
  if (op == query::CompareOp::kNe) {
    // "tags != x": no element equals x (an absent value is not equal).
    for (const auto& v : values)
      if (CompareScalars(v, rhs) == 0) return false;
    return true;
  }
  for (const auto& v : values) {
    int c = CompareScalars(v, rhs);
    bool match = false;
    switch (op) {
      case query::CompareOp::kEq:
        match = c == 0;
        break;
      case query::CompareOp::kLt:
        match = c < 0;
        break;
      case query::CompareOp::kLe:
        match = c <= 0;
        break;
      case query::CompareOp::kGt:
        match = c > 0;
        break;
      case query::CompareOp::kGe:
        match = c >= 0;
        break;
      case query::CompareOp::kNe:
        break;
    }
    if (match) return true;
  }
  return false;
}

}  // namespace rapport::records
