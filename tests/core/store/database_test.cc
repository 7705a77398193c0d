// The database's durability setting against a real RocksDB in a temp
// directory: with sync on, RocksDB itself counts a WAL sync for every
// acknowledged write; with sync off, none (issue 22: a Write() that silently
// ignored DatabaseOptions::sync passed every other test, because a killed
// process keeps unsynced WAL data in the page cache).
#include "core/store/database.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "tests/testing/temp_dir.h"

namespace rapport::store {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> Open(bool sync, const std::string& name = "db") {
    DatabaseOptions options;
    options.path = dir_.Sub(name);
    options.sync = sync;
    auto db = Database::Open(options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  static void WriteBatches(Database* db, int batches, const std::string& tag = "k") {
    for (int i = 0; i < batches; ++i) {
      rocksdb::WriteBatch batch;
      batch.Put(db->entity(), absl::StrCat(tag, i), "value");
      batch.Put(db->index(), absl::StrCat(tag, i, "/index"), "");
      ASSERT_TRUE(db->Write(&batch).ok());
    }
  }

  static Database::WalStats Wal(const Database& db) {
    auto stats = db.GetWalStats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : Database::WalStats{};
  }

  testing::TempDir dir_;
};

TEST_F(DatabaseTest, WithSyncEveryAcknowledgedWriteSyncsTheWal) {
  auto db = Open(/*sync=*/true);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->sync_writes());
  const Database::WalStats before = Wal(*db);
  EXPECT_EQ(before.syncs, 0u);
  constexpr int kBatches = 7;
  WriteBatches(db.get(), kBatches);
  const Database::WalStats after = Wal(*db);
  EXPECT_EQ(after.writes - before.writes, uint64_t{kBatches});
  // One writer at a time: every write is its own write group, so each one
  // was synced before Write() returned.
  EXPECT_GE(after.syncs - before.syncs, uint64_t{kBatches});
}

TEST_F(DatabaseTest, WithSyncConcurrentWritersShareSyncsButNoWriteGoesUnsynced) {
  auto db = Open(/*sync=*/true);
  ASSERT_NE(db, nullptr);
  constexpr int kThreads = 4, kPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { WriteBatches(db.get(), kPerThread, absl::StrCat("t", t, "/")); });
  }
  for (auto& t : threads) t.join();
  const Database::WalStats wal = Wal(*db);
  EXPECT_EQ(wal.writes, uint64_t{kThreads * kPerThread});
  // Group commit may fold several writers into one sync, but there is at
  // least one, and never more than one per write.
  EXPECT_GE(wal.syncs, 1u);
  EXPECT_LE(wal.syncs, wal.writes);
}

TEST_F(DatabaseTest, WithoutSyncWritesGoToTheWalButAreNeverSynced) {
  auto db = Open(/*sync=*/false);
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(db->sync_writes());
  constexpr int kBatches = 7;
  WriteBatches(db.get(), kBatches);
  const Database::WalStats wal = Wal(*db);
  EXPECT_EQ(wal.writes, uint64_t{kBatches});
  EXPECT_EQ(wal.syncs, 0u);
}

TEST_F(DatabaseTest, TheSettingFollowsTheOptionsOfEachOpen) {
  // The same data directory, reopened the other way: the counts restart and
  // follow the new setting.
  {
    auto db = Open(/*sync=*/false, "shared");
    ASSERT_NE(db, nullptr);
    WriteBatches(db.get(), 3, "a");
    EXPECT_EQ(Wal(*db).syncs, 0u);
  }
  {
    auto db = Open(/*sync=*/true, "shared");
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(db->sync_writes());
    WriteBatches(db.get(), 3, "b");
    EXPECT_GE(Wal(*db).syncs, 3u);
    EXPECT_TRUE(db->Get(db->entity(), "a2").ok());  // what the first open wrote
  }
  {
    auto db = Open(/*sync=*/false, "shared");
    ASSERT_NE(db, nullptr);
    WriteBatches(db.get(), 3, "c");
    EXPECT_EQ(Wal(*db).syncs, 0u);
  }
}

TEST_F(DatabaseTest, LargeCountsAreReadInRocksDbsRoundedForm) {
  // Past 9,999 RocksDB prints "12K": read as 12,000, never more than the
  // real count and never the parse error of a suffix it did not expect.
  auto db = Open(/*sync=*/false);
  ASSERT_NE(db, nullptr);
  constexpr int kBatches = 12345;
  for (int i = 0; i < kBatches; ++i) {
    rocksdb::WriteBatch batch;
    batch.Put(db->entity(), absl::StrCat("k", i), "v");
    ASSERT_TRUE(db->Write(&batch).ok());
  }
  const Database::WalStats wal = Wal(*db);
  EXPECT_EQ(wal.writes, 12000u);
  EXPECT_EQ(wal.syncs, 0u);
}

TEST_F(DatabaseTest, StatsOfAClosedDatabaseAreAnErrorNotACrash) {
  auto db = Open(/*sync=*/true);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(db->GetWalStats().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rapport::store
