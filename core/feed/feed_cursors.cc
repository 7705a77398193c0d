// Bounds, named consumers' cursors and retention of the change feed
// (core/feed/change_feed.h).
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/feed/change_feed.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::feed {
namespace {

using store::ConsumerKey;

uint64_t ReadU64(store::Database* db, const std::string& key) {
  auto value = db->Get(db->meta(), key);
  uint64_t v = 0;
  if (value.ok()) {
    store::KeyReader reader(*value);
    if (!reader.U64(&v)) v = 0;
  }
  return v;
}

absl::Status ValidConsumer(std::string_view consumer) {
  bool ok = !consumer.empty() && consumer.size() <= 63 &&
            (absl::ascii_islower(consumer[0]) || absl::ascii_isdigit(consumer[0]));
  for (char c : consumer) {
    ok = ok &&
         (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-');
  }
  return ok ? absl::OkStatus()
            : InvalidField("consumer", absl::StrCat("'", AsAbsl(consumer.substr(0, 64)),
                                                    "' must match [a-z0-9][a-z0-9._-]{0,62}"));
}

}  // namespace

absl::StatusOr<FeedInfo> ChangeFeed::Info(uint32_t tenant) const {
  FeedInfo info;
  info.head_sequence = last_sequence_.load();
  info.pruned_through = ReadU64(db_, store::FeedPrunedKey(tenant));
  std::string prefix = store::KeyWriter().U32(tenant).Release();
  auto it = db_->NewIterator(db_->feed());
  it->Seek(prefix);
  if (it->Valid() && it->key().starts_with(prefix)) {
    store::KeyReader reader(it->key().ToStringView().substr(prefix.size()));
    if (!reader.U64(&info.oldest_sequence)) return absl::DataLossError("bad feed key");
    // Written but not yet durable (group commit): not in the feed yet.
    if (info.oldest_sequence > info.head_sequence) info.oldest_sequence = 0;
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "feed scan"));
  return info;
}

absl::StatusOr<uint64_t> ChangeFeed::SubscriptionStart(uint32_t tenant, uint64_t after_sequence,
                                                       bool from_now,
                                                       std::string_view consumer) const {
  RAPPORT_ASSIGN_OR_RETURN(FeedInfo info, Info(tenant));
  if (from_now) {
    if (after_sequence != 0)
      return InvalidField("from_now", "cannot be combined with after_sequence");
    return info.head_sequence;
  }
  if (after_sequence == 0 && !consumer.empty()) {
    RAPPORT_RETURN_IF_ERROR(ValidConsumer(consumer));
    after_sequence = ReadU64(db_, ConsumerKey(tenant, consumer));
  }
  if (after_sequence > info.head_sequence) {
    return absl::OutOfRangeError(absl::StrCat("after_sequence ", after_sequence,
                                              " is beyond the head of the feed (",
                                              info.head_sequence, ")"));
  }
  if (after_sequence < info.pruned_through) {
    uint64_t oldest = info.oldest_sequence ? info.oldest_sequence : info.head_sequence + 1;
    return absl::OutOfRangeError(
        absl::StrCat("events after ", after_sequence,
                     " are no longer retained; the oldest available sequence is ", oldest,
                     ". Re-read the records (Export) and subscribe from ", oldest - 1));
  }
  return after_sequence;
}

absl::Status ChangeFeed::Acknowledge(uint32_t tenant, std::string_view consumer,
                                     uint64_t sequence) {
  RAPPORT_RETURN_IF_ERROR(ValidConsumer(consumer));
  if (sequence > last_sequence_.load()) {
    return InvalidField("sequence", absl::StrCat(sequence, " is beyond the head of the feed"));
  }
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), ConsumerKey(tenant, consumer), store::KeyWriter().U64(sequence).key());
  return db_->Write(&batch);
}

absl::StatusOr<uint64_t> ChangeFeed::ConsumerCursor(uint32_t tenant,
                                                    std::string_view consumer) const {
  RAPPORT_RETURN_IF_ERROR(ValidConsumer(consumer));
  return ReadU64(db_, ConsumerKey(tenant, consumer));
}

absl::StatusOr<int64_t> ChangeFeed::Prune(const RetentionOptions& options) {
  const int64_t cutoff_seconds = absl::ToUnixSeconds(clock_->Now() - options.max_age);
  int64_t removed_total = 0;
  // Walk tenants by their first feed key.
  std::string next_tenant_prefix;
  auto it = db_->NewIterator(db_->feed());
  for (it->SeekToFirst(); it->Valid();) {
    uint32_t tenant = 0;
    store::KeyReader reader(it->key().ToStringView());
    if (!reader.U32(&tenant)) return absl::DataLossError("bad feed key");
    std::string prefix = store::KeyWriter().U32(tenant).Release();
    auto count_value = db_->Get(db_->counters(), store::FeedCountKey(tenant));
    int64_t count = count_value.ok() ? store::DecodeCounter(*count_value) : 0;
    rocksdb::WriteBatch batch;
    int64_t removed = 0;
    uint64_t last_removed = 0;
    for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
      bool over_size = count - removed > options.max_events_per_tenant;
      bool too_old = false;
      if (!over_size) {
        v1::ChangeEvent event;
        if (event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
          too_old = event.commit_time().seconds() < cutoff_seconds;
        }
      }
      if (!over_size && !too_old) break;  // the feed is in commit order: the rest is newer
      batch.Delete(db_->feed(), it->key());
      store::KeyReader key(it->key().ToStringView().substr(prefix.size()));
      if (!key.U64(&last_removed)) return absl::DataLossError("bad feed key");
      ++removed;
      if (batch.Count() >= 10000) {
        batch.Merge(db_->counters(), store::FeedCountKey(tenant),
                    store::EncodeCounterDelta(-removed));
        batch.Put(db_->meta(), store::FeedPrunedKey(tenant),
                  store::KeyWriter().U64(last_removed).key());
        RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
        batch.Clear();
        removed_total += removed;
        count -= removed;
        removed = 0;
      }
    }
    if (removed > 0) {
      batch.Merge(db_->counters(), store::FeedCountKey(tenant),
                  store::EncodeCounterDelta(-removed));
      batch.Put(db_->meta(), store::FeedPrunedKey(tenant),
                store::KeyWriter().U64(last_removed).key());
      RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
      removed_total += removed;
    }
    // Next tenant.
    it->Seek(store::PrefixSuccessor(prefix));
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "feed prune"));
  return removed_total;
}

absl::StatusOr<std::optional<absl::Time>> ChangeFeed::OldestAfter(uint32_t tenant,
                                                                  uint64_t cursor) const {
  if (cursor == UINT64_MAX) return std::nullopt;
  const std::string prefix = store::KeyWriter().U32(tenant).Release();
  auto it = db_->NewIterator(db_->feed());
  it->Seek(store::FeedKey(tenant, cursor + 1));
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "feed scan"));
    return std::nullopt;
  }
  v1::ChangeEvent event;
  if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    return absl::DataLossError(absl::StrCat("feed event of tenant ", tenant, " unreadable"));
  }
  return absl::FromUnixSeconds(event.commit_time().seconds()) +
         absl::Nanoseconds(event.commit_time().nanos());
}

absl::StatusOr<std::vector<ConsumerLag>> ChangeFeed::ConsumerLags() const {
  std::vector<ConsumerLag> out;
  const std::string prefix = store::Meta(store::MetaPrefix::kFeedConsumer).Release();
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ConsumerLag lag;
    store::KeyReader key(it->key().ToStringView().substr(prefix.size()));
    store::KeyReader value(it->value().ToStringView());
    if (!key.U32(&lag.tenant) || !key.String(&lag.consumer) || !value.U64(&lag.cursor)) {
      return absl::DataLossError("feed consumer cursor unreadable");
    }
    RAPPORT_ASSIGN_OR_RETURN(lag.oldest_pending, OldestAfter(lag.tenant, lag.cursor));
    out.push_back(std::move(lag));
  }
  RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "consumer scan"));
  return out;
}

}  // namespace rapport::feed
