// File: sdk/include/rapport/sdk/fake_host_background.h
//
// The fake host's work outside a request: durable timers (scheduling and
// cancelling with rapportd's checks and messages, joined to the call's
// operations, firing on demand; rapportd: core/plugin_host/call_timers.cc,
// timer_dispatcher.cc) and backfill (rapportd: core/plugin_host/backfill.cc).
// Part of FakeHost (fake_host.h), which includes it after the class; not a
// header to include on its own.
#ifndef RAPPORT_SDK_FAKE_HOST_BACKGROUND_H_
#define RAPPORT_SDK_FAKE_HOST_BACKGROUND_H_

#include <cstring>

namespace rapport::sdk {
namespace fake_host_internal {

inline constexpr size_t kMaxTimerKeyBytes = 256;
inline constexpr size_t kMaxTimerPayloadBytes = 64 << 10;
inline constexpr int64_t kMaxTimerLateMicros = 1'000'000;
inline constexpr int64_t kMaxTimerAheadMicros = int64_t{3653} * 24 * 3600 * 1'000'000;

inline std::string EncodeTimer(int64_t when, const std::string& payload) {
  std::string out(sizeof(when), '\0');
  std::memcpy(out.data(), &when, sizeof(when));
  return out + payload;
}

inline void DecodeTimer(const std::string& bytes, int64_t* when, std::string* payload) {
  std::memcpy(when, bytes.data(), sizeof(*when));
  *payload = bytes.substr(sizeof(*when));
}

}  // namespace fake_host_internal

inline int FakeHost::RegisterTimerHandler(rapport_host_ctx* h, rapport_timer_fn fn, void* user) {
  FakeHost* host = H(h);
  if (!host->initialising_) {
    return Refused(host, RAPPORT_FAILED_PRECONDITION,
                   "the timer handler is registered during init only");
  }
  if (fn == nullptr) return Refused(host, RAPPORT_INVALID_ARGUMENT, "timer handler: no function");
  if (host->timer_fn_ != nullptr) {
    return Refused(host, RAPPORT_ALREADY_EXISTS,
                   "timer handler: already registered (a plugin has one; dispatch on the key)");
  }
  host->timer_fn_ = fn;
  host->timer_user_ = user;
  host->last_error_.clear();
  return RAPPORT_OK;
}

inline std::optional<FakeHost::Timer> FakeHost::TimerAsSeen(const Ctx* c, const std::string& key) {
  std::optional<Timer> seen;
  if (auto it = c->host->timers_.find(key); it != c->host->timers_.end()) seen = it->second;
  if (c->pending == nullptr) return seen;
  for (const Op& op : *c->pending) {
    if (!op.timer || op.key != key) continue;
    if (!op.value) {
      seen.reset();
      continue;
    }
    Timer t;
    fake_host_internal::DecodeTimer(*op.value, &t.when, &t.payload);
    seen = t;
  }
  return seen;
}

inline int FakeHost::TimerCheck(Ctx* c, const std::string& key, const char* what) {
  if (c->read_only) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                std::string("validate hooks cannot ") + what +
                    " timers (use a pre-commit hook, a post-commit hook or a method)");
  }
  if (c->host->timer_fn_ == nullptr) {
    return Fail(c, RAPPORT_FAILED_PRECONDITION,
                "no timer handler: register one during init (register_timer_handler, "
                "Plugin::OnTimer) before using timers");
  }
  if (key.empty() || key.size() > fake_host_internal::kMaxTimerKeyBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "timer key: must be 1 to " + std::to_string(fake_host_internal::kMaxTimerKeyBytes) +
                    " bytes, got " + std::to_string(key.size()));
  }
  return RAPPORT_OK;
}

inline int FakeHost::TimerSchedule(rapport_call* call, rapport_bytes key, int64_t when,
                                   rapport_bytes payload) {
  Ctx* c = C(call);
  const std::string own = Str(key);
  if (int rc = TimerCheck(c, own, "schedule"); rc != RAPPORT_OK) return rc;
  if (payload.size > fake_host_internal::kMaxTimerPayloadBytes) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "timer payload: must be at most " +
                    std::to_string(fake_host_internal::kMaxTimerPayloadBytes) + " bytes, got " +
                    std::to_string(payload.size));
  }
  const int64_t now = c->host->now_;
  if (when < now - fake_host_internal::kMaxTimerLateMicros) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT,
                "when: " + std::to_string(when) + " is in the past (now " + std::to_string(now) +
                    "); a timer may be at most 1 s late when scheduled");
  }
  if (when > now + fake_host_internal::kMaxTimerAheadMicros) {
    return Fail(
        c, RAPPORT_INVALID_ARGUMENT,
        "when: " + std::to_string(when) + " is more than 10 years ahead; timers must be bounded");
  }
  if (!TimerAsSeen(c, own)) {
    int64_t pending = static_cast<int64_t>(c->host->timers_.size());
    if (c->pending) {
      for (const Op& op : *c->pending) pending += op.timer ? op.delta : 0;
    }
    if (pending >= c->host->max_timers_) {
      return Fail(c, RAPPORT_RESOURCE_EXHAUSTED,
                  "module already has " + std::to_string(pending) + " pending timers in tenant '" +
                      c->host->tenant_ + "', the host's limit (--plugin-max-timers); " +
                      "cancel some first");
    }
  }
  Op op{own, fake_host_internal::EncodeTimer(when, Str(payload))};
  op.timer = true;
  op.delta = TimerAsSeen(c, own) ? 0 : 1;  // the change in pending timers
  if (c->pending) {
    c->pending->push_back(std::move(op));
    return Ok(c);
  }
  c->host->ApplyTimers(Pending{std::move(op)});
  return Ok(c);
}

inline int FakeHost::TimerCancel(rapport_call* call, rapport_bytes key) {
  Ctx* c = C(call);
  const std::string own = Str(key);
  if (int rc = TimerCheck(c, own, "cancel"); rc != RAPPORT_OK) return rc;
  if (!TimerAsSeen(c, own)) return Fail(c, RAPPORT_NOT_FOUND, "no timer '" + own + "'");
  Op op{own, std::nullopt};
  op.timer = true;
  op.delta = -1;
  if (c->pending) {
    c->pending->push_back(std::move(op));
    return Ok(c);
  }
  c->host->ApplyTimers(Pending{std::move(op)});
  return Ok(c);
}

inline void FakeHost::ApplyTimers(const Pending& ops) {
  for (const Op& op : ops) {
    if (!op.timer) continue;
    if (!op.value) {
      timers_.erase(op.key);
      continue;
    }
    Timer t;
    fake_host_internal::DecodeTimer(*op.value, &t.when, &t.payload);
    timers_[op.key] = t;
  }
}

inline Status FakeHost::FireDueTimers(int* fired) {
  if (fired) *fired = 0;
  if (timer_fn_ == nullptr) return {};
  // The timers due now, oldest first (ties by key, as rapportd's due
  // index). One a handler schedules again fires at the next call.
  std::vector<std::pair<int64_t, std::string>> due;
  for (const auto& [key, t] : timers_) {
    if (t.when <= now_) due.emplace_back(t.when, key);
  }
  std::sort(due.begin(), due.end());
  for (const auto& [when, key] : due) {
    auto it = timers_.find(key);
    if (it == timers_.end() || it->second.when != when) continue;  // cancelled or moved
    const Timer timer = it->second;
    Pending pending;
    Op removal{key, std::nullopt};
    removal.timer = true;
    removal.delta = -1;
    pending.push_back(std::move(removal));
    Ctx ctx{this, &pending, false};
    ctx.reads_all = true;
    std::string error;
    rapport_buffer eb = StringOut(&error);
    int rc = timer_fn_(timer_user_, reinterpret_cast<rapport_call*>(&ctx), internal::Bytes(key),
                       internal::Bytes(timer.payload), &eb);
    if (rc != RAPPORT_OK) return Status{rc, error};
    if (Status s = Commit(pending); !s.ok()) return s;
    if (fired) ++*fired;
  }
  return {};
}

// --- Backfill (rapportd: core/plugin_host/backfill.cc).

inline int FakeHost::RegisterBackfill(rapport_host_ctx* h, rapport_resource resource,
                                      rapport_backfill_fn fn, void* user) {
  FakeHost* host = H(h);
  if (!host->initialising_) {
    return Refused(host, RAPPORT_FAILED_PRECONDITION,
                   "backfill handlers are registered during init only");
  }
  if (fn == nullptr) return Refused(host, RAPPORT_INVALID_ARGUMENT, "backfill: no function");
  if (resource != 0 &&
      (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY)) {
    return Refused(host, RAPPORT_INVALID_ARGUMENT,
                   "backfill: unknown resource " + std::to_string(static_cast<int>(resource)));
  }
  if (!host->backfill_.emplace(static_cast<int>(resource), std::make_pair(fn, user)).second) {
    return Refused(host, RAPPORT_ALREADY_EXISTS,
                   "backfill: a handler for resource " +
                       std::to_string(static_cast<int>(resource)) + " is already registered");
  }
  host->last_error_.clear();
  return RAPPORT_OK;
}

inline Status FakeHost::RunBackfill(int64_t* records) {
  if (records) *records = 0;
  if (backfill_.empty()) {
    return Status{RAPPORT_FAILED_PRECONDITION, "the plugin registers no backfill handler"};
  }
  Pending pending;
  Ctx ctx{this, &pending, false};
  ctx.reads_all = true;
  auto run = [&](int resource, const std::string& record) -> Status {
    auto [fn, user] = backfill_.at(resource);
    std::string error;
    rapport_buffer eb = StringOut(&error);
    int rc = fn(user, reinterpret_cast<rapport_call*>(&ctx),
                static_cast<rapport_resource>(resource), internal::Bytes(record), &eb);
    return rc == RAPPORT_OK ? Status{} : Status{rc, error};
  };
  if (backfill_.count(0)) {
    if (Status s = run(0, std::string()); !s.ok()) return s;
  }
  int64_t handed = 0;
  for (const auto& [key, bytes] : records_) {
    if (!backfill_.count(key.first)) continue;
    if (Status s = run(key.first, bytes); !s.ok()) return s;
    ++handed;
  }
  if (Status s = Commit(pending); !s.ok()) return s;
  if (records) *records = handed;
  return {};
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_BACKGROUND_H_
