/* Plugin "hostprobe", for host_fuzzer (tests/fuzz/host_fuzzer.cc): a plugin
 * on the raw C ABI (no SDK) with no logic of its own. Its one method and its
 * validate and pre-commit hooks on every resource and operation hand the
 * host's table, the call and their bytes to
 * rapport_fuzz_host_replay, which the fuzzer binary exports: the fuzz input
 * is played there as host calls, so everything the fuzzer does reaches the
 * real host functions as an in-process plugin's calls would. */
#include <dlfcn.h>

#include <cstring>

#include "rapport/sdk/plugin_abi.h"

/* kind: 0 the method, else the hook kind (RAPPORT_HOOK_VALIDATE, ...). */
typedef int (*replay_fn)(const rapport_host_api* host, rapport_host_ctx* ctx, rapport_call* call,
                         int kind, rapport_bytes input, rapport_buffer* out, rapport_buffer* error);

namespace {

const rapport_host_api* g_host;
rapport_host_ctx* g_ctx;
replay_fn g_replay;

int Method(void* /*user*/, rapport_call* call, rapport_bytes request, rapport_buffer* response,
           rapport_buffer* error) {
  return g_replay(g_host, g_ctx, call, 0, request, response, error);
}

int Hook(void* user, rapport_call* call, rapport_bytes /*before*/, rapport_bytes after,
         rapport_buffer* out, rapport_buffer* error) {
  return g_replay(g_host, g_ctx, call, static_cast<int>(reinterpret_cast<size_t>(user)), after, out,
                  error);
}

int Timer(void*, rapport_call*, rapport_bytes, rapport_bytes, rapport_buffer*) {
  return RAPPORT_OK; /* the fuzzer never starts the host, so timers never fire */
}

void Fail(rapport_buffer* error, const char* why) {
  error->set(error->user, why, std::strlen(why));
}

int Init(const rapport_host_api* host, rapport_host_ctx* ctx, rapport_plugin_state** /*state*/,
         rapport_buffer* error) {
  g_host = host;
  g_ctx = ctx;
  g_replay = reinterpret_cast<replay_fn>(dlsym(RTLD_DEFAULT, "rapport_fuzz_host_replay"));
  if (g_replay == nullptr) {
    Fail(error,
         "hostprobe: rapport_fuzz_host_replay is not exported (load it in host_fuzzer only)");
    return RAPPORT_FAILED_PRECONDITION;
  }
  if (host->register_method(ctx, "/rapport.fuzz.v1.HostProbe/Replay", Method, nullptr) !=
          RAPPORT_OK ||
      host->register_timer_handler(ctx, Timer, nullptr) != RAPPORT_OK) {
    Fail(error, host->host_last_error(ctx));
    return RAPPORT_INTERNAL;
  }
  for (int kind = RAPPORT_HOOK_VALIDATE; kind <= RAPPORT_HOOK_PRE_COMMIT; ++kind) {
    for (int r = RAPPORT_RESOURCE_CUSTOMER; r <= RAPPORT_RESOURCE_OPPORTUNITY; ++r) {
      for (int op = RAPPORT_OP_CREATE; op <= RAPPORT_OP_DELETE; ++op) {
        if (host->register_hook(ctx, static_cast<rapport_hook_kind>(kind),
                                static_cast<rapport_resource>(r),
                                static_cast<rapport_operation>(op), 0, Hook,
                                reinterpret_cast<void*>(static_cast<size_t>(kind))) != RAPPORT_OK) {
          Fail(error, host->host_last_error(ctx));
          return RAPPORT_INTERNAL;
        }
      }
    }
  }
  return RAPPORT_OK;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const rapport_plugin_info* rapport_plugin_entry(
    void) {
  static const rapport_plugin_info info = {sizeof(rapport_plugin_info),
                                           RAPPORT_PLUGIN_ABI_MAJOR,
                                           RAPPORT_PLUGIN_ABI_MINOR,
                                           "hostprobe",
                                           "1.0.0",
                                           "tests/fuzz/host_probe",
                                           Init,
                                           nullptr,
                                           nullptr,
                                           nullptr};
  return &info;
}
