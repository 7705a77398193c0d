// File: core/feed/change_feed.h
//
// The change feed: every committed change, in commit order, per tenant.
//
//   - One server-wide sequence, assigned in commit order under one lock
//     (LockCommits). A writer that adds events holds it from the checks it
//     must see current to the write of its batch; the events, the feed
//     count and the head go into the same WriteBatch as the change itself
//     (Batch), so a change and its event are durable together or not at all.
//   - Group commit. Under --sync the batch is written under the lock without
//     its fsync, and CommitLock::Release() waits, after unlocking, until the
//     WAL is synced through it: one waiting writer syncs for every batch
//     written so far and the others share that fsync, so N writers pay about
//     one fsync per group, not N one after another under the lock. A change
//     is visible to readers from its write, up to one fsync before it is
//     durable (InnoDB's early lock release does the same); its writer is
//     answered, and its event published to the feed, only once it is.
//   - Readers (EventService.Subscribe, the plugin host's post-commit
//     dispatchers) read a tenant's events after a sequence and wait for the
//     head to move.
//   - Retention bounds each tenant's feed by age and count (Prune), and
//     named consumers keep acknowledged cursors (feed_cursors.cc).
//
// Keys (core/store/keyspace.h): feed event, counters feed count, meta last
// sequence, feed pruned and feed consumer. Thread-safe.
#ifndef RAPPORT_CORE_FEED_CHANGE_FEED_H_
#define RAPPORT_CORE_FEED_CHANGE_FEED_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/common/latency_histogram.h"
#include "core/common/request_context.h"
#include "core/store/database.h"
#include "rapport/v1/event.pb.h"
#include "rocksdb/write_batch.h"

namespace rapport::feed {

struct FeedInfo {
  uint64_t oldest_sequence = 0;  // the oldest event still in the tenant's feed (0: empty)
  uint64_t head_sequence = 0;    // the server-wide last committed sequence
  uint64_t pruned_through = 0;   // events <= this may have been removed by retention
};

struct ConsumerLag {
  uint32_t tenant = 0;
  std::string consumer;
  uint64_t cursor = 0;
  // The commit time of the tenant's first event after the cursor; unset
  // when the consumer has seen every event.
  std::optional<absl::Time> oldest_pending;
};

struct RetentionOptions {
  absl::Duration max_age = absl::Hours(24 * 7);
  int64_t max_events_per_tenant = 10'000'000;
};

class ChangeFeed {
 public:
  // REQUIRES: db and clock outlive the feed.
  static absl::StatusOr<std::unique_ptr<ChangeFeed>> Open(store::Database* db, const Clock* clock);

  // --- Writing (change_feed.cc).

  // The commit lock. Sequences are assigned under it, so events enter the
  // feed in commit order. Release() it to learn whether what was written is
  // durable; destroying it unreleased releases it and logs a failed sync.
  class CommitLock {
   public:
    CommitLock(CommitLock&& other) noexcept = default;
    CommitLock& operator=(CommitLock&&) = delete;
    ~CommitLock();
    // Unlocks; then, under --sync, waits until every batch written so far
    // (this holder's and any it may have read) is durable. OK without
    // --sync, or if already released.
    [[nodiscard]] absl::Status Release();
    // `status` if it is an error (released all the same), else Release().
    [[nodiscard]] absl::Status ReleaseAfter(absl::Status status);

   private:
    friend class ChangeFeed;
    explicit CommitLock(ChangeFeed* feed);
    ChangeFeed* feed_;
    std::unique_lock<std::mutex> lock_;
  };
  [[nodiscard]] CommitLock LockCommits() { return CommitLock(this); }

  // The events of one WriteBatch of `tenant`. REQUIRES: LockCommits() held
  // from construction to Commit(), and released (CommitLock::Release) before
  // the writer is answered.
  class Batch {
   public:
    Batch(ChangeFeed* feed, uint32_t tenant, rocksdb::WriteBatch* batch);
    // Assigns `event` the next sequence and the commit time, and puts it
    // into the batch.
    void Add(v1::ChangeEvent* event);
    int64_t events() const { return events_; }
    // Adds the feed count and the new head to the batch and writes it;
    // without --sync also publishes the head (under --sync the release of
    // the lock does, once the WAL is synced). With no events added, writes
    // nothing.
    absl::Status Commit();

   private:
    ChangeFeed* feed_;
    uint32_t tenant_;
    rocksdb::WriteBatch* batch_;
    uint64_t sequence_;
    absl::Time now_;
    int64_t events_ = 0;
  };

  // Writes `batch` with `event` (its sequence, commit time, principal and
  // origin set here from `ctx`), in feed order with every other commit. For
  // changes outside the three resources (schemas, identity, rollout rules).
  absl::Status CommitWithEvent(const RequestContext& ctx, rocksdb::WriteBatch* batch,
                               v1::ChangeEvent event);
  // The same, for a caller that holds LockCommits().
  absl::Status CommitWithEventLocked(const RequestContext& ctx, rocksdb::WriteBatch* batch,
                                     v1::ChangeEvent event);
  // Writes a batch without events under LockCommits(), with the same group
  // commit as Batch::Commit (a module's keyspace writes).
  absl::Status WriteLocked(rocksdb::WriteBatch* batch);

  // --- Reading (change_feed.cc).

  // The last published sequence, server-wide: every event up to it is
  // durable (under --sync) and readable.
  uint64_t last_sequence() const { return last_sequence_.load(); }
  // The last sequence written, which under --sync may be ahead of
  // last_sequence() by the batches awaiting their fsync. REQUIRES:
  // LockCommits() held, for a figure that matches a snapshot taken under it.
  uint64_t written_sequence() const { return written_sequence_.load(); }
  // Waits until every batch written so far, or being written under the
  // lock, is durable (at once without --sync). For an answer that reports
  // an earlier write without writing, such as an idempotent retry's, so it
  // never acknowledges a change that a crash could still lose.
  absl::Status AwaitDurable();
  // Up to `limit` events of `tenant` after `after_sequence` (exclusive),
  // none beyond last_sequence().
  absl::StatusOr<std::vector<v1::ChangeEvent>> Read(uint32_t tenant, uint64_t after_sequence,
                                                    int limit) const;
  // Blocks until a commit after `after_sequence` or `timeout`; true if there
  // is one.
  bool WaitForEvents(uint64_t after_sequence, absl::Duration timeout);

  // --- Bounds, consumers and retention (feed_cursors.cc).

  absl::StatusOr<FeedInfo> Info(uint32_t tenant) const;
  // Where a subscription starts (events after the returned sequence).
  // OUT_OF_RANGE if `after_sequence` is beyond the head or older than
  // retention (naming the oldest available sequence). With `consumer` and no
  // `after_sequence`, that consumer's acknowledged cursor.
  absl::StatusOr<uint64_t> SubscriptionStart(uint32_t tenant, uint64_t after_sequence,
                                             bool from_now, std::string_view consumer) const;
  absl::Status Acknowledge(uint32_t tenant, std::string_view consumer, uint64_t sequence);
  absl::StatusOr<uint64_t> ConsumerCursor(uint32_t tenant, std::string_view consumer) const;
  // Every named consumer of every tenant, with its oldest pending event's
  // time (for /metrics).
  absl::StatusOr<std::vector<ConsumerLag>> ConsumerLags() const;
  // The commit time of `tenant`'s first event after `cursor`, or nullopt if
  // there is none.
  absl::StatusOr<std::optional<absl::Time>> OldestAfter(uint32_t tenant, uint64_t cursor) const;

  // --- Timings (for /metrics): waiting for LockCommits, Batch::Commit's
  // write of the batch under the lock (the WAL append and memtable inserts),
  // and under --sync the group's WAL syncs after it, with how many batches
  // each made durable.
  const LatencyHistogram& commit_lock_wait() const { return commit_lock_wait_; }
  const LatencyHistogram& commit_write() const { return commit_write_; }
  const LatencyHistogram& commit_sync() const { return commit_sync_; }
  struct SyncCounts {
    uint64_t syncs = 0;    // WAL syncs by group commit
    uint64_t batches = 0;  // batches written under the lock that they made durable
  };
  SyncCounts sync_counts() const { return {syncs_.load(), durable_batches_.load()}; }
  // Removes events older than max_age and beyond max_events per tenant.
  // Returns how many were removed.
  absl::StatusOr<int64_t> Prune(const RetentionOptions& options);

 private:
  ChangeFeed(store::Database* db, const Clock* clock, uint64_t last_sequence)
      : db_(db), clock_(clock), written_sequence_(last_sequence), last_sequence_(last_sequence) {}
  void Publish(uint64_t sequence);
  // Group commit: returns once the WAL is synced through the `batch`th
  // batch written under the lock, syncing it if no other writer is.
  absl::Status AwaitDurable(uint64_t batch);
  // Writes `batch` under the lock: without its fsync under --sync (counted
  // in written_batches_ for AwaitDurable), else with it. `sequence`: the
  // last event it carries (0: none).
  absl::Status WriteBatchLocked(rocksdb::WriteBatch* batch, uint64_t sequence);

  store::Database* db_;
  const Clock* clock_;
  std::mutex commit_mu_;
  LatencyHistogram commit_lock_wait_;
  LatencyHistogram commit_write_;
  LatencyHistogram commit_sync_;
  // Written under commit_mu_: every sequence up to written_sequence_, and
  // the first written_batches_ batches, are in the WAL.
  std::atomic<uint64_t> written_sequence_;
  std::atomic<uint64_t> written_batches_{0};
  // The first durable_batches_ batches are durable (group commit); syncs_
  // counts the syncs that made them so.
  std::atomic<uint64_t> durable_batches_{0};
  std::atomic<uint64_t> syncs_{0};
  // Group commit: one syncing writer at a time; the others wait on sync_cv_.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;
  // The first failed WAL sync, for good (guarded by sync_mu_; mirrored in
  // sync_failed_ for the write path). After it, which written batches are
  // durable is unknown, and a later sync could make a batch whose writer was
  // told it failed durable after all; so, as PostgreSQL does after a failed
  // fsync, the store takes no more writes until rapportd restarts and
  // recovers from the WAL.
  absl::Status sync_error_;
  std::atomic<bool> sync_failed_{false};
  std::atomic<uint64_t> last_sequence_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
};

}  // namespace rapport::feed

#endif  // RAPPORT_CORE_FEED_CHANGE_FEED_H_
