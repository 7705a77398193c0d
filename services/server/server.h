// File: services/server/server.h
//
// rapportd as a library: opens the store, serves every service on one gRPC
// server, and shuts down gracefully. Tests start it in-process on
// 127.0.0.1:0; the rapportd binary wraps it with flags and signals.
#ifndef RAPPORT_SERVICES_SERVER_SERVER_H_
#define RAPPORT_SERVICES_SERVER_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/identity/identity_store.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "core/tenant/tenant_registry.h"
#include "grpcpp/server.h"
#include "services/server/grpc_threads.h"

namespace rapport::services {
namespace connect {
class ConnectGateway;
}  // namespace connect

class RpcMetrics;
class MetricsEndpoint;

struct ServerOptions {
  // host:port; port 0 picks a free one (see RapportServer::address()).
  std::string listen_address = "127.0.0.1:7700";
  std::string data_dir = "./data";
  // fsync the WAL before acknowledging a write.
  bool sync = false;
  // Largest request or response message, in bytes; larger ones get
  // RESOURCE_EXHAUSTED.
  int max_message_bytes = 4 << 20;
  records::RecordStoreOptions store;
  // First start on an empty data directory: the tenant created with an admin
  // token (written to <data_dir>/admin.token, mode 0600).
  std::string bootstrap_tenant = "default";
  // TLS: PEM files. With tls_client_ca, clients must present a certificate
  // signed by it (mutual TLS). Empty: plaintext (bind to localhost only).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Change-feed retention, applied every prune_interval.
  feed::RetentionOptions retention;
  absl::Duration prune_interval = absl::Minutes(1);
  int max_subscribers = 64;
  // Plugins: every NAME.so (+ NAME.manifest.json) in this directory.
  plugin_host::PluginHostOptions plugins;
  // Threads that run plugin RPC methods: that many plugin calls run at once
  // (a slow method holds one). 0: four per hardware thread.
  int plugin_rpc_threads = 0;
  // Server-streaming plugin methods running at once, each on a thread of
  // its own; past it a new stream is RESOURCE_EXHAUSTED.
  int plugin_max_streams = 64;
  size_t block_cache_bytes = 128 << 20;
  // All memtables together, counted inside the block cache (0: uncapped).
  size_t memtable_budget_bytes = 64 << 20;
  // Free space kept on the data directory's disk: below it, writes are
  // RESOURCE_EXHAUSTED (store::DatabaseOptions::min_free_disk_bytes).
  uint64_t min_free_disk_bytes = 256 << 20;
  // Failed authentication allowed per peer address and per token id in a
  // window before further failures get RESOURCE_EXHAUSTED
  // (core/identity/auth_failure_limiter.h).
  identity::AuthFailureLimits auth_failures;
  // gRPC handler threads kept waiting for calls (see grpc_threads.h).
  GrpcThreadOptions grpc_threads;
  // Prometheus /metrics on its own HTTP listener (host:port; port 0 picks a
  // free one, see RapportServer::metrics_port()). Empty: no endpoint, and
  // RPCs are not timed.
  std::string metrics_address;
  // HTTP/JSON (the Connect protocol) for every method on its own listener
  // (host:port; port 0 picks a free one, see RapportServer::http_port()).
  // Empty: gRPC only. See services/connect/connect_gateway.h.
  std::string http_address;
  int http_threads = 16;
  absl::Duration http_max_stream_duration = absl::Minutes(5);
  // The built web console, served at /console/ on the HTTP listener
  // (services/connect/console_site.h); empty: none. Needs http_address.
  std::string console_dir;
  const Clock* clock = &Clock::Real();
};

class RapportServer {
 public:
  // Opens the database and starts serving. Fails if the data directory cannot
  // be opened (e.g. another rapportd holds its lock) or the address is taken.
  static absl::StatusOr<std::unique_ptr<RapportServer>> Start(const ServerOptions& options);
  ~RapportServer();

  // "127.0.0.1:41234": the address actually bound.
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  // The /metrics port bound; 0 without ServerOptions::metrics_address.
  int metrics_port() const;
  // The HTTP/JSON port bound; 0 without ServerOptions::http_address.
  int http_port() const;

  // Stops accepting calls, lets in-flight calls finish until `deadline`
  // (then cancels them), and closes the database cleanly. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));
  // Blocks until the server has shut down.
  void Wait();

  records::RecordStore* store() { return store_.get(); }
  identity::IdentityStore* identity() { return identity_.get(); }
  plugin_host::PluginHost* plugins() { return plugins_.get(); }
  const identity::BootstrapResult& bootstrap() const { return bootstrap_; }

 private:
  RapportServer() = default;
  struct Services;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<tenant::TenantRegistry> tenants_;
  std::unique_ptr<records::RecordStore> store_;
  std::unique_ptr<identity::IdentityStore> identity_;
  std::unique_ptr<plugin_host::PluginHost> plugins_;
  identity::BootstrapResult bootstrap_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<RpcMetrics> rpc_metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<connect::ConnectGateway> http_;
  std::string address_;
  int port_ = 0;
  std::once_flag shutdown_once_;
  std::thread pruner_;
  std::mutex pruner_mu_;
  std::condition_variable pruner_cv_;
  bool pruner_stop_ = false;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_SERVER_SERVER_H_
