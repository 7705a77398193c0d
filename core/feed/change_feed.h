// File: core/feed/change_feed.h
//
// The change feed: every committed change, in commit order, per tenant.
//
//   - One server-wide sequence, assigned in commit order under one lock
//     (LockCommits). A writer that adds events holds it from the checks it
//     must see current to the write of its batch; the events, the feed
//     count and the head go into the same WriteBatch as the change itself
//     (Batch), so a change and its event are durable together or not at all.
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
  // feed in commit order.
  [[nodiscard]] std::unique_lock<std::mutex> LockCommits() {
    const absl::Time start = absl::Now();
    std::unique_lock<std::mutex> lock(commit_mu_);
    commit_lock_wait_.Observe(absl::Now() - start);
    return lock;
  }

  // The events of one WriteBatch of `tenant`. REQUIRES: LockCommits() held
  // from construction to Commit().
  class Batch {
   public:
    Batch(ChangeFeed* feed, uint32_t tenant, rocksdb::WriteBatch* batch);
    // Assigns `event` the next sequence and the commit time, and puts it
    // into the batch.
    void Add(v1::ChangeEvent* event);
    int64_t events() const { return events_; }
    // Adds the feed count and the new head to the batch, writes it and
    // publishes the head. With no events added, writes nothing.
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

  // --- Reading (change_feed.cc).

  // The last committed sequence, server-wide.
  uint64_t last_sequence() const { return last_sequence_.load(); }
  // Up to `limit` events of `tenant` after `after_sequence` (exclusive).
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

  // --- Timings (for /metrics): waiting for LockCommits, and Batch::Commit's
  // write of the batch (the WAL append, and its fsync under --sync).
  const LatencyHistogram& commit_lock_wait() const { return commit_lock_wait_; }
  const LatencyHistogram& commit_write() const { return commit_write_; }
  // Removes events older than max_age and beyond max_events per tenant.
  // Returns how many were removed.
  absl::StatusOr<int64_t> Prune(const RetentionOptions& options);

 private:
  ChangeFeed(store::Database* db, const Clock* clock, uint64_t last_sequence)
      : db_(db), clock_(clock), last_sequence_(last_sequence) {}
  void Publish(uint64_t sequence);

  store::Database* db_;
  const Clock* clock_;
  std::mutex commit_mu_;
  LatencyHistogram commit_lock_wait_;
  LatencyHistogram commit_write_;
  std::atomic<uint64_t> last_sequence_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
};

}  // namespace rapport::feed

#endif  // RAPPORT_CORE_FEED_CHANGE_FEED_H_
