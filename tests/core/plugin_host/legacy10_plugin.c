/* Test plugin "legacy10", for abi_compat_test: a raw C plugin compiled
 * against the frozen ABI 1.0 header (abi_1_0/plugin_abi.h), using only what
 * 1.0 offered:
 *   - a validate hook on customer create that rejects a customer whose
 *     serialized bytes contain "forbidden";
 *   - a pre-commit hook on customer create that counts creates in the key
 *     "creates" (a decimal, read-modify-write);
 *   - the method /rapport.legacy.v1.LegacyService/Echo: stores the request
 *     under "echo", reads it back, and answers "<value>|<keys>|<tenant>",
 *     <keys> being how many keys kv_scan finds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_1_0/plugin_abi.h"

static const rapport_host_api* host;

static void set_text(rapport_buffer* buffer, const char* text) {
  host->buffer_set(buffer, text, strlen(text));
}

static int validate(void* user, rapport_call* call, rapport_bytes before, rapport_bytes after,
                    rapport_buffer* out, rapport_buffer* error) {
  (void)user, (void)call, (void)before, (void)out;
  const char* word = "forbidden";
  for (size_t i = 0; i + strlen(word) <= after.size; ++i) {
    if (memcmp(after.data + i, word, strlen(word)) == 0) {
      set_text(error, "legacy10: forbidden customers are refused");
      return RAPPORT_INVALID_ARGUMENT;
    }
  }
  return RAPPORT_OK;
}

struct text {
  char data[64];
};
static void text_set(void* user, const void* data, size_t size) {
  struct text* t = (struct text*)user;
  if (size >= sizeof t->data) size = sizeof t->data - 1;
  memcpy(t->data, data, size);
  t->data[size] = '\0';
}

static rapport_bytes bytes_of(const char* s) {
  rapport_bytes b = {(const uint8_t*)s, strlen(s)};
  return b;
}

static int pre_commit(void* user, rapport_call* call, rapport_bytes before, rapport_bytes after,
                      rapport_buffer* out, rapport_buffer* error) {
  (void)user, (void)before, (void)after, (void)out;
  struct text value = {""};
  rapport_buffer buffer = {&value, text_set};
  long n = 0;
  if (host->kv_get(call, bytes_of("creates"), &buffer) == RAPPORT_OK) n = atol(value.data);
  char next[32];
  snprintf(next, sizeof next, "%ld", n + 1);
  int rc = host->kv_put(call, bytes_of("creates"), bytes_of(next));
  if (rc != RAPPORT_OK) set_text(error, "legacy10: kv_put failed");
  return rc;
}

static int count_key(void* user, rapport_bytes key, rapport_bytes value) {
  (void)key, (void)value;
  ++*(int*)user;
  return 1;
}

static int echo(void* user, rapport_call* call, rapport_bytes request, rapport_buffer* response,
                rapport_buffer* error) {
  (void)user;
  if (request.size >= 32) {
    set_text(error, "legacy10: request too long");
    return RAPPORT_INVALID_ARGUMENT;
  }
  int rc = host->kv_put(call, bytes_of("echo"), request);
  if (rc != RAPPORT_OK) return rc;
  struct text value = {""};
  rapport_buffer buffer = {&value, text_set};
  rc = host->kv_get(call, bytes_of("echo"), &buffer); /* sees the call's own write */
  if (rc != RAPPORT_OK) return rc;
  int keys = 0;
  rc = host->kv_scan(call, bytes_of(""), count_key, &keys);
  if (rc != RAPPORT_OK) return rc;
  char answer[160];
  snprintf(answer, sizeof answer, "%s|%d|%s", value.data, keys, host->call_tenant(call));
  set_text(response, answer);
  return RAPPORT_OK;
}

static int init(const rapport_host_api* api, rapport_host_ctx* ctx, rapport_plugin_state** state,
                rapport_buffer* error) {
  (void)state;
  host = api;
  if (api->struct_size < sizeof(rapport_host_api)) {
    set_text(error, "legacy10: host table smaller than ABI 1.0's");
    return RAPPORT_FAILED_PRECONDITION;
  }
  int rc = api->register_hook(ctx, RAPPORT_HOOK_VALIDATE, RAPPORT_RESOURCE_CUSTOMER,
                              RAPPORT_OP_CREATE, 100, validate, 0);
  if (rc == RAPPORT_OK) {
    rc = api->register_hook(ctx, RAPPORT_HOOK_PRE_COMMIT, RAPPORT_RESOURCE_CUSTOMER,
                            RAPPORT_OP_CREATE, 100, pre_commit, 0);
  }
  if (rc == RAPPORT_OK) {
    rc = api->register_method(ctx, "/rapport.legacy.v1.LegacyService/Echo", echo, 0);
  }
  if (rc != RAPPORT_OK) set_text(error, "legacy10: registration refused");
  return rc;
}

__attribute__((visibility("default"))) const rapport_plugin_info* rapport_plugin_entry(void) {
  static const rapport_plugin_info info = {sizeof(rapport_plugin_info),
                                           RAPPORT_PLUGIN_ABI_MAJOR,
                                           RAPPORT_PLUGIN_ABI_MINOR,
                                           "legacy10",
                                           "1.0.0",
                                           "cc, ABI 1.0 header",
                                           init,
                                           0,
                                           0,
                                           0};
  return &info;
}
