// File: services/server/request_interceptor.h
//
// One gRPC server interceptor every call of rapportd passes through (core
// services, plugin methods, reflection, health), for what must hold for all
// of them:
//
//   - A request that does not parse (a string field that is not valid UTF-8
//     is the usual cause) is answered INVALID_ARGUMENT naming the field, not
//     gRPC's INTERNAL with an empty message. This happens before any
//     authentication, so the log line it makes is rate-limited: no caller,
//     with or without a token, can flood the log.
//   - Every error rapportd answers carries a google.rpc.ErrorInfo with
//     domain "rapport.dev" and reason the code's name (AIP-193) in its
//     details, so a client tells an answer of the server (say, a plugin hook
//     refusing with UNAVAILABLE) from a transport failure (no server
//     reached, or the connection lost), which has none.
//
// InstallProtobufLogHandler() routes libprotobuf's own log lines into the
// structured log (logfmt, rate-limited) instead of raw "[libprotobuf ERROR
// ...]" lines on stderr, and keeps the parse error of the current thread for
// the interceptor to name the field.
#ifndef RAPPORT_SERVICES_SERVER_REQUEST_INTERCEPTOR_H_
#define RAPPORT_SERVICES_SERVER_REQUEST_INTERCEPTOR_H_

#include <memory>
#include <vector>

#include "grpcpp/support/server_interceptor.h"

namespace rapport::services {

inline constexpr char kErrorDomain[] = "rapport.dev";

// Idempotent; process-wide.
void InstallProtobufLogHandler();

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RequestInterceptors();

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_SERVER_REQUEST_INTERCEPTOR_H_
