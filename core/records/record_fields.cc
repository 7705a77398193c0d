#include "core/records/record_fields.h"

#include "core/common/time_util.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/message_differencer.h"

namespace rapport::records {
namespace {
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* Field(const Message& m, const char* name) {
  return m.GetDescriptor()->FindFieldByName(name);
}
}  // namespace

std::string GetId(const Message& m) { return m.GetReflection()->GetString(m, Field(m, "id")); }
void SetId(Message* m, const std::string& id) {
  m->GetReflection()->SetString(m, Field(*m, "id"), id);
}
std::string GetOwner(const Message& m) {
  return m.GetReflection()->GetString(m, Field(m, "owner"));
}
void SetOwner(Message* m, const std::string& owner) {
  m->GetReflection()->SetString(m, Field(*m, "owner"), owner);
}
bool IsCollaborator(const Message& m, std::string_view user) {
  const FieldDescriptor* f = Field(m, "collaborators");
  if (f == nullptr || user.empty()) return false;
  const auto list = m.GetReflection()->GetRepeatedFieldRef<std::string>(m, f);
  for (const auto& c : list) {
    if (c == user) return true;
  }
  return false;
}
std::vector<std::string> GetCollaborators(const Message& m) {
  const FieldDescriptor* f = Field(m, "collaborators");
  if (f == nullptr) return {};
  const auto list = m.GetReflection()->GetRepeatedFieldRef<std::string>(m, f);
  return std::vector<std::string>(list.begin(), list.end());
}
int64_t GetRevision(const Message& m) {
  return m.GetReflection()->GetInt64(m, Field(m, "revision"));
}
void SetRevision(Message* m, int64_t r) {
  m->GetReflection()->SetInt64(m, Field(*m, "revision"), r);
}

void SetTime(Message* m, const char* field, absl::Time t) {
  SetTimestamp(static_cast<google::protobuf::Timestamp*>(
                   m->GetReflection()->MutableMessage(m, Field(*m, field))),
               t);
}

void CopyField(const Message& from, Message* to, const char* field) {
  const FieldDescriptor* f = Field(from, field);
  const auto* r = from.GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (r->HasField(from, f)) {
      to->GetReflection()->MutableMessage(to, f)->CopyFrom(r->GetMessage(from, f));
    } else {
      to->GetReflection()->ClearField(to, f);
    }
  } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
    to->GetReflection()->SetInt64(to, f, r->GetInt64(from, f));
  } else {
    to->GetReflection()->SetString(to, f, r->GetString(from, f));
  }
}

void ClearField(Message* m, const char* field) {
  m->GetReflection()->ClearField(m, Field(*m, field));
}

std::vector<std::pair<std::string, std::string>> GetExternalRefs(const Message& m) {
  std::vector<std::pair<std::string, std::string>> out;
  const FieldDescriptor* f = Field(m, "external_refs");
  const auto* r = m.GetReflection();
  for (int i = 0; i < r->FieldSize(m, f); ++i) {
    const Message& entry = r->GetRepeatedMessage(m, f, i);
    const auto* d = entry.GetDescriptor();
    out.emplace_back(entry.GetReflection()->GetString(entry, d->FindFieldByName("key")),
                     entry.GetReflection()->GetString(entry, d->FindFieldByName("value")));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsOutputOnlyField(std::string_view name) {
  return name == "id" || name == "revision" || name == "create_time" || name == "update_time";
}

std::vector<std::string> ChangedFields(const Message& before, const Message& after) {
  std::vector<std::string> out;
  const auto* d = before.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (IsOutputOnlyField(f->name())) continue;
    google::protobuf::util::MessageDifferencer differencer;
    if (!differencer.CompareWithFields(before, after, {f}, {f})) out.push_back(f->name());
  }
  return out;
}

std::vector<std::string> SetFields(const Message& m) {
  std::vector<std::string> out;
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const auto* f : fields)
    if (!IsOutputOnlyField(f->name())) out.push_back(f->name());
  return out;
}

}  // namespace rapport::records
