// File: services/common/service_deps.h
//
// What every service is built from (the record store, identity, the plugin
// host) and Handle(), the frame of every handler: authenticate the call, run
// the body, respond with its status.
#ifndef RAPPORT_SERVICES_COMMON_SERVICE_DEPS_H_
#define RAPPORT_SERVICES_COMMON_SERVICE_DEPS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/identity/identity_store.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "grpcpp/server_context.h"
#include "services/common/call_context.h"
#include "services/common/status_mapping.h"

namespace rapport::services {

struct ServiceDeps {
  records::RecordStore* store = nullptr;
  identity::IdentityStore* identity = nullptr;
  plugin_host::PluginHost* plugins = nullptr;
};

// Runs `body(caller)` for an authenticated call and responds with its status.
// `service` is the full service name, `rpc` the method name (__func__).
template <typename Body>
grpc::Status Handle(const ServiceDeps& deps, grpc::ServerContextBase* call, const char* service,
                    const char* rpc, Body body) {
  const std::string method = absl::StrCat(service, "/", rpc);
  auto caller = Authenticate(call, method, *deps.identity);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Respond(call, method, &*caller, *deps.identity, body(*caller));
}

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_SERVICE_DEPS_H_
