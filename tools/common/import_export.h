// File: tools/common/import_export.h
//
// Client side of bulk import and export (rapportctl, examples/erp_bridge):
// streams a CSV or JSONL file row by row into DataService.Import, and an
// Export stream into CSV or JSONL. Memory stays constant whatever the file
// size: one row is parsed at a time and gRPC flow control paces the upload.
#ifndef RAPPORT_TOOLS_COMMON_IMPORT_EXPORT_H_
#define RAPPORT_TOOLS_COMMON_IMPORT_EXPORT_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/schema.pb.h"
#include "rapport/v1/sync.grpc.pb.h"

namespace rapport::tools {

struct ImportProgress {
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;  // 0 if unknown (a pipe)
  double seconds = 0;
  bool done = false;
};

struct ImportOptions {
  v1::ResourceType type = v1::RESOURCE_TYPE_CUSTOMER;
  std::string path;          // .csv or .jsonl ("-" for stdin, CSV)
  std::string format;        // "csv", "jsonl" or "" (from the extension)
  std::string mapping_file;  // JSON: {"columns": {"CSV header": "field.path" | "-"}}
  std::vector<std::string> ignore_columns;
  v1::DuplicatePolicy duplicate_policy = v1::DUPLICATE_POLICY_ALLOW;
  bool preserve_ids = false;
  std::function<void(const ImportProgress&)> on_progress;
};

// Streams the file into `stub`'s Import. Errors before the upload starts
// (unreadable file, unknown columns, bad mapping) come back as
// INVALID_ARGUMENT and nothing is sent; row errors are in the summary.
absl::StatusOr<v1::ImportSummary> ImportFile(v1::DataService::Stub& stub,
                                             std::unique_ptr<grpc::ClientContext> context,
                                             const v1::AttributeSchema& schema,
                                             const ImportOptions& options);

// Writes `request`'s export as "csv" or "jsonl" to `out`; returns the number
// of records. `on_progress`, if set, gets the count every 1,000 records.
absl::StatusOr<uint64_t> ExportTo(v1::DataService::Stub& stub,
                                  std::unique_ptr<grpc::ClientContext> context,
                                  const v1::ExportRequest& request,
                                  const v1::AttributeSchema& schema, const std::string& format,
                                  std::ostream& out,
                                  const std::function<void(uint64_t)>& on_progress = nullptr);

// The column -> field path map of a mapping file.
absl::StatusOr<std::map<std::string, std::string>> ReadMapping(const std::string& path);

}  // namespace rapport::tools

#endif  // RAPPORT_TOOLS_COMMON_IMPORT_EXPORT_H_
