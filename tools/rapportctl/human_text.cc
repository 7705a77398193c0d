#include "tools/rapportctl/human_text.h"

#include <iostream>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "core/validation/currency.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/util/json_util.h"

namespace rapport::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::TimeZone& Zone() {
  static absl::TimeZone zone = absl::FixedTimeZone(9 * 3600);  // Asia/Seoul
  return zone;
}

// "LifecycleStage" -> "LIFECYCLE_STAGE_".
std::string EnumPrefix(const std::string& type_name) {
  std::string out;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && absl::ascii_isupper(c)) out += '_';
    out += absl::ascii_toupper(c);
  }
  return out + "_";
}

// "1500000" -> "1,500,000" (the part before any '.').
std::string Grouped(const std::string& number) {
  if (number.empty()) return number;
  const size_t start = number[0] == '-' ? 1 : 0;
  const size_t end = number.find('.') == std::string::npos ? number.size() : number.find('.');
  std::string out = number.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  return out + number.substr(end);
}

std::string Indent(int depth) { return std::string(2 * static_cast<size_t>(depth), ' '); }

// Whether `m` reads as one value (a time, an amount), and that value. `m`
// may come from another descriptor pool (rapportctl call builds messages
// from the server's descriptors), so it is copied through its bytes.
bool OneValue(const Message& m, std::string* out) {
  const std::string& type = m.GetDescriptor()->full_name();
  if (type == "google.protobuf.Timestamp") {
    google::protobuf::Timestamp t;
    t.ParseFromString(m.SerializeAsString());
    *out = HumanTime(t);
    return true;
  }
  if (type == "google.protobuf.Duration") {
    google::protobuf::Duration d;
    d.ParseFromString(m.SerializeAsString());
    *out = absl::FormatDuration(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
    return true;
  }
  if (type == "rapport.v1.Money") {
    v1::Money money;
    money.ParseFromString(m.SerializeAsString());
    *out = HumanMoney(money);
    return true;
  }
  if (type == "rapport.v1.Date") {
    v1::Date date;
    date.ParseFromString(m.SerializeAsString());
    *out = absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
    return true;
  }
  if (type == "google.protobuf.Any" || type == "google.protobuf.Struct" ||
      type == "google.protobuf.Value") {
    if (!google::protobuf::util::MessageToJsonString(m, out).ok()) {
      // An Any of a type rapportctl cannot resolve: name it.
      const google::protobuf::FieldDescriptor* url = m.GetDescriptor()->FindFieldByName("type_url");
      *out = url ? "<" + m.GetReflection()->GetString(m, url) + ">" : "<" + type + ">";
    }
    return true;
  }
  return false;
}

std::string Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return absl::StrCat("<", s.size(), " bytes>");
      return s;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrFormat("%.15g", rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrFormat("%.7g", rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return HumanEnum(rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

void Print(const Message& m, int depth, std::string* out);

// "name: value", a multi-line value's further lines indented under it.
void Line(int depth, const std::string& name, const std::string& value, std::string* out) {
  const std::string continuation = "\n" + Indent(depth + 1);
  absl::StrAppend(out, Indent(depth), name, ": ",
                  absl::StrReplaceAll(value, {{"\n", continuation}}), "\n");
}

void Field(const Message& m, const FieldDescriptor* f, int depth, std::string* out) {
  const Reflection* r = m.GetReflection();
  if (f->is_map()) {
    // Sorted by key, as "key: value" lines under the field's name.
    std::map<std::string, std::string> entries;
    std::vector<std::pair<std::string, const Message*>> nested;
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      const FieldDescriptor* key = entry.GetDescriptor()->map_key();
      const FieldDescriptor* value = entry.GetDescriptor()->map_value();
      std::string k = Scalar(entry, key, -1);
      if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        std::string one;
        const Message& v = entry.GetReflection()->GetMessage(entry, value);
        if (OneValue(v, &one)) {
          entries[k] = one;
        } else {
          std::string block;
          Print(v, depth + 2, &block);
          entries[k] = "\n" + block;
        }
      } else {
        entries[k] = Scalar(entry, value, -1);
      }
    }
    absl::StrAppend(out, Indent(depth), f->name(), ":\n");
    for (const auto& [k, v] : entries) {
      if (!v.empty() && v[0] == '\n') {
        absl::StrAppend(out, Indent(depth + 1), k, ":", v);
      } else {
        Line(depth + 1, k, v, out);
      }
    }
    return;
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    std::vector<std::string> values;
    bool simple = true;
    for (int i = 0; i < n && simple; ++i) {
      const Message& v = f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      std::string one;
      simple = OneValue(v, &one);
      values.push_back(one);
    }
    if (simple) {
      Line(depth, f->name(), absl::StrJoin(values, ", "), out);
      return;
    }
    absl::StrAppend(out, Indent(depth), f->name(), ":\n");
    for (int i = 0; i < n; ++i) {
      const Message& v = f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      if (!f->is_repeated()) {
        Print(v, depth + 1, out);
        continue;
      }
      // Each item of a list starts with "- ", its fields aligned under it.
      std::string block;
      Print(v, depth + 2, &block);
      const std::string item = Indent(depth + 2);
      if (block.compare(0, item.size(), item) == 0) {
        block.replace(0, item.size(), Indent(depth + 1) + "- ");
      } else {
        block = Indent(depth + 1) + "-\n" + block;  // an empty item
      }
      absl::StrAppend(out, block);
    }
    return;
  }
  if (f->is_repeated()) {
    std::vector<std::string> values;
    for (int i = 0; i < r->FieldSize(m, f); ++i) values.push_back(Scalar(m, f, i));
    Line(depth, f->name(), absl::StrJoin(values, ", "), out);
    return;
  }
  Line(depth, f->name(), Scalar(m, f, -1), out);
}

void Print(const Message& m, int depth, std::string* out) {
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);  // set fields, in field-number order
  for (const FieldDescriptor* f : fields) Field(m, f, depth, out);
}

}  // namespace

int SetDisplayZone(const std::string& name) {
  absl::TimeZone zone;
  if (absl::LoadTimeZone(name, &zone)) {
    Zone() = zone;
    return 0;
  }
  if (name == "Asia/Seoul") {
    Zone() = absl::FixedTimeZone(9 * 3600);
    return 0;
  }
  std::cerr << "error: --time-zone: unknown time zone '" << name
            << "' (an IANA name such as Asia/Seoul or UTC)\n";
  return 2;
}

std::string HumanText(const Message& message) {
  std::string one;
  if (OneValue(message, &one)) return one + "\n";
  std::string out;
  Print(message, 0, &out);
  return out;
}

std::string HumanTime(const google::protobuf::Timestamp& time) {
  return HumanTime(absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos()));
}

std::string HumanTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", time, Zone());
}

std::string HumanMoney(const v1::Money& money) {
  const std::string plain = validation::FormatMoney(money.currency_code(), money.units());
  const size_t space = plain.find(' ');
  if (space == std::string::npos) return plain;
  return plain.substr(0, space + 1) + Grouped(plain.substr(space + 1));
}

std::string HumanEnum(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  return value ? HumanEnum(value) : std::to_string(number);
}

std::string HumanEnum(const google::protobuf::EnumValueDescriptor* value) {
  if (value == nullptr) return "";
  const std::string prefix = EnumPrefix(value->type()->name());
  std::string name = value->name();
  if (name.compare(0, prefix.size(), prefix) == 0 && name.size() > prefix.size()) {
    name = name.substr(prefix.size());
  }
  return absl::AsciiStrToLower(name);
}

}  // namespace rapport::ctl
