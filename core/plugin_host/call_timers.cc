// File: core/plugin_host/call_timers.cc
//
// Durable timers as one call sees them (plugin_abi.h: timer_schedule,
// timer_cancel). A timer is two meta keys written together (keyspace.h):
// the timer itself, under the plugin, tenant and the plugin's key, holding
// when it is due, its failed attempts and the payload; and an entry in the
// plugin's due index, ordered by time, that the timer thread walks
// (timer_dispatcher.cc). A per-tenant count of pending timers enforces the
// host's cap. All three join the call's pending writes, so a timer exists
// exactly when the call's other writes do.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/extra_write_resolver.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::plugin_host::internal {
namespace {

using records::ExtraWrite;
using CallState = PluginHost::CallState;

constexpr size_t kMaxTimerKeyBytes = 256;
constexpr size_t kMaxTimerPayloadBytes = 64 << 10;
// How late a timer may already be when it is scheduled (a handler that read
// the clock a moment ago), and how far ahead it may be.
constexpr int64_t kMaxLateMicros = 1'000'000;
constexpr absl::Duration kMaxAhead = absl::Hours(24 * 3653);

CallState* C(rapport_call* call) { return CallOf(call); }
int Fail(CallState* c, int code, std::string reason) {
  return FailCall(c, code, std::move(reason));
}

std::string Rfc3339(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// Checks what every timer call needs; RAPPORT_OK or the refusal.
int CheckCall(CallState* c, const std::string& key, const char* what) {
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                absl::StrCat("validate hooks cannot ", what,
                             " timers (use a pre-commit hook, a post-commit hook or a method)"));
  }
  if (c->plugin->timer_fn == nullptr) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                "no timer handler: register one during init (register_timer_handler, "
                "Plugin::OnTimer) before using timers");
  }
  if (key.empty() || key.size() > kMaxTimerKeyBytes) {
    return Fail(
        c, RAPPORT_INVALID_ARGUMENT,
        absl::StrCat("timer key: must be 1 to ", kMaxTimerKeyBytes, " bytes, got ", key.size()));
  }
  return RAPPORT_OK;
}

// The call's writes go to its pending list; a call without one (none today)
// commits them together at the end.
struct Writes {
  explicit Writes(CallState* c) : call(c), out(c->pending ? c->pending : &local) {}
  int Commit() {
    if (call->pending != nullptr || local.empty()) return RAPPORT_OK;
    absl::Status s = TimersApi::CommitNow(call, local);
    if (!s.ok()) return Fail(call, static_cast<int>(s.code()), std::string(s.message()));
    return RAPPORT_OK;
  }
  CallState* call;
  std::vector<ExtraWrite> local;
  std::vector<ExtraWrite>* out;
};

// The call's tenant's timer `own` as the call sees it (unset if none); the
// read is checked at commit like any keyspace read.
int ReadTimer(CallState* c, const std::string& own, std::optional<TimerEntry>* out) {
  const std::string shown = absl::StrCat("timer '", own, "'");
  std::optional<std::string> stored;
  int rc = KeyspaceApi::ReadKey(c, store::TimerKey(c->plugin->name, c->ctx->tenant, own), shown,
                                &stored);
  if (rc != RAPPORT_OK || !stored) return rc;
  if (!out->emplace().Decode(*stored)) {
    return Fail(c, RAPPORT_INTERNAL, absl::StrCat(shown, ": stored value is not a timer"));
  }
  return RAPPORT_OK;
}

}  // namespace

std::string TimerEntry::Encode() const {
  return store::KeyWriter().U64(when).U32(attempts).Raw(payload).Release();
}

bool TimerEntry::Decode(std::string_view bytes) {
  store::KeyReader reader(bytes);
  if (!reader.U64(&when) || !reader.U32(&attempts)) return false;
  payload = std::string(reader.rest());
  return true;
}

absl::Status TimersApi::CommitNow(PluginHost::CallState* call,
                                  const std::vector<records::ExtraWrite>& writes) {
  rocksdb::WriteBatch batch;
  return call->host->CommitWrites(writes, &batch);
}

int TimersApi::Schedule(rapport_call* call, rapport_bytes key, int64_t when_micros,
                        rapport_bytes payload) {
  auto* c = C(call);
  const std::string own = AsString(key);
  if (int rc = CheckCall(c, own, "schedule"); rc != RAPPORT_OK) return rc;
  if (payload.size > kMaxTimerPayloadBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("timer payload: must be at most ", kMaxTimerPayloadBytes,
                             " bytes, got ", payload.size));
  }
  PluginHost* host = c->host;
  const int64_t now = absl::ToUnixMicros(host->clock_->Now());
  if (when_micros < 0 || when_micros < now - kMaxLateMicros) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("when: ", Rfc3339(when_micros), " is in the past (now ", Rfc3339(now),
                             "); a timer may be at most 1 s late when scheduled"));
  }
  if (when_micros > now + absl::ToInt64Microseconds(kMaxAhead)) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                absl::StrCat("when: ", Rfc3339(when_micros),
                             " is more than 10 years ahead; timers must be bounded"));
  }
  const std::string& module = c->plugin->name;
  const uint32_t tenant = c->ctx->tenant;
  const std::string entry_key = store::TimerKey(module, tenant, own);
  std::optional<TimerEntry> existing;
  if (int rc = ReadTimer(c, own, &existing); rc != RAPPORT_OK) return rc;
  Writes writes(c);
  if (existing) {
    writes.out->push_back(
        ExtraWrite{store::TimerDueKey(module, existing->when, tenant, own), std::nullopt});
  } else {
    // The cap counts the stored timers and this call's own; concurrent
    // calls may overshoot it by their number, never by more.
    const std::string count_key = store::TimerCountKey(module, tenant);
    int64_t pending = 0;
    if (auto v = host->db_->Get(host->db_->meta(), count_key); v.ok()) {
      (void)records::DecodeCounter(*v, &pending);
    }
    for (const ExtraWrite& w : *writes.out) {
      if (w.op == ExtraWrite::Op::kAdd && w.key == count_key) pending += w.delta;
    }
    if (pending >= host->options_.max_timers) {
      return Fail(c, RAPPORT_RESOURCE_EXHAUSTED,
                  absl::StrCat("module '", module, "' already has ", pending,
                               " pending timers in tenant '", c->ctx->tenant_name,
                               "', the host's limit (--plugin-max-timers); cancel some first"));
    }
    writes.out->push_back(CounterAdd(count_key, 1));
  }
  TimerEntry entry;
  entry.when = static_cast<uint64_t>(when_micros);
  entry.payload = AsString(payload);
  writes.out->push_back(ExtraWrite{entry_key, entry.Encode()});
  writes.out->push_back(ExtraWrite{store::TimerDueKey(module, entry.when, tenant, own), ""});
  if (int rc = writes.Commit(); rc != RAPPORT_OK) return rc;
  host->WakeTimers(c->plugin, when_micros);
  c->last_error.clear();
  return RAPPORT_OK;
}

int TimersApi::Cancel(rapport_call* call, rapport_bytes key) {
  auto* c = C(call);
  const std::string own = AsString(key);
  if (int rc = CheckCall(c, own, "cancel"); rc != RAPPORT_OK) return rc;
  const std::string& module = c->plugin->name;
  const uint32_t tenant = c->ctx->tenant;
  std::optional<TimerEntry> existing;
  if (int rc = ReadTimer(c, own, &existing); rc != RAPPORT_OK) return rc;
  if (!existing) return Fail(c, RAPPORT_NOT_FOUND, absl::StrCat("no timer '", own, "'"));
  Writes writes(c);
  writes.out->push_back(ExtraWrite{store::TimerKey(module, tenant, own), std::nullopt});
  writes.out->push_back(
      ExtraWrite{store::TimerDueKey(module, existing->when, tenant, own), std::nullopt});
  writes.out->push_back(CounterAdd(store::TimerCountKey(module, tenant), -1));
  if (int rc = writes.Commit(); rc != RAPPORT_OK) return rc;
  c->last_error.clear();
  return RAPPORT_OK;
}

}  // namespace rapport::plugin_host::internal
