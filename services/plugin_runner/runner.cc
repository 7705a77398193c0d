// File: services/plugin_runner/runner.cc
//
// rapport-plugin-runner: runs one plugin .so, unchanged, in a child process
// of rapportd ("isolation": "process", docs/plugin-guide.md), so that its
// crash, abort, endless loop or leak takes down only this process.
//
//   rapport-plugin-runner --control-fd 3
//
// rapportd starts it with one end of a Unix socket pair as the control
// socket, on which it sends the child one end of each new connection
// (SCM_RIGHTS). Each connection has a thread here that runs the host's
// invocations one at a time (protos/rapport/runner/v1/runner.proto); the
// first is INIT, which opens the plugin and runs its init. The process exits
// when the control socket closes (rapportd stopped or died; it also asks the
// kernel for SIGKILL when its parent dies).

#include <dlfcn.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "core/plugin_runner/wire.h"
#include "rapport/runner/v1/runner.pb.h"
#include "rapport/sdk/plugin_abi.h"
#include "services/plugin_runner/child_state.h"

namespace rapport::runner {

Registry& TheRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

ChildCall*& CurrentCall() {
  thread_local ChildCall* call = nullptr;
  return call;
}

v1::HostReply Ask(ChildCall* call, const v1::HostCall& request) {
  v1::Frame frame;
  *frame.mutable_host_call() = request;
  auto ask = [&](int fd) {
    v1::Frame answer;
    if (fd < 0 || !WriteFrame(fd, frame) || ReadFrame(fd, &answer, 0) != ReadStatus::kOk ||
        !answer.has_host_reply()) {
      v1::HostReply gone;
      gone.set_code(RAPPORT_UNAVAILABLE);
      gone.set_text("rapportd is not answering");
      return gone;
    }
    return answer.host_reply();
  };
  if (call != nullptr && call->fd >= 0) return ask(call->fd);
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.serve_mu);
  return ask(reg.serve_fd);
}

namespace {

const rapport_plugin_info* g_info = nullptr;
rapport_plugin_state* g_state = nullptr;

// A buffer the plugin writes a result into.
struct Out {
  std::string data;
  bool set = false;
  rapport_buffer buffer{this, [](void* user, const void* bytes, size_t size) {
                          auto* self = static_cast<Out*>(user);
                          self->data.assign(static_cast<const char*>(bytes), size);
                          self->set = true;
                        }};
};

rapport_bytes Bytes(const std::string& s) {
  return rapport_bytes{s.empty() ? nullptr : reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void Fail(v1::Result* result, int code, const std::string& message) {
  result->set_code(code);
  result->set_error_set(true);
  result->set_error(message);
}

void Init(const v1::Invoke& invoke, v1::Result* result) {
  if (g_info != nullptr) return Fail(result, RAPPORT_FAILED_PRECONDITION, "already initialised");
  void* handle = dlopen(invoke.plugin_file().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return Fail(result, RAPPORT_FAILED_PRECONDITION, std::string("cannot load: ") + dlerror());
  }
  auto entry =
      reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle, RAPPORT_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    return Fail(result, RAPPORT_FAILED_PRECONDITION,
                std::string("no exported symbol '") + RAPPORT_PLUGIN_ENTRY_SYMBOL + "'");
  }
  const rapport_plugin_info* info = entry();
  if (info == nullptr ||
      info->struct_size < offsetof(rapport_plugin_info, stop) + sizeof(info->stop)) {
    return Fail(result, RAPPORT_FAILED_PRECONDITION,
                "rapport_plugin_entry returned no usable info");
  }
  result->set_name(info->name ? info->name : "");
  result->set_version(info->version ? info->version : "");
  result->set_build_info(info->build_info ? info->build_info : "");
  result->set_abi_major(info->abi_major);
  result->set_abi_minor(info->abi_minor);
  if (info->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
    return Fail(result, RAPPORT_FAILED_PRECONDITION, "plugin ABI major differs from the runner's");
  }
  TheRegistry().config_json = invoke.config_json();
  Out error;
  // Registrations are taken while init runs, and not after, even if it
  // throws.
  struct Initialising {
    explicit Initialising(bool on) { Set(on); }
    ~Initialising() { Set(false); }
    static void Set(bool on) {
      std::lock_guard<std::mutex> lock(TheRegistry().mu);
      TheRegistry().initialising = on;
    }
  } initialising(true);
  // The host context is the registry (the proxy table ignores it; a
  // plugin only hands it back).
  const int rc = info->init(ProxyHostApi(), reinterpret_cast<rapport_host_ctx*>(&TheRegistry()),
                            &g_state, &error.buffer);
  Initialising::Set(false);
  result->set_code(rc);
  result->set_error_set(error.set);
  result->set_error(error.data);
  if (rc == RAPPORT_OK) g_info = info;
  std::lock_guard<std::mutex> lock(TheRegistry().mu);
  *result->mutable_registrations() = TheRegistry().wire;
}

// Runs one invocation; exceptions from the plugin become its error, as in
// rapportd.
void Run(const v1::Invoke& invoke, v1::Result* result) {
  Registry& reg = TheRegistry();
  if (invoke.kind() == v1::INVOKE_KIND_INIT) return Init(invoke, result);
  if (g_info == nullptr) return Fail(result, RAPPORT_FAILED_PRECONDITION, "not initialised");
  Out out, error;
  int rc = RAPPORT_OK;
  rapport_call* call = reinterpret_cast<rapport_call*>(CurrentCall());
  switch (invoke.kind()) {
    case v1::INVOKE_KIND_START:
      if (g_info->start) g_info->start(g_state);
      break;
    case v1::INVOKE_KIND_DRAIN:
      if (g_info->drain) g_info->drain(g_state);
      break;
    case v1::INVOKE_KIND_STOP:
      if (g_info->stop) g_info->stop(g_state);
      break;
    case v1::INVOKE_KIND_HOOK: {
      if (invoke.handler() < 0 || static_cast<size_t>(invoke.handler()) >= reg.hooks.size())
        return Fail(result, RAPPORT_INTERNAL, "no such hook");
      const auto& h = reg.hooks[static_cast<size_t>(invoke.handler())];
      rc = h.fn(h.user, call, Bytes(invoke.a()), Bytes(invoke.b()),
                invoke.has_out() ? &out.buffer : nullptr, &error.buffer);
      break;
    }
    case v1::INVOKE_KIND_METHOD: {
      auto it = reg.methods.find(invoke.method());
      if (it == reg.methods.end()) return Fail(result, RAPPORT_UNIMPLEMENTED, "no such method");
      rc = it->second.first(it->second.second, call, Bytes(invoke.a()), &out.buffer, &error.buffer);
      break;
    }
    case v1::INVOKE_KIND_STREAM: {
      auto it = reg.streams.find(invoke.method());
      if (it == reg.streams.end()) return Fail(result, RAPPORT_UNIMPLEMENTED, "no such method");
      rc = it->second.first(it->second.second, call, Bytes(invoke.a()), &error.buffer);
      break;
    }
    case v1::INVOKE_KIND_TIMER:
      if (reg.timer.first == nullptr) return Fail(result, RAPPORT_INTERNAL, "no timer handler");
      rc = reg.timer.first(reg.timer.second, call, Bytes(invoke.a()), Bytes(invoke.b()),
                           &error.buffer);
      break;
    case v1::INVOKE_KIND_BACKFILL: {
      auto it = reg.backfill.find(invoke.resource());
      if (it == reg.backfill.end()) return Fail(result, RAPPORT_INTERNAL, "no backfill handler");
      rc = it->second.first(it->second.second, call,
                            static_cast<rapport_resource>(invoke.resource()), Bytes(invoke.a()),
                            &error.buffer);
      break;
    }
    default:
      return Fail(result, RAPPORT_INTERNAL, "unknown invocation");
  }
  result->set_code(rc);
  result->set_out_set(out.set);
  result->set_out(out.data);
  result->set_error_set(error.set);
  result->set_error(error.data);
}

// One connection: its invocations, one at a time, until it closes.
void Serve(int fd) {
  for (;;) {
    v1::Frame frame;
    if (ReadFrame(fd, &frame, 0) != ReadStatus::kOk || !frame.has_invoke()) break;
    const v1::Invoke& invoke = frame.invoke();
    if (invoke.kind() == v1::INVOKE_KIND_SERVE) {
      // From now on the plugin's own threads ask on this connection.
      std::lock_guard<std::mutex> lock(TheRegistry().serve_mu);
      TheRegistry().serve_fd = fd;
      return;
    }
    ChildCall call;
    call.fd = fd;
    call.info = invoke.call();
    CurrentCall() = &call;
    v1::Frame answer;
    try {
      Run(invoke, answer.mutable_result());
    } catch (const std::exception& e) {
      Fail(answer.mutable_result(), RAPPORT_INTERNAL, std::string("threw: ") + e.what());
    } catch (...) {
      Fail(answer.mutable_result(), RAPPORT_INTERNAL, "threw a non-std exception");
    }
    CurrentCall() = nullptr;
    if (!WriteFrame(fd, answer)) break;
  }
  close(fd);
}

}  // namespace
}  // namespace rapport::runner

int main(int argc, char** argv) {
  int control = -1;
  CLI::App app{
      "rapport-plugin-runner: runs one plugin out of process for rapportd, which starts it; not "
      "to be started by hand"};
  app.add_option("--control-fd", control, "the control socket rapportd passes")
      ->required()
      ->check(CLI::Range(0, 1 << 20));
  CLI11_PARSE(app, argc, argv);
  // Out of memory (the memory limit rapportd set): the plugin's state can
  // no longer be trusted, so the process ends and rapportd restarts it.
  std::set_new_handler([] {
    static const char kMessage[] = "rapport-plugin-runner: out of memory; exiting\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    _exit(3);
  });
  // Never outlive rapportd, even if it is SIGKILLed.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    const int fd = rapport::runner::ReceiveFd(control);
    if (fd < 0) break;
    std::thread(rapport::runner::Serve, fd).detach();
  }
  // rapportd closed the control socket: it has stopped (after STOP) or died.
  _exit(0);
}
