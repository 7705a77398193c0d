/* Test plugin "abimismatch": a raw C plugin whose binary claims ABI 2 while
 * its manifest says 1 — the host must refuse it after reading the info. */
#include "rapport/sdk/plugin_abi.h"

static int init(const rapport_host_api* host, rapport_host_ctx* ctx, rapport_plugin_state** state,
                rapport_buffer* error) {
  (void)host;
  (void)ctx;
  (void)state;
  (void)error;
  return RAPPORT_OK;
}

__attribute__((visibility("default"))) const rapport_plugin_info* rapport_plugin_entry(void) {
  static const rapport_plugin_info info = {
      sizeof(rapport_plugin_info), 2, 0, "abimismatch", "9.0.0", "cc", init, 0, 0, 0};
  return &info;
}
