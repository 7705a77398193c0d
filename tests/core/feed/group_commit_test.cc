// Group commit (core/feed/change_feed.h) on a real RocksDB in a temp
// directory: under --sync a batch is written under the commit lock without
// its fsync, and releasing the lock waits until the WAL is synced through
// it. Writers share fsyncs; an event is published only once durable; no
// sequence is lost or repeated.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "core/feed/change_feed.h"
#include "core/records/record_store.h"
#include "google/protobuf/field_mask.pb.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rocksdb/file_system.h"
#include "rocksdb/write_batch.h"
#include "tests/testing/temp_dir.h"

namespace rapport::feed {
namespace {

class GroupCommitTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    store::DatabaseOptions options;
    options.path = dir_.Sub("db");
    options.sync = sync();
    auto db = store::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = records::RecordStore::Open(db_.get(), &Clock::Real(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  bool sync() const { return GetParam(); }
  ChangeFeed* feed() const { return store_->feed(); }

  static RequestContext Ctx() {
    RequestContext ctx;
    ctx.tenant = 1;
    ctx.principal = "test";
    return ctx;
  }

  // Every event of tenant 1 the feed serves now.
  std::vector<v1::ChangeEvent> ReadAll() const {
    auto events = feed()->Read(1, 0, 1 << 20);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<v1::ChangeEvent>();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<records::RecordStore> store_;
};

v1::ChangeEvent SchemaEvent(const std::string& subject) {
  v1::ChangeEvent event;
  event.set_operation(v1::CHANGE_OPERATION_UPDATE);
  event.set_subject(subject);
  return event;
}

TEST_P(GroupCommitTest, AnEventIsPublishedOnlyWhenTheLockIsReleased) {
  const uint64_t before = feed()->last_sequence();
  auto lock = feed()->LockCommits();
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), "group-commit-test", "1");
  ASSERT_TRUE(feed()->CommitWithEventLocked(Ctx(), &batch, SchemaEvent("test/one")).ok());
  EXPECT_EQ(feed()->written_sequence(), before + 1);
  // The write itself is visible at once, with or without --sync.
  EXPECT_TRUE(db_->Get(db_->meta(), "group-commit-test").ok());
  if (sync()) {
    // Not yet durable: neither the head nor a reader of the feed sees it.
    EXPECT_EQ(feed()->last_sequence(), before);
    EXPECT_TRUE(ReadAll().empty());
  } else {
    EXPECT_EQ(feed()->last_sequence(), before + 1);
  }
  ASSERT_TRUE(lock.Release().ok());
  EXPECT_EQ(feed()->last_sequence(), before + 1);
  auto events = ReadAll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence(), before + 1);
  EXPECT_EQ(events[0].subject(), "test/one");
  // Released twice is a no-op.
  EXPECT_TRUE(lock.Release().ok());
  const auto counts = feed()->sync_counts();
  EXPECT_EQ(counts.syncs, sync() ? 1u : 0u);
  EXPECT_EQ(counts.batches, sync() ? 1u : 0u);
}

TEST_P(GroupCommitTest, AFailedWriteTakesNoSequenceAndIsNeverPublished) {
  // A second database whose free-space reserve no disk meets: every write is
  // refused before RocksDB sees it.
  store::DatabaseOptions options;
  options.path = dir_.Sub("full");
  options.sync = sync();
  options.min_free_disk_bytes = uint64_t{1} << 62;
  auto db = store::Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  auto feed = ChangeFeed::Open(db->get(), &Clock::Real());
  ASSERT_TRUE(feed.ok()) << feed.status();
  rocksdb::WriteBatch batch;
  batch.Put((*db)->meta(), "refused", "1");
  absl::Status s = (*feed)->CommitWithEvent(Ctx(), &batch, SchemaEvent("test/refused"));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ((*feed)->written_sequence(), 0u);
  EXPECT_EQ((*feed)->last_sequence(), 0u);
  EXPECT_EQ((*feed)->sync_counts().syncs, 0u);
  EXPECT_TRUE(absl::IsNotFound((*db)->Get((*db)->meta(), "refused").status()));
}

// Sixteen writers creating customers at once: every create is acknowledged
// with its event already published, the feed's sequences are 1..N without a
// gap or a repeat, and under --sync the writers shared fsyncs.
TEST_P(GroupCommitTest, ConcurrentWritersShareSyncsAndLoseNoSequence) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  auto wal_before = db_->GetWalStats();
  ASSERT_TRUE(wal_before.ok()) << wal_before.status();
  std::atomic<int> failures{0};
  std::atomic<int> unpublished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        v1::Customer c;
        c.set_display_name("그룹 " + std::to_string(t) + "-" + std::to_string(i));
        c.set_owner("u1");
        auto created = store_->Create(Ctx(), records::ResourceType::kCustomer, c, "");
        if (!created.ok()) {
          ++failures;
          continue;
        }
        // Acknowledged: its event must already be readable from the feed.
        const std::string& id = static_cast<const v1::Customer&>(**created).id();
        bool found = false;
        for (const auto& e : ReadAll()) found = found || e.resource_id() == id;
        if (!found) ++unpublished;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(unpublished.load(), 0);

  auto events = ReadAll();
  ASSERT_EQ(events.size(), size_t{kThreads * kPerThread});
  std::set<std::string> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1) << "a gap or a repeat in the feed";
    ids.insert(events[i].resource_id());
  }
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(feed()->last_sequence(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(feed()->written_sequence(), feed()->last_sequence());

  auto wal_after = db_->GetWalStats();
  ASSERT_TRUE(wal_after.ok()) << wal_after.status();
  const uint64_t syncs = wal_after->syncs - wal_before->syncs;
  const auto counts = feed()->sync_counts();
  if (sync()) {
    // Every batch was made durable, by fewer fsyncs than batches: sixteen
    // writers that each need about a millisecond of fsync overlap.
    EXPECT_EQ(counts.batches, uint64_t{kThreads * kPerThread});
    // Every WAL sync RocksDB counted was a group commit's: no write synced
    // on its own.
    EXPECT_EQ(syncs, counts.syncs);
    EXPECT_LT(counts.syncs, counts.batches);
    std::printf("group commit: %d writes, %llu syncs (%.1f writes per sync)\n",
                kThreads * kPerThread, static_cast<unsigned long long>(counts.syncs),
                static_cast<double>(counts.batches) / static_cast<double>(counts.syncs));
  } else {
    EXPECT_EQ(syncs, 0u);
    EXPECT_EQ(counts.syncs, 0u);
  }
}

// An idempotent retry of a write is answered from the first attempt's
// record, and writes nothing.
TEST_P(GroupCommitTest, AnIdempotentRetryWritesNothing) {
  v1::Customer c;
  c.set_display_name("재시도 고객");
  c.set_owner("u1");
  auto first = store_->Create(Ctx(), records::ResourceType::kCustomer, c, "retry-1");
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t published = feed()->last_sequence();
  auto again = store_->Create(Ctx(), records::ResourceType::kCustomer, c, "retry-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(static_cast<const v1::Customer&>(**again).id(),
            static_cast<const v1::Customer&>(**first).id());
  EXPECT_EQ(feed()->last_sequence(), published);
  EXPECT_EQ(feed()->written_sequence(), published);
}

// Answers that report earlier writes without writing (an idempotent retry,
// an update that changes nothing) wait until every batch written before
// them is durable: while another commit holds its batch unsynced, they do
// not return.
TEST_P(GroupCommitTest, AnswersFromEarlierWritesWaitUntilTheyAreDurable) {
  if (!sync()) GTEST_SKIP() << "without sync a batch is as durable as it gets when written";
  v1::Customer c;
  c.set_display_name("대기 고객");
  c.set_owner("u1");
  auto first = store_->Create(Ctx(), records::ResourceType::kCustomer, c, "retry-2");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string id = static_cast<const v1::Customer&>(**first).id();
  const uint64_t before = feed()->last_sequence();

  auto lock = feed()->LockCommits();
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), "group-commit-held", "1");
  ASSERT_TRUE(feed()->CommitWithEventLocked(Ctx(), &batch, SchemaEvent("test/held")).ok());
  std::atomic<int> answered{0};
  std::thread retry([&] {
    auto again = store_->Create(Ctx(), records::ResourceType::kCustomer, c, "retry-2");
    EXPECT_TRUE(again.ok()) << again.status();
    EXPECT_GT(feed()->last_sequence(), before) << "answered before the held batch was durable";
    ++answered;
  });
  std::thread unchanged([&] {
    v1::Customer patch;
    patch.set_id(id);
    patch.set_display_name(c.display_name());
    google::protobuf::FieldMask mask;
    mask.add_paths("display_name");
    auto updated = store_->Update(Ctx(), records::ResourceType::kCustomer, patch, mask, 0);
    EXPECT_TRUE(updated.ok()) << updated.status();
    EXPECT_GT(feed()->last_sequence(), before) << "answered before the held batch was durable";
    ++answered;
  });
  // Neither can answer while the batch is held; 200 ms is ample for either
  // to have returned if it did not wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(answered.load(), 0);
  ASSERT_TRUE(lock.Release().ok());
  retry.join();
  unchanged.join();
  EXPECT_EQ(answered.load(), 2);
  EXPECT_EQ(feed()->last_sequence(), before + 1);  // neither wrote
}

// A file system whose WAL files (NNNNNN.log) fail Sync and Fsync while
// `fail` is set, as a dying disk would.
class FailingWalSyncFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingWalSyncFileSystem(std::shared_ptr<std::atomic<bool>> fail)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), fail_(std::move(fail)) {}
  static const char* kClassName() { return "FailingWalSyncFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *file = std::make_unique<WalFile>(std::move(*file), fail_);
    }
    return s;
  }

 private:
  class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    WalFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<std::atomic<bool>> fail)
        : FSWritableFileOwnerWrapper(std::move(file)), fail_(std::move(fail)) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL sync failure");
      return target()->Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL sync failure");
      return target()->Fsync(options, dbg);
    }

   private:
    std::shared_ptr<std::atomic<bool>> fail_;
  };

  std::shared_ptr<std::atomic<bool>> fail_;
};

// A failed WAL sync fails its writer with a clear error, never publishes the
// batch, and stops further writes even once the disk behaves again: which
// batches it left durable is unknown until a restart recovers from the WAL.
TEST(GroupCommitFailureTest, AFailedWalSyncFailsItsWriterAndStopsWrites) {
  testing::TempDir dir;
  auto fail = std::make_shared<std::atomic<bool>>(false);
  store::DatabaseOptions options;
  options.path = dir.Sub("db");
  options.sync = true;
  options.file_system = std::make_shared<FailingWalSyncFileSystem>(fail);
  auto db = store::Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  auto feed = ChangeFeed::Open(db->get(), &Clock::Real());
  ASSERT_TRUE(feed.ok()) << feed.status();
  RequestContext ctx;
  ctx.tenant = 1;
  auto commit = [&](const std::string& key) {
    rocksdb::WriteBatch batch;
    batch.Put((*db)->meta(), key, "1");
    return (*feed)->CommitWithEvent(ctx, &batch, SchemaEvent("test/" + key));
  };

  ASSERT_TRUE(commit("synced").ok());
  EXPECT_EQ((*feed)->last_sequence(), 1u);

  fail->store(true);
  absl::Status failed = commit("unsynced");
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_TRUE(absl::StrContains(failed.message(), "could not be synced")) << failed;
  EXPECT_TRUE(absl::StrContains(failed.message(), "after feed sequence 1")) << failed;
  EXPECT_EQ((*feed)->last_sequence(), 1u);  // never published
  auto events = (*feed)->Read(1, 0, 100);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 1u);

  // The disk behaves again; writes stay refused, and so do answers that
  // would report earlier writes.
  fail->store(false);
  const uint64_t written = (*feed)->written_sequence();
  absl::Status refused = commit("after");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_EQ((*feed)->written_sequence(), written);
  EXPECT_TRUE(absl::IsNotFound((*db)->Get((*db)->meta(), "after").status()));
  EXPECT_EQ((*feed)->AwaitDurable().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*feed)->last_sequence(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Durability, GroupCommitTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sync" : "NoSync"; });

}  // namespace
}  // namespace rapport::feed
