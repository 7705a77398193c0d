// File: services/plugin_runner/child_state.h
//
// What rapport-plugin-runner's files share: the plugin's registrations as
// its init made them, the call a handler runs in, and Ask, which sends one
// host API call to rapportd and waits for the answer.
//   runner.cc          connections, invocations, the plugin's lifecycle
//   host_api_proxy.cc  the rapport_host_api table the plugin is given
#ifndef RAPPORT_SERVICES_PLUGIN_RUNNER_CHILD_STATE_H_
#define RAPPORT_SERVICES_PLUGIN_RUNNER_CHILD_STATE_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "rapport/runner/v1/runner.pb.h"
#include "rapport/sdk/plugin_abi.h"

namespace rapport::runner {

// One invocation as the plugin sees it (its rapport_call*), or, with
// `fd` -1, the plugin's own threads outside any invocation.
struct ChildCall {
  int fd = -1;
  v1::CallInfo info;
  // call_last_error's answer, kept for the call.
  std::string last_error;
};

// The plugin's registrations (made during init) and what the host gave it.
struct Registry {
  std::mutex mu;
  std::string config_json = "{}";
  // Registrations are taken only while init runs, as in rapportd.
  bool initialising = false;
  v1::Registrations wire;  // what the host is told, in order
  struct HookFn {
    rapport_hook_fn fn;
    void* user;
  };
  std::vector<HookFn> hooks;  // by index in wire.hooks
  std::map<std::string, std::pair<rapport_method_fn, void*>> methods;
  std::map<std::string, std::pair<rapport_stream_fn, void*>> streams;
  std::pair<rapport_timer_fn, void*> timer{nullptr, nullptr};
  std::map<int, std::pair<rapport_backfill_fn, void*>> backfill;
  // The connection that serves calls made outside any invocation
  // (INVOKE_KIND_SERVE), and the lock that takes turns on it.
  int serve_fd = -1;
  std::mutex serve_mu;
};

Registry& TheRegistry();

// The invocation running on this thread (null outside any).
ChildCall*& CurrentCall();

// Sends `request` on the call's connection (the serve connection when
// `call` is null or has no connection) and returns the host's reply; a
// reply with code RAPPORT_UNAVAILABLE when rapportd is gone.
v1::HostReply Ask(ChildCall* call, const v1::HostCall& request);

// The host function table handed to the plugin's init.
const rapport_host_api* ProxyHostApi();

}  // namespace rapport::runner

#endif  // RAPPORT_SERVICES_PLUGIN_RUNNER_CHILD_STATE_H_
