// File: core/records/record_fields.h
//
// Typed access, through reflection, to the fields every resource shares (id,
// revision, create_time, update_time, external_refs), so the record store
// handles all kinds with one code path.
#ifndef RAPPORT_CORE_RECORDS_RECORD_FIELDS_H_
#define RAPPORT_CORE_RECORDS_RECORD_FIELDS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace rapport::records {

std::string GetId(const google::protobuf::Message& m);
void SetId(google::protobuf::Message* m, const std::string& id);
std::string GetOwner(const google::protobuf::Message& m);
void SetOwner(google::protobuf::Message* m, const std::string& owner);
// Whether `user` is in the record's `collaborators` (false for kinds
// without one).
bool IsCollaborator(const google::protobuf::Message& m, std::string_view user);
// The record's `collaborators` ({} for kinds without one).
std::vector<std::string> GetCollaborators(const google::protobuf::Message& m);
int64_t GetRevision(const google::protobuf::Message& m);
void SetRevision(google::protobuf::Message* m, int64_t revision);
void SetTime(google::protobuf::Message* m, const char* field, absl::Time t);
void CopyField(const google::protobuf::Message& from, google::protobuf::Message* to,
               const char* field);
void ClearField(google::protobuf::Message* m, const char* field);
std::vector<std::pair<std::string, std::string>> GetExternalRefs(
    const google::protobuf::Message& m);

// Names of top-level fields whose values differ, ignoring the output-only
// bookkeeping fields (revision, create_time, update_time).
std::vector<std::string> ChangedFields(const google::protobuf::Message& before,
                                       const google::protobuf::Message& after);
// Names of top-level fields set in `m` (for create events).
std::vector<std::string> SetFields(const google::protobuf::Message& m);

// True for fields clients never write.
bool IsOutputOnlyField(std::string_view name);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RECORD_FIELDS_H_
