#include "core/store/backup.h"

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/env.h"
#include "rocksdb/utilities/backup_engine.h"

namespace rapport::store {
namespace {

BackupInfo InfoOf(const rocksdb::BackupInfo& info) {
  BackupInfo out;
  out.backup_id = info.backup_id;
  out.timestamp = info.timestamp;
  out.size_bytes = info.size;
  out.files = info.number_files;
  return out;
}

}  // namespace

absl::StatusOr<BackupInfo> CreateBackup(Database* db, const std::string& dir) {
  if (dir.empty() || !std::filesystem::path(dir).is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("destination: '", dir, "' must be an absolute path on the server's machine"));
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("destination: cannot create '", dir, "': ", error.message()));
  }
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus opened =
      rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(dir), rocksdb::Env::Default(), &raw);
  if (!opened.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "destination: '", dir, "' is not a usable backup folder: ", opened.ToString()));
  }
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = false;  // the WAL is copied: nothing acknowledged is missed
  uint32_t id = 0;
  rocksdb::IOStatus made = engine->CreateNewBackup(options, db->db(), &id);
  if (!made.ok()) return FromRocks(made, "backup");
  rocksdb::BackupInfo info;
  rocksdb::Status got = engine->GetBackupInfo(id, &info);
  if (!got.ok()) return FromRocks(got, "backup info");
  return InfoOf(info);
}

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& dir, uint32_t backup_id,
                                         const std::string& data_dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("backup: no folder '", dir, "'"));
  }
  if (std::filesystem::is_empty(dir, error)) {
    return absl::NotFoundError(absl::StrCat("backup: '", dir, "' holds no backup"));
  }
  if (std::filesystem::exists(data_dir, error) && !std::filesystem::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: '", data_dir, "' is not empty; restore into a new data directory"));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(dir), &raw);
  if (!opened.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup: '", dir, "' is not a backup folder: ", opened.ToString()));
  }
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) {
    return absl::NotFoundError(absl::StrCat("backup: '", dir, "' holds no backup"));
  }
  const rocksdb::BackupInfo* chosen = &backups.back();
  if (backup_id != 0) {
    chosen = nullptr;
    for (const auto& b : backups) {
      if (b.backup_id == backup_id) chosen = &b;
    }
    if (chosen == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("backup_id: no backup ", backup_id, " in '", dir, "'"));
    }
  }
  rocksdb::IOStatus verified =
      engine->VerifyBackup(chosen->backup_id, /*verify_with_checksum=*/true);
  if (!verified.ok()) {
    return absl::DataLossError(absl::StrCat("backup ", chosen->backup_id, " in '", dir,
                                            "' fails its checksums: ", verified.ToString()));
  }
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot create '", data_dir, "': ", error.message()));
  }
  rocksdb::IOStatus restored = engine->RestoreDBFromBackup(chosen->backup_id, data_dir, data_dir);
  if (!restored.ok()) return FromRocks(restored, "restore");
  return InfoOf(*chosen);
}

}  // namespace rapport::store
