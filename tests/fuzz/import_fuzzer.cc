// Fuzzes the client side of bulk import (tools/common/import_rows.h): a
// line of a JSONL file, and the rows of a CSV file under its header, as
// `rapportctl import` turns them into DataService.Import rows. The first
// byte picks the format and the resource type. Checks, beyond not crashing:
//   - a row that failed carries no record and no customer reference (nothing
//     half-read reaches the server), and one that did not fail has no error;
//   - JSONL: an accepted record printed as JSON reads back to the same
//     record;
//   - CSV: every cell's value as the exporter writes it (FormatText) reads
//     back to the same text, so an export re-imports to the same records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "rapport/v1/sync.pb.h"
#include "tools/common/csv_reader.h"
#include "tools/common/import_rows.h"
#include "tools/common/record_text.h"

namespace {

using rapport::tools::CsvReader;
using rapport::tools::FormatText;
using rapport::tools::RowRecord;
using rapport::tools::SetFromText;

// Aborts (a finding) naming the check that failed.
#define REQUIRE(condition)                                                                \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "import_fuzzer: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

const rapport::v1::AttributeSchema& Schema() {
  static const rapport::v1::AttributeSchema* schema = [] {
    auto* s = new rapport::v1::AttributeSchema();
    const std::pair<const char*, rapport::v1::AttributeType> attributes[] = {
        {"tier", rapport::v1::ATTRIBUTE_TYPE_STRING},
        {"seats", rapport::v1::ATTRIBUTE_TYPE_INT},
        {"score", rapport::v1::ATTRIBUTE_TYPE_DOUBLE},
        {"vip", rapport::v1::ATTRIBUTE_TYPE_BOOL},
        {"renewed_at", rapport::v1::ATTRIBUTE_TYPE_TIMESTAMP},
    };
    for (const auto& [name, type] : attributes) {
      auto* a = s->add_attributes();
      a->set_name(name);
      a->set_type(type);
    }
    return s;
  }();
  return *schema;
}

bool Empty(const google::protobuf::Message& m) { return m.ByteSizeLong() == 0; }

void CheckFailedRowIsEmpty(rapport::v1::ImportRow& row, rapport::v1::ResourceType type) {
  if (row.client_error().empty()) return;
  REQUIRE(Empty(*RowRecord(&row, type)));
  REQUIRE(row.customer_ref().empty());
}

void Jsonl(std::string_view line, rapport::v1::ResourceType type) {
  rapport::v1::ImportRow row;
  rapport::tools::FillJsonlRow(line, 7, type, &row);
  REQUIRE(row.line() == 7);
  CheckFailedRowIsEmpty(row, type);
  if (!row.client_error().empty()) return;
  const google::protobuf::Message& record = *RowRecord(&row, type);
  std::string json;
  // Printing can refuse what parsing took (protobuf 3.21 reads a Timestamp
  // with an offset outside years 0001-9999 but will not print it; the
  // server's validator refuses such times).
  if (!google::protobuf::util::MessageToJsonString(record, &json).ok()) return;
  rapport::v1::ImportRow again;
  rapport::tools::FillJsonlRow(json, 1, type, &again);
  REQUIRE(again.client_error().empty());
  REQUIRE(google::protobuf::util::MessageDifferencer::Equals(record, *RowRecord(&again, type)));
}

void Csv(std::string_view input, rapport::v1::ResourceType type) {
  std::istringstream in{std::string(input)};
  CsvReader csv(in);
  std::vector<std::string> header;
  if (csv.Next(&header) != CsvReader::Result::kRecord) return;
  rapport::v1::ImportRow probe;
  const auto& descriptor = *RowRecord(&probe, type)->GetDescriptor();
  // As ImportFile does: a column that names nothing would stop the import
  // before any row; here it is ignored so the rows still get fuzzed.
  std::vector<std::string> paths;
  for (const std::string& column : header) {
    const bool usable =
        column == "customer_ref" || rapport::tools::CheckColumn(descriptor, column, Schema()).ok();
    paths.push_back(usable ? column : "");
  }
  std::vector<std::string> cells;
  for (int rows = 0; rows < 64; ++rows) {
    auto result = csv.Next(&cells);
    if (result == CsvReader::Result::kEnd) break;
    if (result == CsvReader::Result::kError) continue;
    rapport::v1::ImportRow row;
    rapport::tools::FillCsvRow(cells, paths, csv.line(), type, Schema(), &row);
    REQUIRE(row.line() == csv.line());
    CheckFailedRowIsEmpty(row, type);
    if (!row.client_error().empty()) continue;
    const google::protobuf::Message& record = *RowRecord(&row, type);
    for (const std::string& path : paths) {
      if (path.empty() || path == "customer_ref") continue;
      const std::string text = FormatText(record, path, Schema());
      rapport::v1::ImportRow again;
      google::protobuf::Message* copy = RowRecord(&again, type);
      const absl::Status read_back = SetFromText(copy, path, text, Schema());
      if (!read_back.ok()) {
        std::fprintf(stderr, "import_fuzzer: column '%s': '%s' does not read back: %s\n",
                     path.c_str(), text.c_str(), std::string(read_back.message()).c_str());
      }
      REQUIRE(read_back.ok());
      REQUIRE(FormatText(*copy, path, Schema()) == text);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto type = static_cast<rapport::v1::ResourceType>(1 + (data[0] >> 1) % 3);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Jsonl(rest, type);
  } else {
    Csv(rest, type);
  }
  return 0;
}
