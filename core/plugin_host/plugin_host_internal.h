// File: core/plugin_host/plugin_host_internal.h
//
// What the plugin host's files share; not for use outside core/plugin_host/.
// The host is split by job:
//   plugin_host.cc             construction, start and stop, module list, plugin RPCs
//   plugin_loader.cc           manifests, dependency order, dlopen and init
//   host_api.cc                the C host function table the plugins call
//   hook_runner.cc             validate, pre-commit and post-commit hooks
//   post_commit_dispatcher.cc  the per-plugin feed dispatcher threads
//   dead_letters.cc            dead letters and shadow records
//   call_keyspace.cc           the keyspace as a call sees it
//   call_records.cc            core record queries as the caller
//   call_timers.cc             scheduling and cancelling durable timers
//   call_modules.cc            module events and calls between modules
//   timer_dispatcher.cc        the per-plugin timer threads
//   backfill.cc                backfills from a snapshot, in the dispatcher
#ifndef RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_INTERNAL_H_
#define RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_INTERNAL_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/common/latency_histogram.h"
#include "core/common/time_util.h"
#include "core/plugin_host/abi_enum.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/remote_plugin.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/sdk/plugin_abi.h"
#include "rapport/v1/event.pb.h"

namespace rapport::plugin_host {
namespace internal {

using ::rapport::SetTimestamp;

// A host-made output buffer backed by a std::string.
struct HostBuffer {
  std::string data;
  bool set = false;
  rapport_buffer buffer{this, [](void* user, const void* bytes, size_t size) {
                          auto* self = static_cast<HostBuffer*>(user);
                          self->data.assign(static_cast<const char*>(bytes), size);
                          self->set = true;
                        }};
  HostBuffer() = default;
  HostBuffer(const HostBuffer&) = delete;
};

inline rapport_bytes Bytes(const std::string& s) {
  return rapport_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline absl::StatusCode CodeOf(int rc) {
  if (rc <= 0 || rc > 16) return absl::StatusCode::kInternal;
  return static_cast<absl::StatusCode>(rc);
}

// Calls into a plugin. Exceptions must not escape a C ABI, but a C++
// plugin may still throw: catch everything and report it as the plugin's
// error.
template <typename F>
int Guarded(HostBuffer& error, F call) {
  try {
    return call();
  } catch (const std::exception& e) {
    error.data = absl::StrCat("threw: ", e.what());
  } catch (...) {
    error.data = "threw a non-std exception";
  }
  return RAPPORT_INTERNAL;
}

// The host function table handed to each plugin's init (host_api.cc).
const rapport_host_api* HostApiTable();

// Core record queries as the caller (call_records.cc): list, search, count
// and can_read, through the record store's own planner and access rules.
struct RecordsApi {
  static int List(rapport_call* call, rapport_resource resource, const char* filter,
                  const char* order_by, int32_t page_size, const char* page_token,
                  rapport_buffer* response, rapport_buffer* error);
  static int Search(rapport_call* call, const char* query, int32_t page_size,
                    const char* page_token, rapport_buffer* response, rapport_buffer* error);
  static int Count(rapport_call* call, rapport_resource resource, const char* filter,
                   int64_t* count, rapport_buffer* error);
  static int CanRead(rapport_call* call, rapport_resource resource, const char* id);
  // normalize_contact (ABI 1.3): the core's own phone and email validators.
  static int NormalizeContact(rapport_call* call, const char* kind, rapport_bytes raw,
                              rapport_buffer* out, rapport_buffer* error);
};

// The plugin's keyspace through rapport_call (call_keyspace.cc): reads that
// see the call's own writes and are remembered for the commit-time check,
// puts, deletes, counter adds and range scans.
struct KeyspaceApi {
  static int Get(rapport_call* call, rapport_bytes key, rapport_buffer* value);
  static int Put(rapport_call* call, rapport_bytes key, rapport_bytes value);
  static int Delete(rapport_call* call, rapport_bytes key);
  static int Add(rapport_call* call, rapport_bytes key, int64_t delta);
  static int Scan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user);
  static int ScanRange(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after,
                       uint32_t limit, int reverse, rapport_scan_fn fn, void* user);
  static const char* LastError(rapport_call* call);
  // The value of meta key `k` as the call sees it (its own writes over the
  // store), remembered for the commit-time check like kv_get's reads;
  // `shown` names the key in errors. Unset when missing.
  static int ReadKey(PluginHost::CallState* call, const std::string& k, const std::string& shown,
                     std::optional<std::string>* value);
  // A write outside any call's batch, committed at once.
  static absl::Status CommitNow(PluginHost::CallState* call, records::ExtraWrite write);
  // kv_sequence_next (ABI 1.3): an increment committed at once, under the
  // host's sequence lock so no two calls read the same value back.
  static int SequenceNext(rapport_call* call, rapport_bytes key, int64_t* value);
};

// Durable timers through rapport_call (call_timers.cc): timer_schedule and
// timer_cancel, which join the call's writes like keyspace writes.
struct TimersApi {
  static int Schedule(rapport_call* call, rapport_bytes key, int64_t when_micros,
                      rapport_bytes payload);
  static int Cancel(rapport_call* call, rapport_bytes key);
  // Commits `writes` at once (a call without a pending list).
  static absl::Status CommitNow(PluginHost::CallState* call,
                                const std::vector<records::ExtraWrite>& writes);
};

// Modules talking to modules through rapport_call (call_modules.cc):
// emit_event, which joins the call's writes, and call_module.
struct ModulesApi {
  static int EmitEvent(rapport_call* call, const char* type, const char* payload_type,
                       rapport_bytes payload);
  static int CallModule(rapport_call* call, const char* full_method, rapport_bytes request,
                        rapport_buffer* response, rapport_buffer* error);
};
// How deep call_module calls may nest (a module calling itself, or two
// calling each other, stops here).
inline constexpr int kMaxModuleCallDepth = 8;

// A timer's stored value (the timer key of core/store/keyspace.h).
struct TimerEntry {
  uint64_t when = 0;
  uint32_t attempts = 0;
  std::string payload;
  std::string Encode() const;
  bool Decode(std::string_view bytes);
};

// What the call files (call_keyspace.cc, call_timers.cc) share.
inline PluginHost::CallState* CallOf(rapport_call* call) {
  return reinterpret_cast<PluginHost::CallState*>(call);
}
inline std::string AsString(rapport_bytes b) {
  return b.data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(b.data), b.size);
}
// Returns `code`, keeping `reason` for call_last_error.
int FailCall(PluginHost::CallState* call, int code, std::string reason);
// A counter add (kv_add) of `delta` to meta key `key`.
inline records::ExtraWrite CounterAdd(std::string key, int64_t delta) {
  records::ExtraWrite w{std::move(key), std::nullopt};
  w.op = records::ExtraWrite::Op::kAdd;
  w.delta = delta;
  return w;
}

}  // namespace internal

struct PluginHost::Plugin {
  std::string name;
  std::string file;
  Manifest manifest;
  v1::Module info;
  PluginHost* host = nullptr;
  const rapport_plugin_info* entry = nullptr;
  rapport_plugin_state* state = nullptr;
  std::string config_json = "{}";
  bool loaded = false;
  bool initialising = false;
  // Set when the plugin runs out of process (its manifest's "isolation":
  // "process"); its entry is then remote->info().
  std::unique_ptr<RemotePlugin> remote;
  struct Hook {
    rapport_hook_kind kind;
    rapport_resource resource;
    rapport_operation operation;
    int32_t order;
    rapport_hook_fn fn;
    void* user;
    // A module-event hook (register_event_hook): kind POST_COMMIT, resource
    // and operation 0, the events of `event_module` of type `event_type`
    // ("": every type).
    std::string event_module;
    std::string event_type;
    // Whether this post-commit hook takes `event`.
    bool Takes(const v1::ChangeEvent& event) const {
      if (kind != RAPPORT_HOOK_POST_COMMIT) return false;
      if (event.has_module_event()) {
        return resource == 0 && event.module_event().module() == event_module &&
               (event_type.empty() || event.module_event().type() == event_type);
      }
      return resource == static_cast<rapport_resource>(event.resource_type()) &&
             operation == static_cast<rapport_operation>(event.operation()) &&
             !event.resource_id().empty();
    }
  };
  std::vector<Hook> hooks;
  std::atomic<int64_t> hook_calls{0}, hook_failures{0}, dead_letters{0};
  // Hook run times by kind: [0] validate, [1] pre-commit, [2] post-commit.
  std::array<LatencyHistogram, 3> hook_latency;
  // Keyspace commits that found a read out of date (each one re-ran the
  // handler or the hook).
  std::atomic<int64_t> conflicts{0};
  // Calls other modules made to this one's methods (call_module).
  std::atomic<int64_t> module_calls{0};
  // host_last_error's answer, and the first refused registration (which
  // refuses the load).
  std::string last_error;
  std::string registration_error;
  std::mutex metrics_mu;
  std::map<std::string, int64_t> metrics;
  std::map<std::string, std::pair<rapport_method_fn, void*>> methods_registered;
  // Server-streaming methods (register_stream_method).
  std::map<std::string, std::pair<rapport_stream_fn, void*>> stream_methods;
  std::vector<std::string> descriptor_sets;
  // The timer handler (register_timer_handler); the timer thread runs only
  // for a plugin that has one.
  rapport_timer_fn timer_fn = nullptr;
  void* timer_user = nullptr;
  std::atomic<int64_t> timers_fired{0}, timer_failures{0};
  // Backfill handlers by resource (0: the one called first), and the
  // records handed to them since start.
  std::map<int, std::pair<rapport_backfill_fn, void*>> backfill;
  std::atomic<int64_t> backfill_records{0};
  // Whether the change is one of a resource the module backfills: up to
  // the backfill's snapshot, it reaches the module through the backfill,
  // not through hooks.
  bool Backfills(const v1::ChangeEvent& event) const {
    return !event.has_module_event() && !event.resource_id().empty() &&
           backfill.count(static_cast<int>(event.resource_type())) > 0;
  }
  // Wakes the timer thread early: the earliest `when` scheduled since it
  // last looked (guarded by timer_mu).
  std::mutex timer_mu;
  std::condition_variable timer_cv;
  int64_t timer_hint = INT64_MAX;
  // No live due entry is older than this (guarded by timer_mu): each pass
  // seeks here instead of stepping over the fired timers' deleted entries.
  int64_t timer_floor = 0;
};

// One invocation, as the plugin sees it through rapport_call*.
struct PluginHost::CallState {
  CallState(PluginHost* h, Plugin* p, const RequestContext* c, std::vector<records::ExtraWrite>* w)
      : host(h), plugin(p), ctx(c), pending(w) {}
  PluginHost* host;
  Plugin* plugin;
  const RequestContext* ctx;
  // Keyspace writes are collected here and committed by the host: with the
  // change (pre-commit), with the feed cursor (post-commit), or when the
  // method returns OK (RPC). Null: each write is its own batch.
  std::vector<records::ExtraWrite>* pending = nullptr;
  // Validate hooks write nothing.
  bool read_only = false;
  // Validate and pre-commit hooks run inside a commit: no write_record.
  bool in_commit = false;
  // write_record from here makes a change of this depth.
  int depth = 0;
  // How many call_module calls deep this call is (0: the host called it).
  int module_calls = 0;
  // The RPC's deadline, cancellation, metadata and stream (null outside
  // plugin RPCs).
  const RpcContext* rpc = nullptr;
  // Recorded as the origin of write_record changes ("" keeps the caller's).
  std::string origin;
  // call_roles' answer, kept alive for the call.
  std::string roles;
  // call_last_error's answer.
  std::string last_error;
  // Set when write_record wrote a core record (post-commit: the dispatcher
  // then commits the cursor at once, so a crash re-runs at most this event).
  bool* wrote_record = nullptr;
};

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_INTERNAL_H_
