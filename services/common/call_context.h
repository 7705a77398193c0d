// File: services/common/call_context.h
//
// Authentication and the answer to every call, in one place: every handler
// starts with Authenticate() and ends with Respond(). Authenticate turns the
// `authorization: Bearer <token>` metadata into the caller's Principal and
// the core's RequestContext; both record denied calls (UNAUTHENTICATED,
// PERMISSION_DENIED) in the audit log. `x-rapport-origin` names the
// integration making a write so that it can skip its own changes in the feed.
#ifndef RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_
#define RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/identity/identity_store.h"
#include "grpcpp/server_context.h"

namespace rapport::services {

inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kOriginHeader[] = "x-rapport-origin";
// The HTTP client's address, set by the HTTP/JSON gateway
// (services/connect/) on the in-process calls it makes.
inline constexpr char kHttpPeerHeader[] = "x-rapport-http-peer";

struct Caller {
  std::shared_ptr<const identity::Principal> principal;
  RequestContext ctx;
};

// Who is calling, for audit entries and per-address limits: the gRPC peer
// ("ipv4:10.0.0.7:51234"), or for a call the HTTP/JSON gateway forwards
// in process, "http:" and the HTTP client's address.
std::string PeerOf(const grpc::ServerContextBase& call);

// The kHttpPeerHeader value the gateway sends for a client at `address`:
// a secret drawn once per process, then the address. PeerOf honours the
// header only on in-process calls and only with that secret (which plugins
// never see), so no network client can choose the address its calls are
// audited and limited under.
std::string HttpPeerValue(std::string_view address);

// `method` is "rapport.v1.CustomerService/GetCustomer". On failure the
// returned status is UNAUTHENTICATED (or INVALID_ARGUMENT for a bad origin)
// and has been audited.
absl::StatusOr<Caller> Authenticate(grpc::ServerContextBase* call, std::string_view method,
                                    identity::IdentityStore& identity);

// Maps `status` for the wire, auditing PERMISSION_DENIED and UNAUTHENTICATED.
// `caller` may be null (authentication failed).
grpc::Status Respond(grpc::ServerContextBase* call, std::string_view method, const Caller* caller,
                     identity::IdentityStore& identity, const absl::Status& status);

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_
