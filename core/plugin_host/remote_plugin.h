// File: core/plugin_host/remote_plugin.h
//
// A plugin run out of process ("isolation": "process" in its manifest;
// docs/plugin-guide.md): the same .so, unchanged, in a rapport-plugin-runner
// child that speaks the host API over Unix socket pairs
// (protos/rapport/runner/v1/runner.proto).
//
// To the rest of the host it is an ordinary plugin: info() is a
// rapport_plugin_info whose init replays the child's registrations through
// the real host table with trampolines, so hooks, methods, timers and
// backfills run through the host's usual paths (gate, ordering, keyspace
// transactions, cursors, dead letters). Each trampoline sends an Invoke and
// answers the child's host API calls with the real table until the Result
// comes back; everything the plugin writes is collected host-side, exactly
// as in process, so a crash mid-call writes nothing.
//
// Failure handling:
//   - The child exits (crash, abort, kill, out of memory): every call in
//     flight and every call while it is down fails with RAPPORT_UNAVAILABLE
//     (validate and pre-commit hooks therefore refuse the write: fail
//     closed). A supervisor restarts it with backoff (100 ms doubling to
//     Options::max_backoff, 10 s by default; back to 100 ms after 30 s up), runs init again, checks
//     that it registers exactly what it did at load, and starts it.
//   - A call that runs past the manifest's timeout_ms is abandoned with
//     RAPPORT_DEADLINE_EXCEEDED and the child is killed (a thread cannot be
//     stopped safely) and restarted. Streaming methods are bounded by their
//     RPC's deadline instead.
//   - The child's data segment is limited (RLIMIT_DATA, memory_limit_mib);
//     past it allocation fails and the runner exits, and is restarted.
// Thread-safe.
#ifndef RAPPORT_CORE_PLUGIN_HOST_REMOTE_PLUGIN_H_
#define RAPPORT_CORE_PLUGIN_HOST_REMOTE_PLUGIN_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/plugin_runner/wire.h"
#include "rapport/runner/v1/runner.pb.h"
#include "rapport/sdk/plugin_abi.h"

namespace rapport::plugin_host {

class RemotePlugin {
 public:
  struct Options {
    std::string runner;  // the rapport-plugin-runner binary
    std::string name;
    std::string file;  // the plugin .so
    std::string config_json = "{}";
    absl::Duration timeout = absl::Seconds(10);
    int64_t memory_limit_bytes = int64_t{1024} << 20;  // 0: no limit
    // The restart backoff's ceiling.
    absl::Duration max_backoff = absl::Seconds(10);
    // The real host table and this plugin's context, which answer the
    // child's calls.
    const rapport_host_api* host = nullptr;
    rapport_host_ctx* host_ctx = nullptr;
  };

  explicit RemotePlugin(Options options);
  ~RemotePlugin();
  RemotePlugin(const RemotePlugin&) = delete;
  RemotePlugin& operator=(const RemotePlugin&) = delete;

  // Starts the child and runs the plugin's init in it. OK when the child
  // answered (init's own result is in info() and Init()); an error when it
  // could not be started or did not answer.
  absl::Status Launch();

  // In place of a dlopen'd plugin's entry: name, version, ABI and build
  // info as the child reported them; init replays the registrations, start,
  // drain and stop run in the child.
  const rapport_plugin_info* info() const { return &info_; }

  bool up() const;
  int64_t restarts() const { return restarts_.load(); }
  // Waits until the child is up; false once `stopping` is set. Callers that
  // retry (post-commit hooks, timers) wait here so that time the process is
  // down does not count against their attempts.
  bool AwaitUp(const std::atomic<bool>& stopping);
  // Ends the child and the supervisor. Idempotent.
  void Shutdown();
  // Whether this thread's last Invoke failed without reaching the child
  // (it was down): a retrying caller does not count that as an attempt.
  static bool LastCallNotSent() { return NotSent(); }

  // What the trampolines run: `invoke` in the child as part of `call`
  // (null for lifecycle calls), answering its host calls until its result.
  // Returns the plugin's code; copies out and error into the host buffers.
  int Invoke(runner::v1::Invoke invoke, rapport_call* call, rapport_buffer* out,
             rapport_buffer* error);

 private:
  enum class State { kDown, kStarting, kUp };
  struct Connection {
    int fd = -1;
    uint64_t generation = 0;
  };
  // What a trampoline's `user` points at.
  struct Slot {
    RemotePlugin* self;
    int32_t index;
    std::string method;
  };

  static int InitTrampoline(const rapport_host_api* host, rapport_host_ctx* ctx,
                            rapport_plugin_state** state, rapport_buffer* error);
  static void StartTrampoline(rapport_plugin_state* state);
  static void DrainTrampoline(rapport_plugin_state* state);
  static void StopTrampoline(rapport_plugin_state* state);
  static int HookTrampoline(void* user, rapport_call* call, rapport_bytes before,
                            rapport_bytes after, rapport_buffer* out, rapport_buffer* error);
  static int MethodTrampoline(void* user, rapport_call* call, rapport_bytes request,
                              rapport_buffer* response, rapport_buffer* error);
  static int StreamTrampoline(void* user, rapport_call* call, rapport_bytes request,
                              rapport_buffer* error);
  static int TimerTrampoline(void* user, rapport_call* call, rapport_bytes key,
                             rapport_bytes payload, rapport_buffer* error);
  static int BackfillTrampoline(void* user, rapport_call* call, rapport_resource resource,
                                rapport_bytes record, rapport_buffer* error);
  int Lifecycle(runner::v1::InvokeKind kind);
  static bool& NotSent();

  // Forks and execs the runner, opens the serve connection and runs INIT
  // into *init. REQUIRES: the child is not running.
  absl::Status Spawn(runner::v1::Result* init);
  // A connection to the current child (a new one is handed over the control
  // socket when none is idle); fd -1 when it is not running (`starting`:
  // also while it is being started).
  Connection Acquire(bool starting);
  void Release(Connection c, bool reusable);
  // Sends `invoke` on connection `fd` and answers the child's host calls
  // (as `call`) until its Result, by `deadline` (CLOCK_MONOTONIC micros, 0:
  // none). kOk with *result; kTimeout; kClosed (the child is gone); kBroken
  // (a frame that is neither a host call nor the result).
  runner::ReadStatus Exchange(int fd, const runner::v1::Invoke& invoke, rapport_call* call,
                              int64_t deadline, runner::v1::Result* result);
  // SIGKILLs the child of `generation` if it is still the current one.
  void Kill(uint64_t generation, const char* why);
  // Answers the child's calls made outside any invocation until `fd` closes.
  void ServeLoop(int fd);
  void Supervise();
  std::string DownMessage() const;

  const Options options_;
  rapport_plugin_info info_{};
  runner::v1::Result init_;  // the first init's answer
  std::deque<Slot> slots_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // state_ changes, shutdown_
  State state_ = State::kDown;
  uint64_t generation_ = 0;
  pid_t pid_ = -1;
  int control_ = -1;
  std::vector<int> idle_;
  std::thread serve_thread_;
  std::thread supervisor_;
  std::string last_exit_;  // how the last child ended
  bool shutdown_ = false;
  std::atomic<int64_t> restarts_{0};
};

// Answers one of the child's host API calls with the real table
// (remote_host_calls.cc). `call` is null outside an invocation (the plugin's
// own threads), where only log, now_micros and metric_add are allowed.
void AnswerHostCall(const rapport_host_api* api, rapport_host_ctx* ctx, rapport_call* call,
                    const runner::v1::HostCall& request, runner::v1::HostReply* reply);

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_REMOTE_PLUGIN_H_
