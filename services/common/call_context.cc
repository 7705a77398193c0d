#include "services/common/call_context.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/log_limiter.h"
#include "core/common/logfmt.h"
#include "core/common/strings.h"
#include "services/common/status_mapping.h"
#include "spdlog/spdlog.h"

namespace rapport::services {
namespace {

std::string Header(const grpc::ServerContextBase& call, const char* name) {
  const auto& md = call.client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

void AuditDenied(grpc::ServerContextBase* call, std::string_view method, const Caller* caller,
                 identity::IdentityStore& identity, const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnauthenticated &&
      status.code() != absl::StatusCode::kPermissionDenied) {
    return;
  }
  v1::AuditEntry entry;
  entry.set_principal(caller ? caller->ctx.principal : "anonymous");
  entry.set_method(std::string(method));
  entry.set_code(status.code() == absl::StatusCode::kUnauthenticated ? "UNAUTHENTICATED"
                                                                     : "PERMISSION_DENIED");
  entry.set_reason(std::string(status.message()).substr(0, 500));
  entry.set_peer(PeerOf(*call));
  // A caller that did not authenticate is audited in the server-wide log
  // (tenant 0) only, whatever tenant the token it presented belongs to: no
  // unauthenticated caller can push a tenant's own entries out of its log.
  identity.Audit(caller ? caller->ctx.tenant : 0, std::move(entry));
}

// The id part of "Bearer rpt_<id>_<secret>" when it looks like one (26
// Crockford base32 characters), else "".
std::string TokenIdOf(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer rpt_";
  if (authorization.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view rest = authorization.substr(kPrefix.size());
  size_t end = rest.find('_');
  if (end != 26) return "";
  for (char c : rest.substr(0, end)) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return "";
  }
  return std::string(rest.substr(0, end));
}

void LogThrottled(std::string_view method, const std::string& peer, const absl::Status& status) {
  static LogLimiter limiter(absl::Seconds(10), 5);
  int64_t suppressed = 0;
  if (!limiter.Allow(&suppressed)) return;
  spdlog::warn("msg=\"authentication failures throttled\" method={} peer={} error={} suppressed={}",
               LogValue(method), LogValue(peer), LogValue(std::string(status.message())),
               suppressed);
}

}  // namespace

const std::string& HttpPeerSecret() {
  static const std::string* secret = [] {
    std::random_device random;
    std::string hex;
    for (int i = 0; i < 4; ++i) absl::StrAppend(&hex, absl::Hex(random(), absl::kZeroPad8));
    return new std::string(hex);
  }();
  return *secret;
}

std::string HttpPeerValue(std::string_view address) {
  return absl::StrCat(HttpPeerSecret(), " ", std::string(address));
}

std::string PeerOf(const grpc::ServerContextBase& call) {
  std::string peer = call.peer();
  // In gRPC 1.51 an in-process call's peer is "unknown" (connect_test pins
  // it); a network call's is "ipv4:…", "ipv6:…" or "unix:…".
  if (peer != "unknown" && !absl::StartsWith(peer, "inproc")) return peer;
  const std::string http = Header(call, kHttpPeerHeader);
  const std::string& secret = HttpPeerSecret();
  if (http.size() > secret.size() + 1 && absl::StartsWith(http, secret) &&
      http[secret.size()] == ' ') {
    return absl::StrCat("http:", http.substr(secret.size() + 1));
  }
  return peer;
}

absl::StatusOr<Caller> Authenticate(grpc::ServerContextBase* call, std::string_view method,
                                    identity::IdentityStore& identity) {
  const std::string authorization = Header(*call, kAuthorizationHeader);
  auto principal = identity.Authenticate(authorization);
  if (!principal.ok()) {
    // Failures are bounded per peer address and per token id; past the
    // bound they are refused without an audit entry each.
    const std::string peer = PeerOf(*call);
    if (absl::Status limited = identity.RecordAuthFailure(peer, TokenIdOf(authorization));
        !limited.ok()) {
      LogThrottled(method, peer, limited);
      return limited;
    }
    absl::Status status = principal.status();
    if (status.code() != absl::StatusCode::kUnauthenticated) {
      // Storage trouble while checking a token is still a refusal to the
      // caller, never a pass.
      status = identity::WithTenant(
          absl::UnauthenticatedError(absl::StrCat("cannot verify token: ", status.message())),
          identity::TenantOfFailure(status));
    }
    AuditDenied(call, method, nullptr, identity, status);
    return status;
  }
  Caller caller;
  std::string origin = Header(*call, kOriginHeader);
  if (origin.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(kOriginHeader, ": at most 64 bytes"));
  }
  caller.ctx = (*principal)->Context(std::move(origin));
  caller.principal = std::move(*principal);
  return caller;
}

grpc::Status Respond(grpc::ServerContextBase* call, std::string_view method, const Caller* caller,
                     identity::IdentityStore& identity, const absl::Status& status) {
  AuditDenied(call, method, caller, identity, status);
  return ToGrpcStatus(status);
}

}  // namespace rapport::services
