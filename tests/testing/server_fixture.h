// File: tests/testing/server_fixture.h
//
// A real rapportd (in-process) on 127.0.0.1 with an ephemeral port and a
// RocksDB in a temp directory, plus real gRPC client stubs.
#ifndef RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_
#define RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_

#include <fstream>
#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/identity.grpc.pb.h"
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
    channel_ =
        grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), args);
    customers_ = v1::CustomerService::NewStub(channel_);
    interactions_ = v1::InteractionService::NewStub(channel_);
    opportunities_ = v1::OpportunityService::NewStub(channel_);
    schemas_ = v1::SchemaService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
    identity_ = v1::IdentityService::NewStub(channel_);
    std::ifstream token_file(dir_.Sub("data") + "/admin.token");
    std::getline(token_file, admin_token_);
    ASSERT_FALSE(admin_token_.empty()) << "bootstrap wrote no admin token";
  }

  // Creates tenant `name` (as the operator) and returns its admin's token.
  std::string CreateTenant(const std::string& name) {
    v1::CreateTenantRequest request;
    request.mutable_tenant()->set_name(name);
    v1::CreateTenantResponse response;
    grpc::Status status = identity_->CreateTenant(Call().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.admin_token().secret();
  }

  // Creates a user with `roles` and `teams` in the tenant of `admin_token`
  // and returns a token for them.
  std::string CreateUser(const std::string& id, std::vector<v1::Role> roles,
                         std::vector<std::string> teams, const std::string& admin_token = "") {
    const std::string& token = admin_token.empty() ? admin_token_ : admin_token;
    v1::CreateUserRequest user;
    user.mutable_user()->set_id(id);
    for (auto r : roles) user.mutable_user()->add_roles(r);
    for (auto& t : teams) user.mutable_user()->add_team_ids(t);
    v1::User created;
    grpc::Status status = identity_->CreateUser(Call(token).get(), user, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::CreateTokenRequest request;
    request.mutable_token()->set_user_id(id);
    request.mutable_token()->set_name("test");
    v1::CreateTokenResponse issued;
    status = identity_->CreateToken(Call(token).get(), request, &issued);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return issued.secret();
  }

  void CreateTeam(const std::string& id, const std::string& parent = "",
                  const std::string& admin_token = "") {
    v1::CreateTeamRequest request;
    request.mutable_team()->set_id(id);
    request.mutable_team()->set_parent_team_id(parent);
    v1::Team team;
    grpc::Status status = identity_->CreateTeam(
        Call(admin_token.empty() ? admin_token_ : admin_token).get(), request, &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  // A client context carrying `token` (default: the bootstrap admin's; "-"
  // for none) with a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> Call(const std::string& token = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    const std::string& t = token.empty() ? admin_token_ : token;
    if (t != "-") ctx->AddMetadata("authorization", "Bearer " + t);
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
  std::unique_ptr<v1::IdentityService::Stub> identity_;
  std::string admin_token_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_TESTING_SERVER_FIXTURE_H_
