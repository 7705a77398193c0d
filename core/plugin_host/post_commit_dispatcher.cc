// File: core/plugin_host/post_commit_dispatcher.cc
//
// The post-commit dispatcher: one thread per plugin with post-commit hooks,
// a durable cursor per tenant, retries with backoff, then a dead letter.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/extra_write_resolver.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

using internal::SetTimestamp;
using store::DeadLetterPrefix;

void PluginHost::Dispatch(Plugin* p) {
  while (!stopping_.load()) {
    const uint64_t head = records_->feed()->last_sequence();
    bool progressed = false;
    // Each tenant with a feed, by its first key.
    auto tenants = db_->NewIterator(db_->feed());
    for (tenants->SeekToFirst(); tenants->Valid() && !stopping_.load();) {
      uint32_t tenant = 0;
      store::KeyReader reader(tenants->key().ToStringView());
      if (!reader.U32(&tenant)) break;
      const std::string tenant_prefix = store::KeyWriter().U32(tenant).Release();
      uint64_t cursor = 0;
      if (auto v = db_->Get(db_->meta(), store::PluginCursorKey(p->name, tenant)); v.ok()) {
        store::KeyReader cr(*v);
        if (!cr.U64(&cursor)) cursor = 0;
      }
      // A backfill due here runs first. Events up to its snapshot of the
      // resources it covers are in it, and skip the hooks.
      uint64_t covered = 0;
      if (!MaybeBackfill(p, tenant, &covered)) return;
      RequestContext ctx;
      ctx.tenant = tenant;
      auto events = records_->feed()->Read(ctx.tenant, cursor, 100);
      // The hooks' keyspace writes of this batch of events, committed in one
      // WriteBatch with the cursor after the last of them: each event's
      // effects are applied exactly once, even across a crash, and a busy
      // feed costs one write per 100 events, not one per event.
      std::vector<records::ExtraWrite> writes;
      uint64_t committed = cursor;
      bool stop = false;
      // Set when a flush found a conflict: this tenant's events run again
      // from the durable cursor.
      bool replay = false;
      // Commits the pending writes with the cursor at `upto`.
      auto flush = [&](uint64_t upto) {
        if (upto == committed && writes.empty()) return true;
        rocksdb::WriteBatch batch;
        batch.Put(db_->meta(), store::PluginCursorKey(p->name, tenant),
                  store::KeyWriter().U64(upto).key());
        bool conflict = false;
        absl::Status s = CommitWrites(writes, &batch, &conflict);
        if (!s.ok()) {
          // A conflict (a key the hooks read changed before they could
          // commit): the events from the durable cursor run again, against
          // the new values.
          if (conflict) ++p->conflicts;
          spdlog::log(conflict ? spdlog::level::info : spdlog::level::err,
                      "plugin={} msg=\"post-commit writes not committed; re-running from the "
                      "cursor\" sequence={} error={}",
                      p->name, upto, LogValue(std::string(s.message())));
          if (conflict) writes.clear();
          replay = conflict;
          progressed = progressed || conflict;
          return false;
        }
        writes.clear();
        committed = upto;
        progressed = true;
        return true;
      };
      if (events.ok()) {
        std::map<std::string, RequestContext> writers;  // this batch's, by user id
        for (const auto& event : *events) {
          if (stopping_.load()) break;
          if (event.sequence() <= covered && p->Backfills(event)) {
            cursor = event.sequence();
            continue;
          }
          bool wrote_record = false;
          // The gate is evaluated for the user who made the change.
          RequestContext as_writer;
          as_writer.tenant = tenant;
          as_writer.tenant_name = tenant_name_ ? tenant_name_(tenant) : "";
          as_writer.principal = event.principal();
          as_writer.request_id = event.request_id();
          const size_t slash = event.principal().find('/');
          std::string user = slash == std::string::npos ? "" : event.principal().substr(slash + 1);
          as_writer.user_id = user;
          // A user of the tenant ("tenant/user"), not the host acting for a
          // module ("module/NAME": timers, backfill), which reads everything.
          const bool by_user = !user.empty() && !as_writer.tenant_name.empty() &&
                               event.principal().compare(0, slash, as_writer.tenant_name) == 0;
          if (by_user && writer_of_) {
            // Hooks act for the writer: their roles and read scope now.
            auto known = writers.find(user);
            if (known == writers.end())
              known = writers.emplace(user, writer_of_(tenant, user)).first;
            as_writer.teams = known->second.teams;
            as_writer.roles = known->second.roles;
            as_writer.scope = known->second.scope;
          } else {
            as_writer.teams = teams_of_(tenant, user);
          }
          GateDecision gate = gate_->Evaluate(as_writer, p->name);
          // An observer ("observe": "all") sees every change.
          if (p->manifest.observe_all) gate.mode = v1::MODULE_MODE_ON;
          if (gate.mode == v1::MODULE_MODE_SHADOW) {
            // Shadow enforces nothing: post-commit hooks have effects, so they
            // are recorded, not run.
            const bool matches = std::any_of(p->hooks.begin(), p->hooks.end(),
                                             [&](const Plugin::Hook& h) { return h.Takes(event); });
            if (matches)
              RecordShadow(p, as_writer, event.resource_id(), "would run its post-commit hook");
          } else if (gate.mode == v1::MODULE_MODE_ON) {
            // Not OK until an attempt ran: stopping before the first one
            // must not count as handled.
            absl::Status status = absl::CancelledError("stopping");
            bool ran = false;
            int attempts = 0;
            absl::Duration backoff = options_.retry_base;
            auto mark = static_cast<std::ptrdiff_t>(writes.size());
            for (; attempts < options_.dead_letter_after && !stopping_.load(); ++attempts) {
              // An out-of-process module whose process is down is waited
              // for: its absence is not an attempt (a crash during the hook
              // is).
              if (p->remote && !p->remote->AwaitUp(stopping_)) break;
              writes.erase(writes.begin() + mark, writes.end());  // a failed attempt's are dropped
              status = RunPostCommit(p, as_writer, event, &ran, &writes, &wrote_record);
              if (!status.ok() && p->remote && RemotePlugin::LastCallNotSent()) {
                // The process went down before the hook could be sent: not an
                // attempt; wait for it (the top of the loop) and run it then.
                --attempts;
                continue;
              }
              if (status.ok()) status = CheckCounterAdds(writes, mark);
              if (status.ok() || !ran) break;
              writes.erase(writes.begin() + mark, writes.end());
              // Before waiting, the earlier events' effects land, so a slow
              // retry holds nothing back.
              if (flush(cursor)) {
                mark = 0;
              } else if (replay) {
                break;
              }
              if (attempts + 1 < options_.dead_letter_after) {
                absl::SleepFor(backoff);
                backoff = std::min(backoff * 2, options_.retry_max);
              }
            }
            if (replay) break;
            if (!status.ok()) writes.erase(writes.begin() + mark, writes.end());
            if (stopping_.load() && !status.ok()) {
              stop = true;  // this event again after restart
              break;
            }
            if (!status.ok()) {
              {
                v1::DeadLetter letter;
                letter.set_module(p->name);
                letter.set_sequence(event.sequence());
                letter.set_error(std::string(status.message()));
                letter.set_attempts(attempts);
                SetTimestamp(letter.mutable_time(), clock_->Now());
                *letter.mutable_event() = event;
                rocksdb::WriteBatch batch;
                batch.Put(db_->meta(),
                          store::KeyWriter(DeadLetterPrefix(p->name, tenant))
                              .U64(event.sequence())
                              .Release(),
                          letter.SerializeAsString());
                (void)db_->Write(&batch);
                ++p->dead_letters;
                spdlog::warn("plugin={} msg=\"dead-lettered\" sequence={} error={}", p->name,
                             event.sequence(), LogValue(std::string(status.message())));
              }
            }
          }
          cursor = event.sequence();
          // A hook that wrote core records: commit now, so that a crash
          // repeats at most this event's record writes (those are at least
          // once; keyspace effects stay exactly once).
          if (wrote_record && !flush(cursor)) break;
        }
        // On failure, re-read from the durable cursor (at once after a
        // conflict).
        if (!replay && !flush(cursor) && !replay) absl::SleepFor(options_.retry_base);
        if (stop) return;
      }
      tenants->Seek(store::PrefixSuccessor(tenant_prefix));
    }
    if (!progressed) records_->feed()->WaitForEvents(head, absl::Milliseconds(200));
  }
}

absl::Status PluginHost::CheckCounterAdds(const std::vector<records::ExtraWrite>& writes,
                                          std::ptrdiff_t since) {
  const bool adds = std::any_of(writes.begin() + since, writes.end(), [](const auto& w) {
    return w.op == records::ExtraWrite::Op::kAdd;
  });
  if (!adds) return absl::OkStatus();
  // A dry run outside the commit lock: only the adds' own errors count here
  // (a conflict is found, and handled, at the flush).
  records::ExtraWriteResolver dry_run(db_);
  bool conflict = false;
  auto resolved = dry_run.Resolve(writes, &conflict, store::DescribePluginKey);
  if (resolved.ok() || conflict) return absl::OkStatus();
  return resolved.status();
}

}  // namespace rapport::plugin_host
