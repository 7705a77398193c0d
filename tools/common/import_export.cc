#include "tools/common/import_export.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/csv_reader.h"
#include "tools/common/import_rows.h"
#include "tools/common/record_text.h"

namespace rapport::tools {
namespace {

using Clock = std::chrono::steady_clock;

const google::protobuf::Descriptor* TypeDescriptor(v1::ResourceType type) {
  v1::ImportRow row;
  return RowRecord(&row, type)->GetDescriptor();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ReadMapping(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read mapping file '", path, "'"));
  std::stringstream content;
  content << in.rdbuf();
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(content.str(), &parsed);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mapping file '", path, "' is not valid JSON: ", std::string(status.message())));
  }
  auto columns = parsed.fields().find("columns");
  if (columns == parsed.fields().end() || !columns->second.has_struct_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapping file '", path, "' needs {\"columns\": {\"CSV header\": \"field\"}}"));
  }
  std::map<std::string, std::string> mapping;
  for (const auto& [header, value] : columns->second.struct_value().fields()) {
    if (!value.has_string_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mapping for column '", header, "' must be a string"));
    }
    mapping[header] = value.string_value();
  }
  return mapping;
}

absl::StatusOr<v1::ImportSummary> ImportFile(v1::DataService::Stub& stub,
                                             std::unique_ptr<grpc::ClientContext> context,
                                             const v1::AttributeSchema& schema,
                                             const ImportOptions& options) {
  std::string format = options.format;
  if (format.empty()) format = absl::EndsWith(options.path, ".jsonl") ? "jsonl" : "csv";
  if (format != "csv" && format != "jsonl") {
    return absl::InvalidArgumentError(absl::StrCat("unknown format '", format, "' (csv or jsonl)"));
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (options.path != "-") {
    file.open(options.path, std::ios::binary);
    if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot read '", options.path, "'"));
    file.seekg(0, std::ios::end);
    total_bytes = static_cast<uint64_t>(file.tellg());
    file.seekg(0);
    in = &file;
  }
  const google::protobuf::Descriptor* descriptor = TypeDescriptor(options.type);
  std::map<std::string, std::string> mapping;
  if (!options.mapping_file.empty()) {
    auto m = ReadMapping(options.mapping_file);
    if (!m.ok()) return m.status();
    mapping = std::move(*m);
  }

  // CSV: work out the columns before sending anything.
  CsvReader csv(*in);
  std::vector<std::string> paths;  // "" = ignored column
  if (format == "csv") {
    std::vector<std::string> header;
    if (csv.Next(&header) != CsvReader::Result::kRecord) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", options.path, "' has no header row", csv.error().empty() ? "" : ": " + csv.error()));
    }
    std::vector<std::string> unknown;
    for (const std::string& raw : header) {
      std::string column(raw);
      if (!IsUtf8(column)) return absl::InvalidArgumentError(Utf8Hint(csv.line()));
      std::string path = column;
      if (auto it = mapping.find(column); it != mapping.end()) path = it->second;
      bool ignored =
          path == "-" || std::find(options.ignore_columns.begin(), options.ignore_columns.end(),
                                   column) != options.ignore_columns.end();
      if (ignored) {
        paths.push_back("");
        continue;
      }
      auto check = CheckColumn(*descriptor, path, schema);
      if (!check.ok()) unknown.push_back(absl::StrCat("'", column, "' (", check.message(), ")"));
      paths.push_back(path);
    }
    if (!unknown.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown columns: ", absl::StrJoin(unknown, ", "),
                       ". Map them with --mapping FILE or skip them with --ignore-column NAME; "
                       "nothing was imported"));
    }
  }

  v1::ImportSummary summary;
  auto writer = stub.Import(context.get(), &summary);
  v1::ImportRequest header_message;
  header_message.mutable_header()->set_resource_type(options.type);
  header_message.mutable_header()->set_duplicate_policy(options.duplicate_policy);
  header_message.mutable_header()->set_source(options.path);
  header_message.mutable_header()->set_preserve_ids(options.preserve_ids);
  bool stream_ok = writer->Write(header_message);
  const auto started = Clock::now();
  ImportProgress progress;
  progress.total_bytes = total_bytes;
  auto report = [&](bool done) {
    if (!options.on_progress) return;
    progress.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    progress.done = done;
    options.on_progress(progress);
  };
  v1::ImportRequest message;
  std::vector<std::string> fields;
  std::string line_text;
  uint64_t line_number = 0;
  while (stream_ok) {
    message.Clear();
    v1::ImportRow* row = message.mutable_row();
    if (format == "csv") {
      auto result = csv.Next(&fields);
      if (result == CsvReader::Result::kEnd) break;
      progress.bytes = csv.bytes_read();
      if (result == CsvReader::Result::kError) {
        row->set_line(csv.line());
        row->set_client_error(csv.error());
      } else {
        FillCsvRow(fields, paths, csv.line(), options.type, schema, row);
      }
    } else {
      if (!std::getline(*in, line_text)) break;
      ++line_number;
      progress.bytes += line_text.size() + 1;
      if (!line_text.empty() && line_text.back() == '\r') line_text.pop_back();
      if (line_text.find_first_not_of(" \t") == std::string::npos) continue;
      FillJsonlRow(line_text, line_number, options.type, row);
    }
    stream_ok = writer->Write(message);
    if (++progress.rows % 1000 == 0) report(false);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  report(true);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return summary;
}

absl::StatusOr<uint64_t> ExportTo(v1::DataService::Stub& stub,
                                  std::unique_ptr<grpc::ClientContext> context,
                                  const v1::ExportRequest& request,
                                  const v1::AttributeSchema& schema, const std::string& format,
                                  std::ostream& out,
                                  const std::function<void(uint64_t)>& on_progress) {
  if (format != "csv" && format != "jsonl") {
    return absl::InvalidArgumentError(absl::StrCat("unknown format '", format, "' (csv or jsonl)"));
  }
  if (format == "csv" && request.resource_types_size() != 1) {
    return absl::InvalidArgumentError("CSV export takes exactly one resource type");
  }
  std::vector<std::string> columns;
  if (format == "csv") {
    columns = ExportColumns(*TypeDescriptor(request.resource_types(0)), schema);
    std::vector<std::string> cells;
    for (const auto& c : columns) cells.push_back(CsvCell(c));
    out << absl::StrJoin(cells, ",") << "\n";
  }
  auto reader = stub.Export(context.get(), request);
  v1::ExportResponse response;
  uint64_t count = 0;
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  while (reader->Read(&response)) {
    const google::protobuf::Message* record =
        response.has_customer()
            ? static_cast<const google::protobuf::Message*>(&response.customer())
        : response.has_interaction()
            ? static_cast<const google::protobuf::Message*>(&response.interaction())
            : static_cast<const google::protobuf::Message*>(&response.opportunity());
    if (format == "csv") {
      std::vector<std::string> cells;
      for (const auto& c : columns) cells.push_back(CsvCell(FormatText(*record, c, schema)));
      out << absl::StrJoin(cells, ",") << "\n";
    } else {
      std::string line;
      (void)google::protobuf::util::MessageToJsonString(*record, &line, json);
      out << line << "\n";
    }
    if (++count % 1000 == 0 && on_progress) on_progress(count);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return count;
}

}  // namespace rapport::tools
