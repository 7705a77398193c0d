// File: services/plugins/plugin_rpc_server.h
//
// Serves every plugin RPC (/rapport.<module>.vN.*/*) through the server's one
// generic service, after the same authentication, access rules and module
// gate as every core call (services/common/call_context.h).
//
// It is an AsyncGenericService driven by its own completion queue and
// threads, not a CallbackGenericService: in gRPC 1.51 registering a callback
// generic service on a server of sync services adds callback polling that
// stalled unrelated calls ~100 ms about once a second (found by bench/ and
// reproduced on a bare echo server; see docs/performance.md).
//
// Server-streaming methods run each on a thread of their own, at most
// `max_streams` at once, so a long stream never holds a worker.
//
//   PluginRpcServer rpcs(deps, /*threads=*/2, /*max_streams=*/64);
//   rpcs.Register(&builder);          // before BuildAndStart
//   server = builder.BuildAndStart();
//   rpcs.Start();
//   ...
//   server->Shutdown();  rpcs.Shutdown();   // in this order
#ifndef RAPPORT_SERVICES_PLUGINS_PLUGIN_RPC_SERVER_H_
#define RAPPORT_SERVICES_PLUGINS_PLUGIN_RPC_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server_builder.h"
#include "services/common/service_deps.h"

namespace rapport::services {

class PluginRpcServer {
 public:
  PluginRpcServer(ServiceDeps deps, int threads, int max_streams);
  ~PluginRpcServer();
  PluginRpcServer(const PluginRpcServer&) = delete;
  PluginRpcServer& operator=(const PluginRpcServer&) = delete;

  void Register(grpc::ServerBuilder* builder);
  // After BuildAndStart: starts taking calls.
  void Start();
  // After the server's Shutdown: drains the queue and joins the threads.
  // Idempotent.
  void Shutdown();

  class Call;

 private:
  void Serve();
  // Requests the next call unless the queue is shutting down.
  void RequestNext();
  // Counts a stream in; false if max_streams_ are running.
  bool BeginStream();
  void EndStream();

  ServiceDeps deps_;
  int threads_;
  int max_streams_;
  std::mutex streams_mu_;
  std::condition_variable streams_cv_;
  int streams_ = 0;  // guarded by streams_mu_
  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::vector<std::thread> workers_;
  bool started_ = false;
  bool shut_down_ = false;
  bool shutting_down_ = false;  // guarded by request_mu_
  std::mutex request_mu_;       // orders RequestCall against the queue's shutdown
  // Set when Shutdown begins: handlers see Cancelled().
  std::atomic<bool> stopping_{false};
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_PLUGINS_PLUGIN_RPC_SERVER_H_
