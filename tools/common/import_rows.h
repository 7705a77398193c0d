// File: tools/common/import_rows.h
//
// One row of a bulk import file -> one DataService.Import row, on the client
// (rapportctl import, examples/erp_bridge). A row that cannot become a
// record is still sent, with `client_error` saying why, so the server's
// summary counts and reports it at its line like a row the server refused.
//
//   CSV    the row's cells, each set at its column's field path
//          (record_text.h), "customer_ref" as the row's customer reference
//   JSONL  one record of the resource type in proto3 JSON per line
//
// Both check UTF-8 first: Korean files saved as EUC-KR/CP949 are the usual
// cause, and the error says how to convert them.
#ifndef RAPPORT_TOOLS_COMMON_IMPORT_ROWS_H_
#define RAPPORT_TOOLS_COMMON_IMPORT_ROWS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"
#include "rapport/v1/schema.pb.h"
#include "rapport/v1/sync.pb.h"

namespace rapport::tools {

// The record of `row` for `type` (customer, interaction, opportunity).
google::protobuf::Message* RowRecord(v1::ImportRow* row, v1::ResourceType type);

// "line N is not valid UTF-8; ..." with the iconv command that fixes it.
std::string Utf8Hint(uint64_t line);

// Fills `row` from `line` (line `line_number` of a JSONL file, without its
// line ending): its line number, and the record or a client error.
void FillJsonlRow(std::string_view line, uint64_t line_number, v1::ResourceType type,
                  v1::ImportRow* row);

// Fills `row` from a CSV row's `cells` under `paths` (one per column; ""
// for an ignored column; as many as cells, else a client error).
void FillCsvRow(const std::vector<std::string>& cells, const std::vector<std::string>& paths,
                uint64_t line_number, v1::ResourceType type, const v1::AttributeSchema& schema,
                v1::ImportRow* row);

}  // namespace rapport::tools

#endif  // RAPPORT_TOOLS_COMMON_IMPORT_ROWS_H_
