// File: sdk/include/rapport/sdk/fake_host.h
//
// A fake host for plugin unit tests: no server, no RocksDB. It implements the
// host function table in memory, initialises a plugin through its real entry
// point, and lets a test call the plugin's hooks and methods with typed
// messages:
//
//   rapport::sdk::FakeHost host("{\"max_units\": 10}");
//   ASSERT_TRUE(host.Load(rapport_plugin_entry()).ok());
//   rapport::v1::Opportunity opp;  opp.mutable_amount()->set_units(99);
//   auto status = host.Validate(RAPPORT_RESOURCE_OPPORTUNITY, RAPPORT_OP_CREATE, nullptr, &opp);
//   EXPECT_EQ(status.code, RAPPORT_INVALID_ARGUMENT);
//
// Link the plugin's sources into the test binary (rapport_add_plugin_test in
// RapportPlugin.cmake does it). One plugin per FakeHost.
//
// What a plugin can observe behaves as in rapportd (core/plugin_host), with
// the same codes and the same reasons (call_last_error, host_last_error):
// registration rules (method names by method_names.h, a method once, hooks
// of known kinds, during init only) and a refused registration refusing the
// load even when init returns OK; key and value sizes; keyspace operations
// that collect in the call and commit when it succeeds, counter adds
// (kv_add: 8-byte little-endian int64) applied in order at that commit, an
// overflow (OUT_OF_RANGE) or a value that is not a counter
// (FAILED_PRECONDITION) failing the call with nothing written; reads (kv_get,
// kv_scan, kv_scan_range with start_after, limit and reverse) that see the
// call's own pending writes and adds.
//
// Core records are the ones a test gives with PutRecord, and the caller's
// read scope is SetScope's: get_record, list_records, search_customers,
// count_records and can_read see only records whose `owner` is in it
// (except in post-commit hooks, which read every record). The fake host has
// no query planner: it answers a subset of the queries and refuses the rest
// with INVALID_ARGUMENT saying so (see "Core record queries" below).
//
// Durable timers (timer_schedule, timer_cancel) are checked as rapportd
// checks them and join the call's operations; they fire only when a test
// calls FireDueTimers, for the timers due at SetNowMicros's time.
//
// The fake host is single-threaded: calls run one at a time, so nothing can
// change what a call read before it commits. It therefore has no conflict
// detection: reads are not remembered, and no handler is ever run again
// (rapportd re-runs a call whose reads went out of date; see plugin_abi.h,
// keyspace transactions).
#ifndef RAPPORT_SDK_FAKE_HOST_H_
#define RAPPORT_SDK_FAKE_HOST_H_

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rapport/sdk/event_names.h"
#include "rapport/sdk/fake_host_records.h"
#include "rapport/sdk/method_names.h"
#include "rapport/sdk/plugin.h"

namespace rapport::sdk {

class FakeHost : private fake_host_internal::RecordWire {
 public:
  explicit FakeHost(std::string config_json = "{}") : config_(std::move(config_json)) {
    Self() = this;
  }
  ~FakeHost() { Self() = nullptr; }

  // Tenant and user the next calls run as.
  // `roles`: comma-separated, as Call::HasRole sees them.
  void SetCaller(std::string tenant, std::string user, std::string roles = "admin") {
    tenant_ = std::move(tenant);
    user_ = std::move(user);
    roles_ = std::move(roles);
  }
  void SetNowMicros(int64_t now) { now_ = now; }
  // The caller's read scope (Call::Scope): the owners whose records they may
  // read; nullopt (the default) means every record. GetRecord and the record
  // queries apply it by the records' `owner`, except in post-commit hooks,
  // which read every record as in rapportd.
  void SetScope(std::optional<std::vector<std::string>> owners) {
    scope_owners_ = std::move(owners);
  }
  // Modules the fake reports as enabled to Call::ModuleEnabled.
  void SetModuleEnabled(const std::string& module, bool on) { enabled_[module] = on; }
  // The core records the plugin reads (Call::GetRecord, ListRecords,
  // SearchCustomers, CountRecords, CanRead): (resource, id) -> serialized
  // message. Lists are in `id` order, the order rapportd's ULIDs give.
  void PutRecord(rapport_resource resource, const std::string& id, const std::string& bytes) {
    records_[{resource, id}] = bytes;
  }
  void RemoveRecord(rapport_resource resource, const std::string& id) {
    records_.erase({resource, id});
  }

  // What Call::CreateRecord / UpdateRecord do in tests: the handler gets
  // (resource, operation, record bytes, update mask, expected revision) and
  // fills `stored` (the record as written) or `error`, returning a code.
  // Without one, writes are UNIMPLEMENTED.
  using WriteRecordHandler =
      std::function<int(rapport_resource, rapport_operation, const std::string& record,
                        const std::string& update_mask, int64_t expected_revision,
                        std::string* stored, std::string* error)>;
  // Users Call::UserTeams knows: id -> comma-separated teams (with ancestors).
  void AddUser(const std::string& id, const std::string& teams = "") { users_[id] = teams; }
  void SetWriteRecordHandler(WriteRecordHandler handler) { write_record_ = std::move(handler); }

  // Checks the info and runs init. Returns the plugin's error when init
  // fails, or, as rapportd refuses the load, INVALID_ARGUMENT with the reason
  // of the first registration the host refused even when init returned OK
  // ("method '/other.v1.S/M': must start with \"/rapport.\""). A refused
  // plugin keeps no hooks and no methods.
  Status Load(const rapport_plugin_info* info) {
    if (info == nullptr || info->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      return Status::FailedPrecondition("ABI mismatch");
    }
    info_ = info;
    registration_error_.clear();
    last_error_.clear();
    std::string error;
    rapport_buffer buffer = StringOut(&error);
    initialising_ = true;
    int rc = info->init(Api(), reinterpret_cast<rapport_host_ctx*>(this), &state_, &buffer);
    initialising_ = false;
    if (rc == RAPPORT_OK && !registration_error_.empty()) {
      rc = RAPPORT_INVALID_ARGUMENT;
      error = registration_error_;
    }
    if (rc != RAPPORT_OK) {
      hooks_.clear();
      methods_.clear();
      stream_methods_.clear();
      return Status{rc, error};
    }
    return {};
  }

  // Validate hooks are read-only, as in rapportd: Put/Delete/Increment
  // answer FAILED_PRECONDITION.
  template <typename Record>
  Status Validate(rapport_resource resource, rapport_operation op, const Record* before,
                  const Record* after) {
    Record unused;
    Pending none;
    return RunHooks(RAPPORT_HOOK_VALIDATE, resource, op, before, after, &unused, &none,
                    /*read_only=*/true);
  }
  // Runs pre-commit hooks; `after` receives their changes, `writes` their
  // keyspace operations (committed to the fake keyspace only if all succeed;
  // a counter add that cannot be applied fails the lot, as it fails the
  // record write in rapportd).
  template <typename Record>
  Status PreCommit(rapport_resource resource, rapport_operation op, const Record* before,
                   Record* after) {
    Pending pending;
    Status s = RunHooks(RAPPORT_HOOK_PRE_COMMIT, resource, op, before, after, after, &pending);
    if (!s.ok()) return s;
    return Commit(pending);
  }
  // Delivers a change event (serialized rapport.v1.ChangeEvent) to the
  // post-commit hooks of (resource, op), in (order, registration) order. As
  // in rapportd, a hook's keyspace writes are committed with the event only
  // if it succeeds (a failing hook is retried there, its writes dropped).
  // As there, post-commit hooks read every record: SetScope does not apply
  // to them (Call::Scope is everything, and so are the record queries).
  Status PostCommit(rapport_resource resource, rapport_operation op,
                    const std::string& event_bytes) {
    for (const Hook* h : Matching(RAPPORT_HOOK_POST_COMMIT, resource, op)) {
      std::string error;
      rapport_buffer eb = StringOut(&error);
      Pending pending;
      Ctx ctx{this, &pending, false};
      ctx.reads_all = true;
      int rc = h->fn(h->user, reinterpret_cast<rapport_call*>(&ctx), rapport_bytes{nullptr, 0},
                     internal::Bytes(event_bytes), nullptr, &eb);
      if (rc != RAPPORT_OK) return Status{rc, error};
      if (Status s = Commit(pending); !s.ok()) return s;
    }
    return {};
  }
  // Calls a method. As in rapportd, its keyspace operations commit only if
  // it succeeds, and a counter add that cannot be applied then fails the
  // call (OUT_OF_RANGE or FAILED_PRECONDITION, nothing written). Errors are
  // the plugin's or the commit's message, without rapportd's
  // "module 'NAME': " prefix.
  template <typename Request, typename Response>
  Status CallMethod(const std::string& method, const Request& request, Response* response) {
    auto it = methods_.find(method);
    if (it == methods_.end()) return Status{12, "no such method"};
    std::string out, error;
    rapport_buffer ob = StringOut(&out), eb = StringOut(&error);
    Pending pending;
    Ctx ctx{this, &pending, false};
    std::string req = request.SerializeAsString();
    int rc = it->second.first(it->second.second, reinterpret_cast<rapport_call*>(&ctx),
                              internal::Bytes(req), &ob, &eb);
    if (rc != RAPPORT_OK) return Status{rc, error};
    if (Status s = Commit(pending); !s.ok()) return s;
    response->ParseFromString(out);
    return {};
  }

  // Durable timers (fake_host_background.h). The pending timers by key.
  struct Timer {
    int64_t when = 0;
    std::string payload;
  };
  const std::map<std::string, Timer>& timers() const { return timers_; }
  // The cap on pending timers (rapportd: --plugin-max-timers).
  void SetMaxTimers(int64_t max) { max_timers_ = max; }
  // Runs the timer handler for every timer due at the current time
  // (SetNowMicros), oldest first, each in its own call whose operations,
  // with the timer's removal, commit only if the handler succeeds. Stops at
  // the first failure (that timer stays pending; rapportd retries it with
  // backoff) and returns it. `fired` gets how many committed.
  Status FireDueTimers(int* fired = nullptr);

  // Runs a backfill as rapportd does (plugin_abi.h, register_backfill): the
  // start handler, then the handler of each PutRecord record of a resource
  // with one, by resource then id; all their operations commit together if
  // every handler succeeds, else the first failure is returned and nothing
  // is written. `records` gets how many records were handed over.
  Status RunBackfill(int64_t* records = nullptr);

  // Modules talking to modules (fake_host_modules.h; rapportd:
  // core/plugin_host/call_modules.cc). The events the plugin emitted
  // (Call::EmitEvent) in calls that committed, oldest first, checked as
  // rapportd checks them.
  struct EmittedEvent {
    std::string type;
    std::string payload_type;  // the payload message's full name
    std::string payload;
  };
  const std::vector<EmittedEvent>& emitted_events() const { return emitted_; }
  // Delivers a module event (serialized rapport.v1.ChangeEvent, its
  // module_event set by the test) of `module` and `type` to the plugin's
  // OnModuleEvent hooks for them, like PostCommit.
  Status DeliverModuleEvent(const std::string& module, const std::string& type,
                            const std::string& event_bytes);
  // What Call::CallModule reaches: `fn` answers `method` ("/rapport.x.v1.S/M")
  // with a code, filling `response` or `error`; rapportd prefixes the error
  // with "module 'NAME': ", and so does the fake host, with `module`. A
  // method nobody serves is NOT_FOUND in rapportd's words.
  using ModuleMethod =
      std::function<int(const std::string& request, std::string* response, std::string* error)>;
  void ServeModuleMethod(const std::string& module, const std::string& method, ModuleMethod fn) {
    module_methods_[method] = {module, std::move(fn)};
  }
  // What Call::DeadlineMicros, Cancelled, Metadata and RequestId answer in
  // the calls that follow (rapportd fills them from the gRPC call).
  struct Rpc {
    int64_t deadline_micros = 0;
    bool cancelled = false;
    std::map<std::string, std::string> metadata;  // lower-case keys
    std::string request_id;
  };
  void SetRpc(Rpc rpc) { rpc_ = std::move(rpc); }
  // Calls a streaming method (Plugin::StreamMethod): `responses` gets each
  // message it sent. After `cancel_after` messages (-1: never) the caller
  // "goes away": Call::Send answers UNAVAILABLE and Call::Cancelled is true.
  // Its keyspace operations commit if it returns OK.
  template <typename Request, typename Response>
  Status CallStreamMethod(const std::string& method, const Request& request,
                          std::vector<Response>* responses, int cancel_after = -1);

  const std::map<std::string, std::string>& keyspace() const { return kv_; }
  int64_t metric(const std::string& name) const {
    auto it = metrics_.find(name);
    return it == metrics_.end() ? 0 : it->second;
  }
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const auto& [m, fn] : methods_) out.push_back(m);
    for (const auto& [m, fn] : stream_methods_) out.push_back(m);
    std::sort(out.begin(), out.end());
    return out;
  }
  const std::vector<std::string>& logs() const { return logs_; }

 private:
  struct Hook {
    rapport_hook_kind kind;
    rapport_resource resource;
    rapport_operation operation;
    int32_t order;
    rapport_hook_fn fn;
    void* user;
    // A module-event hook (register_event_hook): kind POST_COMMIT,
    // resource and operation 0.
    std::string event_module = {};
    std::string event_type = {};
  };
  // One keyspace operation of a call: a put (value set), a delete (value
  // empty) or a counter add.
  struct Op {
    std::string key;
    std::optional<std::string> value;
    bool add = false;
    int64_t delta = 0;
    // A timer's schedule (value: when, then the payload) or cancel (no
    // value), applied to timers_ at commit, not to the keyspace.
    bool timer = false;
    // A module event (key: its type, value: its payload), added to
    // emitted_ at commit.
    bool event = false;
    std::string payload_type = {};
  };
  using Pending = std::vector<Op>;
  struct Ctx {
    Ctx(FakeHost* h, Pending* p, bool ro = false, bool ic = false)
        : host(h), pending(p), read_only(ro), in_commit(ic) {}
    FakeHost* host;
    Pending* pending;  // the call's operations, committed by the host when it succeeds
    bool read_only = false;
    bool in_commit = false;  // validate and pre-commit hooks run inside a commit
    bool reads_all = false;  // post-commit hooks read every record, whatever SetScope says
    std::string last_error;  // call_last_error's answer
    // A streaming method's responses, and how many may go before the
    // caller is gone (-1: no limit). Null outside streaming methods.
    std::vector<std::string>* sent = nullptr;
    int send_limit = -1;
    int module_calls = 0;  // call_module nesting
  };
  // A key's value after some of a call's operations, or why it has none.
  struct Folded {
    int code = RAPPORT_OK;
    std::string error;
    std::optional<std::string> value;
    size_t failed_at = 0;  // the index of the operation that failed
  };

  static constexpr size_t kMaxKeyBytes = 1024;
  static constexpr size_t kMaxValueBytes = 1 << 20;

  static std::string EncodeCounter(int64_t value) {
    const auto u = static_cast<uint64_t>(value);
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xff);
    return out;
  }
  // `key`'s stored value with `ops` applied in order (rapportd's
  // ExtraWriteResolver), with its reasons when an add cannot be applied.
  Folded Fold(const std::string& key, const Pending& ops) const {
    Folded f;
    if (auto it = kv_.find(key); it != kv_.end()) f.value = it->second;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      if (op.key != key || op.timer || op.event) continue;
      if (!op.add) {
        f.value = op.value;
        continue;
      }
      int64_t current = 0, sum = 0;
      if (f.value && !Call::DecodeCounter(*f.value, &current)) {
        f.code = RAPPORT_FAILED_PRECONDITION;
        f.error = "key '" + key + "' holds " + std::to_string(f.value->size()) +
                  " bytes, not a counter (8 bytes): kv_add cannot add to it";
      } else if (__builtin_add_overflow(current, op.delta, &sum)) {
        f.code = RAPPORT_OUT_OF_RANGE;
        f.error = "counter '" + key + "': " + std::to_string(current) + " + " +
                  std::to_string(op.delta) + " overflows a signed 64-bit integer";
      } else {
        f.value = EncodeCounter(sum);
        continue;
      }
      f.value.reset();
      f.failed_at = i;
      return f;
    }
    return f;
  }
  // Applies a call's operations to the keyspace, all or (on the first add
  // that cannot be applied, in the order they were made) none.
  Status Commit(const Pending& ops) {
    std::map<std::string, Folded> folded;
    const Folded* failed = nullptr;
    for (const Op& op : ops) {
      if (op.timer || op.event || folded.count(op.key)) continue;
      const Folded& f = folded[op.key] = Fold(op.key, ops);
      if (f.code != RAPPORT_OK && (failed == nullptr || f.failed_at < failed->failed_at)) {
        failed = &f;
      }
    }
    if (failed != nullptr) return Status{failed->code, failed->error};
    for (const auto& [key, f] : folded) {
      if (f.value) {
        kv_[key] = *f.value;
      } else {
        kv_.erase(key);
      }
    }
    ApplyTimers(ops);
    for (const Op& op : ops) {
      if (op.event) emitted_.push_back({op.key, op.payload_type, op.value.value_or("")});
    }
    return {};
  }

  // Hooks of (kind, resource, op) by order; registration order breaks ties
  // (rapportd: by order, then plugin name; one plugin here).
  std::vector<const Hook*> Matching(rapport_hook_kind kind, rapport_resource resource,
                                    rapport_operation op) const {
    std::vector<const Hook*> matching;
    for (const auto& h : hooks_) {
      if (h.kind == kind && h.resource == resource && h.operation == op) matching.push_back(&h);
    }
    std::stable_sort(matching.begin(), matching.end(),
                     [](const Hook* a, const Hook* b) { return a->order < b->order; });
    return matching;
  }

  static FakeHost*& Self() {
    static FakeHost* self = nullptr;
    return self;
  }
  static FakeHost* H(rapport_host_ctx* h) { return reinterpret_cast<FakeHost*>(h); }
  static Ctx* C(rapport_call* c) { return reinterpret_cast<Ctx*>(c); }
  static rapport_buffer StringOut(std::string* s) {
    return rapport_buffer{s, [](void* user, const void* d, size_t n) {
                            static_cast<std::string*>(user)->assign(static_cast<const char*>(d), n);
                          }};
  }
  static std::string Str(rapport_bytes b) {
    return b.data == nullptr ? std::string()
                             : std::string(reinterpret_cast<const char*>(b.data), b.size);
  }
  static void Set(rapport_buffer* b, const std::string& s) {
    if (b && b->set) b->set(b->user, s.data(), s.size());
  }

  // --- Registration (rapportd: core/plugin_host/host_api.cc).

  // Records why a registration was refused: host_last_error answers it, and
  // the first one refuses the load.
  static int Refused(FakeHost* host, int code, std::string reason) {
    if (host->registration_error_.empty() && host->initialising_) {
      host->registration_error_ = reason;
    }
    host->last_error_ = std::move(reason);
    return code;
  }
  static int RegisterHook(rapport_host_ctx* h, rapport_hook_kind kind, rapport_resource resource,
                          rapport_operation operation, int32_t order, rapport_hook_fn fn,
                          void* user) {
    FakeHost* host = H(h);
    if (!host->initialising_) {
      return Refused(host, RAPPORT_FAILED_PRECONDITION, "hooks are registered during init only");
    }
    if (fn == nullptr) return Refused(host, RAPPORT_INVALID_ARGUMENT, "hook: no function");
    if (kind < RAPPORT_HOOK_VALIDATE || kind > RAPPORT_HOOK_POST_COMMIT) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT,
                     "hook: unknown kind " + std::to_string(static_cast<int>(kind)));
    }
    if (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT,
                     "hook: unknown resource " + std::to_string(static_cast<int>(resource)));
    }
    if (operation < RAPPORT_OP_CREATE || operation > RAPPORT_OP_DELETE) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT,
                     "hook: unknown operation " + std::to_string(static_cast<int>(operation)));
    }
    host->hooks_.push_back({kind, resource, operation, order, fn, user});
    host->last_error_.clear();
    return RAPPORT_OK;
  }
  static int RegisterMethod(rapport_host_ctx* h, const char* full_method, rapport_method_fn fn,
                            void* user) {
    FakeHost* host = H(h);
    int rc = ClaimMethod(host, full_method, fn != nullptr);
    if (rc == RAPPORT_OK) host->methods_[full_method] = {fn, user};
    return rc;
  }
  static int RegisterDescriptors(rapport_host_ctx* h, rapport_bytes set) {
    FakeHost* host = H(h);
    if (!host->initialising_) {
      return Refused(host, RAPPORT_FAILED_PRECONDITION,
                     "descriptors are registered during init only");
    }
    if (!LooksLikeDescriptorSet(set)) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT,
                     "descriptors: not a serialized google.protobuf.FileDescriptorSet with a file");
    }
    host->last_error_.clear();
    return RAPPORT_OK;
  }
  static const char* HostLastError(rapport_host_ctx* h) { return H(h)->last_error_.c_str(); }

  // --- The keyspace (rapportd: core/plugin_host/call_keyspace.cc).

  static int Fail(Ctx* c, int code, std::string reason);
  static int Ok(Ctx* c);
  static const char* CallLastError(rapport_call* call);
  // A put, delete or add, after rapportd's checks; outside a call's
  // collected operations, committed at once.
  static int Write(rapport_call* call, rapport_bytes key, Op op);
  static int KvPut(rapport_call* call, rapport_bytes key, rapport_bytes value);
  static int KvDelete(rapport_call* call, rapport_bytes key);
  static int KvAdd(rapport_call* call, rapport_bytes key, int64_t delta);
  static int KvGet(rapport_call* call, rapport_bytes key, rapport_buffer* value);
  static int KvScan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user);
  // The stored keys with the call's own operations over them (a delete hides
  // a key, adds make or change a counter), in key order either way.
  static int KvScanRange(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after,
                         uint32_t limit, int reverse, rapport_scan_fn fn, void* user);

  // --- Durable timers (rapportd: core/plugin_host/call_timers.cc).

  static int RegisterTimerHandler(rapport_host_ctx* h, rapport_timer_fn fn, void* user);
  static int RegisterBackfill(rapport_host_ctx* h, rapport_resource resource,
                              rapport_backfill_fn fn, void* user);
  static int TimerSchedule(rapport_call* call, rapport_bytes key, int64_t when,
                           rapport_bytes payload);
  static int TimerCancel(rapport_call* call, rapport_bytes key);
  // What every timer call needs; RAPPORT_OK or the refusal.
  static int TimerCheck(Ctx* c, const std::string& key, const char* what);
  // The timer `key` as the call sees it (its own operations over timers_).
  static std::optional<Timer> TimerAsSeen(const Ctx* c, const std::string& key);
  void ApplyTimers(const Pending& ops);

  // --- Modules talking to modules, and the RPC (fake_host_modules.h).

  static int EmitEvent(rapport_call* call, const char* type, const char* payload_type,
                       rapport_bytes payload);
  static int RegisterEventHook(rapport_host_ctx* h, const char* module, const char* type,
                               rapport_hook_fn fn, void* user);
  static int CallModule(rapport_call* call, const char* full_method, rapport_bytes request,
                        rapport_buffer* response, rapport_buffer* error);
  static int64_t CallDeadlineMicros(rapport_call* call);
  static int CallCancelled(rapport_call* call);
  static int CallMetadata(rapport_call* call, const char* key, rapport_buffer* value);
  static const char* CallRequestId(rapport_call* call);
  static int RegisterStreamMethod(rapport_host_ctx* h, const char* full_method,
                                  rapport_stream_fn fn, void* user);
  static int StreamSend(rapport_call* call, rapport_bytes message);
  static int NormalizeContact(rapport_call* call, const char* kind, rapport_bytes raw,
                              rapport_buffer* out, rapport_buffer* error);
  static int KvSequenceNext(rapport_call* call, rapport_bytes key, int64_t* value);
  // register_method's and register_stream_method's checks; on OK the name
  // is taken.
  static int ClaimMethod(FakeHost* host, const char* full_method, bool has_fn);

  // --- Core record queries (rapportd: core/plugin_host/call_records.cc).
  //
  // rapportd plans a query over its indexes with the public API's filter
  // language (docs/filter.md). The fake host has no planner. Over the
  // records PutRecord gave, in the caller's scope (SetScope), it answers:
  //   filter     "" (every record), or `field = "value"` equalities joined
  //              by AND on the resource's top-level singular string fields
  //              (FilterFields in fake_host_records.h; in the string, \" and \\ only);
  //   order_by   "" (id order);
  //   page_size  0 (50) or more (at most 1000 records, as in rapportd,
  //              which takes a larger size as 1000); negative is
  //              INVALID_ARGUMENT;
  //   search     a case-sensitive prefix of display_name from the start of
  //              any of its words, in id order (rapportd folds case and
  //              width, searches emails and phones too, and answers in name
  //              order).
  // It refuses anything else with INVALID_ARGUMENT, naming the field and
  // saying that the fake host does not support it. Page tokens are opaque;
  // one the fake host did not issue, or issued for another query, is
  // INVALID_ARGUMENT naming page_token in rapportd's words. A
  // next_page_token comes only while matches remain (rapportd may give one
  // before an empty last page). Scope is by owner only: opportunity
  // collaborators are not modelled. Ids are not checked for rapportd's
  // format (ULIDs).

  // The owners whose records a call reads; nullptr for every record.
  static const std::vector<std::string>* ScopeOf(const Ctx* c);
  // Whether the call's scope covers a record's owner (rapportd: CanSee).
  static bool InScope(const Ctx* c, rapport_resource resource, const Decoded& record);
  // What get_record and can_read find: a record whose bytes are not a
  // message has no owner to check, so only a call that reads every record
  // sees it.
  static bool Visible(const Ctx* c, rapport_resource resource, const std::string& bytes);

  static int InvalidField(rapport_buffer* error, const std::string& field,
                          const std::string& description);
  // Calls fn(id, bytes) for `resource`'s records after `after`, in id order,
  // that the caller's scope covers and `match` accepts, until fn returns
  // false. rapportd answers DATA_LOSS (15) for a record it cannot decode;
  // so does the fake host for bytes PutRecord was given that are not a
  // message.
  template <typename Match, typename Fn>
  int EachMatch(const Ctx* c, rapport_resource resource, const std::optional<std::string>& after,
                Match match, rapport_buffer* error, Fn fn) const;
  // One page as rapportd encodes it (field 1: each record, field 2:
  // next_page_token), which parses as every List*Response and
  // SearchCustomersResponse.
  template <typename Match>
  int Page(const Ctx* c, rapport_resource resource, int32_t page_size, const char* page_token,
           const std::string& query, Match match, rapport_buffer* response,
           rapport_buffer* error) const;

  // The checks list_records and count_records share: the resource and the
  // filter.
  static int ListedQuery(FakeHost* host, rapport_resource resource, const char* filter,
                         Equalities* equalities, std::string* query, rapport_buffer* error);
  static int ListRecords(rapport_call* call, rapport_resource resource, const char* filter,
                         const char* order_by, int32_t page_size, const char* page_token,
                         rapport_buffer* response, rapport_buffer* error);
  static int SearchCustomers(rapport_call* call, const char* raw_query, int32_t page_size,
                             const char* page_token, rapport_buffer* response,
                             rapport_buffer* error);
  static int CountRecords(rapport_call* call, rapport_resource resource, const char* filter,
                          int64_t* count, rapport_buffer* error);
  static int CanRead(rapport_call* call, rapport_resource resource, const char* id);
  static int GetRecord(rapport_call* call, rapport_resource resource, const char* id,
                       rapport_buffer* record);

  template <typename Record>
  Status RunHooks(rapport_hook_kind kind, rapport_resource resource, rapport_operation op,
                  const Record* before, const Record* after, Record* changed, Pending* pending,
                  bool read_only = false);

  // The host function table (fake_host_api.h).
  static const rapport_host_api* Api();

  std::string config_;
  std::string tenant_ = "test", user_ = "tester", roles_ = "admin";
  int64_t now_ = 0;
  bool initialising_ = false;
  const rapport_plugin_info* info_ = nullptr;
  rapport_plugin_state* state_ = nullptr;
  std::vector<Hook> hooks_;
  std::map<std::string, std::pair<rapport_method_fn, void*>> methods_;
  std::map<std::string, std::string> kv_;
  std::map<std::pair<int, std::string>, std::string> records_;
  std::map<std::string, bool> enabled_;
  std::map<std::string, int64_t> metrics_;
  std::vector<std::string> logs_;
  WriteRecordHandler write_record_;
  std::map<std::string, std::string> users_;
  std::optional<std::vector<std::string>> scope_owners_;
  // host_last_error's answer, and the first refused registration (which
  // refuses the load).
  std::string last_error_;
  std::string registration_error_;
  rapport_timer_fn timer_fn_ = nullptr;
  void* timer_user_ = nullptr;
  std::map<std::string, Timer> timers_;
  int64_t max_timers_ = 1'000'000;
  std::map<int, std::pair<rapport_backfill_fn, void*>> backfill_;
  std::vector<EmittedEvent> emitted_;
  std::map<std::string, std::pair<std::string, ModuleMethod>> module_methods_;
  Rpc rpc_;
  std::map<std::string, std::pair<rapport_stream_fn, void*>> stream_methods_;
};

// Runs the hooks of (kind, resource, op) in order, each seeing the record
// as the previous one left it.
template <typename Record>
inline Status FakeHost::RunHooks(rapport_hook_kind kind, rapport_resource resource,
                                 rapport_operation op, const Record* before, const Record* after,
                                 Record* changed, Pending* pending, bool read_only) {
  std::vector<const Hook*> matching = Matching(kind, resource, op);
  std::string current = after ? after->SerializeAsString() : std::string();
  const std::string previous = before ? before->SerializeAsString() : std::string();
  for (const Hook* h : matching) {
    std::string out, error;
    bool out_set = false;
    struct Out {
      std::string* s;
      bool* set;
    } o{&out, &out_set};
    rapport_buffer ob{&o, [](void* user, const void* d, size_t n) {
                        auto* x = static_cast<Out*>(user);
                        x->s->assign(static_cast<const char*>(d), n);
                        *x->set = true;
                      }};
    rapport_buffer eb = StringOut(&error);
    Ctx ctx{this, pending, read_only, /*in_commit=*/true};
    int rc = h->fn(h->user, reinterpret_cast<rapport_call*>(&ctx),
                   before ? internal::Bytes(previous) : rapport_bytes{nullptr, 0},
                   after ? internal::Bytes(current) : rapport_bytes{nullptr, 0},
                   kind == RAPPORT_HOOK_PRE_COMMIT ? &ob : nullptr, &eb);
    if (rc != RAPPORT_OK) return Status{rc, error};
    if (out_set) current = out;
  }
  if (changed && after) changed->ParseFromString(current);
  return {};
}

}  // namespace rapport::sdk

#include "rapport/sdk/fake_host_api.h"         // IWYU pragma: export
#include "rapport/sdk/fake_host_background.h"  // IWYU pragma: export
#include "rapport/sdk/fake_host_keyspace.h"    // IWYU pragma: export
#include "rapport/sdk/fake_host_modules.h"     // IWYU pragma: export
#include "rapport/sdk/fake_host_queries.h"     // IWYU pragma: export

#endif  // RAPPORT_SDK_FAKE_HOST_H_
