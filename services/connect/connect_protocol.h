// File: services/connect/connect_protocol.h
//
// The Connect protocol's wire pieces (https://connectrpc.com/docs/protocol),
// free of any HTTP library: error codes and their HTTP statuses, the error
// JSON with google.rpc details, the five-byte envelopes of streaming
// messages, and the Connect-Timeout-Ms header.
//
//   HttpStatusOf(grpc::StatusCode::NOT_FOUND)          -> 404
//   ErrorJson(status, resolver)  -> {"code":"not_found","message":"…","details":[…]}
//   Envelope(kEndStream, EndStreamJson(status, resolver))
#ifndef RAPPORT_SERVICES_CONNECT_CONNECT_PROTOCOL_H_
#define RAPPORT_SERVICES_CONNECT_CONNECT_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace rapport::services::connect {

class JsonTranscoder;

// Envelope flags.
inline constexpr uint8_t kCompressed = 0x01;
inline constexpr uint8_t kEndStream = 0x02;

// "invalid_argument", "canceled", … (Connect spells CANCELLED with one l).
std::string CodeName(grpc::StatusCode code);

// The HTTP status a unary error answers with (the Connect spec's table:
// invalid_argument 400, unauthenticated 401, permission_denied 403,
// not_found 404, already_exists and aborted 409, resource_exhausted 429,
// canceled 499, unimplemented 501, unavailable 503, deadline_exceeded 504,
// the rest 400 or 500).
int HttpStatusOf(grpc::StatusCode code);

// {"code": …, "message": …, "details": [{"type", "value", "debug"}]}: the
// details are the google.rpc.Status in `status.error_details()`, each Any as
// its type's full name, its bytes in unpadded base64 and, when `transcoder`
// knows the type, its proto3 JSON as "debug". Compact, UTF-8.
std::string ErrorJson(const grpc::Status& status, const JsonTranscoder* transcoder);

// The end-of-stream message: {} after success, {"error": {…}} otherwise.
std::string EndStreamJson(const grpc::Status& status, const JsonTranscoder* transcoder);

// A streaming message: flags, a 32-bit big-endian length, the payload.
std::string Envelope(uint8_t flags, std::string_view payload);

// The one message of a server-streaming request body. Errors (INVALID_ARGUMENT
// for a short, long or trailing-byte body; UNIMPLEMENTED for a compressed
// message) name the envelope.
absl::StatusOr<std::string> ParseSingleEnvelope(std::string_view body);

// Connect-Timeout-Ms: one to ten ASCII digits, in milliseconds.
absl::StatusOr<absl::Duration> ParseTimeout(std::string_view header);

}  // namespace rapport::services::connect

#endif  // RAPPORT_SERVICES_CONNECT_CONNECT_PROTOCOL_H_
