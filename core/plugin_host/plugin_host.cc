// File: core/plugin_host/plugin_host.cc
//
// The plugin host: construction, start and stop, the module list, and the
// plugins' RPC methods (see plugin_host_internal.h for the other files).

#include "core/plugin_host/plugin_host.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/status_util.h"
#include "core/feed/change_feed.h"
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

PluginHost::PluginHost(
    store::Database* db, records::RecordStore* records, const Clock* clock,
    PluginHostOptions options,
    std::function<std::vector<std::string>(uint32_t, const std::string&)> teams_of,
    std::function<std::string(uint32_t)> tenant_name)
    : db_(db),
      records_(records),
      clock_(clock),
      options_(std::move(options)),
      teams_of_(std::move(teams_of)),
      tenant_name_(std::move(tenant_name)) {
  gate_ = std::make_unique<ModuleGate>(
      db, records->feed(),
      [this](const std::string& module) {
        Plugin* p = FindPlugin(module);
        return p ? p->manifest.requires_modules : std::vector<std::string>{};
      },
      [this](const std::string& module) {
        std::vector<std::string> dependents;
        for (const auto& p : plugins_) {
          if (!p->loaded) continue;
          const auto& deps = p->manifest.requires_modules;
          if (std::find(deps.begin(), deps.end(), module) != deps.end())
            dependents.push_back(p->name);
        }
        return dependents;
      });
}

PluginHost::~PluginHost() { Stop(); }

PluginHost::Plugin* PluginHost::FindPlugin(const std::string& module) const {
  for (const auto& p : plugins_)
    if (p->name == module) return p.get();
  return nullptr;
}

bool PluginHost::IsLoaded(const std::string& module) const {
  Plugin* p = FindPlugin(module);
  return p && p->loaded;
}

void PluginHost::Start() {
  for (auto& p : plugins_) {
    if (!p->loaded) continue;
    try {
      if (p->entry->start) p->entry->start(p->state);
    } catch (...) {
      spdlog::error("plugin={} msg=\"start threw\"", p->name);
    }
    bool has_post_commit = std::any_of(p->hooks.begin(), p->hooks.end(), [](const Plugin::Hook& h) {
      return h.kind == RAPPORT_HOOK_POST_COMMIT;
    });
    if (has_post_commit || !p->backfill.empty())
      dispatchers_.emplace_back([this, raw = p.get()] { Dispatch(raw); });
    if (p->timer_fn != nullptr)
      dispatchers_.emplace_back([this, raw = p.get()] { RunTimers(raw); });
  }
}

void PluginHost::Stop() {
  std::call_once(stop_once_, [this] {
    auto quietly = [](auto fn) {
      try {
        fn();
      } catch (...) {
      }
    };
    for (auto& p : plugins_) {
      if (p->loaded && p->entry->drain) quietly([&] { p->entry->drain(p->state); });
    }
    stopping_ = true;
    for (auto& p : plugins_) {
      std::lock_guard<std::mutex> lock(p->timer_mu);
      p->timer_cv.notify_all();
    }
    for (auto& t : dispatchers_) t.join();
    for (auto& p : plugins_) {
      if (p->loaded && p->entry->stop) quietly([&] { p->entry->stop(p->state); });
    }
  });
}

std::vector<v1::Module> PluginHost::Modules() const {
  std::vector<v1::Module> out;
  for (const auto& p : plugins_) {
    v1::Module m = p->info;
    m.set_hook_calls(p->hook_calls.load());
    m.set_hook_failures(p->hook_failures.load());
    m.set_dead_letters(p->dead_letters.load());
    m.set_isolation(p->manifest.isolation_process ? "process" : "in_process");
    if (p->remote) {
      m.set_restarts(p->remote->restarts());
      m.set_process_up(p->remote->up());
    }
    std::lock_guard<std::mutex> lock(p->metrics_mu);
    for (const auto& [k, v] : p->metrics) (*m.mutable_metrics())[k] = v;
    // Host-kept: commits of the module's keyspace writes that found a read
    // out of date and ran the handler again (plugin_abi.h, transactions).
    (*m.mutable_metrics())["keyspace_conflicts"] = p->conflicts.load();
    // Calls of its methods other modules made in process (call_module).
    (*m.mutable_metrics())["module_calls"] = p->module_calls.load();
    // Durable timers fired (their handler's writes committed) and handler
    // failures (each retried with backoff, then dead-lettered).
    if (!p->backfill.empty())
      (*m.mutable_metrics())["backfill_records"] = p->backfill_records.load();
    if (p->timer_fn != nullptr) {
      (*m.mutable_metrics())["timers_fired"] = p->timers_fired.load();
      (*m.mutable_metrics())["timer_failures"] = p->timer_failures.load();
    }
    out.push_back(std::move(m));
  }
  return out;
}

bool PluginHost::Handles(const std::string& method) const { return methods_.count(method) > 0; }

bool PluginHost::IsStreaming(const std::string& method) const {
  auto it = methods_.find(method);
  return it != methods_.end() && it->second->stream_methods.count(method) > 0;
}

absl::StatusOr<PluginHost::Plugin*> PluginHost::GatedPlugin(const RequestContext& ctx,
                                                            const std::string& method) const {
  auto it = methods_.find(method);
  if (it == methods_.end())
    return absl::UnimplementedError(absl::StrCat("no plugin serves ", method));
  Plugin* p = it->second;
  GateDecision gate = gate_->Evaluate(ctx, p->name);
  if (gate.mode != v1::MODULE_MODE_ON) {
    return absl::FailedPreconditionError(absl::StrCat("module '", p->name, "' is off for tenant '",
                                                      ctx.tenant_name, "' (", gate.reason, ")"));
  }
  return p;
}

absl::Status PluginHost::InvokeStream(const RequestContext& ctx, const std::string& method,
                                      const std::string& request, const RpcContext& rpc) {
  RAPPORT_ASSIGN_OR_RETURN(Plugin * p, GatedPlugin(ctx, method));
  auto found = p->stream_methods.find(method);
  if (found == p->stream_methods.end())
    return absl::UnimplementedError(absl::StrCat(method, " is not a streaming method"));
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
  const auto fn = found->second.first;
  void* const user = found->second.second;
  // Once a response has gone out the stream cannot run again: one attempt,
  // and a conflict at its commit ends it ABORTED.
  std::vector<records::ExtraWrite> writes;
  CallState call(this, p, &ctx, &writes);
  call.rpc = &rpc;
  HostBuffer error;
  int rc = Guarded(error, [&] {
    return fn(user, reinterpret_cast<rapport_call*>(&call), Bytes(request), &error.buffer);
  });
  if (rc != RAPPORT_OK)
    return absl::Status(CodeOf(rc), absl::StrCat("module '", p->name, "': ", error.data));
  if (writes.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  bool conflicted = false;
  absl::Status committed = CommitWrites(writes, &batch, &conflicted);
  if (committed.ok()) return committed;
  if (conflicted) ++p->conflicts;
  return absl::Status(conflicted ? absl::StatusCode::kAborted : committed.code(),
                      absl::StrCat("module '", p->name, "': ", std::string(committed.message()),
                                   conflicted ? "; the stream's writes were not committed" : ""));
}

absl::StatusOr<std::string> PluginHost::Invoke(const RequestContext& ctx, const std::string& method,
                                               const std::string& request, const RpcContext* rpc) {
  RAPPORT_ASSIGN_OR_RETURN(Plugin * p, GatedPlugin(ctx, method));
  auto registered = p->methods_registered.find(method);
  if (registered == p->methods_registered.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat(method, " is a streaming method: call it as one"));
  }
  const auto fn = registered->second.first;
  void* const user = registered->second.second;
  // The method's keyspace writes commit together, and only if it succeeds
  // and what it read is still current; otherwise it runs again.
  absl::Status conflict;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    if (attempt > 0) {
      // A random pause, growing with the attempts, so that calls racing on
      // one hot key do not keep colliding in step.
      thread_local absl::BitGen random;
      absl::SleepFor(
          absl::Microseconds(absl::Uniform<int64_t>(random, 0, int64_t{200} * attempt + 1)));
    }
    std::vector<records::ExtraWrite> writes;
    bool wrote_record = false;
    CallState call(this, p, &ctx, &writes);
    call.wrote_record = &wrote_record;
    call.rpc = rpc;
    HostBuffer response, error;
    int rc = Guarded(error, [&] {
      return fn(user, reinterpret_cast<rapport_call*>(&call), Bytes(request), &response.buffer,
                &error.buffer);
    });
    if (rc != RAPPORT_OK) {
      return absl::Status(CodeOf(rc), absl::StrCat("module '", p->name, "': ", error.data));
    }
    const bool writes_something =
        std::any_of(writes.begin(), writes.end(), [](const records::ExtraWrite& w) {
          return w.op == records::ExtraWrite::Op::kWrite || w.op == records::ExtraWrite::Op::kAdd ||
                 w.op == records::ExtraWrite::Op::kEvent;
        });
    if (!writes_something) return response.data;  // a read-only call needs no check
    rocksdb::WriteBatch batch;
    bool conflicted = false;
    conflict = CommitWrites(writes, &batch, &conflicted);
    if (conflict.ok()) return response.data;
    if (!conflicted) {
      return absl::Status(conflict.code(), absl::StrCat("module '", p->name,
                                                        "': ", std::string(conflict.message())));
    }
    ++p->conflicts;
    if (wrote_record) {
      // Its core record writes are committed: running it again would repeat
      // them.
      return absl::AbortedError(absl::StrCat(
          "module '", p->name, "': ", std::string(conflict.message()),
          "; the call had already written core records, so it was not run again: retry it"));
    }
  }
  return absl::AbortedError(absl::StrCat("module '", p->name,
                                         "': ", std::string(conflict.message()), " (still after ",
                                         options_.max_conflict_retries + 1, " attempts); retry"));
}

absl::Status PluginHost::CommitWrites(const std::vector<records::ExtraWrite>& writes,
                                      rocksdb::WriteBatch* batch, bool* conflict) {
  if (conflict) *conflict = false;
  // The earliest timer each plugin's writes scheduled (a call's writes are
  // its plugin's, and those of the modules it called through call_module).
  std::map<Plugin*, int64_t> earliest_timer;
  {
    auto lock = records_->feed()->LockCommits();
    records::ExtraWriteResolver resolver(db_);
    // Keys are shown as the plugin wrote them, without the tenant and module
    // prefix.
    RAPPORT_ASSIGN_OR_RETURN(auto resolved,
                             resolver.Resolve(writes, conflict, store::DescribePluginKey));
    // Module events (emit_event) go into the feed with the writes.
    std::optional<feed::ChangeFeed::Batch> events;
    for (const auto& w : resolved) {
      if (w.op == records::ExtraWrite::Op::kEvent) {
        v1::ChangeEvent event;
        uint32_t tenant = 0;
        if (!w.value || !event.ParseFromString(*w.value) || !store::KeyReader(w.key).U32(&tenant))
          return absl::InternalError("a module event could not be read back");
        if (!events) events.emplace(records_->feed(), tenant, batch);
        events->Add(&event);
      } else if (w.value) {
        batch->Put(db_->meta(), w.key, *w.value);
        NoteTimer(w.key, &earliest_timer);
      } else {
        batch->Delete(db_->meta(), w.key);
      }
    }
    RAPPORT_RETURN_IF_ERROR(
        lock.ReleaseAfter(events ? events->Commit() : records_->feed()->WriteLocked(batch)));
  }
  // A timer committed here may be due before the timer thread next looks.
  for (const auto& [p, when] : earliest_timer) WakeTimers(p, when);
  return absl::OkStatus();
}

void PluginHost::NoteTimer(const std::string& key, std::map<Plugin*, int64_t>* earliest) const {
  if (key.empty() || key[0] != static_cast<char>(store::MetaPrefix::kTimerDue)) return;
  for (const auto& p : plugins_) {
    if (p->timer_fn == nullptr) continue;
    const std::string due_prefix = store::TimerDuePrefix(p->name);
    if (!absl::StartsWith(key, due_prefix)) continue;
    store::KeyReader reader(std::string_view(key).substr(due_prefix.size()));
    uint64_t when = 0;
    if (!reader.U64(&when)) return;
    auto [it, fresh] = earliest->try_emplace(p.get(), static_cast<int64_t>(when));
    if (!fresh) it->second = std::min<int64_t>(it->second, static_cast<int64_t>(when));
    return;
  }
}

std::vector<std::string> PluginHost::DescriptorSets() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_) {
    if (!p->loaded) continue;
    out.insert(out.end(), p->descriptor_sets.begin(), p->descriptor_sets.end());
  }
  return out;
}

std::vector<std::string> PluginHost::Methods() const {
  std::vector<std::string> out;
  for (const auto& [method, plugin] : methods_) out.push_back(method);
  return out;
}

std::map<std::string, std::string> PluginHost::MethodModules() const {
  std::map<std::string, std::string> out;
  for (const auto& [method, plugin] : methods_) out.emplace(method, plugin->name);
  return out;
}

std::vector<ModuleTimings> PluginHost::Timings() const {
  std::vector<ModuleTimings> out;
  const absl::Time now = clock_->Now();
  for (const auto& p : plugins_) {
    ModuleTimings t;
    t.module = p->name;
    for (size_t i = 0; i < t.hooks.size(); ++i) t.hooks[i] = p->hook_latency[i].Read();
    const bool post_commit = std::any_of(p->hooks.begin(), p->hooks.end(), [](const auto& h) {
      return h.kind == RAPPORT_HOOK_POST_COMMIT;
    });
    if (post_commit) {
      t.feed_lag = absl::ZeroDuration();
      // Each tenant with a feed, as the dispatcher walks them.
      auto tenants = db_->NewIterator(db_->feed());
      for (tenants->SeekToFirst(); tenants->Valid();) {
        uint32_t tenant = 0;
        store::KeyReader reader(tenants->key().ToStringView());
        if (!reader.U32(&tenant)) break;
        uint64_t cursor = 0;
        if (auto v = db_->Get(db_->meta(), store::PluginCursorKey(p->name, tenant)); v.ok()) {
          store::KeyReader cr(*v);
          if (!cr.U64(&cursor)) cursor = 0;
        }
        auto oldest = records_->feed()->OldestAfter(tenant, cursor);
        if (oldest.ok() && oldest->has_value()) {
          t.feed_lag = std::max(*t.feed_lag, now - **oldest);
        }
        tenants->Seek(store::PrefixSuccessor(store::KeyWriter().U32(tenant).Release()));
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace rapport::plugin_host
