// File: core/plugin_host/remote_plugin.cc
//
// The out-of-process plugin's host side: the child's lifecycle (fork, exec,
// restart with backoff), its connections and the trampolines.

#include "core/plugin_host/remote_plugin.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/plugin_runner/wire.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

using runner::ReadStatus;
namespace wire = runner::v1;

namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
// A child that ran this long before it ended restarts at the first backoff.
constexpr absl::Duration kStableAfter = absl::Seconds(30);

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return absl::StrCat("killed by signal ", sig, name ? absl::StrCat(" (SIG", name, ")") : "");
  }
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  return "ended";
}

void SetError(rapport_buffer* error, const std::string& message) {
  if (error != nullptr && error->set != nullptr)
    error->set(error->user, message.data(), message.size());
}

}  // namespace

RemotePlugin::RemotePlugin(Options options) : options_(std::move(options)) {}

RemotePlugin::~RemotePlugin() { Shutdown(); }

bool RemotePlugin::up() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == State::kUp;
}

bool& RemotePlugin::NotSent() {
  thread_local bool not_sent = false;
  return not_sent;
}

bool RemotePlugin::AwaitUp(const std::atomic<bool>& stopping) {
  std::unique_lock<std::mutex> lock(mu_);
  while (state_ != State::kUp) {
    if (stopping.load() || shutdown_) return false;
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  return true;
}

std::string RemotePlugin::DownMessage() const {
  return absl::StrCat("its process is not running (", last_exit_.empty() ? "ended" : last_exit_,
                      "; restart ", restarts_.load() + 1,
                      " is pending), so nothing was done; retry shortly");
}

absl::Status RemotePlugin::Launch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pid_ > 0) return absl::FailedPreconditionError("already launched");
  }
  absl::Status s = Spawn(&init_);
  if (!s.ok()) return s;
  if (init_.code() != RAPPORT_OK && init_.name().empty()) {
    // The child could not even open the plugin (dlopen, the entry symbol).
    Shutdown();
    return absl::FailedPreconditionError(init_.error());
  }
  {
    // In process a plugin's hooks can run from its init on; so here.
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kStarting) state_ = State::kUp;
  }
  info_.struct_size = sizeof info_;
  info_.abi_major = init_.abi_major();
  info_.abi_minor = init_.abi_minor();
  info_.name = init_.name().c_str();
  info_.version = init_.version().c_str();
  info_.build_info = init_.build_info().c_str();
  info_.init = &InitTrampoline;
  info_.start = &StartTrampoline;
  info_.drain = &DrainTrampoline;
  info_.stop = &StopTrampoline;
  supervisor_ = std::thread([this] { Supervise(); });
  return absl::OkStatus();
}

absl::Status RemotePlugin::Spawn(wire::Result* init) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return absl::CancelledError("shutting down");
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return absl::InternalError(absl::StrCat("socketpair: ", std::strerror(errno)));
  // Everything the child needs, made before fork: after it only
  // async-signal-safe calls are allowed.
  std::vector<std::string> args = {options_.runner, "--control-fd", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const rlim_t data_limit = options_.memory_limit_bytes > 0
                                ? static_cast<rlim_t>(options_.memory_limit_bytes)
                                : RLIM_INFINITY;
  // Thread stacks count against the data limit: the child's threads (one
  // per connection) get 4 MiB, not glibc's default of RLIMIT_STACK (8 MiB).
  rlimit stack{};
  getrlimit(RLIMIT_STACK, &stack);
  constexpr rlim_t kStack = rlim_t{4} << 20;
  if (stack.rlim_cur == RLIM_INFINITY || stack.rlim_cur > kStack) stack.rlim_cur = kStack;
  const pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    rlimit limit{data_limit, data_limit};
    setrlimit(RLIMIT_DATA, &limit);
    setrlimit(RLIMIT_STACK, &stack);
    // The terminal's and the service manager's stop signals are rapportd's
    // to handle: the child ends when its control socket closes (after
    // drain and stop) or when rapportd dies (PDEATHSIG), not before.
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    // The control socket as fd 3, without close-on-exec (dup2 onto itself
    // would keep the flag).
    if (sv[1] == 3) {
      if (fcntl(3, F_SETFD, 0) < 0) _exit(126);
    } else if (dup2(sv[1], 3) < 0) {
      _exit(126);
    }
    close_range(4, ~0U, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(sv[1]);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = pid;
    control_ = sv[0];
    state_ = State::kStarting;
    ++generation_;
    if (shutdown_) {
      // Shutdown came while this child was being made: it ends now (the
      // supervisor reaps it).
      kill(pid, SIGKILL);
      return absl::CancelledError("shutting down");
    }
  }
  // The connection the plugin's own threads ask on.
  Connection serve = Acquire(/*starting=*/true);
  wire::Frame frame;
  frame.mutable_invoke()->set_kind(wire::INVOKE_KIND_SERVE);
  if (serve.fd < 0 || !runner::WriteFrame(serve.fd, frame)) {
    Kill(serve.generation, "could not be reached");
    if (serve.fd >= 0) close(serve.fd);
    return absl::UnavailableError(absl::StrCat("could not reach ", options_.runner));
  }
  if (serve_thread_.joinable()) serve_thread_.join();
  serve_thread_ = std::thread([this, fd = serve.fd] { ServeLoop(fd); });
  // INIT.
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_INIT);
  invoke.set_plugin_file(options_.file);
  invoke.set_config_json(options_.config_json);
  Connection c = Acquire(/*starting=*/true);
  const int64_t deadline = runner::MonotonicMicros() + absl::ToInt64Microseconds(options_.timeout);
  if (c.fd < 0 || Exchange(c.fd, invoke, nullptr, deadline, init) != ReadStatus::kOk) {
    Kill(c.generation, "init did not answer");
    Release(c, false);
    return absl::UnavailableError(
        absl::StrCat("the plugin process (", options_.runner, ") did not answer its init within ",
                     absl::FormatDuration(options_.timeout), " or ended"));
  }
  Release(c, true);
  return absl::OkStatus();
}

RemotePlugin::Connection RemotePlugin::Acquire(bool starting) {
  std::lock_guard<std::mutex> lock(mu_);
  Connection c;
  c.generation = generation_;
  if (!(state_ == State::kUp || (starting && state_ == State::kStarting)) || control_ < 0) return c;
  if (!idle_.empty()) {
    c.fd = idle_.back();
    idle_.pop_back();
    return c;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return c;
  // Under the lock, so bounded: a child that is not taking connections
  // (stopped, or its control buffer full) gets 200 ms.
  const bool sent = runner::SendFd(control_, sv[1], runner::MonotonicMicros() + 200'000);
  close(sv[1]);
  if (!sent) {
    close(sv[0]);
    return c;
  }
  c.fd = sv[0];
  return c;
}

void RemotePlugin::Release(Connection c, bool reusable) {
  if (c.fd < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (reusable && c.generation == generation_ && state_ != State::kDown && !shutdown_) {
    idle_.push_back(c.fd);
  } else {
    close(c.fd);
  }
}

void RemotePlugin::Kill(uint64_t generation, const char* why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_ || pid_ <= 0) return;
  spdlog::error("plugin={} msg=\"killing the plugin process\" reason={} pid={}", options_.name,
                LogValue(std::string(why)), pid_);
  kill(pid_, SIGKILL);
}

int RemotePlugin::Invoke(wire::Invoke invoke, rapport_call* call, rapport_buffer* out,
                         rapport_buffer* error) {
  const rapport_host_api* api = options_.host;
  if (call != nullptr) {
    wire::CallInfo* info = invoke.mutable_call();
    info->set_tenant(api->call_tenant(call));
    info->set_user(api->call_user(call));
    info->set_roles(api->call_roles(call));
    info->set_request_id(api->call_request_id(call));
    info->set_deadline_micros(api->call_deadline_micros(call));
  }
  Connection c = Acquire(/*starting=*/false);
  if (c.fd < 0) {
    std::lock_guard<std::mutex> lock(mu_);
    // "Not sent" only while the process is known to be down: a retrying
    // caller then waits for it (AwaitUp) instead of counting an attempt. A
    // connection that could not be made while it is up is an attempt, so
    // the caller backs off.
    NotSent() = state_ != State::kUp;
    SetError(error, DownMessage());
    return RAPPORT_UNAVAILABLE;  // fails closed: a hook's write is refused
  }
  // A call has the manifest's limit. A stream runs as long as its RPC
  // allows and then gets the same limit to notice (stream_send and
  // call_cancelled tell it) and end, so a caller's short deadline cannot get
  // the process killed; without an RPC deadline a stream has no limit.
  int64_t deadline = runner::MonotonicMicros() + absl::ToInt64Microseconds(options_.timeout);
  const bool stream = invoke.kind() == wire::INVOKE_KIND_STREAM;
  if (stream) {
    const int64_t rpc = invoke.call().deadline_micros();
    deadline = rpc > 0 ? deadline + std::max<int64_t>(0, rpc - absl::ToUnixMicros(absl::Now())) : 0;
  }
  wire::Result r;
  const ReadStatus rs = Exchange(c.fd, invoke, call, deadline, &r);
  // Sent: whatever the nested calls of this one (another module's hooks
  // through write_record or call_module) left in the flag is theirs.
  NotSent() = false;
  if (rs == ReadStatus::kOk) {
    if (r.out_set() && out != nullptr && out->set != nullptr)
      out->set(out->user, r.out().data(), r.out().size());
    if (r.error_set()) SetError(error, r.error());
    Release(c, true);
    return static_cast<int>(r.code());
  }
  Release(c, false);
  if (rs == ReadStatus::kTimeout) {
    Kill(c.generation, "a call ran past its timeout");
    SetError(error, absl::StrCat("did not answer within its timeout_ms (",
                                 absl::FormatDuration(options_.timeout),
                                 stream ? " past the RPC's deadline" : "",
                                 "); the call was abandoned and the module's process is being "
                                 "restarted"));
    return RAPPORT_DEADLINE_EXCEEDED;
  }
  if (rs == ReadStatus::kBroken) {
    Kill(c.generation, "it sent a frame rapportd could not read");
    SetError(error,
             "its process sent a frame rapportd could not read (nothing the call did was kept); "
             "it is being restarted");
  } else {
    SetError(error,
             "its process ended during the call (nothing the call did was kept); it is being "
             "restarted");
  }
  return RAPPORT_UNAVAILABLE;
}

ReadStatus RemotePlugin::Exchange(int fd, const wire::Invoke& invoke, rapport_call* call,
                                  int64_t deadline, wire::Result* result) {
  wire::Frame frame;
  *frame.mutable_invoke() = invoke;
  // A write that failed at the deadline is a timeout (the child is stuck,
  // not gone).
  auto failed_write = [deadline] {
    return deadline > 0 && runner::MonotonicMicros() >= deadline ? ReadStatus::kTimeout
                                                                 : ReadStatus::kClosed;
  };
  if (!runner::WriteFrame(fd, frame, deadline)) return failed_write();
  for (;;) {
    wire::Frame answer;
    const ReadStatus rs = runner::ReadFrame(fd, &answer, deadline);
    if (rs != ReadStatus::kOk) return rs;
    if (answer.has_result()) {
      *result = std::move(*answer.mutable_result());
      return ReadStatus::kOk;
    }
    if (!answer.has_host_call()) return ReadStatus::kBroken;
    wire::Frame reply;
    AnswerHostCall(options_.host, options_.host_ctx, call, answer.host_call(),
                   reply.mutable_host_reply());
    if (!runner::WriteFrame(fd, reply, deadline)) return failed_write();
  }
}

void RemotePlugin::ServeLoop(int fd) {
  for (;;) {
    wire::Frame frame;
    if (runner::ReadFrame(fd, &frame, 0) != ReadStatus::kOk || !frame.has_host_call()) break;
    wire::Frame reply;
    AnswerHostCall(options_.host, options_.host_ctx, nullptr, frame.host_call(),
                   reply.mutable_host_reply());
    if (!runner::WriteFrame(fd, reply)) break;
  }
  close(fd);
}

void RemotePlugin::Supervise() {
  absl::Duration backoff = kFirstBackoff;
  absl::Time started = absl::Now();
  for (;;) {
    pid_t pid;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pid = pid_;
    }
    if (pid > 0) {
      // Wait without reaping: until pid_ is cleared under the lock, the pid
      // cannot be reused, so Kill never signals another process.
      siginfo_t info{};
      while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 &&
             errno == EINTR) {
      }
      std::lock_guard<std::mutex> lock(mu_);
      int status = 0;
      pid_ = -1;
      waitpid(pid, &status, 0);  // at once: it has exited
      state_ = State::kDown;
      ++generation_;
      for (int fd : idle_) close(fd);
      idle_.clear();
      if (control_ >= 0) close(control_);
      control_ = -1;
      last_exit_ = DescribeExit(status);
      cv_.notify_all();
      if (shutdown_) break;
      spdlog::error("plugin={} msg=\"plugin process ended; restarting\" exit={} restarts={}",
                    options_.name, LogValue(last_exit_), restarts_.load());
    }
    if (absl::Now() - started > kStableAfter) backoff = kFirstBackoff;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff), [this] { return shutdown_; });
      if (shutdown_) break;
    }
    backoff = std::min(backoff * 2, std::max(options_.max_backoff, kFirstBackoff));
    started = absl::Now();
    ++restarts_;
    wire::Result init;
    absl::Status s = Spawn(&init);
    std::string problem;
    if (!s.ok()) {
      problem = std::string(s.message());
    } else if (init.code() != RAPPORT_OK) {
      problem = absl::StrCat("init failed: ", init.error());
    } else if (init.registrations().SerializeAsString() !=
               init_.registrations().SerializeAsString()) {
      problem = "it registered different hooks or methods than when it was loaded";
    } else if (Lifecycle(wire::INVOKE_KIND_START) != RAPPORT_OK) {
      problem = "start did not answer";
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!problem.empty()) {
      spdlog::error("plugin={} msg=\"plugin process restart failed\" error={}", options_.name,
                    LogValue(problem));
      last_exit_ = problem;
      if (pid_ > 0) kill(pid_, SIGKILL);  // waited for at the top
      continue;
    }
    if (state_ == State::kStarting) state_ = State::kUp;
    cv_.notify_all();
    spdlog::info("plugin={} msg=\"plugin process restarted\" restarts={}", options_.name,
                 restarts_.load());
  }
}

int RemotePlugin::Lifecycle(wire::InvokeKind kind) {
  Connection c = Acquire(/*starting=*/true);
  if (c.fd < 0) return RAPPORT_UNAVAILABLE;
  wire::Invoke invoke;
  invoke.set_kind(kind);
  const int64_t deadline = runner::MonotonicMicros() + absl::ToInt64Microseconds(options_.timeout);
  wire::Result result;
  if (Exchange(c.fd, invoke, nullptr, deadline, &result) != ReadStatus::kOk) {
    Kill(c.generation, "a lifecycle call did not answer");
    Release(c, false);
    return RAPPORT_UNAVAILABLE;
  }
  Release(c, true);
  return RAPPORT_OK;
}

void RemotePlugin::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    // The child exits when its control socket closes.
    if (control_ >= 0) {
      close(control_);
      control_ = -1;
    }
    for (int fd : idle_) close(fd);
    idle_.clear();
    cv_.notify_all();
  }
  if (supervisor_.joinable()) {
    // A child that does not exit promptly is killed.
    std::thread killer([this] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::seconds(2), [this] { return pid_ <= 0; }))
        kill(pid_, SIGKILL);
    });
    supervisor_.join();
    killer.join();
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  if (serve_thread_.joinable()) serve_thread_.join();
}

// --- The plugin as the host sees it ---

int RemotePlugin::InitTrampoline(const rapport_host_api* host, rapport_host_ctx* ctx,
                                 rapport_plugin_state** state, rapport_buffer* error) {
  RemotePlugin* self = reinterpret_cast<PluginHost::Plugin*>(ctx)->remote.get();
  *state = reinterpret_cast<rapport_plugin_state*>(self);
  const wire::Result& init = self->init_;
  if (init.code() != RAPPORT_OK) {
    SetError(error, init.error_set() ? init.error() : "init failed in the plugin process");
    return static_cast<int>(init.code());
  }
  // The child's registrations, through the real table: the host checks
  // them as it checks an in-process plugin's.
  const wire::Registrations& r = init.registrations();
  if (!r.registration_error().empty()) {
    SetError(error, r.registration_error());
    return RAPPORT_INVALID_ARGUMENT;
  }
  auto slot = [self](int32_t index, std::string method = "") {
    self->slots_.push_back(Slot{self, index, std::move(method)});
    return &self->slots_.back();
  };
  // Numbers from the child where the ABI has enums: casting one out of the
  // enum's range is undefined, so the replay refuses it before any cast.
  auto known = [](int64_t v) { return v >= 1 && v <= 3; };
  for (const wire::HookRegistration& h : r.hooks()) {
    if (!h.event_hook() && (!known(h.kind()) || !known(h.resource()) || !known(h.operation()))) {
      SetError(error, absl::StrCat("hook: unknown kind, resource or operation (", h.kind(), ", ",
                                   h.resource(), ", ", h.operation(), ")"));
      return RAPPORT_INVALID_ARGUMENT;
    }
  }
  for (int resource : r.backfill_resources()) {
    if (resource != 0 && !known(resource)) {
      SetError(error, absl::StrCat("backfill: unknown resource ", resource));
      return RAPPORT_INVALID_ARGUMENT;
    }
  }
  for (int i = 0; i < r.hooks_size(); ++i) {
    const wire::HookRegistration& h = r.hooks(i);
    if (h.event_hook()) {
      host->register_event_hook(ctx, h.event_module().c_str(), h.event_type().c_str(),
                                &HookTrampoline, slot(i));
    } else {
      host->register_hook(ctx, static_cast<rapport_hook_kind>(h.kind()),
                          static_cast<rapport_resource>(h.resource()),
                          static_cast<rapport_operation>(h.operation()), h.order(), &HookTrampoline,
                          slot(i));
    }
  }
  for (const auto& m : r.methods())
    host->register_method(ctx, m.c_str(), &MethodTrampoline, slot(0, m));
  for (const auto& m : r.stream_methods())
    host->register_stream_method(ctx, m.c_str(), &StreamTrampoline, slot(0, m));
  for (const auto& d : r.descriptor_sets()) {
    host->register_descriptors(ctx,
                               rapport_bytes{reinterpret_cast<const uint8_t*>(d.data()), d.size()});
  }
  if (r.timer_handler()) host->register_timer_handler(ctx, &TimerTrampoline, slot(0));
  for (int resource : r.backfill_resources()) {
    host->register_backfill(ctx, static_cast<rapport_resource>(resource), &BackfillTrampoline,
                            slot(resource));
  }
  return RAPPORT_OK;
}

void RemotePlugin::StartTrampoline(rapport_plugin_state* state) {
  auto* self = reinterpret_cast<RemotePlugin*>(state);
  if (self->Lifecycle(wire::INVOKE_KIND_START) != RAPPORT_OK) return;
  std::lock_guard<std::mutex> lock(self->mu_);
  if (self->state_ == State::kStarting) self->state_ = State::kUp;
  self->cv_.notify_all();
}

void RemotePlugin::DrainTrampoline(rapport_plugin_state* state) {
  reinterpret_cast<RemotePlugin*>(state)->Lifecycle(wire::INVOKE_KIND_DRAIN);
}

void RemotePlugin::StopTrampoline(rapport_plugin_state* state) {
  auto* self = reinterpret_cast<RemotePlugin*>(state);
  self->Lifecycle(wire::INVOKE_KIND_STOP);
  self->Shutdown();
}

int RemotePlugin::HookTrampoline(void* user, rapport_call* call, rapport_bytes before,
                                 rapport_bytes after, rapport_buffer* out, rapport_buffer* error) {
  auto* slot = static_cast<Slot*>(user);
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_HOOK);
  invoke.set_handler(slot->index);
  if (before.data) invoke.set_a(before.data, before.size);
  if (after.data) invoke.set_b(after.data, after.size);
  invoke.set_has_out(out != nullptr);
  return slot->self->Invoke(std::move(invoke), call, out, error);
}

int RemotePlugin::MethodTrampoline(void* user, rapport_call* call, rapport_bytes request,
                                   rapport_buffer* response, rapport_buffer* error) {
  auto* slot = static_cast<Slot*>(user);
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_METHOD);
  invoke.set_method(slot->method);
  if (request.data) invoke.set_a(request.data, request.size);
  return slot->self->Invoke(std::move(invoke), call, response, error);
}

int RemotePlugin::StreamTrampoline(void* user, rapport_call* call, rapport_bytes request,
                                   rapport_buffer* error) {
  auto* slot = static_cast<Slot*>(user);
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_STREAM);
  invoke.set_method(slot->method);
  if (request.data) invoke.set_a(request.data, request.size);
  return slot->self->Invoke(std::move(invoke), call, nullptr, error);
}

int RemotePlugin::TimerTrampoline(void* user, rapport_call* call, rapport_bytes key,
                                  rapport_bytes payload, rapport_buffer* error) {
  auto* slot = static_cast<Slot*>(user);
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_TIMER);
  if (key.data) invoke.set_a(key.data, key.size);
  if (payload.data) invoke.set_b(payload.data, payload.size);
  return slot->self->Invoke(std::move(invoke), call, nullptr, error);
}

int RemotePlugin::BackfillTrampoline(void* user, rapport_call* call, rapport_resource resource,
                                     rapport_bytes record, rapport_buffer* error) {
  auto* slot = static_cast<Slot*>(user);
  wire::Invoke invoke;
  invoke.set_kind(wire::INVOKE_KIND_BACKFILL);
  invoke.set_resource(resource);
  if (record.data) invoke.set_a(record.data, record.size);
  return slot->self->Invoke(std::move(invoke), call, nullptr, error);
}

}  // namespace rapport::plugin_host
