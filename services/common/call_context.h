// File: services/common/call_context.h
//
// Builds the core's RequestContext from a call's metadata.
//
// TEMPORARY (until the identity issue lands): the tenant comes from the
// `x-rapport-tenant` header and is registered on first use; there is no
// authentication. `x-rapport-origin` names the integration making a write so
// that it can skip its own changes in the feed.
#ifndef RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_
#define RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_

#include "absl/status/statusor.h"
#include "core/common/request_context.h"
#include "core/tenant/tenant_registry.h"
#include "grpcpp/server_context.h"

namespace rapport::services {

inline constexpr char kTenantHeader[] = "x-rapport-tenant";
inline constexpr char kOriginHeader[] = "x-rapport-origin";

absl::StatusOr<RequestContext> ContextFromCall(const grpc::ServerContext& call,
                                               tenant::TenantRegistry& tenants);

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_CALL_CONTEXT_H_
