// File: services/plugin_runner/host_api_proxy.cc
//
// The rapport_host_api table an out-of-process plugin is given: the same
// functions as in rapportd, each sent to rapportd as a HostCall on the
// connection of the invocation it is made in and answered there by the real
// table (core/plugin_host/remote_plugin.cc), so the keyspace, records,
// timers and events behave exactly as in process. Registrations stay here
// (the host replays them from the init's Result); the call's tenant, user,
// roles, request id and deadline came with the invocation.

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/plugin_host/abi_enum.h"
#include "rapport/runner/v1/runner.pb.h"
#include "rapport/sdk/plugin_abi.h"
#include "services/plugin_runner/child_state.h"

namespace rapport::runner {
namespace {

// Enum arguments are forwarded as the numbers the plugin passed, never read
// as the enum (abi_enum.h).
using plugin_host::internal::AbiEnum;

ChildCall* Of(rapport_call* call) { return reinterpret_cast<ChildCall*>(call); }

std::string Str(rapport_bytes b) {
  return b.data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(b.data), b.size);
}
const char* Safe(const char* s) { return s == nullptr ? "" : s; }

v1::HostCall Request(const char* function) {
  v1::HostCall r;
  r.set_function(function);
  return r;
}

// Registration outside init: refused, as rapportd refuses it in process.
// REQUIRES: reg.mu held.
bool Late(const Registry& reg) { return !reg.initialising; }

// Copies the reply's outputs into the plugin's buffers.
int Finish(const v1::HostReply& reply, rapport_buffer* out, rapport_buffer* error) {
  if (out != nullptr && out->set != nullptr && reply.out_set())
    out->set(out->user, reply.out().data(), reply.out().size());
  if (error != nullptr && error->set != nullptr && reply.error_set())
    error->set(error->user, reply.error().data(), reply.error().size());
  return static_cast<int>(reply.code());
}

// The call's own question (kv_*, records, timers, ...): ChildCall of the
// invocation; kept for call_last_error.
v1::HostReply AskCall(rapport_call* call, const v1::HostCall& request) {
  ChildCall* c = Of(call);
  v1::HostReply reply = Ask(c, request);
  if (c != nullptr) c->last_error = reply.text();
  return reply;
}

void BufferSet(rapport_buffer* buffer, const void* data, size_t size) {
  if (buffer != nullptr && buffer->set != nullptr) buffer->set(buffer->user, data, size);
}

void Log(rapport_host_ctx*, rapport_log_level level, const char* message) {
  v1::HostCall r = Request("log");
  r.add_int_args(AbiEnum(level));
  r.add_string_args(Safe(message));
  Ask(CurrentCall(), r);
}

int RegisterHook(rapport_host_ctx*, rapport_hook_kind kind, rapport_resource resource,
                 rapport_operation operation, int32_t order, rapport_hook_fn fn, void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  auto* h = reg.wire.add_hooks();
  h->set_kind(AbiEnum(kind));
  h->set_resource(AbiEnum(resource));
  h->set_operation(AbiEnum(operation));
  h->set_order(order);
  reg.hooks.push_back({fn, user});
  return RAPPORT_OK;
}

int RegisterEventHook(rapport_host_ctx*, const char* module, const char* type, rapport_hook_fn fn,
                      void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  auto* h = reg.wire.add_hooks();
  h->set_kind(RAPPORT_HOOK_POST_COMMIT);
  h->set_event_hook(true);
  h->set_event_module(Safe(module));
  h->set_event_type(Safe(type));
  reg.hooks.push_back({fn, user});
  return RAPPORT_OK;
}

int RegisterMethod(rapport_host_ctx*, const char* full_method, rapport_method_fn fn, void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  reg.wire.add_methods(Safe(full_method));
  reg.methods[Safe(full_method)] = {fn, user};
  return RAPPORT_OK;
}

int RegisterStreamMethod(rapport_host_ctx*, const char* full_method, rapport_stream_fn fn,
                         void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  reg.wire.add_stream_methods(Safe(full_method));
  reg.streams[Safe(full_method)] = {fn, user};
  return RAPPORT_OK;
}

int RegisterDescriptors(rapport_host_ctx*, rapport_bytes set) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  reg.wire.add_descriptor_sets(Str(set));
  return RAPPORT_OK;
}

int RegisterTimerHandler(rapport_host_ctx*, rapport_timer_fn fn, void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  if (reg.timer.first != nullptr) {
    if (reg.wire.registration_error().empty()) {
      reg.wire.set_registration_error(
          "timer handler: already registered (a plugin has one; dispatch on the key)");
    }
    return RAPPORT_FAILED_PRECONDITION;
  }
  reg.wire.set_timer_handler(true);
  reg.timer = {fn, user};
  return RAPPORT_OK;
}

int RegisterBackfill(rapport_host_ctx*, rapport_resource resource, rapport_backfill_fn fn,
                     void* user) {
  Registry& reg = TheRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (Late(reg)) return RAPPORT_FAILED_PRECONDITION;
  reg.wire.add_backfill_resources(AbiEnum(resource));
  reg.backfill[AbiEnum(resource)] = {fn, user};
  return RAPPORT_OK;
}

int KvGet(rapport_call* call, rapport_bytes key, rapport_buffer* value) {
  v1::HostCall r = Request("kv_get");
  r.add_bytes_args(Str(key));
  return Finish(AskCall(call, r), value, nullptr);
}

int KvPut(rapport_call* call, rapport_bytes key, rapport_bytes value) {
  v1::HostCall r = Request("kv_put");
  r.add_bytes_args(Str(key));
  r.add_bytes_args(Str(value));
  return Finish(AskCall(call, r), nullptr, nullptr);
}

int KvDelete(rapport_call* call, rapport_bytes key) {
  v1::HostCall r = Request("kv_delete");
  r.add_bytes_args(Str(key));
  return Finish(AskCall(call, r), nullptr, nullptr);
}

int KvAdd(rapport_call* call, rapport_bytes key, int64_t delta) {
  v1::HostCall r = Request("kv_add");
  r.add_bytes_args(Str(key));
  r.add_int_args(delta);
  return Finish(AskCall(call, r), nullptr, nullptr);
}

int KvSequenceNext(rapport_call* call, rapport_bytes key, int64_t* value) {
  v1::HostCall r = Request("kv_sequence_next");
  r.add_bytes_args(Str(key));
  v1::HostReply reply = AskCall(call, r);
  if (reply.code() == RAPPORT_OK && value != nullptr) *value = reply.value();
  return static_cast<int>(reply.code());
}

// Pages through the host's kv_scan_range, calling fn for each entry until it
// returns 0 or `limit` entries were seen. Pages start small and double (16
// to 256 entries a round trip): the host remembers every entry it returned
// for the commit-time check, so a scan that stops early should not have
// read far past where it stopped.
constexpr uint32_t kFirstPage = 16, kMaxPage = 256;
int KvScanRange(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after, uint32_t limit,
                int reverse, rapport_scan_fn fn, void* user) {
  std::string after = Str(start_after);
  uint32_t seen = 0;
  for (uint32_t size = kFirstPage;; size = std::min(size * 2, kMaxPage)) {
    const uint32_t page = limit == 0 ? size : std::min(size, limit - seen);
    v1::HostCall r = Request("kv_scan_range");
    r.add_bytes_args(Str(prefix));
    r.add_bytes_args(after);
    r.add_int_args(page);
    r.add_int_args(reverse);
    v1::HostReply reply = AskCall(call, r);
    if (reply.code() != RAPPORT_OK) return static_cast<int>(reply.code());
    for (const auto& e : reply.entries()) {
      ++seen;
      rapport_bytes k{reinterpret_cast<const uint8_t*>(e.key().data()), e.key().size()};
      rapport_bytes v{reinterpret_cast<const uint8_t*>(e.value().data()), e.value().size()};
      if (fn(user, k, v) == 0) return RAPPORT_OK;
    }
    if (static_cast<uint32_t>(reply.entries_size()) < page) return RAPPORT_OK;
    if (limit != 0 && seen >= limit) return RAPPORT_OK;
    after = reply.entries(reply.entries_size() - 1).key();
  }
}

int KvScan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user) {
  return KvScanRange(call, prefix, rapport_bytes{nullptr, 0}, 0, 0, fn, user);
}

int GetRecord(rapport_call* call, rapport_resource resource, const char* id,
              rapport_buffer* record) {
  v1::HostCall r = Request("get_record");
  r.add_int_args(AbiEnum(resource));
  r.add_string_args(Safe(id));
  return Finish(AskCall(call, r), record, nullptr);
}

const char* CallTenant(rapport_call* call) { return Of(call)->info.tenant().c_str(); }
const char* CallUser(rapport_call* call) { return Of(call)->info.user().c_str(); }
const char* CallRoles(rapport_call* call) { return Of(call)->info.roles().c_str(); }
const char* CallRequestId(rapport_call* call) { return Of(call)->info.request_id().c_str(); }
int64_t CallDeadlineMicros(rapport_call* call) { return Of(call)->info.deadline_micros(); }
const char* CallLastError(rapport_call* call) { return Of(call)->last_error.c_str(); }

int ModuleEnabled(rapport_call* call, const char* module, const char* user_id,
                  rapport_buffer* reason) {
  v1::HostCall r = Request("module_enabled");
  r.add_string_args(Safe(module));
  r.add_string_args(Safe(user_id));
  return Finish(AskCall(call, r), reason, nullptr);
}

const char* ConfigJson(rapport_host_ctx*) { return TheRegistry().config_json.c_str(); }

int64_t NowMicros(rapport_host_ctx*) { return Ask(CurrentCall(), Request("now_micros")).value(); }

void MetricAdd(rapport_host_ctx*, const char* name, int64_t delta) {
  v1::HostCall r = Request("metric_add");
  r.add_string_args(Safe(name));
  r.add_int_args(delta);
  Ask(CurrentCall(), r);
}

int WriteRecord(rapport_call* call, rapport_resource resource, rapport_operation operation,
                rapport_bytes record, const char* update_mask, int64_t expected_revision,
                rapport_buffer* out, rapport_buffer* error) {
  v1::HostCall r = Request("write_record");
  r.add_int_args(AbiEnum(resource));
  r.add_int_args(AbiEnum(operation));
  r.add_int_args(expected_revision);
  r.add_bytes_args(Str(record));
  r.add_string_args(Safe(update_mask));
  return Finish(AskCall(call, r), out, error);
}

int UserInfo(rapport_call* call, const char* user_id, rapport_buffer* teams) {
  v1::HostCall r = Request("user_info");
  r.add_string_args(Safe(user_id));
  return Finish(AskCall(call, r), teams, nullptr);
}

int CallScope(rapport_call* call, rapport_buffer* owners) {
  return Finish(AskCall(call, Request("call_scope")), owners, nullptr);
}

// Registrations are checked by rapportd when it replays them; a refused one
// refuses the load, with its reason.
const char* HostLastError(rapport_host_ctx*) { return ""; }

int ListRecords(rapport_call* call, rapport_resource resource, const char* filter,
                const char* order_by, int32_t page_size, const char* page_token,
                rapport_buffer* response, rapport_buffer* error) {
  v1::HostCall r = Request("list_records");
  r.add_int_args(AbiEnum(resource));
  r.add_int_args(page_size);
  r.add_string_args(Safe(filter));
  r.add_string_args(Safe(order_by));
  r.add_string_args(Safe(page_token));
  return Finish(AskCall(call, r), response, error);
}

int SearchCustomers(rapport_call* call, const char* query, int32_t page_size,
                    const char* page_token, rapport_buffer* response, rapport_buffer* error) {
  v1::HostCall r = Request("search_customers");
  r.add_int_args(page_size);
  r.add_string_args(Safe(query));
  r.add_string_args(Safe(page_token));
  return Finish(AskCall(call, r), response, error);
}

int CountRecords(rapport_call* call, rapport_resource resource, const char* filter, int64_t* count,
                 rapport_buffer* error) {
  v1::HostCall r = Request("count_records");
  r.add_int_args(AbiEnum(resource));
  r.add_string_args(Safe(filter));
  v1::HostReply reply = AskCall(call, r);
  if (reply.code() == RAPPORT_OK && count != nullptr) *count = reply.value();
  return Finish(reply, nullptr, error);
}

int CanRead(rapport_call* call, rapport_resource resource, const char* id) {
  v1::HostCall r = Request("can_read");
  r.add_int_args(AbiEnum(resource));
  r.add_string_args(Safe(id));
  return static_cast<int>(AskCall(call, r).code());
}

int TimerSchedule(rapport_call* call, rapport_bytes key, int64_t when_micros,
                  rapport_bytes payload) {
  v1::HostCall r = Request("timer_schedule");
  r.add_bytes_args(Str(key));
  r.add_bytes_args(Str(payload));
  r.add_int_args(when_micros);
  return static_cast<int>(AskCall(call, r).code());
}

int TimerCancel(rapport_call* call, rapport_bytes key) {
  v1::HostCall r = Request("timer_cancel");
  r.add_bytes_args(Str(key));
  return static_cast<int>(AskCall(call, r).code());
}

int EmitEvent(rapport_call* call, const char* type, const char* payload_type,
              rapport_bytes payload) {
  v1::HostCall r = Request("emit_event");
  r.add_string_args(Safe(type));
  r.add_string_args(Safe(payload_type));
  r.add_bytes_args(Str(payload));
  return static_cast<int>(AskCall(call, r).code());
}

int CallModule(rapport_call* call, const char* full_method, rapport_bytes request,
               rapport_buffer* response, rapport_buffer* error) {
  v1::HostCall r = Request("call_module");
  r.add_string_args(Safe(full_method));
  r.add_bytes_args(Str(request));
  return Finish(AskCall(call, r), response, error);
}

int CallCancelled(rapport_call* call) {
  return static_cast<int>(AskCall(call, Request("call_cancelled")).code());
}

int CallMetadata(rapport_call* call, const char* key, rapport_buffer* value) {
  v1::HostCall r = Request("call_metadata");
  r.add_string_args(Safe(key));
  return Finish(AskCall(call, r), value, nullptr);
}

int StreamSend(rapport_call* call, rapport_bytes message) {
  v1::HostCall r = Request("stream_send");
  r.add_bytes_args(Str(message));
  return static_cast<int>(AskCall(call, r).code());
}

int NormalizeContact(rapport_call* call, const char* kind, rapport_bytes raw, rapport_buffer* out,
                     rapport_buffer* error) {
  v1::HostCall r = Request("normalize_contact");
  r.add_string_args(Safe(kind));
  r.add_bytes_args(Str(raw));
  return Finish(AskCall(call, r), out, error);
}

rapport_host_api MakeTable() {
  rapport_host_api t;
  std::memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  t.abi_major = RAPPORT_PLUGIN_ABI_MAJOR;
  t.abi_minor = RAPPORT_PLUGIN_ABI_MINOR;
  t.buffer_set = BufferSet;
  t.log = Log;
  t.register_hook = RegisterHook;
  t.register_method = RegisterMethod;
  t.register_descriptors = RegisterDescriptors;
  t.kv_get = KvGet;
  t.kv_put = KvPut;
  t.kv_delete = KvDelete;
  t.kv_scan = KvScan;
  t.get_record = GetRecord;
  t.call_tenant = CallTenant;
  t.call_user = CallUser;
  t.module_enabled = ModuleEnabled;
  t.config_json = ConfigJson;
  t.now_micros = NowMicros;
  t.metric_add = MetricAdd;
  t.write_record = WriteRecord;
  t.user_info = UserInfo;
  t.call_roles = CallRoles;
  t.call_scope = CallScope;
  t.call_last_error = CallLastError;
  t.host_last_error = HostLastError;
  t.kv_scan_range = KvScanRange;
  t.kv_add = KvAdd;
  t.list_records = ListRecords;
  t.search_customers = SearchCustomers;
  t.count_records = CountRecords;
  t.can_read = CanRead;
  t.register_timer_handler = RegisterTimerHandler;
  t.timer_schedule = TimerSchedule;
  t.timer_cancel = TimerCancel;
  t.register_backfill = RegisterBackfill;
  t.emit_event = EmitEvent;
  t.register_event_hook = RegisterEventHook;
  t.call_module = CallModule;
  t.call_deadline_micros = CallDeadlineMicros;
  t.call_cancelled = CallCancelled;
  t.call_metadata = CallMetadata;
  t.call_request_id = CallRequestId;
  t.register_stream_method = RegisterStreamMethod;
  t.stream_send = StreamSend;
  t.normalize_contact = NormalizeContact;
  t.kv_sequence_next = KvSequenceNext;
  return t;
}

}  // namespace

const rapport_host_api* ProxyHostApi() {
  static const rapport_host_api table = MakeTable();
  return &table;
}

}  // namespace rapport::runner
