// File: core/plugin_host/backfill.cc
//
// Backfill (plugin_abi.h, register_backfill): a module receives every
// existing record of its resources from one consistent snapshot S. It runs
// in the plugin's dispatcher thread, the only writer of the plugin's
// cursor, and leaves the cursor where it was: the dispatcher then skips the
// events up to S of the backfilled resources (they are in the snapshot) and
// gives every other event (other resources, module events) to the hooks as
// usual. Each change of a backfilled resource is seen exactly once, by the
// backfill (sequence <= S) or by a hook (> S); dead letters of events the
// snapshot covers are dropped when it finishes, so a replay cannot apply
// them again.
//
// Progress and state are one meta key per plugin and tenant (the backfill
// key of core/store/keyspace.h, a BackfillStatus), written in the same
// batch as each chunk's keyspace writes. A backfill cut short (stop,
// crash) is RUNNING at the next start and runs again from its beginning:
// the resource-0 handler clears what the module derived.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "core/common/logfmt.h"
#include "core/common/status_util.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

using internal::Bytes;
using internal::CodeOf;
using internal::Guarded;
using internal::HostBuffer;
using internal::SetTimestamp;

namespace {

// Records per committed chunk: their handlers' writes, the progress and
// (last) the cursor go in one batch.
constexpr size_t kChunkRecords = 256;

constexpr std::array<int, 3> kResources = {RAPPORT_RESOURCE_CUSTOMER, RAPPORT_RESOURCE_INTERACTION,
                                           RAPPORT_RESOURCE_OPPORTUNITY};

const char* ResourceName(int resource) {
  switch (resource) {
    case RAPPORT_RESOURCE_CUSTOMER:
      return "customer";
    case RAPPORT_RESOURCE_INTERACTION:
      return "interaction";
    case RAPPORT_RESOURCE_OPPORTUNITY:
      return "opportunity";
    default:
      return "start";
  }
}

}  // namespace

absl::StatusOr<v1::BackfillStatus> PluginHost::RequestBackfill(const RequestContext& ctx,
                                                               const std::string& module) {
  Plugin* p = FindPlugin(module);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("module: no module '", module, "'"));
  if (!p->loaded) {
    return absl::FailedPreconditionError(
        absl::StrCat("module: '", module, "' is not loaded (", p->info.last_error(), ")"));
  }
  if (p->backfill.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "module: '", module, "' registers no backfill handler (plugin_abi.h, register_backfill)"));
  }
  auto current = GetBackfill(ctx, module);
  if (current.ok() && (current->state() == v1::BackfillStatus::STATE_REQUESTED ||
                       current->state() == v1::BackfillStatus::STATE_RUNNING)) {
    return current;  // one at a time: the queued or running one answers
  }
  v1::BackfillStatus status;
  status.set_module(module);
  status.set_state(v1::BackfillStatus::STATE_REQUESTED);
  SetTimestamp(status.mutable_requested_time(), clock_->Now());
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::BackfillKey(module, ctx.tenant), status.SerializeAsString());
  RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
  return status;
}

absl::StatusOr<v1::BackfillStatus> PluginHost::GetBackfill(const RequestContext& ctx,
                                                           const std::string& module) {
  if (FindPlugin(module) == nullptr) {
    return absl::NotFoundError(absl::StrCat("module: no module '", module, "'"));
  }
  auto stored = db_->Get(db_->meta(), store::BackfillKey(module, ctx.tenant));
  if (absl::IsNotFound(stored.status())) {
    return absl::NotFoundError(
        absl::StrCat("module '", module, "' has no backfill in tenant '", ctx.tenant_name, "'"));
  }
  RAPPORT_RETURN_IF_ERROR(stored.status());
  v1::BackfillStatus status;
  if (!status.ParseFromString(*stored)) return absl::InternalError("unreadable backfill status");
  return status;
}

int PluginHost::DropCoveredDeadLetters(Plugin* p, uint32_t tenant, uint64_t sequence,
                                       rocksdb::WriteBatch* batch) {
  const std::string prefix = store::DeadLetterPrefix(p->name, tenant);
  int dropped = 0;
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::DeadLetter letter;
    if (!letter.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) continue;
    if (letter.sequence() > sequence) break;  // keyed by sequence: the rest are later
    if (!p->Backfills(letter.event())) continue;
    batch->Delete(db_->meta(), it->key());
    ++dropped;
  }
  return dropped;
}

bool PluginHost::MaybeBackfill(Plugin* p, uint32_t tenant, uint64_t* covered) {
  *covered = 0;
  if (p->backfill.empty()) return true;
  v1::BackfillStatus status;
  auto stored = db_->Get(db_->meta(), store::BackfillKey(p->name, tenant));
  if (stored.ok()) {
    if (!status.ParseFromString(*stored)) return true;
    if (status.state() == v1::BackfillStatus::STATE_DONE) *covered = status.sequence();
    if (status.state() != v1::BackfillStatus::STATE_REQUESTED &&
        status.state() != v1::BackfillStatus::STATE_RUNNING) {
      return true;
    }
  }
  // A backfill is due, or this may be the first enable: the rule decides.
  auto rule = gate_->GetRule(tenant, p->name);
  // Killed: nothing of the module runs; a due backfill waits for the
  // switch's release.
  if (rule.ok() && rule->kill_switch()) return true;
  if (!stored.ok()) {
    // First enable: the module is on (not only in shadow) for someone, or
    // observes all, and has never been backfilled here.
    if (!p->manifest.observe_all && (!rule.ok() || !ModuleGate::AnyoneLive(*rule))) return true;
    status.set_module(p->name);
    SetTimestamp(status.mutable_requested_time(), clock_->Now());
  }
  absl::Status s = RunBackfill(p, tenant, &status);
  if (s.ok()) {
    *covered = status.sequence();
    return true;
  }
  if (stopping_.load()) return false;  // RUNNING: again after the restart
  status.set_state(v1::BackfillStatus::STATE_FAILED);
  status.set_error(std::string(s.message()));
  SetTimestamp(status.mutable_done_time(), clock_->Now());
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::BackfillKey(p->name, tenant), status.SerializeAsString());
  (void)db_->Write(&batch);
  spdlog::error("plugin={} msg=\"backfill failed\" tenant={} error={}", p->name, tenant,
                LogValue(status.error()));
  return true;
}

absl::Status PluginHost::RunBackfill(Plugin* p, uint32_t tenant, v1::BackfillStatus* status) {
  // The snapshot and its sequence, taken together under the commit lock.
  const rocksdb::Snapshot* snapshot = nullptr;
  uint64_t sequence = 0;
  {
    auto lock = records_->feed()->LockCommits();
    snapshot = db_->db()->GetSnapshot();
    // Written, not published: the snapshot holds batches that await their
    // fsync (group commit), and their events must not be applied twice.
    sequence = records_->feed()->written_sequence();
    // And durable before the backfill reads them.
    if (absl::Status durable = lock.Release(); !durable.ok()) {
      db_->db()->ReleaseSnapshot(snapshot);
      return durable;
    }
  }
  absl::Cleanup release = [&] { db_->db()->ReleaseSnapshot(snapshot); };
  status->set_state(v1::BackfillStatus::STATE_RUNNING);
  status->set_sequence(sequence);
  status->set_records(0);
  status->clear_error();
  status->clear_done_time();
  const std::string status_key = store::BackfillKey(p->name, tenant);
  {
    rocksdb::WriteBatch batch;
    batch.Put(db_->meta(), status_key, status->SerializeAsString());
    RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
  }
  spdlog::info("plugin={} msg=\"backfill started\" tenant={} sequence={}", p->name, tenant,
               sequence);
  RequestContext ctx;
  ctx.tenant = tenant;
  ctx.tenant_name = tenant_name_ ? tenant_name_(tenant) : "";
  ctx.principal = absl::StrCat("module/", p->name);

  // Runs the handlers of `chunk` ((resource, record) pairs; resource 0 is
  // the start) and commits their writes with the progress, and with the
  // cursor when `last`. A conflict runs the chunk again.
  auto run_chunk = [&](const std::vector<std::pair<int, std::string>>& chunk,
                       bool last) -> absl::Status {
    absl::Status result = absl::AbortedError("backfill: conflicts on every attempt");
    for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
      std::vector<records::ExtraWrite> writes;
      CallState call(this, p, &ctx, &writes);
      call.origin = absl::StrCat("module/", p->name);
      call.depth = 1;
      int64_t index = status->records();
      // Not structured bindings: clang 14 (the fuzz build) cannot capture one.
      for (const auto& item : chunk) {
        const int resource = item.first;
        const std::string& record = item.second;
        if (resource != 0) ++index;
        const auto fn = p->backfill.at(resource).first;
        void* const user = p->backfill.at(resource).second;
        HostBuffer error;
        int rc = Guarded(error, [&] {
          return fn(user, reinterpret_cast<rapport_call*>(&call),
                    static_cast<rapport_resource>(resource), Bytes(record), &error.buffer);
        });
        if (rc != RAPPORT_OK) {
          return absl::Status(
              CodeOf(rc), absl::StrCat("backfill handler (", ResourceName(resource), ", record ",
                                       index, " of the backfill): ", error.data));
        }
      }
      RAPPORT_RETURN_IF_ERROR(CheckCounterAdds(writes, 0));
      v1::BackfillStatus next = *status;
      next.set_records(status->records() +
                       std::count_if(chunk.begin(), chunk.end(),
                                     [](const auto& entry) { return entry.first != 0; }));
      rocksdb::WriteBatch batch;
      int dropped = 0;
      if (last) {
        next.set_state(v1::BackfillStatus::STATE_DONE);
        SetTimestamp(next.mutable_done_time(), clock_->Now());
        dropped = DropCoveredDeadLetters(p, tenant, sequence, &batch);
      }
      batch.Put(db_->meta(), status_key, next.SerializeAsString());
      bool conflict = false;
      result = CommitWrites(writes, &batch, &conflict);
      if (result.ok()) {
        p->backfill_records += next.records() - status->records();
        p->dead_letters -= dropped;
        if (dropped > 0) {
          spdlog::info(
              "plugin={} msg=\"dead letters covered by the backfill dropped\" tenant={} "
              "count={}",
              p->name, tenant, dropped);
        }
        *status = std::move(next);
        return absl::OkStatus();
      }
      if (!conflict) return result;
      ++p->conflicts;
    }
    return result;
  };

  if (p->backfill.count(0)) RAPPORT_RETURN_IF_ERROR(run_chunk({{0, std::string()}}, false));
  for (int resource : kResources) {
    if (!p->backfill.count(resource)) continue;
    const std::string prefix = store::EntityPrefix(tenant, static_cast<uint8_t>(resource));
    auto it = db_->NewIterator(db_->entity(), snapshot);
    std::vector<std::pair<int, std::string>> chunk;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      chunk.emplace_back(resource, it->value().ToString());
      if (chunk.size() < kChunkRecords) continue;
      if (stopping_.load()) return absl::CancelledError("stopping");
      RAPPORT_RETURN_IF_ERROR(run_chunk(chunk, false));
      chunk.clear();
    }
    if (!it->status().ok()) {
      return absl::UnavailableError(
          absl::StrCat("backfill: reading records: ", it->status().ToString()));
    }
    if (!chunk.empty()) RAPPORT_RETURN_IF_ERROR(run_chunk(chunk, false));
  }
  RAPPORT_RETURN_IF_ERROR(run_chunk({}, true));
  spdlog::info("plugin={} msg=\"backfill done\" tenant={} sequence={} records={}", p->name, tenant,
               sequence, status->records());
  return absl::OkStatus();
}

}  // namespace rapport::plugin_host
