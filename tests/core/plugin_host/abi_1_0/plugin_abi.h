/* FROZEN: the plugin ABI header exactly as ABI 1.0 shipped it (commit 81092b5,
 * sdk/include/rapport/sdk/plugin_abi.h). Never edit: abi_compat_test builds
 * legacy10_plugin.c against it to prove a 1.0 plugin still loads and works
 * on this host. Kept byte for byte, so clang-format is off for it. */
/* clang-format off */
/* File: sdk/include/rapport/sdk/plugin_abi.h
 *
 * The Rapport plugin boundary: a versioned C ABI. Nothing C++ crosses it
 * (no vtables, no std:: types, no exceptions), so a plugin built with another
 * compiler or protobuf version cannot crash the host through a layout
 * mismatch. Records cross as serialized protobuf bytes (rapport.v1.*).
 *
 * Versioning: ABI major changes break compatibility (the host refuses a
 * plugin whose major differs). Minor versions only append: new fields at the
 * end of structs (both sides check struct_size before touching them), new
 * functions at the end of the host table.
 *
 * A plugin is NAME.so plus NAME.manifest.json beside it:
 *   {"name": "hello", "version": "1.2.0", "abi_major": 1,
 *    "requires": ["other-module"], "services": ["rapport.hello.v1.HelloService"]}
 * The host reads the manifest before dlopen, so an incompatible binary's
 * static constructors never run.
 *
 * Lifecycle: the host calls rapport_plugin_entry(), checks the info, then
 * init(host, config) -> start() -> ... -> drain() -> stop(). Never unloaded.
 */
#ifndef RAPPORT_SDK_PLUGIN_ABI_H_
#define RAPPORT_SDK_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAPPORT_PLUGIN_ABI_MAJOR 1
#define RAPPORT_PLUGIN_ABI_MINOR 0
#define RAPPORT_PLUGIN_ENTRY_SYMBOL "rapport_plugin_entry"

/* Status codes: the gRPC/absl codes. */
typedef enum {
  RAPPORT_OK = 0,
  RAPPORT_INVALID_ARGUMENT = 3,
  RAPPORT_NOT_FOUND = 5,
  RAPPORT_PERMISSION_DENIED = 7,
  RAPPORT_FAILED_PRECONDITION = 9,
  RAPPORT_INTERNAL = 13,
  RAPPORT_UNAVAILABLE = 14,
} rapport_code;

/* Bytes owned by the caller for the duration of one call. */
typedef struct {
  const uint8_t* data;
  size_t size;
} rapport_bytes;

/* An output parameter: whoever creates it supplies `set`, which copies the
 * bytes into the creator's own storage. Hooks and methods write their
 * results into host-made buffers; the host writes kv values and records into
 * plugin-made ones. Valid for the duration of the call it is passed to. */
typedef struct rapport_buffer {
  void* user;
  void (*set)(void* user, const void* data, size_t size);
} rapport_buffer;

/* Opaque handles. */
typedef struct rapport_host_ctx rapport_host_ctx;     /* the host's per-plugin state */
typedef struct rapport_call rapport_call;             /* one hook or RPC invocation */
typedef struct rapport_plugin_state rapport_plugin_state; /* the plugin's own state */

typedef enum {
  RAPPORT_RESOURCE_CUSTOMER = 1,
  RAPPORT_RESOURCE_INTERACTION = 2,
  RAPPORT_RESOURCE_OPPORTUNITY = 3,
} rapport_resource;

typedef enum {
  RAPPORT_OP_CREATE = 1,
  RAPPORT_OP_UPDATE = 2,
  RAPPORT_OP_DELETE = 3,
} rapport_operation;

typedef enum {
  /* May reject; writes nothing. record = the record as it will be written. */
  RAPPORT_HOOK_VALIDATE = 1,
  /* May change the record (write it to `out`) and add keyspace writes, which
   * join the change's WriteBatch. */
  RAPPORT_HOOK_PRE_COMMIT = 2,
  /* After the commit, from the change feed; retried with backoff, then
   * dead-lettered. record = the serialized rapport.v1.ChangeEvent. */
  RAPPORT_HOOK_POST_COMMIT = 3,
} rapport_hook_kind;

/* A hook. `before` is empty on create, `after` on delete (validate and
 * pre-commit). Return RAPPORT_OK or an error code with a message written to
 * `error` (host->buffer_set). For pre-commit, a changed record goes to
 * `out` (leave it empty to keep the record). */
typedef int (*rapport_hook_fn)(void* user, rapport_call* call, rapport_bytes before,
                               rapport_bytes after, rapport_buffer* out, rapport_buffer* error);

/* A unary RPC method: request bytes in, response bytes out. `user` is what
 * was passed at registration. */
typedef int (*rapport_method_fn)(void* user, rapport_call* call, rapport_bytes request,
                                 rapport_buffer* response, rapport_buffer* error);

typedef enum { RAPPORT_LOG_DEBUG = 0, RAPPORT_LOG_INFO = 1, RAPPORT_LOG_WARN = 2, RAPPORT_LOG_ERROR = 3 } rapport_log_level;

/* Called by kv_scan for each entry; return 0 to stop. */
typedef int (*rapport_scan_fn)(void* user, rapport_bytes key, rapport_bytes value);

/* The host's services, passed to init. Append-only: check struct_size before
 * using a function added after ABI 1.0. */
typedef struct {
  size_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  void (*buffer_set)(rapport_buffer* buffer, const void* data, size_t size);

  void (*log)(rapport_host_ctx* host, rapport_log_level level, const char* message);

  /* Registration, during init only. order: lower runs first among plugins
   * (ties by name). */
  int (*register_hook)(rapport_host_ctx* host, rapport_hook_kind kind, rapport_resource resource,
                       rapport_operation operation, int32_t order, rapport_hook_fn fn, void* user);
  /* full_method: "/rapport.hello.v1.HelloService/SayHello"; the package must
   * start with "rapport." and not be the core's "rapport.v1.". */
  int (*register_method)(rapport_host_ctx* host, const char* full_method, rapport_method_fn fn,
                         void* user);
  /* A serialized google.protobuf.FileDescriptorSet of the plugin's services. */
  int (*register_descriptors)(rapport_host_ctx* host, rapport_bytes file_descriptor_set);

  /* The plugin's own keyspace (a namespace inside the host's families), in
   * the caller's tenant. Inside a pre-commit hook, puts and deletes join the
   * change's WriteBatch; elsewhere each is its own atomic write. Returns
   * RAPPORT_NOT_FOUND from kv_get for a missing key. */
  int (*kv_get)(rapport_call* call, rapport_bytes key, rapport_buffer* value);
  int (*kv_put)(rapport_call* call, rapport_bytes key, rapport_bytes value);
  int (*kv_delete)(rapport_call* call, rapport_bytes key);
  int (*kv_scan)(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user);

  /* Reads a core record as the caller (their access rules apply): the
   * serialized rapport.v1 resource, or RAPPORT_NOT_FOUND. */
  int (*get_record)(rapport_call* call, rapport_resource resource, const char* id,
                    rapport_buffer* record);

  /* About the call: tenant name, user id, origin ("" if none). */
  const char* (*call_tenant)(rapport_call* call);
  const char* (*call_user)(rapport_call* call);
  /* 1 if this plugin's module is on (or shadow) for `user_id` in the call's
   * tenant; `reason` gets a human-readable explanation. */
  int (*module_enabled)(rapport_call* call, const char* module, const char* user_id,
                        rapport_buffer* reason);

  /* Config: the JSON object the operator gave this plugin ("{}" if none). */
  const char* (*config_json)(rapport_host_ctx* host);
  /* Microseconds since the Unix epoch (the host's clock: fake in tests). */
  int64_t (*now_micros)(rapport_host_ctx* host);
  /* Adds `delta` to a named counter shown by ModuleService. */
  void (*metric_add)(rapport_host_ctx* host, const char* name, int64_t delta);
} rapport_host_api;

typedef struct {
  size_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;       /* must equal the manifest's */
  const char* version;    /* semver */
  const char* build_info; /* free text: compiler, protobuf version, commit */

  /* Registers hooks and methods; may fail (the plugin is then refused). */
  int (*init)(const rapport_host_api* host, rapport_host_ctx* host_ctx,
              rapport_plugin_state** state, rapport_buffer* error);
  void (*start)(rapport_plugin_state* state);
  /* Stop taking new work; the host waits for in-flight calls after it. */
  void (*drain)(rapport_plugin_state* state);
  void (*stop)(rapport_plugin_state* state);
} rapport_plugin_info;

/* The one exported symbol. */
typedef const rapport_plugin_info* (*rapport_plugin_entry_fn)(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* RAPPORT_SDK_PLUGIN_ABI_H_ */
