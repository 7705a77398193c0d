// File: sdk/include/rapport/sdk/call.h
//
// One hook, method, timer or backfill invocation as the C++ SDK shows it
// (`Call`), with the SDK's Status and the helpers every wrapper of the C ABI
// (plugin_abi.h) shares. Included by plugin.h, which plugin authors include.
#ifndef RAPPORT_SDK_CALL_H_
#define RAPPORT_SDK_CALL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rapport/sdk/plugin_abi.h"
namespace rapport::sdk {

// A result: code 0 is OK. Codes are rapport_code (gRPC's).
struct Status {
  int code = RAPPORT_OK;
  std::string message;
  bool ok() const { return code == RAPPORT_OK; }
  static Status Invalid(std::string m) { return {RAPPORT_INVALID_ARGUMENT, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {RAPPORT_FAILED_PRECONDITION, std::move(m)};
  }
  static Status Internal(std::string m) { return {RAPPORT_INTERNAL, std::move(m)}; }
  static Status NotFound(std::string m) { return {RAPPORT_NOT_FOUND, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {RAPPORT_ALREADY_EXISTS, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {RAPPORT_PERMISSION_DENIED, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {RAPPORT_UNAVAILABLE, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {RAPPORT_OUT_OF_RANGE, std::move(m)}; }
};

namespace internal {
inline const rapport_host_api*& Host() {
  static const rapport_host_api* host = nullptr;
  return host;
}
inline rapport_host_ctx*& HostCtx() {
  static rapport_host_ctx* ctx = nullptr;
  return ctx;
}
inline rapport_bytes Bytes(const std::string& s) {
  return rapport_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string String(rapport_bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.size);
}
inline void Set(rapport_buffer* buffer, const std::string& s) {
  Host()->buffer_set(buffer, s.data(), s.size());
}

// An exception escaped Start, Drain or Stop (`phase`): the SDK catches it, so
// it never crosses the C ABI, and logs it through the host at level error
// ("drain threw: <what>"; `what` null for a non-std exception). Shutdown goes
// on. Never throws itself.
inline void LogLifecycleThrow(const char* phase, const char* what) noexcept {
  try {
    const rapport_host_api* host = Host();
    if (host == nullptr || host->log == nullptr) return;
    std::string message = std::string(phase) + " threw: " + (what ? what : "a non-std exception");
    host->log(HostCtx(), RAPPORT_LOG_ERROR, message.c_str());
  } catch (...) {
  }
}

// Runs `body`, turning exceptions into INTERNAL.
template <typename Body>
int Guard(rapport_buffer* error, Body body) {
  try {
    Status s = body();
    if (!s.ok() && error) Set(error, s.message);
    return s.code;
  } catch (const std::exception& e) {
    if (error) Set(error, std::string("plugin threw: ") + e.what());
  } catch (...) {
    if (error) Set(error, "plugin threw a non-std exception");
  }
  return RAPPORT_INTERNAL;
}

// Whether the host's table reaches the function at `offset` (a function
// appended in a later ABI minor than the host's).
inline bool HasFunction(const rapport_host_api* host, size_t offset, size_t size) {
  return host != nullptr && host->struct_size >= offset + size;
}

// Why the host refused the last registration (ABI 1.2), or `fallback`.
inline std::string RegistrationError(const char* fallback) {
  const rapport_host_api* host = Host();
  if (HasFunction(host, offsetof(rapport_host_api, host_last_error),
                  sizeof(host->host_last_error)) &&
      host->host_last_error != nullptr) {
    const char* reason = host->host_last_error(HostCtx());
    if (reason != nullptr && reason[0] != '\0') return reason;
  }
  return fallback;
}

// A plugin-made buffer the host fills (kv values, records).
// The resource of a core record message by its full name
// ("rapport.v1.Customer"), 0 for any other message.
inline rapport_resource ResourceOf(const std::string& type_name) {
  if (type_name == "rapport.v1.Customer") return RAPPORT_RESOURCE_CUSTOMER;
  if (type_name == "rapport.v1.Interaction") return RAPPORT_RESOURCE_INTERACTION;
  if (type_name == "rapport.v1.Opportunity") return RAPPORT_RESOURCE_OPPORTUNITY;
  return static_cast<rapport_resource>(0);
}

struct StringBuffer {
  std::string data;
  rapport_buffer buffer{this, [](void* user, const void* bytes, size_t size) {
                          static_cast<StringBuffer*>(user)->data.assign(
                              static_cast<const char*>(bytes), size);
                        }};
  StringBuffer() = default;
  StringBuffer(const StringBuffer&) = delete;
};
}  // namespace internal

// Whose records a caller may read: everyone's (`all`), or those of
// `owners` (sorted user ids).
struct ReadScope {
  bool all = true;
  std::vector<std::string> owners;
  bool CanRead(const std::string& owner) const {
    return all || std::binary_search(owners.begin(), owners.end(), owner);
  }
};

// One hook or RPC invocation: who is calling, and the keyspace as them.
class Call {
 public:
  explicit Call(rapport_call* call) : call_(call) {}
  std::string tenant() const { return internal::Host()->call_tenant(call_); }
  std::string user() const { return internal::Host()->call_user(call_); }

  // The plugin's own keys in the caller's tenant. Inside a pre-commit hook
  // writes join the change's WriteBatch; in an RPC method or a post-commit
  // hook they commit when it returns OK. What Get and Scan read is checked
  // at that commit: if another call changed it meanwhile, the writes are
  // dropped and the handler runs again (plugin_abi.h, keyspace
  // transactions), so a read-modify-write here is never lost.
  //
  // nullopt for a missing key (and on a read error: use Read to tell them
  // apart).
  std::optional<std::string> Get(const std::string& key) const;
  // OK with `value` set, OK with `value` empty for a missing key, or the
  // host's error.
  Status Read(const std::string& key, std::optional<std::string>* value) const;
  Status Put(const std::string& key, const std::string& value) const {
    int rc = internal::Host()->kv_put(call_, internal::Bytes(key), internal::Bytes(value));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "kv_put");
  }
  Status Delete(const std::string& key) const {
    int rc = internal::Host()->kv_delete(call_, internal::Bytes(key));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "kv_delete");
  }
  // Adds `delta` to the int64 counter at `key` (missing: 0) when the call
  // commits, without reading it, so concurrent increments never conflict.
  // Decode with DecodeCounter. ABI 1.2; UNIMPLEMENTED from an older host.
  Status Increment(const std::string& key, int64_t delta) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, kv_add), sizeof(host->kv_add)) ||
        host->kv_add == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.2 (no kv_add)"};
    }
    int rc = host->kv_add(call_, internal::Bytes(key), delta);
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "kv_add");
  }
  // A counter's value as Get returns it (8 bytes, little endian); false if
  // `bytes` is not a counter.
  static bool DecodeCounter(const std::string& bytes, int64_t* value) {
    if (bytes.size() != 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    *value = static_cast<int64_t>(u);
    return true;
  }

  using ScanFn = std::function<bool(const std::string& key, const std::string& value)>;
  struct ScanOptions {
    // Only keys after this one (before it when `reverse`); it must start
    // with the prefix. The last key of a page resumes the next page.
    std::string start_after;
    // At most this many entries; 0: all.
    uint32_t limit = 0;
    // Descending key order.
    bool reverse = false;
  };
  // Calls fn(key, value) for keys starting with prefix, in key order, until
  // it returns false.
  Status Scan(const std::string& prefix, const ScanFn& fn) const { return Scan(prefix, {}, fn); }
  // The same from a start key, bounded, either way. Options other than the
  // defaults need ABI 1.2 (UNIMPLEMENTED from an older host).
  Status Scan(const std::string& prefix, const ScanOptions& options, const ScanFn& fn) const {
    const rapport_host_api* host = internal::Host();
    auto each = [](void* user, rapport_bytes k, rapport_bytes v) -> int {
      return (*static_cast<const ScanFn*>(user))(internal::String(k), internal::String(v)) ? 1 : 0;
    };
    void* user = const_cast<ScanFn*>(&fn);
    const bool ranged = internal::HasFunction(host, offsetof(rapport_host_api, kv_scan_range),
                                              sizeof(host->kv_scan_range)) &&
                        host->kv_scan_range != nullptr;
    if (!ranged) {
      if (!options.start_after.empty() || options.limit != 0 || options.reverse) {
        return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.2 (no kv_scan_range)"};
      }
      int rc = host->kv_scan(call_, internal::Bytes(prefix), each, user);
      return rc == RAPPORT_OK ? Status{} : Status{rc, "kv_scan failed"};
    }
    int rc =
        host->kv_scan_range(call_, internal::Bytes(prefix), internal::Bytes(options.start_after),
                            options.limit, options.reverse ? 1 : 0, each, user);
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "kv_scan_range");
  }
  // A core record, read with the caller's access rules.
  template <typename Record>
  std::optional<Record> GetRecord(rapport_resource resource, const std::string& id) const;
  // Queries of core records as the caller (ABI 1.2; UNIMPLEMENTED from an
  // older host), with the public API's planner, access rules, refusal of
  // unindexed scans and error messages (docs/filter.md).
  struct ListOptions {
    std::string filter;     // "" for all
    std::string order_by;   // "" for the default order
    int32_t page_size = 0;  // 0: 50; at most 1000
    std::string page_token;
  };
  // `Response` is rapport.v1.ListCustomersResponse, ListInteractionsResponse
  // or ListOpportunitiesResponse, matching `resource`.
  template <typename Response>
  Status ListRecords(rapport_resource resource, const ListOptions& options, Response* out) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, list_records),
                               sizeof(host->list_records)) ||
        host->list_records == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.2 (no list_records)"};
    }
    internal::StringBuffer page, error;
    int rc = host->list_records(call_, resource, options.filter.c_str(), options.order_by.c_str(),
                                options.page_size, options.page_token.c_str(), &page.buffer,
                                &error.buffer);
    return ParsedAnswer(rc, "list_records", page.data, error.data, out);
  }
  // `Response` is rapport.v1.SearchCustomersResponse.
  template <typename Response>
  Status SearchCustomers(const std::string& query, int32_t page_size, const std::string& page_token,
                         Response* out) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, search_customers),
                               sizeof(host->search_customers)) ||
        host->search_customers == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.2 (no search_customers)"};
    }
    internal::StringBuffer page, error;
    int rc = host->search_customers(call_, query.c_str(), page_size, page_token.c_str(),
                                    &page.buffer, &error.buffer);
    return ParsedAnswer(rc, "search_customers", page.data, error.data, out);
  }
  // How many records of `resource` match `filter` within the caller's scope.
  Status CountRecords(rapport_resource resource, const std::string& filter, int64_t* count) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, count_records),
                               sizeof(host->count_records)) ||
        host->count_records == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.2 (no count_records)"};
    }
    internal::StringBuffer error;
    int rc = host->count_records(call_, resource, filter.c_str(), count, &error.buffer);
    if (rc == RAPPORT_OK) return {};
    return Status{rc, error.data.empty() ? "count_records failed" : error.data};
  }
  // Whether the caller may read record `id` (it exists and is in their
  // scope; the API does not tell the two apart either). From an older host:
  // whether GetRecord finds it.
  bool CanRead(rapport_resource resource, const std::string& id) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, can_read),
                               sizeof(host->can_read)) ||
        host->can_read == nullptr) {
      internal::StringBuffer unused;
      return host->get_record(call_, resource, id.c_str(), &unused.buffer) == RAPPORT_OK;
    }
    return host->can_read(call_, resource, id.c_str()) == 1;
  }

  // Whether `module` is on for `user_id` in this tenant.
  bool ModuleEnabled(const std::string& module, const std::string& user_id) const;

  // Whether the caller has `role` ("admin", "manager", "rep", "viewer",
  // "integration"). ABI 1.1; false on an older host and in post-commit hooks.
  bool HasRole(const std::string& role) const {
    const rapport_host_api* host = internal::Host();
    if (host->struct_size < offsetof(rapport_host_api, call_roles) + sizeof(host->call_roles) ||
        host->call_roles == nullptr) {
      return false;
    }
    const std::string roles = std::string(",") + host->call_roles(call_) + ",";
    return roles.find("," + role + ",") != std::string::npos;
  }

  // Which owners' records the caller may read (ABI 1.2), the same scope the
  // core applies to its own reads. From an older host the SDK answers
  // conservatively: everything for admins and integrations, otherwise only
  // the caller's own records.
  ReadScope Scope() const;

  // Whether `user_id` is an enabled user of this tenant, with their teams
  // and the teams' ancestors (ABI 1.1; nullopt from an older host too).
  std::optional<std::vector<std::string>> UserTeams(const std::string& user_id) const;

  // Writes a core record through the core's write path as the caller (ABI
  // 1.1; UNIMPLEMENTED from an older host). Not from validate or pre-commit
  // hooks. `stored`, if given, receives the record as written.
  template <typename Record>
  Status CreateRecord(rapport_resource resource, const Record& record,
                      Record* stored = nullptr) const {
    return WriteRecord(resource, RAPPORT_OP_CREATE, record, "", 0, stored);
  }
  // `patch` carries the id; `update_mask` lists the fields to change
  // ("amount,stage"); expected_revision 0 means any.
  template <typename Record>
  Status UpdateRecord(rapport_resource resource, const Record& patch,
                      const std::string& update_mask, int64_t expected_revision = 0,
                      Record* stored = nullptr) const {
    return WriteRecord(resource, RAPPORT_OP_UPDATE, patch, update_mask, expected_revision, stored);
  }

  // Durable timers (ABI 1.2; UNIMPLEMENTED from an older host): schedules
  // (or moves) this tenant's timer `key`, due at `when_micros` (the host
  // clock: Plugin::NowMicros), carrying `payload`; it joins the call's
  // writes. The plugin's OnTimer handler runs at least once after it is
  // due, and the timer's removal commits with the handler's keyspace writes
  // (plugin_abi.h, timer_schedule, for the rules and errors).
  Status ScheduleAt(const std::string& key, int64_t when_micros,
                    const std::string& payload = "") const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, timer_schedule),
                               sizeof(host->timer_schedule)) ||
        host->timer_schedule == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no durable timers (ABI 1.2)"};
    }
    int rc =
        host->timer_schedule(call_, internal::Bytes(key), when_micros, internal::Bytes(payload));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "timer_schedule");
  }
  // Cancels this tenant's timer `key` with the call's writes; NOT_FOUND if
  // there is none (it may have fired).
  Status CancelTimer(const std::string& key) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, timer_cancel),
                               sizeof(host->timer_cancel)) ||
        host->timer_cancel == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no durable timers (ABI 1.2)"};
    }
    int rc = host->timer_cancel(call_, internal::Bytes(key));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "timer_cancel");
  }

  // Module events (ABI 1.2; UNIMPLEMENTED from an older host): writes an
  // event of this module into the change feed when the call commits, with
  // `payload` (a message of the module's protos) as its Any. Other modules
  // receive it through Plugin::OnModuleEvent, services through
  // EventService.Subscribe (plugin_abi.h, emit_event, for the rules).
  template <typename Payload>
  Status EmitEvent(const std::string& type, const Payload& payload) const {
    return Emit(type, payload.GetTypeName(), payload.SerializeAsString());
  }
  Status EmitEvent(const std::string& type) const { return Emit(type, "", ""); }

  // Calls another module's unary method in process, as this caller and in
  // this call's transaction (ABI 1.2): "/rapport.sfa.v1.SalesService/GetForecast".
  // The callee's error comes back as it gave it, prefixed "module 'NAME': ";
  // FAILED_PRECONDITION when that module is off for the caller, NOT_FOUND
  // when no loaded module serves the method.
  template <typename Request, typename Response>
  Status CallModule(const std::string& full_method, const Request& request, Response* out) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, call_module),
                               sizeof(host->call_module)) ||
        host->call_module == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no module calls (ABI 1.2)"};
    }
    internal::StringBuffer bytes, error;
    const std::string serialized = request.SerializeAsString();
    int rc = host->call_module(call_, full_method.c_str(), internal::Bytes(serialized),
                               &bytes.buffer, &error.buffer);
    return ParsedAnswer(rc, "call_module", bytes.data, error.data, out);
  }

  // The request behind the call (ABI 1.2; from an older host: no deadline,
  // never cancelled, no metadata, no request id). DeadlineMicros: the RPC
  // caller's deadline in Unix microseconds, 0 if none. Cancelled: the caller
  // cancelled or went away, the deadline passed, or the server is stopping.
  // Metadata: a request header (lower-case key), nullopt if absent.
  // RequestId: the idempotency key ("x-request-id" of a plugin RPC, a core
  // write's request_id, a change event's), "" if none.
  int64_t DeadlineMicros() const {
    const rapport_host_api* host = internal::Host();
    return HasRpcContext(host) ? host->call_deadline_micros(call_) : 0;
  }
  bool Cancelled() const {
    const rapport_host_api* host = internal::Host();
    return HasRpcContext(host) && host->call_cancelled(call_) != 0;
  }
  std::optional<std::string> Metadata(const std::string& key) const {
    const rapport_host_api* host = internal::Host();
    if (!HasRpcContext(host)) return std::nullopt;
    internal::StringBuffer value;
    if (host->call_metadata(call_, key.c_str(), &value.buffer) != RAPPORT_OK) return std::nullopt;
    return value.data;
  }
  std::string RequestId() const {
    const rapport_host_api* host = internal::Host();
    if (!HasRpcContext(host)) return "";
    const char* id = host->call_request_id(call_);
    return id ? id : "";
  }

  // In a streaming method (Plugin::StreamMethod): sends one response and
  // returns once it is written; UNAVAILABLE once the caller is gone (stop
  // then).
  template <typename Response>
  Status Send(const Response& response) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, stream_send),
                               sizeof(host->stream_send)) ||
        host->stream_send == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no streaming methods (ABI 1.2)"};
    }
    const std::string bytes = response.SerializeAsString();
    int rc = host->stream_send(call_, internal::Bytes(bytes));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "stream_send");
  }

  // The form the core stores a contact in (ABI 1.3), to find customers by
  // it: kind "phone" (E.164, national numbers read with the server's
  // --default-region) or "email". INVALID_ARGUMENT with the reason for a
  // value that is neither; UNIMPLEMENTED from an older host.
  //   std::string e164;
  //   if (Status s = call.NormalizeContact("phone", "010-1234-5678", &e164); !s.ok()) ...
  //   // e164 == "+821012345678": ListRecords with filter phones = "+821012345678"
  Status NormalizeContact(const std::string& kind, const std::string& raw, std::string* out) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, normalize_contact),
                               sizeof(host->normalize_contact)) ||
        host->normalize_contact == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.3 (no normalize_contact)"};
    }
    internal::StringBuffer value, error;
    int rc = host->normalize_contact(call_, kind.c_str(), internal::Bytes(raw), &value.buffer,
                                     &error.buffer);
    if (rc != RAPPORT_OK)
      return Status{rc, error.data.empty() ? "normalize_contact failed" : error.data};
    *out = std::move(value.data);
    return {};
  }
  // The next number of the durable sequence at `key` (ABI 1.3): 1, 2, 3,
  // ... Taken at once, outside the call's transaction, never rolled back, so
  // concurrent calls never share a number or conflict on it (a failed call
  // leaves a gap). For turns, tickets and readable numbers. Do not Put,
  // Delete or Increment `key`. UNIMPLEMENTED from an older host.
  Status NextSequence(const std::string& key, int64_t* value) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, kv_sequence_next),
                               sizeof(host->kv_sequence_next)) ||
        host->kv_sequence_next == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.3 (no kv_sequence_next)"};
    }
    int rc = host->kv_sequence_next(call_, internal::Bytes(key), value);
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "kv_sequence_next");
  }
  rapport_call* raw() const { return call_; }

 private:
  static bool HasRpcContext(const rapport_host_api* host) {
    return internal::HasFunction(host, offsetof(rapport_host_api, call_request_id),
                                 sizeof(host->call_request_id)) &&
           host->call_request_id != nullptr;
  }
  Status Emit(const std::string& type, const std::string& payload_type,
              const std::string& payload) const {
    const rapport_host_api* host = internal::Host();
    if (!internal::HasFunction(host, offsetof(rapport_host_api, emit_event),
                               sizeof(host->emit_event)) ||
        host->emit_event == nullptr) {
      return Status{RAPPORT_UNIMPLEMENTED, "the host has no module events (ABI 1.2)"};
    }
    int rc = host->emit_event(call_, type.c_str(), payload_type.c_str(), internal::Bytes(payload));
    return rc == RAPPORT_OK ? Status{} : Failure(rc, "emit_event");
  }
  template <typename Response>
  static Status ParsedAnswer(int rc, const char* what, const std::string& bytes,
                             const std::string& error, Response* out) {
    if (rc != RAPPORT_OK) return Status{rc, error.empty() ? std::string(what) + " failed" : error};
    if (!out->ParseFromString(bytes)) {
      return Status::Internal(std::string("cannot parse the answer of ") + what);
    }
    return {};
  }
  // A failed kv_* call's status, with the host's reason (ABI 1.2) or `what`
  // failed.
  Status Failure(int rc, const char* what) const {
    const rapport_host_api* host = internal::Host();
    if (internal::HasFunction(host, offsetof(rapport_host_api, call_last_error),
                              sizeof(host->call_last_error)) &&
        host->call_last_error != nullptr) {
      const char* reason = host->call_last_error(call_);
      if (reason != nullptr && reason[0] != '\0') return Status{rc, reason};
    }
    return Status{rc, std::string(what) + " failed"};
  }
  template <typename Record>
  Status WriteRecord(rapport_resource resource, rapport_operation operation, const Record& record,
                     const std::string& update_mask, int64_t expected_revision,
                     Record* stored) const;

  rapport_call* call_;
};

// --- Call members that need the host table.
inline std::optional<std::string> Call::Get(const std::string& key) const {
  std::optional<std::string> value;
  (void)Read(key, &value);
  return value;
}

inline Status Call::Read(const std::string& key, std::optional<std::string>* value) const {
  internal::StringBuffer out;
  value->reset();
  int rc = internal::Host()->kv_get(call_, internal::Bytes(key), &out.buffer);
  if (rc == RAPPORT_NOT_FOUND) return {};
  if (rc != RAPPORT_OK) return Failure(rc, "kv_get");
  *value = std::move(out.data);
  return {};
}

template <typename Record>
std::optional<Record> Call::GetRecord(rapport_resource resource, const std::string& id) const {
  internal::StringBuffer bytes;
  if (internal::Host()->get_record(call_, resource, id.c_str(), &bytes.buffer) != RAPPORT_OK) {
    return std::nullopt;
  }
  Record record;
  if (!record.ParseFromString(bytes.data)) return std::nullopt;
  return record;
}

template <typename Record>
Status Call::WriteRecord(rapport_resource resource, rapport_operation operation,
                         const Record& record, const std::string& update_mask,
                         int64_t expected_revision, Record* stored) const {
  const rapport_host_api* host = internal::Host();
  if (host->struct_size < offsetof(rapport_host_api, write_record) + sizeof(host->write_record) ||
      host->write_record == nullptr) {
    return Status{RAPPORT_UNIMPLEMENTED, "the host predates ABI 1.1 (no write_record)"};
  }
  internal::StringBuffer out, error;
  const std::string bytes = record.SerializeAsString();
  int rc = host->write_record(call_, resource, operation, internal::Bytes(bytes),
                              update_mask.c_str(), expected_revision, &out.buffer, &error.buffer);
  if (rc != RAPPORT_OK) return Status{rc, error.data.empty() ? "write_record failed" : error.data};
  if (stored && !stored->ParseFromString(out.data))
    return Status::Internal("cannot parse the stored record");
  return {};
}

inline std::optional<std::vector<std::string>> Call::UserTeams(const std::string& user_id) const {
  const rapport_host_api* host = internal::Host();
  if (host->struct_size < offsetof(rapport_host_api, user_info) + sizeof(host->user_info) ||
      host->user_info == nullptr) {
    return std::nullopt;
  }
  internal::StringBuffer teams;
  if (host->user_info(call_, user_id.c_str(), &teams.buffer) != RAPPORT_OK) return std::nullopt;
  std::vector<std::string> out;
  size_t start = 0;
  while (start < teams.data.size()) {
    size_t comma = teams.data.find(',', start);
    if (comma == std::string::npos) comma = teams.data.size();
    if (comma > start) out.push_back(teams.data.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

inline ReadScope Call::Scope() const {
  const rapport_host_api* host = internal::Host();
  ReadScope scope;
  if (host->struct_size < offsetof(rapport_host_api, call_scope) + sizeof(host->call_scope) ||
      host->call_scope == nullptr) {
    scope.all = HasRole("admin") || HasRole("integration");
    if (!scope.all) scope.owners.push_back(user());
    return scope;
  }
  internal::StringBuffer owners;
  scope.all = host->call_scope(call_, &owners.buffer) == 1;
  if (scope.all) return scope;
  size_t start = 0;
  while (start < owners.data.size()) {
    size_t comma = owners.data.find(',', start);
    if (comma == std::string::npos) comma = owners.data.size();
    if (comma > start) scope.owners.push_back(owners.data.substr(start, comma - start));
    start = comma + 1;
  }
  std::sort(scope.owners.begin(), scope.owners.end());
  return scope;
}

inline bool Call::ModuleEnabled(const std::string& module, const std::string& user_id) const {
  internal::StringBuffer reason;
  return internal::Host()->module_enabled(call_, module.c_str(), user_id.c_str(), &reason.buffer) ==
         1;
}
}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_CALL_H_
