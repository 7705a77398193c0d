// Online backup and restore (AdminService.CreateBackup, store::RestoreBackup,
// what rapportctl backup and restore call): a backup taken while four
// clients keep creating customers holds every create acknowledged before the
// backup began; restored into a new data directory, a real server on it
// answers each of them and fsck is clean. Bad inputs are refused by name.
#include "core/store/backup.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class BackupTest : public testing::ServerTest {
 protected:
  grpc::Status Backup(const std::string& destination, v1::CreateBackupResponse* out,
                      const std::string& token = "") {
    auto admin = v1::AdminService::NewStub(channel_);
    v1::CreateBackupRequest request;
    request.set_destination(destination);
    return admin->CreateBackup(Call(token).get(), request, out);
  }
};

TEST_F(BackupTest, ABackupUnderWriteLoadHoldsEveryAcknowledgedWriteAndRestoresClean) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  // Each acknowledged create, with when its answer arrived.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto stub = v1::CustomerService::NewStub(channel_);
      for (int i = 0; !stop.load() && i < 5000; ++i) {
        v1::CreateCustomerRequest request;
        request.mutable_customer()->set_display_name(absl::StrCat("고객 ", w, "-", i));
        v1::Customer created;
        if (!stub->CreateCustomer(Call().get(), request, &created).ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.emplace_back(std::chrono::steady_clock::now(), created.id());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto began = std::chrono::steady_clock::now();
  const std::string backups = dir_.Sub("backups");
  v1::CreateBackupResponse info;
  grpc::Status s = Backup(backups, &info);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // writes go on after it
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GT(info.files(), 0u);
  EXPECT_GT(info.size_bytes(), 0u);
  std::vector<std::string> before;
  size_t after = 0;
  for (const auto& [when, id] : acknowledged) {
    if (when < began) {
      before.push_back(id);
    } else {
      ++after;
    }
  }
  ASSERT_GT(before.size(), 20u);
  ASSERT_GT(after, 0u) << "no write raced the backup";

  // A second backup into the same folder shares files and gets the next id.
  v1::CreateBackupResponse second;
  ASSERT_TRUE(Backup(backups, &second).ok());
  EXPECT_EQ(second.backup_id(), info.backup_id() + 1);

  const std::string restored = dir_.Sub("restored");
  auto result = store::RestoreBackup(backups, info.backup_id(), restored);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->backup_id, info.backup_id());
  const std::string original_token = admin_token_;
  server_.reset();

  // A server on the restored directory: every acknowledged-before write is
  // there, and the record/index/feed check is clean. The old tokens work.
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = restored;
  auto server = services::RapportServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto customers = v1::CustomerService::NewStub(channel);
  auto call = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + original_token);
    return ctx;
  };
  size_t missing = 0;
  for (const std::string& id : before) {
    v1::GetCustomerRequest get;
    get.set_id(id);
    v1::Customer got;
    if (!customers->GetCustomer(call().get(), get, &got).ok()) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << before.size() << " writes acknowledged before the backup";
  auto admin = v1::AdminService::NewStub(channel);
  v1::CheckConsistencyResponse fsck;
  ASSERT_TRUE(admin->CheckConsistency(call().get(), v1::CheckConsistencyRequest(), &fsck).ok());
  EXPECT_TRUE(fsck.consistent()) << fsck.DebugString();
  EXPECT_GE(fsck.records_checked(), before.size());
  std::cout << before.size() << " creates acknowledged before the backup, " << after
            << " after; backup " << info.files() << " files, " << info.size_bytes()
            << " bytes; restored: all present, fsck consistent\n";
}

TEST_F(BackupTest, BadBackupsAndRestoresAreRefusedByName) {
  v1::CreateBackupResponse out;
  grpc::Status s = Backup("relative/dir", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("destination"));
  s = Backup("", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("destination"));
  // Only the operator backs up: a backup holds every tenant.
  const std::string other_admin = CreateTenant("other");
  s = Backup(dir_.Sub("nope"), &out, other_admin);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("operator"));
  EXPECT_FALSE(fs::exists(dir_.Sub("nope")));

  // Restores: no such folder, not a backup folder, a data directory in use.
  auto missing = store::RestoreBackup(dir_.Sub("no-such"), 0, dir_.Sub("r1"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string empty = dir_.Sub("empty");
  fs::create_directories(empty);
  auto none = store::RestoreBackup(empty, 0, dir_.Sub("r2"));
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("holds no backup"));
  ASSERT_TRUE(Backup(dir_.Sub("b"), &out).ok());
  auto into_used = store::RestoreBackup(dir_.Sub("b"), 0, dir_.Sub("data"));
  EXPECT_EQ(into_used.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(into_used.status().message(), HasSubstr("is not empty"));
  auto unknown_id = store::RestoreBackup(dir_.Sub("b"), 99, dir_.Sub("r3"));
  EXPECT_EQ(unknown_id.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown_id.status().message(), HasSubstr("backup_id: no backup 99"));
  // A backup whose files were damaged fails its checksums and restores
  // nothing.
  fs::path biggest;
  uintmax_t biggest_size = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.Sub("b"))) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || path.find("/meta/") != std::string::npos) continue;
    if (entry.file_size() > biggest_size) {
      biggest = entry.path();
      biggest_size = entry.file_size();
    }
  }
  ASSERT_GT(biggest_size, 32u);
  {
    std::fstream f(biggest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(biggest_size / 2));
    f.write("XXXXXXXX", 8);
  }
  auto damaged = store::RestoreBackup(dir_.Sub("b"), 0, dir_.Sub("r4"));
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss) << damaged.status();
}

}  // namespace
}  // namespace rapport
