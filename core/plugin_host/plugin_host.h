// File: core/plugin_host/plugin_host.h
//
// Loads plugins (NAME.so + NAME.manifest.json) at start-up behind the C ABI
// of sdk/include/rapport/sdk/plugin_abi.h, and runs them:
//   - validate and pre-commit hooks inside the record store's write path
//     (records::WriteHooks), in explicit order, through the module gate;
//   - post-commit hooks from the change feed, one dispatcher thread per
//     plugin with a durable cursor per tenant, retried with backoff, then
//     dead-lettered (visible and replayable);
//   - the plugins' RPC methods, for the server's one generic service.
//
// Keys: the plugin key, plugin cursor, dead letter and shadow record keys
// of the meta family (core/store/keyspace.h).
//
// A plugin that fails to load (bad manifest, ABI mismatch, missing
// dependency, duplicate name, not a shared object, failing init) is refused
// with a message naming the file and the expected and found values; the
// server runs with the rest. Plugins are never unloaded. Thread-safe.
#ifndef RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_H_
#define RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/common/latency_histogram.h"
#include "core/plugin_host/manifest.h"
#include "core/plugin_host/module_gate.h"
#include "core/records/record_store.h"
#include "core/records/write_hooks.h"
#include "core/store/database.h"
#include "rapport/sdk/plugin_abi.h"
#include "rapport/v1/modules.pb.h"
#include "rocksdb/write_batch.h"

namespace rapport::plugin_host {
namespace internal {
struct KeyspaceApi;
struct RecordsApi;
struct TimersApi;
struct ModulesApi;
}  // namespace internal

struct PluginHostOptions {
  // Empty: no plugins.
  std::string plugin_dir;
  // Module name -> JSON config handed to the plugin.
  std::map<std::string, std::string> config;
  // Post-commit attempts before an event is dead-lettered.
  int dead_letter_after = 5;
  absl::Duration retry_base = absl::Milliseconds(50);
  absl::Duration retry_max = absl::Seconds(5);
  // Deepest chain of post-commit hooks writing records (write_record) that
  // is allowed: a write at depth max_hook_depth + 1 is refused.
  int max_hook_depth = 4;
  // Times an RPC method runs again after its keyspace reads went out of date
  // before it could commit (plugin_abi.h, keyspace transactions); past it
  // the call fails with ABORTED.
  int max_conflict_retries = 16;
  // Pending durable timers one module may hold per tenant
  // (plugin_abi.h, timer_schedule); past it scheduling is
  // RESOURCE_EXHAUSTED.
  int64_t max_timers = 1'000'000;
  // The rapport-plugin-runner binary that runs plugins whose manifest says
  // "isolation": "process" (remote_plugin.h). Empty: such plugins are
  // refused.
  std::string plugin_runner = {};
  // The longest wait before restarting such a plugin's process: the wait
  // starts at 100 ms and doubles after each restart that did not last 30 s.
  absl::Duration restart_backoff_max = absl::Seconds(10);
};

// What a plugin RPC's handler sees of its request beyond the caller
// (call_deadline_micros, call_cancelled, call_metadata, stream_send); the
// server fills it in.
struct RpcContext {
  absl::Time deadline = absl::InfiniteFuture();
  // True once the caller has cancelled or gone away (null: never).
  std::function<bool()> cancelled;
  // The request metadata, keys in lower case.
  std::vector<std::pair<std::string, std::string>> metadata;
  // A streaming method's writer: sends one response, false once the caller
  // has gone away. Null for unary methods.
  std::function<bool(const std::string&)> send;
};

// A module's timings, for /metrics (services/metrics/).
struct ModuleTimings {
  std::string module;
  // Hook run times by kind: validate, pre-commit, post-commit.
  std::array<LatencyHistogram::Counts, 3> hooks;
  // How old the oldest change its post-commit hooks have not handled yet is,
  // over every tenant (zero when caught up); nullopt for a module without
  // post-commit hooks.
  std::optional<absl::Duration> feed_lag;
};

class PluginHost : public records::WriteHooks {
 public:
  // `teams_of(tenant, user)`: the user's teams with ancestors (gate
  // targeting for feed-driven hooks). REQUIRES: arguments outlive the host.
  PluginHost(store::Database* db, records::RecordStore* records, const Clock* clock,
             PluginHostOptions options,
             std::function<std::vector<std::string>(uint32_t, const std::string&)> teams_of,
             std::function<std::string(uint32_t)> tenant_name = nullptr);
  ~PluginHost() override;

  // Reads manifests, opens and initialises every plugin in the directory.
  void Load();
  // start() each plugin and run the post-commit dispatchers.
  void Start();
  // drain(), stop the dispatchers, stop(). Idempotent.
  void Stop();

  // Who Call::UserTeams (user_info) knows: an enabled user's teams with
  // ancestors, or nullopt. Set before Load().
  void SetUserDirectory(
      std::function<std::optional<std::vector<std::string>>(uint32_t, const std::string&)> lookup) {
    user_teams_ = std::move(lookup);
  }

  // Who wrote a change, for its post-commit hooks: the writer's roles,
  // teams and read scope now (IdentityStore::WriterContext). Unset, hooks
  // run with the writer's teams only and read everything. Set before Load().
  void SetWriterDirectory(std::function<RequestContext(uint32_t, const std::string&)> lookup) {
    writer_of_ = std::move(lookup);
  }

  ModuleGate& gate() { return *gate_; }
  std::vector<v1::Module> Modules() const;
  bool IsLoaded(const std::string& module) const;

  // Plugin RPCs. `method` is "/package.Service/Method".
  bool Handles(const std::string& method) const;
  bool HasMethods() const { return !methods_.empty(); }
  // Loaded plugins' serialized FileDescriptorSets, for server reflection.
  std::vector<std::string> DescriptorSets() const;
  // "/package.Service/Method" of every method plugins serve.
  std::vector<std::string> Methods() const;
  // The same, each with the module serving it.
  std::map<std::string, std::string> MethodModules() const;
  // Every loaded module's timings (reads each tenant's cursor: for a
  // scrape, not a hot path).
  std::vector<ModuleTimings> Timings() const;
  // The module gate applies: off (or shadow) for the caller is
  // FAILED_PRECONDITION naming the module and the tenant.
  absl::StatusOr<std::string> Invoke(const RequestContext& ctx, const std::string& method,
                                     const std::string& request, const RpcContext* rpc = nullptr);
  // Whether `method` is a server-streaming method (register_stream_method).
  bool IsStreaming(const std::string& method) const;
  // Runs a streaming method; its responses go out through `rpc.send`. The
  // gate applies as for Invoke.
  absl::Status InvokeStream(const RequestContext& ctx, const std::string& method,
                            const std::string& request, const RpcContext& rpc);

  absl::Status BeforeWrite(const RequestContext& ctx, records::ResourceType type,
                           records::WriteOperation op, const google::protobuf::Message* before,
                           google::protobuf::Message* after,
                           std::vector<records::ExtraWrite>* writes) override;

  absl::StatusOr<std::vector<v1::DeadLetter>> ListDeadLetters(const RequestContext& ctx,
                                                              const std::string& module);
  // Runs each dead letter once more; returns (succeeded, failed).
  absl::StatusOr<std::pair<int, int>> ReplayDeadLetters(const RequestContext& ctx,
                                                        const std::string& module);
  // Queues a backfill of `module` in the caller's tenant (backfill.cc).
  absl::StatusOr<v1::BackfillStatus> RequestBackfill(const RequestContext& ctx,
                                                     const std::string& module);
  // The module's last backfill in the caller's tenant; NOT_FOUND if none.
  absl::StatusOr<v1::BackfillStatus> GetBackfill(const RequestContext& ctx,
                                                 const std::string& module);
  absl::StatusOr<std::vector<v1::ShadowRecord>> ListShadowRecords(const RequestContext& ctx,
                                                                  const std::string& module,
                                                                  int limit);

  struct Plugin;
  struct CallState;

 private:
  friend struct HostApi;
  friend struct internal::KeyspaceApi;
  friend struct internal::RecordsApi;
  friend struct internal::TimersApi;
  friend struct internal::ModulesApi;
  void Refuse(Plugin* plugin, std::string error);
  // The plugin's entry info: dlopen'd, or from its rapport-plugin-runner
  // child (plugin_loader.cc). Null after refusing it.
  const rapport_plugin_info* OpenInProcess(Plugin* p);
  const rapport_plugin_info* LaunchRemote(Plugin* p);
  void Dispatch(Plugin* plugin);
  // In the dispatcher, before a tenant's events: runs the plugin's backfill
  // of `tenant` if one is requested, was cut short, or is due on first
  // enable (not while the tenant's kill switch is thrown). `*covered` is
  // then the snapshot sequence of the tenant's last finished backfill (0 if
  // none): events up to it on a backfilled resource are in the snapshot and
  // skip the hooks; the cursor does not move, so hooks on other resources
  // and module events still see them. False if stopping cut it short (it
  // runs again after the restart).
  bool MaybeBackfill(Plugin* plugin, uint32_t tenant, uint64_t* covered);
  absl::Status RunBackfill(Plugin* plugin, uint32_t tenant, v1::BackfillStatus* status);
  // Adds to `batch` the deletion of the plugin's dead letters in `tenant`
  // that a backfill up to `sequence` covers; returns how many.
  int DropCoveredDeadLetters(Plugin* plugin, uint32_t tenant, uint64_t sequence,
                             rocksdb::WriteBatch* batch);
  // The timer thread of a plugin with a timer handler (timer_dispatcher.cc):
  // fires due timers, oldest first, until Stop().
  void RunTimers(Plugin* plugin);
  // Fires one due timer; false if the handler failed (the timer is then
  // rescheduled with backoff or dead-lettered).
  bool FireTimer(Plugin* plugin, uint32_t tenant, const std::string& key, uint64_t when);
  // Wakes the plugin's timer thread if `when_micros` is sooner than it
  // planned to look.
  void WakeTimers(Plugin* plugin, int64_t when_micros);
  // Runs the plugin's post-commit hooks for `event`; their keyspace writes
  // go to `writes`, for the caller to commit with the cursor (or the dead
  // letter's removal) in one batch.
  absl::Status RunPostCommit(Plugin* plugin, const RequestContext& ctx,
                             const v1::ChangeEvent& event, bool* ran,
                             std::vector<records::ExtraWrite>* writes,
                             bool* wrote_record = nullptr);
  // Under the commit lock: checks the reads among `writes` are still
  // current and resolves their counter adds (records::ExtraWriteResolver),
  // adds the resulting puts and deletes to `batch` and writes it. A read
  // gone out of date is ABORTED with `*conflict` set; nothing is written.
  // Module events among `writes` go into the feed in the same batch. A timer
  // committed here wakes its plugin's timer thread.
  absl::Status CommitWrites(const std::vector<records::ExtraWrite>& writes,
                            rocksdb::WriteBatch* batch, bool* conflict = nullptr);
  // If `key` is a plugin's timer due entry, lowers that plugin's entry in
  // `earliest` to its time.
  void NoteTimer(const std::string& key, std::map<Plugin*, int64_t>* earliest) const;
  // The post-commit writes from `since` on add to counters: whether those
  // adds can apply (an overflow or a non-counter value is the hook's error,
  // so the event is retried and dead-lettered like any failure, instead of
  // failing every flush of the batch).
  absl::Status CheckCounterAdds(const std::vector<records::ExtraWrite>& writes,
                                std::ptrdiff_t since);
  void RecordShadow(Plugin* plugin, const RequestContext& ctx, const std::string& resource_id,
                    const std::string& outcome);
  Plugin* FindPlugin(const std::string& module) const;
  // The plugin serving `method`, if its module is on for the caller:
  // UNIMPLEMENTED if none serves it, FAILED_PRECONDITION naming the module
  // and tenant if it is off (or shadow).
  absl::StatusOr<Plugin*> GatedPlugin(const RequestContext& ctx, const std::string& method) const;

  store::Database* db_;
  records::RecordStore* records_;
  const Clock* clock_;
  PluginHostOptions options_;
  std::function<std::vector<std::string>(uint32_t, const std::string&)> teams_of_;
  std::function<std::string(uint32_t)> tenant_name_;
  std::function<std::optional<std::vector<std::string>>(uint32_t, const std::string&)> user_teams_;
  std::function<RequestContext(uint32_t, const std::string&)> writer_of_;
  std::unique_ptr<ModuleGate> gate_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::map<std::string, Plugin*> methods_;
  std::vector<std::thread> dispatchers_;
  std::atomic<bool> stopping_{false};
  std::once_flag stop_once_;
  std::mutex shadow_mu_;
  // Serialises kv_sequence_next (call_keyspace.cc).
  std::mutex sequence_mu_;
  std::map<std::string, uint64_t> shadow_next_;
};

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_PLUGIN_HOST_H_
