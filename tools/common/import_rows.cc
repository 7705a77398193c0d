#include "tools/common/import_rows.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/csv_reader.h"
#include "tools/common/record_text.h"

namespace rapport::tools {

google::protobuf::Message* RowRecord(v1::ImportRow* row, v1::ResourceType type) {
  switch (type) {
    case v1::RESOURCE_TYPE_CUSTOMER:
      return row->mutable_customer();
    case v1::RESOURCE_TYPE_INTERACTION:
      return row->mutable_interaction();
    default:
      return row->mutable_opportunity();
  }
}

std::string Utf8Hint(uint64_t line) {
  return absl::StrCat("line ", line,
                      " is not valid UTF-8; save the file as UTF-8 "
                      "(from EUC-KR/CP949: iconv -f CP949 -t UTF-8 in.csv > out.csv)");
}

void FillJsonlRow(std::string_view line, uint64_t line_number, v1::ResourceType type,
                  v1::ImportRow* row) {
  row->set_line(line_number);
  const std::string text(line);
  if (!IsUtf8(text)) {
    row->set_client_error(Utf8Hint(line_number));
    return;
  }
  google::protobuf::Message* record = RowRecord(row, type);
  auto parsed = google::protobuf::util::JsonStringToMessage(text, record);
  if (!parsed.ok()) {
    // Nothing half-parsed goes to the server.
    record->Clear();
    row->set_client_error(absl::StrCat("not a valid record: ", std::string(parsed.message())));
  }
}

void FillCsvRow(const std::vector<std::string>& cells, const std::vector<std::string>& paths,
                uint64_t line_number, v1::ResourceType type, const v1::AttributeSchema& schema,
                v1::ImportRow* row) {
  row->set_line(line_number);
  if (cells.size() != paths.size()) {
    row->set_client_error(
        absl::StrCat("has ", cells.size(), " fields; the header has ", paths.size()));
    return;
  }
  google::protobuf::Message* record = RowRecord(row, type);
  for (size_t i = 0; i < cells.size(); ++i) {
    if (paths[i].empty()) continue;
    if (!IsUtf8(cells[i])) {
      row->set_client_error(Utf8Hint(line_number));
    } else if (paths[i] == "customer_ref") {
      row->set_customer_ref(cells[i]);
    } else if (auto s = SetFromText(record, paths[i], cells[i], schema); !s.ok()) {
      row->set_client_error(std::string(s.message()));
    }
    if (!row->client_error().empty()) {
      record->Clear();
      row->clear_customer_ref();
      return;
    }
  }
}

}  // namespace rapport::tools
