#include "services/common/call_context.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"

namespace rapport::services {
namespace {
std::string Header(const grpc::ServerContext& call, const char* name) {
  const auto& md = call.client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}
}  // namespace

absl::StatusOr<RequestContext> ContextFromCall(const grpc::ServerContext& call,
                                               tenant::TenantRegistry& tenants) {
  RequestContext ctx;
  ctx.tenant_name = Header(call, kTenantHeader);
  if (ctx.tenant_name.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("missing ", kTenantHeader, " metadata naming the tenant"));
  }
  auto tenant = tenants.Resolve(ctx.tenant_name, /*create=*/true);
  if (!tenant.ok()) return tenant.status();
  ctx.tenant = *tenant;
  ctx.origin = Header(call, kOriginHeader);
  if (ctx.origin.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(kOriginHeader, ": at most 64 bytes"));
  }
  ctx.principal = absl::StrCat("anonymous@", ctx.tenant_name);
  return ctx;
}

}  // namespace rapport::services
