// File: tools/rapportctl/output.h
//
// What rapportctl prints: records as a table row, text for people
// (human_text.h) or JSON (--output), and errors with the exit code they mean:
//
//   0 ok, 1 the server refused (message and field violations on stderr),
//   2 usage error, 3 server unreachable.
#ifndef RAPPORT_TOOLS_RAPPORTCTL_OUTPUT_H_
#define RAPPORT_TOOLS_RAPPORTCTL_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace rapport::ctl {

// Prints the server's refusal, quoting its field violations, and returns 1;
// or, for a transport failure (no google.rpc.ErrorInfo from rapportd: no
// server, connection lost, deadline passed in transit), says the server
// cannot be reached and returns 3.
int Fail(const grpc::Status& status);
// Local problems (INVALID_ARGUMENT: files, columns, mapping) are usage
// errors (2); anything else is treated as a gRPC status.
int Fail(const absl::Status& status);

// Parses --json into `message`: 0, or 2 after saying what is wrong.
int ParseJson(const std::string& json, google::protobuf::Message* message);

// Indented JSON with the proto field names.
std::string Json(const google::protobuf::Message& message);

// One JSON array, or one tab-separated row per record; the next page token
// (if any) on stderr.
void PrintRecords(const std::vector<const google::protobuf::Message*>& records,
                  const std::string& next_token);
// JSON, or for people (human_text.h): times in --time-zone, money with
// its digits, enums without prefixes.
void PrintRecord(const google::protobuf::Message& message);

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_OUTPUT_H_
