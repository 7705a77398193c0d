#include "services/server/server.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "services/admin/admin_service.h"
#include "services/connect/connect_gateway.h"
#include "services/identity/identity_service.h"
#include "services/metrics/metrics_endpoint.h"
#include "services/metrics/rpc_metrics.h"
#include "services/plugins/module_services.h"
#include "services/plugins/plugin_rpc_server.h"
#include "services/records/record_services.h"
#include "services/reflection/reflection_service.h"
#include "services/server/request_interceptor.h"
#include "services/sync/sync_services.h"

namespace rapport::services {

struct RapportServer::Services {
  Services(ServiceDeps deps, int max_subscribers, int plugin_rpc_threads, int plugin_max_streams)
      : customers(deps),
        interactions(deps),
        opportunities(deps),
        schemas(deps),
        admin(deps),
        identity(deps),
        events(deps, max_subscribers),
        data(deps),
        modules(deps),
        plugin_rpcs(deps, plugin_rpc_threads, plugin_max_streams) {}
  CustomerServiceImpl customers;
  InteractionServiceImpl interactions;
  OpportunityServiceImpl opportunities;
  SchemaServiceImpl schemas;
  AdminServiceImpl admin;
  IdentityServiceImpl identity;
  EventServiceImpl events;
  DataServiceImpl data;
  ModuleServiceImpl modules;
  PluginRpcServer plugin_rpcs;
  std::unique_ptr<ReflectionService> reflection;
};

namespace {
absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read '", path, "'"));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert = ReadFile(options.tls_cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(options.tls_key_file, "--tls-key");
  if (!key.ok()) return key.status();
  pair.cert_chain = *cert;
  pair.private_key = *key;
  ssl.pem_key_cert_pairs.push_back(pair);
  if (!options.tls_client_ca_file.empty()) {
    auto ca = ReadFile(options.tls_client_ca_file, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}
}  // namespace

absl::StatusOr<std::unique_ptr<RapportServer>> RapportServer::Start(const ServerOptions& options) {
  auto server = std::unique_ptr<RapportServer>(new RapportServer());
  if (!options.console_dir.empty() && options.http_address.empty()) {
    return absl::InvalidArgumentError(
        "--console-dir needs --http-listen: the console is served by the HTTP listener and "
        "calls its API");
  }
  if (options.memtable_budget_bytes >= options.block_cache_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--memtable-mib (", options.memtable_budget_bytes >> 20,
                     ") must be smaller than --block-cache-mib (", options.block_cache_bytes >> 20,
                     "): the memtables are counted inside the block cache"));
  }
  if (options.grpc_threads.min_pollers < 1 ||
      options.grpc_threads.max_pollers < options.grpc_threads.min_pollers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grpc-max-pollers (", options.grpc_threads.max_pollers,
                     ") must be at least --grpc-min-pollers (", options.grpc_threads.min_pollers,
                     "), which must be at least 1"));
  }
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.data_dir, mkdir_error);
  if (mkdir_error) {
    return absl::UnavailableError(absl::StrCat("cannot create data directory '", options.data_dir,
                                               "': ", mkdir_error.message()));
  }
  store::DatabaseOptions db_options;
  db_options.path = options.data_dir;
  db_options.sync = options.sync;
  db_options.block_cache_bytes = options.block_cache_bytes;
  db_options.memtable_budget_bytes = options.memtable_budget_bytes;
  db_options.min_free_disk_bytes = options.min_free_disk_bytes;
  auto db = store::Database::Open(db_options);
  if (!db.ok()) return db.status();
  server->db_ = std::move(*db);
  server->tenants_ = std::make_unique<tenant::TenantRegistry>(server->db_.get());
  auto store = records::RecordStore::Open(server->db_.get(), options.clock, options.store);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  server->identity_ = std::make_unique<identity::IdentityStore>(
      server->db_.get(), server->tenants_.get(), server->store_->feed(), options.clock);
  server->identity_->SetAuthFailureLimits(options.auth_failures);
  auto credentials = Credentials(options);  // before bootstrap: fail without side effects
  if (!credentials.ok()) return credentials.status();
  auto bootstrap = server->identity_->Bootstrap(options.data_dir, options.bootstrap_tenant);
  if (!bootstrap.ok()) return bootstrap.status();
  server->bootstrap_ = *bootstrap;
  identity::IdentityStore* identity_store = server->identity_.get();
  server->plugins_ = std::make_unique<plugin_host::PluginHost>(
      server->db_.get(), server->store_.get(), options.clock, options.plugins,
      [identity_store](uint32_t tenant, const std::string& user) {
        return identity_store->TeamsOf(tenant, user);
      },
      [identity_store](uint32_t tenant) { return identity_store->TenantNameOf(tenant); });
  server->plugins_->SetUserDirectory([identity_store](uint32_t tenant, const std::string& user) {
    return identity_store->LiveUserTeams(tenant, user);
  });
  server->plugins_->SetWriterDirectory([identity_store](uint32_t tenant, const std::string& user) {
    return identity_store->WriterContext(tenant, user);
  });
  server->plugins_->Load();
  server->store_->SetWriteHooks(server->plugins_.get());
  server->services_ = std::make_unique<Services>(
      ServiceDeps{server->store_.get(), server->identity_.get(), server->plugins_.get()},
      options.max_subscribers,
      options.plugin_rpc_threads > 0
          ? options.plugin_rpc_threads
          : static_cast<int>(4 * std::max(1u, std::thread::hardware_concurrency())),
      options.plugin_max_streams);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, *credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  ApplyGrpcThreadOptions(options.grpc_threads, builder);
  InstallProtobufLogHandler();
  Services& services = *server->services_;
  std::vector<grpc::Service*> core_services = {
      &services.customers, &services.interactions, &services.opportunities,
      &services.schemas,   &services.admin,        &services.identity,
      &services.events,    &services.data,         &services.modules};
  std::vector<std::string> service_names = {
      v1::CustomerService::service_full_name(),
      v1::InteractionService::service_full_name(),
      v1::OpportunityService::service_full_name(),
      v1::SchemaService::service_full_name(),
      v1::AdminService::service_full_name(),
      v1::IdentityService::service_full_name(),
      v1::EventService::service_full_name(),
      v1::DataService::service_full_name(),
      v1::ModuleService::service_full_name(),
      "grpc.health.v1.Health",
      grpc::reflection::v1alpha::ServerReflection::service_full_name()};
  auto interceptors = RequestInterceptors();
  if (!options.metrics_address.empty()) {
    // Every method a call can name, by the module serving it: the table
    // /metrics reports (rpc_metrics.h).
    std::map<std::string, std::string> methods = server->plugins_->MethodModules();
    for (const std::string& name : service_names) {
      const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
        methods.emplace(absl::StrCat("/", name, "/", service->method(i)->name()), "core");
      }
    }
    // Health's descriptors are inside gRPC, not in the generated pool.
    methods.emplace("/grpc.health.v1.Health/Check", "core");
    methods.emplace("/grpc.health.v1.Health/Watch", "core");
    server->rpc_metrics_ = std::make_unique<RpcMetrics>(methods);
    interceptors.push_back(server->rpc_metrics_->InterceptorFactory());
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* service : core_services) builder.RegisterService(service);
  // Reflection lists and describes the core services and the plugins' (from
  // the descriptor sets they handed over).
  services.reflection =
      std::make_unique<ReflectionService>(service_names, server->plugins_->DescriptorSets());
  builder.RegisterService(services.reflection.get());
  // Plugin RPCs, only when some plugin serves one (two more threads).
  if (server->plugins_->HasMethods()) services.plugin_rpcs.Register(&builder);
  server->plugins_->Start();  // before the first call can reach a hook
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use or invalid)"));
  }
  server->port_ = port;
  services.plugin_rpcs.Start();
  if (!options.metrics_address.empty()) {
    MetricsSources sources;
    sources.db = server->db_.get();
    sources.feed = server->store_->feed();
    sources.plugins = server->plugins_.get();
    sources.rpcs = server->rpc_metrics_.get();
    sources.clock = options.clock;
    auto metrics = MetricsEndpoint::Start(options.metrics_address, sources);
    if (!metrics.ok()) return metrics.status();
    server->metrics_ = std::move(*metrics);
  }
  if (!options.http_address.empty()) {
    // HTTP/JSON through the server's own stack: same interceptors, same
    // authentication, same handlers.
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(options.max_message_bytes);
    args.SetMaxSendMessageSize(options.max_message_bytes);
    // The core's services, not health or reflection (bidirectional).
    std::vector<std::string> rpc_services(service_names.begin(),
                                          service_names.begin() + core_services.size());
    connect::ConnectGatewayOptions http;
    http.address = options.http_address;
    http.max_body_bytes = static_cast<size_t>(options.max_message_bytes);
    http.threads = options.http_threads;
    http.max_stream_duration = options.http_max_stream_duration;
    http.console_dir = options.console_dir;
    auto gateway =
        connect::ConnectGateway::Start(http, server->server_->InProcessChannel(args),
                                       std::make_unique<connect::JsonTranscoder>(
                                           rpc_services, server->plugins_->DescriptorSets()));
    if (!gateway.ok()) return gateway.status();
    server->http_ = std::move(*gateway);
  }
  // Feed retention in the background.
  server->pruner_ = std::thread([raw = server.get(), options] {
    std::unique_lock<std::mutex> lock(raw->pruner_mu_);
    while (!raw->pruner_cv_.wait_for(lock, absl::ToChronoNanoseconds(options.prune_interval),
                                     [raw] { return raw->pruner_stop_; })) {
      lock.unlock();
      (void)raw->store_->feed()->Prune(options.retention);
      lock.lock();
    }
  });
  std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  server->address_ = absl::StrCat(host, ":", port);
  return server;
}

RapportServer::~RapportServer() { Shutdown(absl::Seconds(1)); }

int RapportServer::metrics_port() const { return metrics_ ? metrics_->port() : 0; }

int RapportServer::http_port() const { return http_ ? http_->port() : 0; }

void RapportServer::Shutdown(absl::Duration grace) {
  std::call_once(shutdown_once_, [&] {
    metrics_.reset();  // no scrape reads what is closed below
    http_.reset();     // ends HTTP streams and calls before the server's
    {
      std::lock_guard<std::mutex> lock(pruner_mu_);
      pruner_stop_ = true;
    }
    pruner_cv_.notify_all();
    if (pruner_.joinable()) pruner_.join();
    if (services_) services_->events.Stop();
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
      server_->Wait();
    }
    if (services_) services_->plugin_rpcs.Shutdown();  // after the server's
    if (plugins_) plugins_->Stop();
    if (store_) store_->SetWriteHooks(nullptr);
    identity_.reset();
    store_.reset();
    if (db_) (void)db_->Close();
  });
}

void RapportServer::Wait() {
  if (server_) server_->Wait();
}

}  // namespace rapport::services
