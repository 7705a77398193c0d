// File: core/plugin_host/remote_host_calls.cc
//
// The host side of an out-of-process plugin's host API calls: each HostCall
// (named as the rapport_host_api function it stands for) is run against the
// real table with the rapport_call of the invocation it came in, so it has
// exactly the in-process semantics. A call that is malformed (missing
// arguments, an unknown function) is INVALID_ARGUMENT with the reason, and
// does nothing.

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/plugin_host/remote_plugin.h"

namespace rapport::plugin_host {

namespace wire = runner::v1;
using internal::HostBuffer;

namespace {

// The largest page one kv_scan_range call answers (the runner pages).
constexpr uint32_t kMaxScanPage = 1024;

rapport_bytes B(const std::string& s) {
  return rapport_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void Put(wire::HostReply* r, int code, const HostBuffer* out, const HostBuffer* error) {
  r->set_code(code);
  if (out != nullptr && out->set) {
    r->set_out_set(true);
    r->set_out(out->data);
  }
  if (error != nullptr && (error->set || !error->data.empty())) {
    r->set_error_set(true);
    r->set_error(error->data);
  }
}

}  // namespace

void AnswerHostCall(const rapport_host_api* api, rapport_host_ctx* ctx, rapport_call* call,
                    const wire::HostCall& q, wire::HostReply* r) {
  const std::string& f = q.function();
  // Arguments by position; a missing one makes the call malformed.
  auto have = [&](int bytes, int strings, int ints) {
    return q.bytes_args_size() >= bytes && q.string_args_size() >= strings &&
           q.int_args_size() >= ints;
  };
  auto refuse = [&](const std::string& why) {
    r->set_code(RAPPORT_INVALID_ARGUMENT);
    r->set_text(why);
    r->set_error_set(true);
    r->set_error(why);
  };
  // Functions of the plugin, callable from any thread.
  if (f == "log") {
    if (!have(0, 1, 1)) return refuse("log: missing arguments");
    const int64_t level = std::clamp<int64_t>(q.int_args(0), RAPPORT_LOG_DEBUG, RAPPORT_LOG_ERROR);
    api->log(ctx, static_cast<rapport_log_level>(level), q.string_args(0).c_str());
    return r->set_code(RAPPORT_OK);
  }
  if (f == "now_micros") {
    r->set_value(api->now_micros(ctx));
    return r->set_code(RAPPORT_OK);
  }
  if (f == "metric_add") {
    if (!have(0, 1, 1)) return refuse("metric_add: missing arguments");
    api->metric_add(ctx, q.string_args(0).c_str(), q.int_args(0));
    return r->set_code(RAPPORT_OK);
  }
  // Functions of a call.
  if (call == nullptr) {
    r->set_code(RAPPORT_FAILED_PRECONDITION);
    r->set_text(absl::StrCat(f, ": only inside a hook, method, timer or backfill call"));
    return;
  }
  // Enum arguments are checked before the cast: a value outside the enum's
  // range is undefined behaviour in C++ (the fuzzer found it).
  // rapport_resource and rapport_operation both run 1..3 (0: none).
  auto enum_ok = [&](int position) {
    return q.int_args(position) >= 0 && q.int_args(position) <= 3;
  };
  static const std::set<std::string> kResourceFirst = {"get_record", "write_record", "list_records",
                                                       "count_records", "can_read"};
  if (kResourceFirst.count(f) && q.int_args_size() >= 1 && !enum_ok(0)) {
    return refuse(absl::StrCat(f, ": resource ", q.int_args(0), " is not a resource"));
  }
  if (f == "write_record" && q.int_args_size() >= 2 && !enum_ok(1)) {
    return refuse(absl::StrCat(f, ": operation ", q.int_args(1), " is not an operation"));
  }
  HostBuffer out, error;
  int code = RAPPORT_INTERNAL;
  if (f == "kv_get") {
    if (!have(1, 0, 0)) return refuse("kv_get: missing arguments");
    code = api->kv_get(call, B(q.bytes_args(0)), &out.buffer);
  } else if (f == "kv_put") {
    if (!have(2, 0, 0)) return refuse("kv_put: missing arguments");
    code = api->kv_put(call, B(q.bytes_args(0)), B(q.bytes_args(1)));
  } else if (f == "kv_delete") {
    if (!have(1, 0, 0)) return refuse("kv_delete: missing arguments");
    code = api->kv_delete(call, B(q.bytes_args(0)));
  } else if (f == "kv_add") {
    if (!have(1, 0, 1)) return refuse("kv_add: missing arguments");
    code = api->kv_add(call, B(q.bytes_args(0)), q.int_args(0));
  } else if (f == "kv_sequence_next") {
    if (!have(1, 0, 0)) return refuse("kv_sequence_next: missing arguments");
    int64_t value = 0;
    code = api->kv_sequence_next(call, B(q.bytes_args(0)), &value);
    r->set_value(value);
  } else if (f == "kv_scan_range") {
    if (!have(2, 0, 2)) return refuse("kv_scan_range: missing arguments");
    const int64_t asked = q.int_args(0);
    const uint32_t limit =
        asked <= 0 ? kMaxScanPage : static_cast<uint32_t>(std::min<int64_t>(asked, kMaxScanPage));
    code = api->kv_scan_range(
        call, B(q.bytes_args(0)), B(q.bytes_args(1)), limit, q.int_args(1) != 0 ? 1 : 0,
        [](void* user, rapport_bytes key, rapport_bytes value) {
          auto* e = static_cast<wire::HostReply*>(user)->add_entries();
          e->set_key(key.data, key.size);
          e->set_value(value.data, value.size);
          return 1;
        },
        r);
  } else if (f == "get_record") {
    if (!have(0, 1, 1)) return refuse("get_record: missing arguments");
    code = api->get_record(call, static_cast<rapport_resource>(q.int_args(0)),
                           q.string_args(0).c_str(), &out.buffer);
  } else if (f == "module_enabled") {
    if (!have(0, 2, 0)) return refuse("module_enabled: missing arguments");
    code =
        api->module_enabled(call, q.string_args(0).c_str(), q.string_args(1).c_str(), &out.buffer);
  } else if (f == "write_record") {
    if (!have(1, 1, 3)) return refuse("write_record: missing arguments");
    code = api->write_record(call, static_cast<rapport_resource>(q.int_args(0)),
                             static_cast<rapport_operation>(q.int_args(1)), B(q.bytes_args(0)),
                             q.string_args(0).c_str(), q.int_args(2), &out.buffer, &error.buffer);
  } else if (f == "user_info") {
    if (!have(0, 1, 0)) return refuse("user_info: missing arguments");
    code = api->user_info(call, q.string_args(0).c_str(), &out.buffer);
  } else if (f == "call_scope") {
    code = api->call_scope(call, &out.buffer);
  } else if (f == "list_records") {
    if (!have(0, 3, 2)) return refuse("list_records: missing arguments");
    code = api->list_records(call, static_cast<rapport_resource>(q.int_args(0)),
                             q.string_args(0).c_str(), q.string_args(1).c_str(),
                             static_cast<int32_t>(q.int_args(1)), q.string_args(2).c_str(),
                             &out.buffer, &error.buffer);
  } else if (f == "search_customers") {
    if (!have(0, 2, 1)) return refuse("search_customers: missing arguments");
    code =
        api->search_customers(call, q.string_args(0).c_str(), static_cast<int32_t>(q.int_args(0)),
                              q.string_args(1).c_str(), &out.buffer, &error.buffer);
  } else if (f == "count_records") {
    if (!have(0, 1, 1)) return refuse("count_records: missing arguments");
    int64_t count = 0;
    code = api->count_records(call, static_cast<rapport_resource>(q.int_args(0)),
                              q.string_args(0).c_str(), &count, &error.buffer);
    r->set_value(count);
  } else if (f == "can_read") {
    if (!have(0, 1, 1)) return refuse("can_read: missing arguments");
    code =
        api->can_read(call, static_cast<rapport_resource>(q.int_args(0)), q.string_args(0).c_str());
  } else if (f == "timer_schedule") {
    if (!have(2, 0, 1)) return refuse("timer_schedule: missing arguments");
    code = api->timer_schedule(call, B(q.bytes_args(0)), q.int_args(0), B(q.bytes_args(1)));
  } else if (f == "timer_cancel") {
    if (!have(1, 0, 0)) return refuse("timer_cancel: missing arguments");
    code = api->timer_cancel(call, B(q.bytes_args(0)));
  } else if (f == "emit_event") {
    if (!have(1, 2, 0)) return refuse("emit_event: missing arguments");
    code = api->emit_event(call, q.string_args(0).c_str(), q.string_args(1).c_str(),
                           B(q.bytes_args(0)));
  } else if (f == "call_module") {
    if (!have(1, 1, 0)) return refuse("call_module: missing arguments");
    code = api->call_module(call, q.string_args(0).c_str(), B(q.bytes_args(0)), &out.buffer,
                            &error.buffer);
  } else if (f == "call_cancelled") {
    code = api->call_cancelled(call);
  } else if (f == "call_metadata") {
    if (!have(0, 1, 0)) return refuse("call_metadata: missing arguments");
    code = api->call_metadata(call, q.string_args(0).c_str(), &out.buffer);
  } else if (f == "stream_send") {
    if (!have(1, 0, 0)) return refuse("stream_send: missing arguments");
    code = api->stream_send(call, B(q.bytes_args(0)));
  } else if (f == "normalize_contact") {
    if (!have(1, 1, 0)) return refuse("normalize_contact: missing arguments");
    code = api->normalize_contact(call, q.string_args(0).c_str(), B(q.bytes_args(0)), &out.buffer,
                                  &error.buffer);
  } else {
    return refuse(absl::StrCat("unknown host function '", f.substr(0, 64), "'"));
  }
  Put(r, code, &out, &error);
  const char* last = api->call_last_error(call);
  r->set_text(last == nullptr ? "" : last);
}

}  // namespace rapport::plugin_host
