// File: tools/common/record_text.h
//
// Records <-> text cells, for CSV import/export. A column names a field
// path of the resource, resolved as filters resolve it
// (core/records/field_path.h), so a column and a filter mean the same field:
//
//   display_name, owner, subject ...   plain fields
//   emails, phones, tags, participants repeated: values joined with ';'
//   kind, lifecycle_stage, status ...  enums by short name ("lead")
//   occurred_at, *_time               RFC 3339 ("2026-07-01T09:00:00+09:00")
//   expected_close_date               "YYYY-MM-DD"
//   duration                          seconds (google.protobuf.Duration)
//   amount.currency_code, amount.units
//   external_refs.<system>            one system per column
//   external_refs                     all systems: "erp:ICC-1;billing:B-7"
//   attributes.<name>                 typed by the tenant's attribute schema
#ifndef RAPPORT_TOOLS_COMMON_RECORD_TEXT_H_
#define RAPPORT_TOOLS_COMMON_RECORD_TEXT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::tools {

// Whether `path` names something SetFromText can fill. Returns an error
// naming the path otherwise.
absl::Status CheckColumn(const google::protobuf::Descriptor& descriptor, const std::string& path,
                         const v1::AttributeSchema& schema);

// Sets `path` of `record` from `text` (empty text: leaves it unset).
// INVALID_ARGUMENT saying what is wrong with the value.
absl::Status SetFromText(google::protobuf::Message* record, const std::string& path,
                         const std::string& text, const v1::AttributeSchema& schema);

// The text SetFromText would read back ("" for an unset message or a path
// that names nothing). `schema` types attributes.<name>.
std::string FormatText(const google::protobuf::Message& record, const std::string& path,
                       const v1::AttributeSchema& schema);

// The columns an export writes for a resource type.
std::vector<std::string> ExportColumns(const google::protobuf::Descriptor& descriptor,
                                       const v1::AttributeSchema& schema);

// CSV-quotes a cell if needed.
std::string CsvCell(const std::string& text);

}  // namespace rapport::tools

#endif  // RAPPORT_TOOLS_COMMON_RECORD_TEXT_H_
