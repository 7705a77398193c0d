// rapportd's --sync reaches the store (issue 22): AdminService.GetServerInfo
// reports the durability the store writes with and RocksDB's own count of
// WAL syncs, asserted against the real rapportd binary started with and
// without --sync, and against the in-process server for the role check.
#include <fstream>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

constexpr int kWrites = 5;

struct Observed {
  v1::GetServerInfoResponse before, after;
};

// Starts the rapportd binary with `flags`, makes kWrites acknowledged
// creates, and returns the server info before and after them.
Observed RunRapportd(const std::vector<std::string>& flags) {
  Observed seen;
  testing::TempDir dir;
  testing::RapportdProcess server(RAPPORTD_PATH, dir.Sub("data"), flags);
  EXPECT_FALSE(server.address().empty()) << "rapportd did not start";
  if (server.address().empty()) return seen;
  std::string token;
  std::ifstream token_file(dir.Sub("data") + "/admin.token");
  std::getline(token_file, token);
  EXPECT_FALSE(token.empty());
  auto call = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  };
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  auto customers = v1::CustomerService::NewStub(channel);
  grpc::Status s = admin->GetServerInfo(call().get(), v1::GetServerInfoRequest(), &seen.before);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (int i = 0; i < kWrites; ++i) {
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_display_name("Durable " + std::to_string(i));
    v1::Customer out;
    s = customers->CreateCustomer(call().get(), create, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  s = admin->GetServerInfo(call().get(), v1::GetServerInfoRequest(), &seen.after);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return seen;
}

TEST(DurabilityReportTest, RapportdWithSyncSyncsTheWalForEveryAcknowledgedWrite) {
  Observed seen = RunRapportd({"--sync"});
  EXPECT_TRUE(seen.before.sync_writes());
  EXPECT_TRUE(seen.after.sync_writes());
  // Each create is one write (one client at a time, so its own write group)
  // and was synced before it was acknowledged.
  EXPECT_GE(seen.after.wal_writes() - seen.before.wal_writes(), uint64_t{kWrites});
  EXPECT_GE(seen.after.wal_syncs() - seen.before.wal_syncs(), uint64_t{kWrites});
  // The bootstrap's writes (tenant, admin, token) were synced too.
  EXPECT_GE(seen.before.wal_syncs(), 1u);
}

TEST(DurabilityReportTest, RapportdWithoutSyncWritesTheWalButNeverSyncsIt) {
  Observed seen = RunRapportd({});
  EXPECT_FALSE(seen.before.sync_writes());
  EXPECT_FALSE(seen.after.sync_writes());
  EXPECT_GE(seen.after.wal_writes() - seen.before.wal_writes(), uint64_t{kWrites});
  EXPECT_EQ(seen.after.wal_syncs(), 0u);
}

class ServerInfoTest : public testing::ServerTest {};

TEST_F(ServerInfoTest, OnlyAdminsReadItAndItFollowsServerOptions) {
  std::string rep = CreateUser("rep_a", {v1::ROLE_REP}, {});
  v1::GetServerInfoResponse info;
  EXPECT_EQ(admin_->GetServerInfo(Call(rep).get(), v1::GetServerInfoRequest(), &info).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(admin_->GetServerInfo(Call("-").get(), v1::GetServerInfoRequest(), &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(admin_->GetServerInfo(Call().get(), v1::GetServerInfoRequest(), &info).ok());
  EXPECT_FALSE(info.sync_writes());  // the default
  EXPECT_EQ(info.wal_syncs(), 0u);

  services::ServerOptions options;
  options.sync = true;
  StartServer(options);  // the same data directory, restarted with sync
  ASSERT_TRUE(admin_->GetServerInfo(Call().get(), v1::GetServerInfoRequest(), &info).ok());
  EXPECT_TRUE(info.sync_writes());
  const uint64_t syncs = info.wal_syncs();
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_display_name("Synced");
  v1::Customer out;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &out).ok());
  ASSERT_TRUE(admin_->GetServerInfo(Call().get(), v1::GetServerInfoRequest(), &info).ok());
  EXPECT_GE(info.wal_syncs(), syncs + 1);
}

}  // namespace
}  // namespace rapport
