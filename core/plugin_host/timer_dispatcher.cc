// File: core/plugin_host/timer_dispatcher.cc
//
// The timer thread: one per plugin with a timer handler. It walks the
// plugin's due index (core/store/keyspace.h) from the oldest entry, fires
// every timer that is due, and sleeps until the next one (or until a call
// schedules an earlier one: WakeTimers). A timer's removal commits in one
// batch with its handler's keyspace writes, under the same commit-time read
// check as any call, so the handler's effects apply exactly once, even
// across a crash: a timer whose batch did not commit is still stored and
// fires again after the restart.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/extra_write_resolver.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

using internal::Bytes;
using internal::CodeOf;
using internal::Guarded;
using internal::HostBuffer;
using internal::TimerEntry;
using records::ExtraWrite;

namespace {

// Timers fired per pass before the thread looks again from the start, and
// due entries it steps over (those of tenants whose kill switch is thrown)
// before it sleeps.
constexpr size_t kFiredPerPass = 256;
constexpr int kScannedPerPass = 10'000;
// The longest the thread sleeps without looking (a safety net: commits and
// schedules wake it sooner).
constexpr absl::Duration kMaxSleep = absl::Milliseconds(100);
// How often a pass looks from the start of the due index, not the floor.
constexpr absl::Duration kFullPassEvery = absl::Seconds(1);

}  // namespace

void PluginHost::WakeTimers(Plugin* p, int64_t when_micros) {
  std::lock_guard<std::mutex> lock(p->timer_mu);
  p->timer_floor = std::min(p->timer_floor, when_micros);
  if (when_micros < p->timer_hint) {
    p->timer_hint = when_micros;
    p->timer_cv.notify_all();
  }
}

void PluginHost::RunTimers(Plugin* p) {
  const std::string prefix = store::TimerDuePrefix(p->name);
  absl::Time next_full_pass = absl::InfinitePast();
  while (!stopping_.load()) {
    int64_t floor = 0;
    {
      std::lock_guard<std::mutex> lock(p->timer_mu);
      p->timer_hint = INT64_MAX;  // this pass sees everything committed so far
      floor = p->timer_floor;
    }
    // Now and then a pass looks from the start: a timer scheduled before a
    // pass but committed after it (a slow call) may be older than the floor.
    if (absl::Now() >= next_full_pass) {
      floor = 0;
      next_full_pass = absl::Now() + kFullPassEvery;
    }
    const int64_t now = absl::ToUnixMicros(clock_->Now());
    int64_t next_due = INT64_MAX;
    struct Due {
      uint64_t when;
      uint32_t tenant;
      std::string key;
    };
    std::vector<Due> due;
    std::set<uint32_t> held, checked;
    {
      auto it = db_->NewIterator(db_->meta());
      int scanned = 0;
      int64_t oldest = INT64_MAX;
      it->Seek(store::KeyWriter(prefix)
                   .U64(static_cast<uint64_t>(std::max<int64_t>(floor, 0)))
                   .Release());
      for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
        store::KeyReader reader(it->key().ToStringView().substr(prefix.size()));
        Due d;
        if (!reader.U64(&d.when) || !reader.U32(&d.tenant)) continue;
        oldest = std::min(oldest, static_cast<int64_t>(d.when));
        if (static_cast<int64_t>(d.when) > now) {
          next_due = static_cast<int64_t>(d.when);
          break;
        }
        if (checked.insert(d.tenant).second) {
          // The kill switch holds a tenant's timers; they wait, due.
          auto rule = gate_->GetRule(d.tenant, p->name);
          if (rule.ok() && rule->kill_switch()) held.insert(d.tenant);
        }
        if (++scanned >= kScannedPerPass) break;
        if (held.count(d.tenant)) continue;
        d.key = std::string(reader.rest());
        due.push_back(std::move(d));
        if (due.size() >= kFiredPerPass) break;
      }
      // Next pass from the oldest entry seen (live unless this pass fires
      // it), or earlier for a timer scheduled during the pass, which the
      // iterator may not have seen (timer_hint: the earliest since the
      // pass began).
      std::lock_guard<std::mutex> lock(p->timer_mu);
      p->timer_floor = std::min(oldest == INT64_MAX ? now : oldest, p->timer_hint);
    }
    for (const Due& d : due) {
      if (stopping_.load()) return;
      // An out-of-process module whose process is down: its timers wait
      // (not counted as attempts) until it is back.
      if (p->remote && !p->remote->AwaitUp(stopping_)) return;
      FireTimer(p, d.tenant, d.key, d.when);
    }
    if (due.size() >= kFiredPerPass) continue;  // more may be due
    std::unique_lock<std::mutex> lock(p->timer_mu);
    if (stopping_.load()) return;
    const int64_t after = absl::ToUnixMicros(clock_->Now());
    int64_t wake = std::min(next_due, after + absl::ToInt64Microseconds(kMaxSleep));
    if (!held.empty()) wake = after + absl::ToInt64Microseconds(kMaxSleep);
    // Scheduled during the pass (perhaps not yet committed when it looked):
    // look again soon.
    if (p->timer_hint < wake) wake = std::max(p->timer_hint, after + 1000);
    if (wake <= after) continue;
    const int64_t hint_seen = p->timer_hint;
    p->timer_cv.wait_for(lock, std::chrono::microseconds(wake - after), [&] {
      return stopping_.load() || p->timer_hint < std::min(wake, hint_seen);
    });
  }
}

bool PluginHost::FireTimer(Plugin* p, uint32_t tenant, const std::string& key, uint64_t when) {
  const std::string entry_key = store::TimerKey(p->name, tenant, key);
  const std::string due_key = store::TimerDueKey(p->name, when, tenant, key);
  const std::string count_key = store::TimerCountKey(p->name, tenant);
  absl::Status status;
  TimerEntry entry;
  std::string stored;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    auto v = db_->Get(db_->meta(), entry_key);
    if (absl::IsNotFound(v.status())) {
      // Cancelled since the pass looked (cancel removes the due entry with
      // the timer; deleting it here, unchecked, could remove the entry of a
      // timer scheduled again meanwhile at the same time).
      return true;
    }
    if (!v.ok() || !entry.Decode(*v)) {
      spdlog::error("plugin={} msg=\"cannot read timer\" key={} error={}", p->name, LogValue(key),
                    LogValue(std::string(v.status().message())));
      return false;
    }
    stored = *v;
    if (entry.when != when) return true;  // rescheduled since the pass looked
    RequestContext ctx;
    ctx.tenant = tenant;
    ctx.tenant_name = tenant_name_ ? tenant_name_(tenant) : "";
    ctx.principal = absl::StrCat("module/", p->name);
    // The timer's removal, checked at commit against the value just read:
    // a timer rescheduled or cancelled meanwhile makes this a conflict.
    std::vector<ExtraWrite> writes;
    ExtraWrite expect{entry_key, stored};
    expect.op = ExtraWrite::Op::kExpectValue;
    writes.push_back(std::move(expect));
    writes.push_back(ExtraWrite{entry_key, std::nullopt});
    writes.push_back(ExtraWrite{due_key, std::nullopt});
    writes.push_back(internal::CounterAdd(count_key, -1));
    bool wrote_record = false;
    CallState call(this, p, &ctx, &writes);
    call.wrote_record = &wrote_record;
    call.origin = absl::StrCat("module/", p->name);
    call.depth = 1;
    HostBuffer error;
    int rc = Guarded(error, [&] {
      return p->timer_fn(p->timer_user, reinterpret_cast<rapport_call*>(&call), Bytes(key),
                         Bytes(entry.payload), &error.buffer);
    });
    // The process went down before the handler could be sent: not an
    // attempt; the timer stays due and fires once the process is back.
    if (rc != RAPPORT_OK && p->remote && RemotePlugin::LastCallNotSent()) return false;
    status = rc == RAPPORT_OK ? absl::OkStatus() : absl::Status(CodeOf(rc), error.data);
    if (status.ok()) status = CheckCounterAdds(writes, 0);
    if (!status.ok()) break;
    rocksdb::WriteBatch batch;
    bool conflict = false;
    status = CommitWrites(writes, &batch, &conflict);
    if (status.ok()) {
      ++p->timers_fired;
      return true;
    }
    if (!conflict) break;
    ++p->conflicts;
    if (wrote_record) break;  // its core record writes are committed: not again
  }
  // Failed: again later with backoff, or, after the host's limit, a dead
  // letter. Both only if the timer is still the one that ran.
  ++p->timer_failures;
  const uint32_t attempts = entry.attempts + 1;
  std::vector<ExtraWrite> writes;
  ExtraWrite expect{entry_key, stored};
  expect.op = ExtraWrite::Op::kExpectValue;
  writes.push_back(std::move(expect));
  writes.push_back(ExtraWrite{due_key, std::nullopt});
  rocksdb::WriteBatch batch;
  if (static_cast<int>(attempts) >= options_.dead_letter_after) {
    writes.push_back(ExtraWrite{entry_key, std::nullopt});
    writes.push_back(internal::CounterAdd(count_key, -1));
    v1::DeadLetter letter;
    letter.set_module(p->name);
    letter.set_error(std::string(status.message()));
    letter.set_attempts(static_cast<int32_t>(attempts));
    internal::SetTimestamp(letter.mutable_time(), clock_->Now());
    letter.set_timer_key(key);
    letter.set_timer_payload(entry.payload);
    batch.Put(db_->meta(),
              store::KeyWriter(store::DeadLetterPrefix(p->name, tenant)).U64(0).Raw(key).Release(),
              letter.SerializeAsString());
    ++p->dead_letters;
    spdlog::warn("plugin={} msg=\"timer dead-lettered\" key={} attempts={} error={}", p->name,
                 LogValue(key), attempts, LogValue(std::string(status.message())));
  } else {
    absl::Duration backoff = options_.retry_base;
    for (uint32_t i = 1; i < attempts && backoff < options_.retry_max; ++i) backoff *= 2;
    backoff = std::min(backoff, options_.retry_max);
    TimerEntry again = entry;
    again.attempts = attempts;
    again.when = static_cast<uint64_t>(absl::ToUnixMicros(clock_->Now() + backoff));
    writes.push_back(ExtraWrite{entry_key, again.Encode()});
    writes.push_back(ExtraWrite{store::TimerDueKey(p->name, again.when, tenant, key), ""});
    spdlog::info("plugin={} msg=\"timer failed; retrying\" key={} attempts={} error={}", p->name,
                 LogValue(key), attempts, LogValue(std::string(status.message())));
  }
  (void)CommitWrites(writes, &batch);
  return false;
}

}  // namespace rapport::plugin_host
