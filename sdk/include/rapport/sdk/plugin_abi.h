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
#define RAPPORT_PLUGIN_ABI_MINOR 3
#define RAPPORT_PLUGIN_ENTRY_SYMBOL "rapport_plugin_entry"

/* Status codes: the gRPC/absl codes. */
typedef enum {
  RAPPORT_OK = 0,
  RAPPORT_INVALID_ARGUMENT = 3,
  /* Returned by the host, never needed from a plugin: an out-of-process
   * plugin's call that ran past its manifest's timeout_ms. */
  RAPPORT_DEADLINE_EXCEEDED = 4,
  RAPPORT_NOT_FOUND = 5,
  RAPPORT_ALREADY_EXISTS = 6,
  RAPPORT_PERMISSION_DENIED = 7,
  RAPPORT_RESOURCE_EXHAUSTED = 8,
  RAPPORT_FAILED_PRECONDITION = 9,
  RAPPORT_ABORTED = 10,
  RAPPORT_OUT_OF_RANGE = 11,
  RAPPORT_UNIMPLEMENTED = 12,
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
typedef struct rapport_host_ctx rapport_host_ctx;         /* the host's per-plugin state */
typedef struct rapport_call rapport_call;                 /* one hook or RPC invocation */
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

typedef enum {
  RAPPORT_LOG_DEBUG = 0,
  RAPPORT_LOG_INFO = 1,
  RAPPORT_LOG_WARN = 2,
  RAPPORT_LOG_ERROR = 3
} rapport_log_level;

/* A durable timer's handler (ABI 1.2, register_timer_handler): `key` and
 * `payload` are what timer_schedule stored. Return RAPPORT_OK, or an error
 * code with a message in `error` (the timer is then retried). */
typedef int (*rapport_timer_fn)(void* user, rapport_call* call, rapport_bytes key,
                                rapport_bytes payload, rapport_buffer* error);

/* A backfill handler (ABI 1.2, register_backfill): `record` is one existing
 * record of `resource` (serialized rapport.v1), or, for the handler
 * registered with resource 0, empty: the backfill is starting. */
typedef int (*rapport_backfill_fn)(void* user, rapport_call* call, rapport_resource resource,
                                   rapport_bytes record, rapport_buffer* error);

/* A server-streaming RPC method (ABI 1.2, register_stream_method): one
 * request in; responses go out one by one through stream_send while it runs;
 * its return ends the stream (RAPPORT_OK, or an error code with a message in
 * `error`). */
typedef int (*rapport_stream_fn)(void* user, rapport_call* call, rapport_bytes request,
                                 rapport_buffer* error);

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
  /* Adds `delta` to a named counter shown by ModuleService; the counter
   * stops at the int64 range's ends instead of overflowing. */
  void (*metric_add)(rapport_host_ctx* host, const char* name, int64_t delta);

  /* --- ABI 1.1 --- */

  /* Creates or updates a core record as the caller (their access rules
   * apply) through the core's one write path: validation, every plugin's
   * hooks, indexes and the change feed.
   *   RAPPORT_OP_CREATE: `record` is the new record (no id).
   *   RAPPORT_OP_UPDATE: `record` is a patch carrying the id; `update_mask`
   *   lists the fields to change, comma-separated ("amount,stage");
   *   `expected_revision` 0 means any.
   * On success `out` gets the stored record. Errors carry the core's message
   * in `error`. Allowed in RPC methods and post-commit hooks; in validate and
   * pre-commit hooks it is FAILED_PRECONDITION (they run inside a commit).
   * A write from a post-commit hook is one level deeper than the change that
   * triggered it; past the host's depth limit it is refused with
   * FAILED_PRECONDITION, so hooks that write records cannot loop forever. */
  int (*write_record)(rapport_call* call, rapport_resource resource, rapport_operation operation,
                      rapport_bytes record, const char* update_mask, int64_t expected_revision,
                      rapport_buffer* out, rapport_buffer* error);
  /* Whether `user_id` is an enabled user of the call's tenant: RAPPORT_OK and
   * `teams` gets their teams with all ancestors, comma-separated, or
   * RAPPORT_NOT_FOUND. */
  int (*user_info)(rapport_call* call, const char* user_id, rapport_buffer* teams);
  /* The caller's roles, comma-separated and lower case ("admin", "manager",
   * "rep", "viewer", "integration"); "" in post-commit hooks and internal
   * calls. */
  const char* (*call_roles)(rapport_call* call);

  /* --- ABI 1.2 --- */

  /* The caller's read scope, the one the core's own reads apply: returns 1
   * when the caller reads every record of the tenant (admin, integration,
   * internal calls, post-commit hooks), 0 when restricted, with `owners`
   * set to the user ids whose records they may read, comma-separated and
   * sorted (a rep: themselves and their teams' members; a manager: everyone
   * in their teams' subtrees). */
  int (*call_scope)(rapport_call* call, rapport_buffer* owners);

  /* Why the last kv_put, kv_delete, kv_add, kv_get or kv_scan_range made
   * through `call` failed ("" after a success). Valid until the next call
   * through `call`. */
  const char* (*call_last_error)(rapport_call* call);
  /* Why the last register_hook, register_method or register_descriptors
   * failed ("" after a success). A refused registration also refuses the
   * plugin's load, with this reason, even if init returns RAPPORT_OK. */
  const char* (*host_last_error)(rapport_host_ctx* host);

  /* Keyspace transactions. In an RPC method or a post-commit hook, the
   * values kv_get and kv_scan_range return are remembered, and at commit the
   * host checks, under the commit lock, that none of them has changed
   * since: if one has, the call's writes are dropped and the handler runs
   * again (at most the host's max_conflict_retries times, then the method
   * fails with RAPPORT_ABORTED; a post-commit hook re-runs from its
   * cursor). In a pre-commit hook a conflict fails the record write with
   * ABORTED; the core retries updates itself. Reads of keys the call wrote
   * itself are not checked. */

  /* Entries whose key starts with `prefix`, in key order (reverse != 0:
   * descending), strictly after `start_after` (descending: strictly before
   * it) when it is not empty, at most `limit` of them (0: no limit), until
   * fn returns 0. The call's own uncommitted writes are visible.
   * RAPPORT_INVALID_ARGUMENT when `start_after` does not start with
   * `prefix`; RAPPORT_UNAVAILABLE when the store cannot be read. */
  int (*kv_scan_range)(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after,
                       uint32_t limit, int reverse, rapport_scan_fn fn, void* user);
  /* Adds `delta` to the signed 64-bit counter at `key` (8 bytes, little
   * endian; a missing key counts as 0) when the call commits. Adds do not
   * read: concurrent adds to one key never conflict. At commit an add that
   * overflows is RAPPORT_OUT_OF_RANGE and one that meets a value that is not
   * 8 bytes is RAPPORT_FAILED_PRECONDITION; the call then fails and writes
   * nothing. kv_get of the key inside the call sees the sum. */
  int (*kv_add)(rapport_call* call, rapport_bytes key, int64_t delta);

  /* Queries of core records as the caller, through the public API's own
   * planner, access rules and refusal of unindexed scans (docs/filter.md):
   * a page of records of `resource` matching `filter` ("" for all), in
   * `order_by` order, at most `page_size` (0: 50; 1..1000), resuming at
   * `page_token` ("" for the first page). `response` gets bytes that parse
   * as rapport.v1.List{Customers,Interactions,Opportunities}Response. An
   * error's message, the API's (naming filter, order_by, page_size or
   * page_token), goes to `error`. */
  int (*list_records)(rapport_call* call, rapport_resource resource, const char* filter,
                      const char* order_by, int32_t page_size, const char* page_token,
                      rapport_buffer* response, rapport_buffer* error);
  /* SearchCustomers as the caller: `response` parses as
   * rapport.v1.SearchCustomersResponse. */
  int (*search_customers)(rapport_call* call, const char* query, int32_t page_size,
                          const char* page_token, rapport_buffer* response, rapport_buffer* error);
  /* How many records of `resource` match `filter` and the caller may read
   * (the same rules as list_records). It reads every match, so its cost
   * grows with the count; past 10,000,000 matches it is OUT_OF_RANGE. */
  int (*count_records)(rapport_call* call, rapport_resource resource, const char* filter,
                       int64_t* count, rapport_buffer* error);
  /* 1 if the caller may read record `id` of `resource` (it exists and is in
   * their scope), 0 if not (missing, or outside their scope: the two are
   * not told apart, as in the API), or a negative rapport_code on error
   * (-RAPPORT_INVALID_ARGUMENT for a malformed id). */
  int (*can_read)(rapport_call* call, rapport_resource resource, const char* id);

  /* Durable timers, per tenant. A plugin that schedules timers registers
   * its one handler during init. timer_schedule stores (or replaces) the
   * timer `key` (1..256 bytes) of the call's tenant, due at `when_micros`
   * (Unix microseconds, the host clock), with `payload` (at most 64 KiB).
   * Like keyspace writes, the timer joins the call's writes: it exists only
   * if the call commits (in a pre-commit hook, with the record change).
   * The host then calls the handler, in a call of the same tenant with no
   * user (internal scope, roles ""), at least once after `when_micros`;
   * the timer's removal commits in one batch with the handler's keyspace
   * writes, so those apply exactly once. A handler may schedule the same
   * key again (a periodic timer). A failing handler is retried with
   * backoff and, after the host's dead-letter limit, dead-lettered
   * (ListDeadLetters; replaying reschedules it). Overdue timers fire after
   * a restart. While the module's kill switch is thrown for the tenant its
   * timers wait; they fire, late, when it is released. Errors:
   *   INVALID_ARGUMENT   key size, payload size, `when_micros` more than
   *                      one second in the past or more than ten years
   *                      ahead;
   *   RESOURCE_EXHAUSTED the tenant already has the host's per-module
   *                      maximum of pending timers;
   *   FAILED_PRECONDITION no handler registered, or in a validate hook.
   * Reasons in call_last_error. */
  int (*register_timer_handler)(rapport_host_ctx* host, rapport_timer_fn fn, void* user);
  int (*timer_schedule)(rapport_call* call, rapport_bytes key, int64_t when_micros,
                        rapport_bytes payload);
  /* Removes the call's tenant's timer `key` when the call commits:
   * RAPPORT_OK, or RAPPORT_NOT_FOUND if there is none (a timer that has
   * already fired is gone). */
  int (*timer_cancel)(rapport_call* call, rapport_bytes key);

  /* Backfill. During init, a plugin registers a handler per resource whose
   * existing records it wants, and optionally one for resource 0, called
   * first, to clear what it derived (a backfill that was cut short, by a
   * crash or a stop, starts again from there). A backfill of a tenant runs
   * in the plugin's post-commit thread: the host takes one consistent
   * snapshot at feed sequence S, calls the resource-0 handler, then the
   * handler of each record in the snapshot (customers, interactions,
   * opportunities, each in id order), and then continues the post-commit
   * hooks from S: every change is seen exactly once, by the backfill or by
   * a hook. Handlers run as internal calls (no user, every record
   * readable) and their keyspace writes commit in batches, with progress.
   * A backfill runs on the first enable (the first time the module's rule
   * turns it on for anyone in the tenant, or at once for "observe": "all")
   * and on request (ModuleService.BackfillModule, `rapportctl modules
   * backfill NAME`). A failing handler fails the backfill (shown by
   * GetBackfill with its error) and the hooks continue from where they
   * were. */
  int (*register_backfill)(rapport_host_ctx* host, rapport_resource resource,
                           rapport_backfill_fn fn, void* user);

  /* Module events. emit_event writes an event of the calling module into
   * its tenant's change feed when the call commits: with the call's
   * keyspace writes, or, from a pre-commit hook, with the record change
   * (right after its event). It is a rapport.v1.ChangeEvent with
   * module_event {module, type, payload}, origin "module/NAME", subject
   * "module/NAME/TYPE", the caller as principal and the request's
   * request_id; EventService.Subscribe delivers it, and so do other
   * modules' event hooks. `type`: [a-z0-9][a-z0-9_.]*, 1..64 characters.
   * `payload` (at most 64 KiB) is a serialized protobuf message whose full
   * name is `payload_type` (the event's google.protobuf.Any); both may be
   * empty. From a post-commit hook the event is one level deeper than the
   * change that triggered it, and past the host's depth limit it is refused
   * (as write_record is). Errors: INVALID_ARGUMENT (type, payload size,
   * payload_type), FAILED_PRECONDITION (a validate hook; the depth limit).
   * Reasons in call_last_error. */
  int (*emit_event)(rapport_call* call, const char* type, const char* payload_type,
                    rapport_bytes payload);
  /* During init: a post-commit hook for the events `module` emits of type
   * `type` ("" for all its types), called like any post-commit hook with
   * `after` the serialized rapport.v1.ChangeEvent and `before` empty,
   * through the module gate (for the user who caused the event) and with
   * the same cursor, retries and dead letters. The module need not be
   * loaded (its events simply never come). */
  int (*register_event_hook)(rapport_host_ctx* host, const char* module, const char* type,
                             rapport_hook_fn fn, void* user);
  /* Calls another loaded module's unary method in process, as the same
   * caller (their access rules and the module gate for them apply, as on the
   * public path) and in the same transaction: the callee's keyspace
   * operations and events join the caller's and commit with them, or not at
   * all. `full_method`: "/rapport.sfa.v1.SalesService/GetForecast" (the
   * leading '/' may be left out). `response` gets the callee's response
   * bytes; on error `error` gets "module 'NAME': ..." and the code is the
   * callee's. Errors: INVALID_ARGUMENT (a malformed name), NOT_FOUND (no
   * loaded module serves it), FAILED_PRECONDITION (the module is off for the
   * caller; a streaming method; calls nested more than 8 deep). */
  int (*call_module)(rapport_call* call, const char* full_method, rapport_bytes request,
                     rapport_buffer* response, rapport_buffer* error);

  /* The request behind the call. call_deadline_micros: the RPC caller's
   * deadline (Unix microseconds, the wall clock), 0 if none or not an RPC.
   * call_cancelled: 1 once the caller has cancelled or gone away, the
   * deadline has passed or the server is stopping; a handler doing long
   * work checks it and gives up (its writes do not commit if it then fails).
   * call_metadata: the RPC's request metadata `key` (lower case; "-bin"
   * keys give raw bytes) into `value`, RAPPORT_OK, or RAPPORT_NOT_FOUND.
   * call_request_id: the request's idempotency key: a plugin RPC's
   * "x-request-id" metadata, a core write's request_id (pre-commit hooks),
   * or the change event's (post-commit hooks); "" if none. */
  int64_t (*call_deadline_micros)(rapport_call* call);
  int (*call_cancelled)(rapport_call* call);
  int (*call_metadata)(rapport_call* call, const char* key, rapport_buffer* value);
  const char* (*call_request_id)(rapport_call* call);

  /* Server-streaming methods. register_stream_method is register_method's
   * twin (the same name rules) for a method declared `returns (stream T)`.
   * The host runs each stream on a thread of its own (at most the host's
   * --plugin-max-streams at once; past it a new stream is
   * RESOURCE_EXHAUSTED). stream_send sends one response and returns when it
   * is written: RAPPORT_OK, or RAPPORT_UNAVAILABLE once the caller has
   * cancelled or gone away (stop then), RAPPORT_FAILED_PRECONDITION outside
   * a streaming method. A stream's keyspace writes commit when it returns
   * RAPPORT_OK, as a unary method's do, but it is never run again on a
   * conflict (the responses are gone): the stream then ends ABORTED. */
  int (*register_stream_method)(rapport_host_ctx* host, const char* full_method,
                                rapport_stream_fn fn, void* user);
  int (*stream_send)(rapport_call* call, rapport_bytes message);

  /* --- ABI 1.3 --- */

  /* A contact detail in the form the core stores and filters it:
   * kind "phone": E.164, a national number read with the server's
   * --default-region ("010-1234-5678" -> "+821012345678"); kind "email":
   * trimmed and lower-cased. `out` gets the normalised text, so a module can
   * then ListRecords with `phones = "..."` or `emails = "..."`. Errors:
   * INVALID_ARGUMENT (an unknown kind, or a value that is not a valid phone
   * number or email address; the reason in `error`). */
  int (*normalize_contact)(rapport_call* call, const char* kind, rapport_bytes raw,
                           rapport_buffer* out, rapport_buffer* error);
  /* The next number of the durable sequence `key` in the plugin's keyspace
   * (1, 2, 3, ...), into `value`. It is committed at once, outside the
   * call's transaction, and never rolled back: concurrent calls never get
   * the same number and never conflict on it, and a call that fails after
   * taking one leaves a gap. `key` then holds the last number as a counter
   * (Get and DecodeCounter read it); do not Put, Delete or add to it.
   * Errors: INVALID_ARGUMENT (key size), FAILED_PRECONDITION (a validate
   * hook), UNAVAILABLE (storage). Reasons in call_last_error. */
  int (*kv_sequence_next)(rapport_call* call, rapport_bytes key, int64_t* value);
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
} /* extern "C" */
#endif

#endif /* RAPPORT_SDK_PLUGIN_ABI_H_ */
