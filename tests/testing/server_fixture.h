// File: tests/testing/server_fixture.h
//
// A real rapportd (in-process) on 127.0.0.1 with an ephemeral port and a
// RocksDB in a temp directory, plus real gRPC client stubs.
#ifndef RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_
#define RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_

#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"
#include "services/server/server.h"
#include "tests/testing/temp_dir.h"

namespace rapport::testing {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { server_.reset(); }

  void StartServer(services::ServerOptions options = {}) {
    server_.reset();
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    auto server = services::RapportServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), args);
    customers_ = v1::CustomerService::NewStub(channel_);
    interactions_ = v1::InteractionService::NewStub(channel_);
    opportunities_ = v1::OpportunityService::NewStub(channel_);
    schemas_ = v1::SchemaService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
  }

  // A client context for `tenant` with a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> Call(const std::string& tenant = "acme") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!tenant.empty()) ctx->AddMetadata("x-rapport-tenant", tenant);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  // The field violations in a status's google.rpc.BadRequest details.
  static std::vector<std::string> ViolatedFields(const grpc::Status& status) {
    std::vector<std::string> fields;
    google::rpc::Status details;
    if (!details.ParseFromString(status.error_details())) return fields;
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad_request;
      if (any.UnpackTo(&bad_request)) {
        for (const auto& v : bad_request.field_violations()) fields.push_back(v.field());
      }
    }
    return fields;
  }

  TempDir dir_;
  std::unique_ptr<services::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::InteractionService::Stub> interactions_;
  std::unique_ptr<v1::OpportunityService::Stub> opportunities_;
  std::unique_ptr<v1::SchemaService::Stub> schemas_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_
