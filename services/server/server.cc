#include "services/server/server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "services/admin/admin_service.h"
#include "services/records/record_services.h"

namespace rapport::services {

struct RapportServer::Services {
  explicit Services(ServiceDeps deps)
      : customers(deps), interactions(deps), opportunities(deps), schemas(deps), admin(deps) {}
  CustomerServiceImpl customers;
  InteractionServiceImpl interactions;
  OpportunityServiceImpl opportunities;
  SchemaServiceImpl schemas;
  AdminServiceImpl admin;
};

absl::StatusOr<std::unique_ptr<RapportServer>> RapportServer::Start(const ServerOptions& options) {
  auto server = std::unique_ptr<RapportServer>(new RapportServer());
  store::DatabaseOptions db_options;
  db_options.path = options.data_dir;
  db_options.sync = options.sync;
  db_options.block_cache_bytes = options.block_cache_bytes;
  auto db = store::Database::Open(db_options);
  if (!db.ok()) return db.status();
  server->db_ = std::move(*db);
  server->tenants_ = std::make_unique<tenant::TenantRegistry>(server->db_.get());
  auto store = records::RecordStore::Open(server->db_.get(), options.clock, options.store);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  server->services_ = std::make_unique<Services>(
      ServiceDeps{server->store_.get(), server->tenants_.get()});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(&server->services_->customers);
  builder.RegisterService(&server->services_->interactions);
  builder.RegisterService(&server->services_->opportunities);
  builder.RegisterService(&server->services_->schemas);
  builder.RegisterService(&server->services_->admin);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use or invalid)"));
  }
  server->port_ = port;
  std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  server->address_ = absl::StrCat(host, ":", port);
  return server;
}

RapportServer::~RapportServer() { Shutdown(absl::Seconds(1)); }

void RapportServer::Shutdown(absl::Duration grace) {
  std::call_once(shutdown_once_, [&] {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
      server_->Wait();
    }
    store_.reset();
    if (db_) (void)db_->Close();
  });
}

void RapportServer::Wait() {
  if (server_) server_->Wait();
}

}  // namespace rapport::services
