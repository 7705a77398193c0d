// sync_bench: bulk import throughput, change-feed catch-up throughput, and
// how long an online backup, its restore and fsck of the restored copy take.
//
//   sync_bench [--rows 1000000] [--smoke] [--sync]
//
// Starts rapportd in-process (127.0.0.1:0, fresh RocksDB in a temp dir),
// writes a CSV of realistic Korean customers (name, email, +82 mobile, ERP
// code, tag), imports it through DataService.Import exactly as
// `rapportctl import` does (rows/s), re-imports it (all unchanged, rows/s),
// then reads the whole change feed with EventService.Subscribe from the start
// (events/s). Then backs the server up (AdminService.CreateBackup, as
// `rapportctl backup`), restores the backup into a new data directory
// (store::RestoreBackup, as `rapportctl restore`), starts a second server on
// it and runs fsck (AdminService.CheckConsistency), timing each step and
// checking that the restored copy is consistent and holds every row.
// Prints a table and one JSON line.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "CLI/CLI.hpp"
#include "core/store/backup.h"
#include "core/validation/phone.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "services/server/server.h"
#include "tools/common/import_export.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = rapport::v1;

std::string token;

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

void WriteCsv(const std::string& path, int rows) {
  static const char* kFamily[] = {"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"};
  static const char* kGiven[] = {"민수", "서연", "지훈", "하은", "도윤",
                                 "수아", "예준", "지민", "현우", "유진"};
  std::mt19937_64 rng(7);
  std::ofstream out(path);
  out << "display_name,emails,phones,external_refs.erp,tags\n";
  for (int i = 0; i < rows; ++i) {
    std::string phone;
    do {
      phone =
          "010-" + std::to_string(2000 + rng() % 8000) + "-" + std::to_string(1000 + rng() % 9000);
    } while (!rapport::validation::NormalizePhone(phone, "KR").ok());
    out << kFamily[rng() % 10] << kGiven[rng() % 10] << ",customer" << i << "@example.co.kr,"
        << phone << ",ERP-" << i << "," << (i % 3 ? "b2b" : "b2c") << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 1000000;
  bool smoke = false, sync = false;
  CLI::App app{"sync_bench: import and change-feed catch-up throughput"};
  app.add_option("--rows", rows, "customers to import")->check(CLI::Range(1, 100000000));
  app.add_flag("--smoke", smoke, "10,000 rows (CI)");
  app.add_flag("--sync", sync, "fsync every write batch");
  CLI11_PARSE(app, argc, argv);
  if (smoke) rows = 10000;

  const auto dir =
      std::filesystem::temp_directory_path() / ("rapport-sync-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  rapport::services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = (dir / "data").string();
  options.sync = sync;
  options.max_message_bytes = 16 << 20;
  auto server = rapport::services::RapportServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "cannot start rapportd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::ifstream((dir / "data" / "admin.token").string()) >> token;
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto data = v1::DataService::NewStub(channel);
  auto events = v1::EventService::NewStub(channel);

  const std::string csv = (dir / "customers.csv").string();
  WriteCsv(csv, rows);
  const double csv_mib = std::filesystem::file_size(csv) / 1048576.0;

  rapport::tools::ImportOptions import;
  import.type = v1::RESOURCE_TYPE_CUSTOMER;
  import.path = csv;
  auto t0 = Clock::now();
  auto first = rapport::tools::ImportFile(*data, Call(), v1::AttributeSchema(), import);
  double import_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!first.ok() || first->created() != static_cast<uint64_t>(rows)) {
    std::fprintf(stderr, "import failed: %s\n",
                 first.ok() ? first->DebugString().substr(0, 500).c_str()
                            : first.status().ToString().c_str());
    return 1;
  }
  t0 = Clock::now();
  auto again = rapport::tools::ImportFile(*data, Call(), v1::AttributeSchema(), import);
  double reimport_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!again.ok() || again->unchanged() != static_cast<uint64_t>(rows)) {
    std::fprintf(stderr, "re-import was not all unchanged\n");
    return 1;
  }

  // Catch up on the whole feed from the start.
  v1::SubscribeRequest request;
  request.set_max_events(static_cast<uint32_t>(rows) + 1);  // the bootstrap event + one per row
  t0 = Clock::now();
  auto ctx = Call();
  auto reader = events->Subscribe(ctx.get(), request);
  v1::SubscribeResponse response;
  uint64_t received = 0, bytes = 0;
  while (reader->Read(&response)) {
    if (response.has_event()) {
      ++received;
      bytes += response.ByteSizeLong();
    }
  }
  grpc::Status status = reader->Finish();
  double feed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!status.ok() || received != static_cast<uint64_t>(rows) + 1) {
    std::fprintf(stderr, "feed catch-up got %llu events: %s\n",
                 static_cast<unsigned long long>(received), status.error_message().c_str());
    return 1;
  }
  // Backup (online, while the server serves), restore, fsck of the copy.
  auto admin = v1::AdminService::NewStub(channel);
  v1::CreateBackupRequest backup_request;
  backup_request.set_destination((dir / "backups").string());
  v1::CreateBackupResponse backup;
  t0 = Clock::now();
  status = admin->CreateBackup(Call().get(), backup_request, &backup);
  const double backup_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!status.ok()) {
    std::fprintf(stderr, "backup failed: %s\n", status.error_message().c_str());
    return 1;
  }
  t0 = Clock::now();
  auto restored =
      rapport::store::RestoreBackup((dir / "backups").string(), 0, (dir / "restored").string());
  const double restore_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!restored.ok()) {
    std::fprintf(stderr, "restore failed: %s\n", restored.status().ToString().c_str());
    return 1;
  }
  rapport::services::ServerOptions restored_options = options;
  restored_options.data_dir = (dir / "restored").string();
  auto copy = rapport::services::RapportServer::Start(restored_options);
  if (!copy.ok()) {
    std::fprintf(stderr, "cannot start on the restored copy: %s\n",
                 copy.status().ToString().c_str());
    return 1;
  }
  auto copy_admin = v1::AdminService::NewStub(
      grpc::CreateChannel((*copy)->address(), grpc::InsecureChannelCredentials()));
  v1::CheckConsistencyResponse fsck;
  t0 = Clock::now();
  status = copy_admin->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &fsck);
  const double fsck_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!status.ok() || !fsck.consistent() || fsck.records_checked() < static_cast<uint64_t>(rows)) {
    std::fprintf(stderr, "fsck of the restored copy: %s consistent=%d records=%llu\n",
                 status.error_message().c_str(), fsck.consistent(),
                 static_cast<unsigned long long>(fsck.records_checked()));
    return 1;
  }
  copy->reset();

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double disk_mib = [&] {
    uint64_t total = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir / "data"))
      if (e.is_regular_file()) total += e.file_size();
    return total / 1048576.0;
  }();

  std::printf("sync_bench  rows=%d  sync=%s  csv=%.1f MiB  hardware_threads=%u\n", rows,
              sync ? "on" : "off", csv_mib, std::thread::hardware_concurrency());
  std::printf("%-40s %12s %12s\n", "workload", "seconds", "per second");
  std::printf("%-40s %12.2f %12.0f rows/s\n", "import (create, 500-row batches)", import_s,
              rows / import_s);
  std::printf("%-40s %12.2f %12.0f rows/s\n", "re-import (all unchanged)", reimport_s,
              rows / reimport_s);
  std::printf("%-40s %12.2f %12.0f events/s (%.0f MiB/s)\n", "Subscribe catch-up from sequence 0",
              feed_s, received / feed_s, bytes / 1048576.0 / feed_s);
  std::printf("%-40s %12.2f %12.0f MiB/s (%u files, %.0f MiB)\n", "backup (online, CreateBackup)",
              backup_s, backup.size_bytes() / 1048576.0 / backup_s, backup.files(),
              backup.size_bytes() / 1048576.0);
  std::printf("%-40s %12.2f %12.0f MiB/s (checksums verified first)\n",
              "restore into a new data directory", restore_s,
              restored->size_bytes / 1048576.0 / restore_s);
  std::printf("%-40s %12.2f %12.0f records/s (consistent)\n", "fsck of the restored copy", fsck_s,
              fsck.records_checked() / fsck_s);
  std::printf("peak RSS (client + in-process server): %ld MiB; data directory %.0f MiB\n",
              usage.ru_maxrss / 1024, disk_mib);
  std::printf(
      "{\"rows\":%d,\"sync\":%s,\"import_rows_per_s\":%.0f,\"reimport_rows_per_s\":%.0f,"
      "\"feed_events_per_s\":%.0f,\"backup_s\":%.2f,\"backup_mib\":%.0f,\"restore_s\":%.2f,"
      "\"fsck_s\":%.2f,\"peak_rss_mib\":%ld,\"disk_mib\":%.0f}\n",
      rows, sync ? "true" : "false", rows / import_s, rows / reimport_s, received / feed_s,
      backup_s, backup.size_bytes() / 1048576.0, restore_s, fsck_s, usage.ru_maxrss / 1024,
      disk_mib);
  server->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
