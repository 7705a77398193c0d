// File: services/metrics/rpc_metrics.h
//
// What every RPC rapportd answers adds to /metrics: a count per method and
// status code, and the method's latency (from the call's arrival to its
// status, streams included), kept by a gRPC server interceptor. The
// methods are fixed when the server starts (the core services' and the
// loaded plugins'), each labelled with the module that serves it ("core"
// for the core's), so a scrape is a walk over a fixed table and a call
// finds its entry without a lock. A path that names no method (a client's
// typo) counts under service and method "unknown": a caller cannot grow
// the label set.
#ifndef RAPPORT_SERVICES_METRICS_RPC_METRICS_H_
#define RAPPORT_SERVICES_METRICS_RPC_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/latency_histogram.h"
#include "grpcpp/support/server_interceptor.h"

namespace rapport::services {

class RpcMetrics {
 public:
  // One method's figures.
  struct Method {
    std::string service;  // "rapport.v1.CustomerService"
    std::string name;     // "CreateCustomer"
    std::string module;   // "core", or the plugin's name
    // Calls answered, by grpc::StatusCode (0..16).
    std::array<std::atomic<uint64_t>, 17> codes{};
    LatencyHistogram latency;
  };

  // `methods`: "/package.Service/Method" -> the module serving it ("core"
  // for the core's services).
  explicit RpcMetrics(const std::map<std::string, std::string>& methods);

  // The entry of `path` ("/package.Service/Method"), or the "unknown" one.
  Method* Find(std::string_view path);
  // Every entry, the "unknown" one last.
  void ForEach(const std::function<void(const Method&)>& fn) const;

  // An interceptor factory for grpc::ServerBuilder that records into this
  // (which must outlive the server).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  std::map<std::string, std::unique_ptr<Method>, std::less<>> methods_;
  Method unknown_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_METRICS_RPC_METRICS_H_
