#include "services/common/call_context.h"

#include "absl/strings/str_cat.h"
#include "core/common/strings.h"
#include "services/common/status_mapping.h"

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
  entry.set_peer(call->peer());
  identity.Audit(caller ? caller->ctx.tenant : identity::TenantOfFailure(status), std::move(entry));
}

}  // namespace

absl::StatusOr<Caller> Authenticate(grpc::ServerContextBase* call, std::string_view method,
                                    identity::IdentityStore& identity) {
  auto principal = identity.Authenticate(Header(*call, kAuthorizationHeader));
  if (!principal.ok()) {
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
