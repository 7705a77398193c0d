// File: core/plugin_host/dead_letters.cc
//
// Dead letters (post-commit events that kept failing: listed and replayed)
// and shadow records (what a module in shadow mode would have done).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::plugin_host {

using internal::SetTimestamp;
using store::DeadLetterPrefix;
using store::ShadowPrefix;
namespace {
constexpr uint64_t kShadowRecordsKept = 1000;
}  // namespace

void PluginHost::RecordShadow(Plugin* plugin, const RequestContext& ctx,
                              const std::string& resource_id, const std::string& outcome) {
  v1::ShadowRecord record;
  record.set_module(plugin->name);
  SetTimestamp(record.mutable_time(), clock_->Now());
  record.set_principal(ctx.principal);
  record.set_resource_id(resource_id);
  record.set_outcome(outcome);
  const std::string prefix = ShadowPrefix(plugin->name, ctx.tenant);
  std::lock_guard<std::mutex> lock(shadow_mu_);
  auto [it, fresh] = shadow_next_.try_emplace(prefix, 0);
  if (fresh) {
    auto iter = db_->NewIterator(db_->meta());
    iter->SeekForPrev(store::PrefixSuccessor(prefix));
    if (iter->Valid() && iter->key().starts_with(prefix)) {
      store::KeyReader reader(iter->key().ToStringView().substr(prefix.size()));
      uint64_t last;
      if (reader.U64(&last)) it->second = last + 1;
    }
  }
  uint64_t n = it->second++;
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::KeyWriter(prefix).U64(n).Release(), record.SerializeAsString());
  if (n >= kShadowRecordsKept)
    batch.Delete(db_->meta(), store::KeyWriter(prefix).U64(n - kShadowRecordsKept).Release());
  (void)db_->Write(&batch);
}

absl::StatusOr<std::vector<v1::DeadLetter>> PluginHost::ListDeadLetters(const RequestContext& ctx,
                                                                        const std::string& module) {
  if (FindPlugin(module) == nullptr)
    return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  std::vector<v1::DeadLetter> out;
  const std::string prefix = DeadLetterPrefix(module, ctx.tenant);
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::DeadLetter letter;
    if (letter.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      out.push_back(letter);
  }
  return out;
}

absl::StatusOr<std::pair<int, int>> PluginHost::ReplayDeadLetters(const RequestContext& ctx,
                                                                  const std::string& module) {
  Plugin* p = FindPlugin(module);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  if (!p->loaded)
    return absl::FailedPreconditionError(absl::StrCat("module '", module, "' is not loaded"));
  RAPPORT_ASSIGN_OR_RETURN(auto letters, ListDeadLetters(ctx, module));
  int ok = 0, failed = 0;
  for (auto& letter : letters) {
    if (!letter.timer_key().empty()) {
      // A timer: scheduled again, due now, in one batch with the letter's
      // removal.
      const std::string& key = letter.timer_key();
      internal::TimerEntry entry;
      entry.when = static_cast<uint64_t>(absl::ToUnixMicros(clock_->Now()));
      entry.payload = letter.timer_payload();
      std::vector<records::ExtraWrite> writes;
      records::ExtraWrite absent{store::TimerKey(module, ctx.tenant, key), std::nullopt};
      absent.op = records::ExtraWrite::Op::kExpectValue;  // not scheduled again since
      writes.push_back(std::move(absent));
      writes.push_back({store::TimerKey(module, ctx.tenant, key), entry.Encode()});
      writes.push_back({store::TimerDueKey(module, entry.when, ctx.tenant, key), ""});
      writes.push_back(internal::CounterAdd(store::TimerCountKey(module, ctx.tenant), 1));
      rocksdb::WriteBatch batch;
      batch.Delete(
          db_->meta(),
          store::KeyWriter(DeadLetterPrefix(module, ctx.tenant)).U64(0).Raw(key).Release());
      if (CommitWrites(writes, &batch).ok()) {
        ++ok;
        --p->dead_letters;
      } else {
        ++failed;  // the module has scheduled that key again: the letter stays
      }
      continue;
    }
    RequestContext as_writer = ctx;
    bool ran = false;
    std::vector<records::ExtraWrite> writes;
    absl::Status status = RunPostCommit(p, as_writer, letter.event(), &ran, &writes);
    const std::string key =
        store::KeyWriter(DeadLetterPrefix(module, ctx.tenant)).U64(letter.sequence()).Release();
    rocksdb::WriteBatch batch;
    if (status.ok()) {
      // The hook's writes and the letter's removal, in one batch, if what
      // the hook read is still current.
      batch.Delete(db_->meta(), key);
      status = CommitWrites(writes, &batch);
      if (status.ok()) {
        ++ok;
        --p->dead_letters;
        continue;
      }
      batch.Clear();
    }
    letter.set_error(std::string(status.message()));
    letter.set_attempts(letter.attempts() + 1);
    batch.Put(db_->meta(), key, letter.SerializeAsString());
    ++failed;
    RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
  }
  return std::make_pair(ok, failed);
}

absl::StatusOr<std::vector<v1::ShadowRecord>> PluginHost::ListShadowRecords(
    const RequestContext& ctx, const std::string& module, int limit) {
  if (FindPlugin(module) == nullptr)
    return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  if (limit <= 0 || limit > static_cast<int>(kShadowRecordsKept)) limit = 100;
  std::vector<v1::ShadowRecord> out;
  const std::string prefix = ShadowPrefix(module, ctx.tenant);
  auto it = db_->NewIterator(db_->meta());
  for (it->SeekForPrev(store::PrefixSuccessor(prefix));
       it->Valid() && it->key().starts_with(prefix) && static_cast<int>(out.size()) < limit;
       it->Prev()) {
    v1::ShadowRecord r;
    if (r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      out.push_back(r);
  }
  return out;
}

}  // namespace rapport::plugin_host
