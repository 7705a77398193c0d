// Durability: acknowledged writes survive SIGKILL of the real rapportd
// binary, and the store is consistent (fsck) after restart.
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

std::string token;  // the bootstrap admin's, read from the data directory

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

class CrashTest : public ::testing::TestWithParam<bool> {};

TEST_P(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const bool sync = GetParam();
  testing::TempDir dir;
  std::vector<std::string> flags;
  if (sync) flags.push_back("--sync");
  // id -> highest acknowledged revision.
  std::map<std::string, int64_t> acked;
  std::mutex mu;
  {
    testing::RapportdProcess server(RAPPORTD_PATH, dir.Sub("data"), flags);
    ASSERT_FALSE(server.address().empty()) << "rapportd did not start";
    std::ifstream token_file(dir.Sub("data") + "/admin.token");
    std::getline(token_file, token);
    ASSERT_FALSE(token.empty());
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    auto stub = v1::CustomerService::NewStub(channel);
    std::atomic<bool> stop{false};
    std::atomic<int> writes{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        std::string last_id;
        for (int i = 0; !stop.load() && i < 100000; ++i) {
          grpc::Status status;
          if (i % 3 == 2 && !last_id.empty()) {
            v1::UpdateCustomerRequest update;
            update.mutable_customer()->set_id(last_id);
            update.mutable_customer()->set_owner("owner-" + std::to_string(i));
            update.mutable_update_mask()->add_paths("owner");
            v1::Customer out;
            status = stub->UpdateCustomer(Call().get(), update, &out);
            if (status.ok()) {
              std::lock_guard<std::mutex> lock(mu);
              acked[out.id()] = std::max(acked[out.id()], out.revision());
            }
          } else {
            v1::CreateCustomerRequest create;
            create.mutable_customer()->set_display_name("Writer " + std::to_string(t));
            create.mutable_customer()->add_tags("t" + std::to_string(i % 7));
            v1::Customer out;
            status = stub->CreateCustomer(Call().get(), create, &out);
            if (status.ok()) {
              std::lock_guard<std::mutex> lock(mu);
              acked[out.id()] = std::max(acked[out.id()], out.revision());
              last_id = out.id();
            }
          }
          if (status.ok())
            ++writes;
          else if (stop.load())
            break;
        }
      });
    }
    // Kill mid-stream once a good number of writes are acknowledged.
    for (int i = 0; i < 500 && writes.load() < (sync ? 200 : 2000); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int status = server.KillAndWait(SIGKILL);
    stop = true;
    for (auto& w : writers) w.join();
    EXPECT_TRUE(WIFSIGNALED(status));
  }
  ASSERT_GT(acked.size(), 50u);

  testing::RapportdProcess restarted(RAPPORTD_PATH, dir.Sub("data"), flags);
  ASSERT_FALSE(restarted.address().empty());
  auto channel = grpc::CreateChannel(restarted.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::CustomerService::NewStub(channel);
  for (const auto& [id, revision] : acked) {
    v1::GetCustomerRequest get;
    get.set_id(id);
    v1::Customer out;
    grpc::Status status = stub->GetCustomer(Call().get(), get, &out);
    ASSERT_TRUE(status.ok()) << "acknowledged " << id << " lost: " << status.error_message();
    EXPECT_GE(out.revision(), revision) << id;
  }
  auto admin = v1::AdminService::NewStub(channel);
  v1::CheckConsistencyResponse report;
  ASSERT_TRUE(admin->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &report).ok());
  EXPECT_TRUE(report.consistent()) << report.DebugString();
  EXPECT_GE(report.records_checked(), acked.size());
  EXPECT_EQ(restarted.KillAndWait(SIGTERM), 0) << "graceful stop should exit 0";
}

INSTANTIATE_TEST_SUITE_P(Durability, CrashTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sync" : "WalNoSync"; });

TEST(RapportdProcessTest, RefusesASecondServerOnTheSameDataDir) {
  testing::TempDir dir;
  testing::RapportdProcess first(RAPPORTD_PATH, dir.Sub("data"));
  ASSERT_FALSE(first.address().empty());
  testing::RapportdProcess second(RAPPORTD_PATH, dir.Sub("data"));
  EXPECT_TRUE(second.address().empty());
  EXPECT_NE(second.KillAndWait(0), 0);
}

}  // namespace
}  // namespace rapport
