// File: core/store/backup.h
//
// Online backups of the whole database (every tenant's records, indexes,
// feed, identity, plugin keyspaces and timers: they are all column families
// of the one RocksDB) with RocksDB's BackupEngine, and restoring one into a
// new data directory. A backup is a consistent point in time taken while
// writes continue: BackupEngine pins the live files and copies the
// write-ahead log with them, so every write acknowledged before the backup
// began is in it. Backups in one folder share unchanged files (incremental).
//
//   auto info = store::CreateBackup(db, "/backups/rapport");   // online
//   store::RestoreBackup("/backups/rapport", 0, "/srv/rapport/new-data");
//
// rapportctl backup (AdminService.CreateBackup) and rapportctl restore call
// these; docs/operations.md has the procedure.
#ifndef RAPPORT_CORE_STORE_BACKUP_H_
#define RAPPORT_CORE_STORE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/store/database.h"

namespace rapport::store {

struct BackupInfo {
  uint32_t backup_id = 0;
  int64_t timestamp = 0;  // Unix seconds
  uint64_t size_bytes = 0;
  uint32_t files = 0;
};

// Adds a backup of `db` to the backup folder `dir` (an absolute path, created
// if missing). INVALID_ARGUMENT naming `destination` for a relative path.
absl::StatusOr<BackupInfo> CreateBackup(Database* db, const std::string& dir);

// Checks backup `backup_id` (0: the latest) in `dir` against its checksums,
// then restores it into `data_dir`, which must not exist or be empty.
// Returns what was restored. Offline: no server may use `data_dir`.
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& dir, uint32_t backup_id,
                                         const std::string& data_dir);

}  // namespace rapport::store

#endif  // RAPPORT_CORE_STORE_BACKUP_H_
