// rapportctl backup (rapport.v1.AdminService.CreateBackup, on the server's
// machine) and restore (local: core/store/backup.h, no server involved).
#include <iostream>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "core/store/backup.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tools/rapportctl/commands.h"
#include "tools/rapportctl/human_text.h"
#include "tools/rapportctl/progress.h"

namespace rapport::ctl {
namespace {

struct RestoreArgs {
  std::string backup_dir;
  std::string data_dir;
  uint32_t backup_id = 0;
};

int Backup(const std::string& destination) {
  auto stub = v1::AdminService::NewStub(channel);
  v1::CreateBackupRequest r;
  r.set_destination(destination);
  v1::CreateBackupResponse out;
  Progress progress("backup", "files");
  // The server does the work in one call; until it answers, the time so far.
  grpc::Status s = progress.WaitFor([&] { return stub->CreateBackup(Call().get(), r, &out); });
  if (!s.ok()) {
    progress.Abandon();
    return Fail(s);
  }
  progress.Done();
  if (g.output == "json") {
    std::cout << Json(out);
  } else {
    std::cout << "backup " << out.backup_id() << " in " << destination << ": " << out.files()
              << " files, " << out.size_bytes() << " bytes\n";
  }
  return 0;
}

int Restore(const RestoreArgs& args) {
  Progress progress("restore", "files");
  auto restored = progress.WaitFor(
      [&] { return store::RestoreBackup(args.backup_dir, args.backup_id, args.data_dir); });
  if (!restored.ok()) {
    progress.Abandon();
    std::cerr << "error: " << absl::StatusCodeToString(restored.status().code()) << ": "
              << restored.status().message() << "\n";
    return 1;
  }
  progress.Done();
  std::cout << "restored backup " << restored->backup_id << " of "
            << HumanTime(absl::FromUnixSeconds(restored->timestamp))
            << " (checksums verified) into " << args.data_dir
            << "; start rapportd --data-dir on it, then rapportctl fsck\n";
  return 0;
}

}  // namespace

void AddBackupCommands(CLI::App& app, Command* chosen) {
  auto* backup = app.add_subcommand(
      "backup",
      "take an online backup of the whole server into DIR on the server's machine "
      "(operator)");
  auto destination = std::make_shared<std::string>();
  backup->add_option("dir", *destination, "absolute path on the server's machine")->required();
  OnParsed(backup, chosen, [destination] { return Backup(*destination); });

  auto* restore = app.add_subcommand(
      "restore", "restore a backup folder into a new data directory (offline, on this machine)");
  auto args = std::make_shared<RestoreArgs>();
  restore->add_option("backup_dir", args->backup_dir, "the folder rapportctl backup wrote")
      ->required();
  restore->add_option("data_dir", args->data_dir, "a new or empty data directory")->required();
  restore->add_option("--backup-id", args->backup_id, "which backup (default: the latest)");
  restore->callback([chosen, args] {
    chosen->run = [args] { return Restore(*args); };
    chosen->needs_token = false;
  });
}

}  // namespace rapport::ctl
