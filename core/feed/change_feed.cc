#include "core/feed/change_feed.h"

#include <chrono>
#include <string>

#include "core/common/status_util.h"
#include "core/common/time_util.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"

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

ChangeFeed::Batch::Batch(ChangeFeed* feed, uint32_t tenant, rocksdb::WriteBatch* batch)
    : feed_(feed),
      tenant_(tenant),
      batch_(batch),
      sequence_(feed->last_sequence_.load()),
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
  const auto start = std::chrono::steady_clock::now();
  absl::Status written = db->Write(batch_);
  feed_->commit_write_.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
  RAPPORT_RETURN_IF_ERROR(written);
  feed_->Publish(sequence_);
  return absl::OkStatus();
}

absl::Status ChangeFeed::CommitWithEvent(const RequestContext& ctx, rocksdb::WriteBatch* batch,
                                         v1::ChangeEvent event) {
  auto lock = LockCommits();
  return CommitWithEventLocked(ctx, batch, std::move(event));
}

absl::Status ChangeFeed::CommitWithEventLocked(const RequestContext& ctx,
                                               rocksdb::WriteBatch* batch, v1::ChangeEvent event) {
  event.set_principal(ctx.principal);
  event.set_origin(ctx.origin);
  Batch events(this, ctx.tenant, batch);
  events.Add(&event);
  return events.Commit();
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
  const std::string prefix = store::KeyWriter().U32(tenant).Release();
  auto it = db_->NewIterator(db_->feed());
  for (it->Seek(store::FeedKey(tenant, after_sequence + 1));
       it->Valid() && it->key().starts_with(prefix) && static_cast<int>(events.size()) < limit;
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
