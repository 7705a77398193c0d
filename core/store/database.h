// File: core/store/database.h
//
// Opens the single RocksDB database with the host-owned column families of
// core/store/keyspace.h and hands out handles. All mutations go through
// Write(), one WriteBatch per logical change.
#ifndef RAPPORT_CORE_STORE_DATABASE_H_
#define RAPPORT_CORE_STORE_DATABASE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/file_system.h"

namespace rapport::store {

struct DatabaseOptions {
  std::string path;
  // Acknowledge writes only after fsync of the WAL (survives power loss).
  // Off: the WAL is written before acknowledging, so a killed process loses
  // nothing, but an OS crash may lose the last writes.
  bool sync = false;
  // Shared LRU block cache size.
  size_t block_cache_bytes = 128 << 20;
  // Memtables of all column families together (a WriteBufferManager charged
  // to the block cache): past it, the largest memtable is flushed. 0: no cap
  // (each family's own write buffers only).
  size_t memtable_budget_bytes = 64 << 20;
  // Free space Write() keeps on the data directory's file system: below it,
  // writes are refused (RESOURCE_EXHAUSTED) before RocksDB runs out of
  // space. RocksDB must never meet a full disk: a failed write to its own
  // LOG file is followed by another, which fails an assertion in Debian's
  // build and aborts the process (disk_full_test found it). The reserve
  // leaves room for memtable flushes and compactions. 0: no reserve.
  uint64_t min_free_disk_bytes = 256 << 20;
  // Tests only: the file system RocksDB works through (default: the
  // operating system's), e.g. one that makes WAL syncs fail.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// Thread-safe (RocksDB is). Closes the database on destruction.
class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* entity() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* index() const { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* feed() const { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* counters() const { return handles_[5]; }
  // Every column family, the default one first (for properties summed over
  // them).
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const { return handles_; }
  // RocksDB's tickers (block cache hits and misses, stall time; no timers).
  rocksdb::Statistics* statistics() const { return statistics_.get(); }

  // Applies the batch atomically with the configured durability.
  //
  // With less free space than DatabaseOptions::min_free_disk_bytes on the
  // data directory's file system (measured every 100 ms, less the batches
  // written since):
  // RESOURCE_EXHAUSTED saying so, and nothing of the batch is written.
  // Writes succeed again as soon as space returns, without a restart;
  // reads go on throughout.
  absl::Status Write(rocksdb::WriteBatch* batch);
  // Whether every Write() fsyncs the WAL before returning: the sync flag of
  // the write options Write() passes to RocksDB (DatabaseOptions::sync).
  bool sync_writes() const { return write_options_.sync; }
  // For group commit (core/feed/change_feed.h): Write() without the fsync,
  // whatever DatabaseOptions::sync says. The batch is in the WAL (the OS's
  // page cache) and the memtable, and visible to readers, when it returns;
  // SyncWal() then makes it and everything written before it durable.
  absl::Status WriteUnsynced(rocksdb::WriteBatch* batch);
  // fsyncs the WAL: every batch written before the call survives power loss
  // once it returns OK.
  absl::Status SyncWal();

  // The write-ahead log's activity since Open, as RocksDB itself counts it
  // (the "Cumulative WAL" line of the rocksdb.dbstats property, which needs
  // no Statistics object): writes that went to the WAL and WAL syncs, plus
  // the SyncWal() calls (exact), which RocksDB does not count there. With
  // sync on there is at least one sync per acknowledged write group; with
  // sync off there are none. RocksDB prints the numbers exactly below
  // 10,000 and rounded down to thousands (K), millions (M) or billions (G)
  // above; the values here are those, expanded.
  struct WalStats {
    uint64_t writes = 0;
    uint64_t syncs = 0;
  };
  absl::StatusOr<WalStats> GetWalStats() const;
  // Returns the value, NotFound, or an Internal error.
  absl::StatusOr<std::string> Get(rocksdb::ColumnFamilyHandle* family, std::string_view key,
                                  const rocksdb::Snapshot* snapshot = nullptr) const;
  std::unique_ptr<rocksdb::Iterator> NewIterator(rocksdb::ColumnFamilyHandle* family,
                                                 const rocksdb::Snapshot* snapshot = nullptr) const;

  // Flushes memtables and closes. Called by the destructor if not before.
  absl::Status Close();

 private:
  Database() = default;
  // OK, or RESOURCE_EXHAUSTED if writing `batch_bytes` would leave less
  // free space than the reserve.
  absl::Status CheckFreeSpace(uint64_t batch_bytes);

  // DatabaseOptions::file_system's Env; outlives db_.
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  uint64_t min_free_disk_bytes_ = 0;
  // When free space was last measured (steady clock, microseconds; -1: not
  // yet), and that figure less the batches written since.
  std::atomic<int64_t> free_checked_micros_{-1};
  std::atomic<int64_t> free_bytes_{0};
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  absl::Status WriteWith(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch);

  rocksdb::WriteOptions write_options_;
  rocksdb::WriteOptions unsynced_write_options_;
  std::atomic<uint64_t> wal_syncs_{0};  // SyncWal() calls that succeeded
  bool closed_ = false;
};

// Maps a RocksDB status onto absl (NotFound stays NotFound, a full disk is
// ResourceExhausted; the rest is Internal or Unavailable with the RocksDB
// message).
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what);

// Encodes an int64 for the counters family's add operator.
std::string EncodeCounterDelta(int64_t delta);
int64_t DecodeCounter(std::string_view value);

}  // namespace rapport::store

#endif  // RAPPORT_CORE_STORE_DATABASE_H_
