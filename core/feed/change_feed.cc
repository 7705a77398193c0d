#include "core/feed/change_feed.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/time_util.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "spdlog/spdlog.h"

namespace rapport::feed {
namespace {

void SetCommitTime(v1::ChangeEvent* event, absl::Time now) {
  SetTimestamp(event->mutable_commit_time(), now);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChangeFeed>> ChangeFeed::Open(store::Database* db,
                                                             const Clock* clock) {
  uint64_t last_sequence = 0;
  auto seq = db->Get(db->meta(), store::LastSequenceKey());
  if (seq.ok()) {
    store::KeyReader reader(*seq);
    if (!reader.U64(&last_sequence)) return absl::DataLossError("corrupt feed sequence");
  } else if (!absl::IsNotFound(seq.status())) {
    return seq.status();
  }
  return std::unique_ptr<ChangeFeed>(new ChangeFeed(db, clock, last_sequence));
}

ChangeFeed::CommitLock::CommitLock(ChangeFeed* feed) : feed_(feed) {
  const auto start = std::chrono::steady_clock::now();
  lock_ = std::unique_lock<std::mutex>(feed->commit_mu_);
  feed->commit_lock_wait_.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
}

ChangeFeed::CommitLock::~CommitLock() {
  if (!lock_.owns_lock()) return;
  if (absl::Status s = Release(); !s.ok()) {
    spdlog::error("msg=\"a commit's WAL sync failed after its writer was answered\" error=\"{}\"",
                  std::string(s.message()));
  }
}

absl::Status ChangeFeed::CommitLock::Release() {
  if (!lock_.owns_lock()) return absl::OkStatus();
  const uint64_t written = feed_->written_batches_.load();
  lock_.unlock();
  return feed_->AwaitDurable(written);
}

absl::Status ChangeFeed::CommitLock::ReleaseAfter(absl::Status status) {
  absl::Status released = Release();
  return status.ok() ? released : status;
}

ChangeFeed::Batch::Batch(ChangeFeed* feed, uint32_t tenant, rocksdb::WriteBatch* batch)
    : feed_(feed),
      tenant_(tenant),
      batch_(batch),
      sequence_(feed->written_sequence_.load()),
      now_(feed->clock_->Now()) {}

void ChangeFeed::Batch::Add(v1::ChangeEvent* event) {
  event->set_sequence(++sequence_);
  SetCommitTime(event, now_);
  batch_->Put(feed_->db_->feed(), store::FeedKey(tenant_, sequence_), event->SerializeAsString());
  ++events_;
}

absl::Status ChangeFeed::Batch::Commit() {
  if (events_ == 0) return absl::OkStatus();  // nothing to write
  store::Database* db = feed_->db_;
  batch_->Merge(db->counters(), store::FeedCountKey(tenant_), store::EncodeCounterDelta(events_));
  batch_->Put(db->meta(), store::LastSequenceKey(), store::KeyWriter().U64(sequence_).key());
  RAPPORT_RETURN_IF_ERROR(feed_->WriteBatchLocked(batch_, sequence_));
  // Under --sync, published once synced (AwaitDurable).
  if (!db->sync_writes()) feed_->Publish(sequence_);
  return absl::OkStatus();
}

absl::Status ChangeFeed::WriteBatchLocked(rocksdb::WriteBatch* batch, uint64_t sequence) {
  // Under --sync, written without its fsync: CommitLock::Release() syncs
  // (or waits for a sync) after the lock is given up (group commit).
  const bool group = db_->sync_writes();
  if (group && sync_failed_.load()) {
    std::lock_guard<std::mutex> lock(sync_mu_);
    return sync_error_;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::Status written = group ? db_->WriteUnsynced(batch) : db_->Write(batch);
  commit_write_.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
  RAPPORT_RETURN_IF_ERROR(written);
  // The sequence first: a sync that counts this batch publishes its events.
  if (sequence != 0) written_sequence_.store(sequence);
  written_batches_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status ChangeFeed::WriteLocked(rocksdb::WriteBatch* batch) {
  return WriteBatchLocked(batch, 0);
}

absl::Status ChangeFeed::CommitWithEvent(const RequestContext& ctx, rocksdb::WriteBatch* batch,
                                         v1::ChangeEvent event) {
  auto lock = LockCommits();
  return lock.ReleaseAfter(CommitWithEventLocked(ctx, batch, std::move(event)));
}

absl::Status ChangeFeed::CommitWithEventLocked(const RequestContext& ctx,
                                               rocksdb::WriteBatch* batch, v1::ChangeEvent event) {
  event.set_principal(ctx.principal);
  event.set_origin(ctx.origin);
  Batch events(this, ctx.tenant, batch);
  events.Add(&event);
  return events.Commit();
}

absl::Status ChangeFeed::AwaitDurable() {
  if (!db_->sync_writes()) return absl::OkStatus();
  // Under the lock no batch is half written: every one before it counts.
  return LockCommits().Release();
}

absl::Status ChangeFeed::AwaitDurable(uint64_t batch) {
  if (!db_->sync_writes()) return absl::OkStatus();  // synced at the write
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (durable_batches_.load() < batch) {
    if (!sync_error_.ok()) return sync_error_;
    if (syncing_) {
      // Another writer's sync is under way; it may cover `batch`.
      sync_cv_.wait(lock);
      continue;
    }
    // Lead a sync for every batch written so far, this one included. Both
    // figures are read before the sync, so it covers everything they count.
    syncing_ = true;
    const uint64_t batches = written_batches_.load();
    const uint64_t through = written_sequence_.load();
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    absl::Status synced = db_->SyncWal();
    commit_sync_.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
    lock.lock();
    syncing_ = false;
    if (synced.ok()) {
      syncs_.fetch_add(1);
      durable_batches_.store(batches);
      Publish(through);
    } else {
      sync_error_ = absl::UnavailableError(absl::StrCat(
          "the write-ahead log could not be synced (", synced.message(),
          "); whether changes after feed sequence ", last_sequence_.load(),
          " are durable is unknown, and no more writes are taken until rapportd is restarted"));
      sync_failed_.store(true);
      spdlog::critical("msg=\"WAL sync failed; refusing writes until restart\" error=\"{}\"",
                       std::string(synced.message()));
    }
    sync_cv_.notify_all();
    RAPPORT_RETURN_IF_ERROR(sync_error_);
  }
  return absl::OkStatus();
}

void ChangeFeed::Publish(uint64_t sequence) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    last_sequence_.store(sequence);
  }
  wait_cv_.notify_all();
}

bool ChangeFeed::WaitForEvents(uint64_t after_sequence, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  return wait_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [&] { return last_sequence_.load() > after_sequence; });
}

absl::StatusOr<std::vector<v1::ChangeEvent>> ChangeFeed::Read(uint32_t tenant,
                                                              uint64_t after_sequence,
                                                              int limit) const {
  std::vector<v1::ChangeEvent> events;
  // Events written but not yet durable (group commit) are not published:
  // the scan stops at the head's key, before parsing what lies beyond.
  const std::string end = store::FeedKey(tenant, last_sequence_.load() + 1);
  auto it = db_->NewIterator(db_->feed());
  for (it->Seek(store::FeedKey(tenant, after_sequence + 1));
       it->Valid() && it->key().compare(end) < 0 && static_cast<int>(events.size()) < limit;
       it->Next()) {
    v1::ChangeEvent event;
    if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("undecodable change event");
    }
    events.push_back(std::move(event));
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "feed scan"));
  return events;
}

}  // namespace rapport::feed
