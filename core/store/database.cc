#include "core/store/database.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/common/strings.h"
#include "core/store/keyspace.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"

namespace rapport::store {
namespace {

// Signed 64-bit add, little-endian fixed width. Hand-written because RocksDB's
// own uint64add operator lives in an internal header the Debian package does
// not install; this is the documented AssociativeMergeOperator pattern.
class Int64AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t base = existing ? DecodeCounter(existing->ToStringView()) : 0;
    *new_value = EncodeCounterDelta(base + DecodeCounter(value.ToStringView()));
    return true;
  }
  const char* Name() const override { return "RapportInt64Add"; }
};

}  // namespace

std::string EncodeCounterDelta(int64_t delta) {
  std::string s(8, '\0');
  uint64_t u = static_cast<uint64_t>(delta);
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(u >> (8 * i));
  return s;
}

int64_t DecodeCounter(std::string_view value) {
  if (value.size() != 8) return 0;
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(value[i]);
  return static_cast<int64_t>(u);
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(AsAbsl(what), ": not found"));
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(AsAbsl(what), ": the disk holding the data directory is full (", s.ToString(),
                     "); nothing was written. Free space and retry"));
  }
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain())
    return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
  return absl::InternalError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  db_options.keep_log_file_num = 4;
  // Tickers only (block cache hits and misses, stall time) for /metrics:
  // per-core counters, no timers or histograms on the read and write paths.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // One memtable budget for the six families, counted inside the block
  // cache, so RocksDB's memory is bounded by the cache size (docs/
  // performance.md, finding 6: per-family write buffers alone could reach
  // 576 MiB).
  if (options.memtable_budget_bytes > 0) {
    db_options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
        options.memtable_budget_bytes, table.block_cache);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions cf;
  cf.OptimizeLevelStyleCompaction(64 << 20);
  cf.max_write_buffer_number = 3;  // OptimizeLevelStyleCompaction allows 6 per family
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  rocksdb::ColumnFamilyOptions counters_cf = cf;
  counters_cf.merge_operator = std::make_shared<Int64AddOperator>();

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, cf},
                                                           {kMetaFamily, cf},
                                                           {kEntityFamily, cf},
                                                           {kIndexFamily, cf},
                                                           {kFeedFamily, cf},
                                                           {kCountersFamily, counters_cf}};
  auto database = std::unique_ptr<Database>(new Database());
  if (options.file_system) {
    database->env_ = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = database->env_.get();
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::DBOptions dbo(db_options);
  rocksdb::Status s = rocksdb::DB::Open(dbo, options.path, families, &database->handles_, &raw);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open RocksDB at '", options.path, "': ", s.ToString()));
  }
  database->db_.reset(raw);
  database->statistics_ = dbo.statistics;
  database->write_options_.sync = options.sync;
  database->path_ = options.path;
  database->min_free_disk_bytes_ = options.min_free_disk_bytes;
  // The first measurement, before any writer can read the figure (the
  // answer itself does not matter here).
  (void)database->CheckFreeSpace(0);
  return database;
}

Database::~Database() { (void)Close(); }

absl::Status Database::Close() {
  if (closed_ || !db_) return absl::OkStatus();
  closed_ = true;
  rocksdb::FlushOptions flush;
  rocksdb::Status flushed = db_->Flush(flush, handles_);
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  rocksdb::Status s = db_->Close();
  db_.reset();
  if (!flushed.ok()) return FromRocks(flushed, "flush on close");
  return FromRocks(s, "close");
}

absl::Status Database::Write(rocksdb::WriteBatch* batch) {
  return WriteWith(write_options_, batch);
}

absl::Status Database::WriteUnsynced(rocksdb::WriteBatch* batch) {
  return WriteWith(unsynced_write_options_, batch);
}

absl::Status Database::WriteWith(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch) {
  if (min_free_disk_bytes_ > 0) {
    if (absl::Status space = CheckFreeSpace(batch->GetDataSize()); !space.ok()) return space;
  }
  return FromRocks(db_->Write(options, batch), "write");
}

absl::Status Database::SyncWal() {
  absl::Status synced = FromRocks(db_->SyncWAL(), "WAL sync");
  if (synced.ok()) wal_syncs_.fetch_add(1);
  return synced;
}

absl::Status Database::CheckFreeSpace(uint64_t batch_bytes) {
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t checked = free_checked_micros_.load(std::memory_order_acquire);
  // One writer measures every 100 ms; in between, each write counts its
  // batch against the last figure (its WAL record is about that size), so
  // a burst of writes cannot run past the reserve before the next look.
  if ((checked < 0 || now - checked >= 100'000) &&
      free_checked_micros_.compare_exchange_strong(checked, now)) {
    struct statvfs fs;
    if (statvfs(path_.c_str(), &fs) == 0) {
      free_bytes_.store(static_cast<int64_t>(fs.f_bavail * fs.f_frsize), std::memory_order_release);
    } else {
      free_bytes_.store(INT64_MAX / 2, std::memory_order_release);  // unknown: do not block
    }
  }
  const int64_t free = free_bytes_.load(std::memory_order_acquire);
  if (free - static_cast<int64_t>(batch_bytes) >= static_cast<int64_t>(min_free_disk_bytes_)) {
    free_bytes_.fetch_sub(static_cast<int64_t>(batch_bytes), std::memory_order_acq_rel);
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "write: the disk holding the data directory has ", std::max<int64_t>(free, 0) >> 20,
      " MiB free, below the ", min_free_disk_bytes_ >> 20,
      " MiB kept in reserve (--min-free-disk-mib); nothing was written. Free space and retry"));
}

namespace {

// "1234", "12K", "3M", "2G" (RocksDB's NumberToHumanString) at `*text`;
// advances past it.
bool ParseHumanNumber(std::string_view* text, uint64_t* out) {
  size_t i = 0;
  uint64_t value = 0;
  while (i < text->size() && (*text)[i] >= '0' && (*text)[i] <= '9') {
    value = value * 10 + static_cast<uint64_t>((*text)[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  if (i < text->size()) {
    switch ((*text)[i]) {
      case 'K':
        value *= 1000;
        ++i;
        break;
      case 'M':
        value *= 1000000;
        ++i;
        break;
      case 'G':
        value *= 1000000000;
        ++i;
        break;
      default:
        break;
    }
  }
  text->remove_prefix(i);
  *out = value;
  return true;
}

bool Consume(std::string_view* text, std::string_view word) {
  if (text->substr(0, word.size()) != word) return false;
  text->remove_prefix(word.size());
  return true;
}

}  // namespace

absl::StatusOr<Database::WalStats> Database::GetWalStats() const {
  if (closed_ || !db_) return absl::FailedPreconditionError("the database is closed");
  std::string stats;
  if (!db_->GetProperty(rocksdb::DB::Properties::kDBStats, &stats)) {
    return absl::InternalError("RocksDB did not report rocksdb.dbstats");
  }
  // "Cumulative WAL: 3 writes, 3 syncs, 1.00 writes per sync, written: ..."
  constexpr std::string_view kLine = "Cumulative WAL: ";
  const size_t at = stats.find(kLine);
  WalStats result;
  std::string_view rest(stats);
  if (at != std::string::npos) rest.remove_prefix(at + kLine.size());
  if (at == std::string::npos || !ParseHumanNumber(&rest, &result.writes) ||
      !Consume(&rest, " writes, ") || !ParseHumanNumber(&rest, &result.syncs) ||
      !Consume(&rest, " syncs")) {
    return absl::InternalError(
        absl::StrCat("cannot read the WAL counts in rocksdb.dbstats: ", stats));
  }
  // RocksDB counts the syncs of sync writes there, not SyncWAL()'s.
  result.syncs += wal_syncs_.load();
  return result;
}

absl::StatusOr<std::string> Database::Get(rocksdb::ColumnFamilyHandle* family, std::string_view key,
                                          const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(ro, family, rocksdb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) return FromRocks(s, "get");
  return value;
}

std::unique_ptr<rocksdb::Iterator> Database::NewIterator(rocksdb::ColumnFamilyHandle* family,
                                                         const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, family));
}

}  // namespace rapport::store
