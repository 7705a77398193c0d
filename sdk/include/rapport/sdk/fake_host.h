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

#include "rapport/sdk/method_names.h"
#include "rapport/sdk/plugin.h"

namespace rapport::sdk {

class FakeHost {
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

  const std::map<std::string, std::string>& keyspace() const { return kv_; }
  int64_t metric(const std::string& name) const {
    auto it = metrics_.find(name);
    return it == metrics_.end() ? 0 : it->second;
  }
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const auto& [m, fn] : methods_) out.push_back(m);
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
  };
  // One keyspace operation of a call: a put (value set), a delete (value
  // empty) or a counter add.
  struct Op {
    std::string key;
    std::optional<std::string> value;
    bool add = false;
    int64_t delta = 0;
  };
  using Pending = std::vector<Op>;
  struct Ctx {
    FakeHost* host;
    Pending* pending;  // the call's operations, committed by the host when it succeeds
    bool read_only = false;
    bool in_commit = false;  // validate and pre-commit hooks run inside a commit
    bool reads_all = false;  // post-commit hooks read every record, whatever SetScope says
    std::string last_error;  // call_last_error's answer
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
      if (op.key != key) continue;
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
      if (folded.count(op.key)) continue;
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
    if (!host->initialising_) {
      return Refused(host, RAPPORT_FAILED_PRECONDITION, "methods are registered during init only");
    }
    if (fn == nullptr || full_method == nullptr) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT, "method: no name or no function");
    }
    const std::string method = full_method;
    const std::string problem = MethodNameProblem(method);
    if (!problem.empty()) {
      return Refused(host, RAPPORT_INVALID_ARGUMENT, "method '" + method + "': " + problem);
    }
    if (host->methods_.count(method)) {
      const std::string module = host->info_ && host->info_->name ? host->info_->name : "";
      return Refused(host, RAPPORT_ALREADY_EXISTS,
                     "method '" + method + "' is already served by module '" + module + "'");
    }
    host->methods_[method] = {fn, user};
    host->last_error_.clear();
    return RAPPORT_OK;
  }
  // Calls fn(field number, wire type, payload, payload size) for each
  // top-level field of serialized message bytes (a length-delimited field's
  // payload is its contents); false if they are not well-formed wire format
  // (groups included: proto3 has none).
  template <typename Fn>
  static bool ForEachField(const uint8_t* p, size_t size, Fn fn) {
    const uint8_t* end = p + size;
    auto varint = [&](uint64_t* v) {
      *v = 0;
      for (int shift = 0; shift < 64 && p < end; shift += 7) {
        const uint8_t byte = *p++;
        *v |= uint64_t{byte & 0x7fu} << shift;
        if ((byte & 0x80) == 0) return true;
      }
      return false;
    };
    while (p < end) {
      uint64_t tag = 0, n = 0;
      if (!varint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return false;
      const uint8_t* payload = p;
      switch (tag & 7) {
        case 0:
          if (!varint(&n)) return false;
          break;
        case 1:
          if (end - p < 8) return false;
          p += 8;
          break;
        case 2:
          if (!varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
          payload = p;
          p += n;
          break;
        case 5:
          if (end - p < 4) return false;
          p += 4;
          break;
        default:
          return false;
      }
      fn(static_cast<uint32_t>(tag >> 3), static_cast<int>(tag & 7), payload,
         static_cast<size_t>(p - payload));
    }
    return true;
  }
  // rapportd parses the bytes as a google.protobuf.FileDescriptorSet and
  // wants a file in it. The fake checks the same without protobuf's
  // descriptors: well-formed wire format with at least one field 1
  // (`file`) of wire type 2. It does not look inside the files.
  static bool LooksLikeDescriptorSet(rapport_bytes set) {
    if (set.data == nullptr) return false;
    bool file = false;
    const bool well_formed =
        ForEachField(set.data, set.size, [&](uint32_t field, int wire, const uint8_t*, size_t) {
          file = file || (field == 1 && wire == 2);
        });
    return well_formed && file;
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

  static int Fail(Ctx* c, int code, std::string reason) {
    c->last_error = std::move(reason);
    return code;
  }
  static int Ok(Ctx* c) {
    c->last_error.clear();
    return RAPPORT_OK;
  }
  static const char* CallLastError(rapport_call* call) { return C(call)->last_error.c_str(); }
  // A put, delete or add, after rapportd's checks; outside a call's
  // collected operations, committed at once.
  static int Write(rapport_call* call, rapport_bytes key, Op op) {
    Ctx* c = C(call);
    if (c->read_only) {
      return Fail(c, RAPPORT_FAILED_PRECONDITION,
                  "validate hooks cannot write to the keyspace (write in a pre-commit hook)");
    }
    if (key.size == 0 || key.size > kMaxKeyBytes) {
      return Fail(c, RAPPORT_INVALID_ARGUMENT,
                  "key: must be 1 to " + std::to_string(kMaxKeyBytes) + " bytes, got " +
                      std::to_string(key.size));
    }
    if (op.value && op.value->size() > kMaxValueBytes) {
      return Fail(c, RAPPORT_INVALID_ARGUMENT,
                  "value: must be at most " + std::to_string(kMaxValueBytes) + " bytes, got " +
                      std::to_string(op.value->size()));
    }
    op.key = Str(key);
    if (c->pending) {
      c->pending->push_back(std::move(op));
      return Ok(c);
    }
    Status s = c->host->Commit(Pending{std::move(op)});
    if (!s.ok()) return Fail(c, s.code, s.message);
    return Ok(c);
  }
  static int KvPut(rapport_call* call, rapport_bytes key, rapport_bytes value) {
    return Write(call, key, Op{"", Str(value)});
  }
  static int KvDelete(rapport_call* call, rapport_bytes key) {
    return Write(call, key, Op{"", std::nullopt});
  }
  static int KvAdd(rapport_call* call, rapport_bytes key, int64_t delta) {
    Op op;
    op.add = true;
    op.delta = delta;
    return Write(call, key, std::move(op));
  }
  static int KvGet(rapport_call* call, rapport_bytes key, rapport_buffer* value) {
    Ctx* c = C(call);
    const std::string k = Str(key);
    static const Pending kNone;
    Folded f = c->host->Fold(k, c->pending ? *c->pending : kNone);
    if (f.code != RAPPORT_OK) return Fail(c, f.code, f.error);
    if (!f.value) return Fail(c, RAPPORT_NOT_FOUND, "no key '" + k + "'");
    Set(value, *f.value);
    return Ok(c);
  }
  static int KvScan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user) {
    return KvScanRange(call, prefix, rapport_bytes{nullptr, 0}, 0, 0, fn, user);
  }
  // The stored keys with the call's own operations over them (a delete hides
  // a key, adds make or change a counter), in key order either way.
  static int KvScanRange(rapport_call* call, rapport_bytes prefix, rapport_bytes start_after,
                         uint32_t limit, int reverse, rapport_scan_fn fn, void* user) {
    Ctx* c = C(call);
    if (fn == nullptr) return Fail(c, RAPPORT_INVALID_ARGUMENT, "scan: no callback");
    const std::string p = Str(prefix);
    const std::string after = Str(start_after);
    if (!after.empty() && after.compare(0, p.size(), p) != 0) {
      return Fail(c, RAPPORT_INVALID_ARGUMENT,
                  "start_after: '" + after + "' does not start with the prefix '" + p + "'");
    }
    auto in_range = [&](const std::string& k) {
      if (k.compare(0, p.size(), p) != 0) return false;
      if (after.empty()) return true;
      return reverse ? k < after : k > after;
    };
    std::set<std::string> keys;
    const std::map<std::string, std::string>& kv = c->host->kv_;
    for (auto it = kv.lower_bound(p); it != kv.end() && it->first.compare(0, p.size(), p) == 0;
         ++it) {
      if (in_range(it->first)) keys.insert(it->first);
    }
    static const Pending kNone;
    const Pending& ops = c->pending ? *c->pending : kNone;
    for (const Op& op : ops) {
      if (in_range(op.key)) keys.insert(op.key);
    }
    std::vector<std::string> order(keys.begin(), keys.end());
    if (reverse) std::reverse(order.begin(), order.end());
    uint32_t emitted = 0;
    for (const std::string& k : order) {
      Folded f = c->host->Fold(k, ops);
      if (f.code != RAPPORT_OK) return Fail(c, f.code, f.error);
      if (!f.value) continue;  // deleted by the call
      ++emitted;
      if (fn(user, internal::Bytes(k), internal::Bytes(*f.value)) == 0 ||
          (limit != 0 && emitted >= limit)) {
        break;
      }
    }
    return Ok(c);
  }

  // --- Core record queries (rapportd: core/plugin_host/call_records.cc).
  //
  // rapportd plans a query over its indexes with the public API's filter
  // language (docs/filter.md). The fake host has no planner. Over the
  // records PutRecord gave, in the caller's scope (SetScope), it answers:
  //   filter     "" (every record), or `field = "value"` equalities joined
  //              by AND on the resource's top-level singular string fields
  //              (FilterFields below; in the string, \" and \\ only);
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

  struct StringField {
    const char* name;
    uint32_t number;
  };
  // The top-level singular string fields of each resource
  // (protos/rapport/v1/*.proto) a filter may compare.
  static std::vector<StringField> FilterFields(rapport_resource resource) {
    switch (resource) {
      case RAPPORT_RESOURCE_CUSTOMER:
        return {{"id", 1}, {"display_name", 3}, {"organization_id", 4}, {"owner", 8}};
      case RAPPORT_RESOURCE_INTERACTION:
        return {{"id", 1},    {"customer_id", 6}, {"opportunity_id", 7},
                {"owner", 8}, {"subject", 9},     {"body", 10}};
      case RAPPORT_RESOURCE_OPPORTUNITY:
        return {{"id", 1},    {"customer_id", 2}, {"name", 3},         {"pipeline", 5},
                {"stage", 6}, {"owner", 10},      {"close_reason", 11}};
    }
    return {};
  }
  static constexpr uint32_t kDisplayNameField = 3;  // rapport.v1.Customer
  static uint32_t OwnerField(rapport_resource resource) {
    return resource == RAPPORT_RESOURCE_OPPORTUNITY ? 10 : 8;
  }
  static bool ValidResource(rapport_resource resource) {
    return resource >= RAPPORT_RESOURCE_CUSTOMER && resource <= RAPPORT_RESOURCE_OPPORTUNITY;
  }
  static std::string ResourceName(rapport_resource resource) {
    return resource == RAPPORT_RESOURCE_CUSTOMER      ? "customer"
           : resource == RAPPORT_RESOURCE_INTERACTION ? "interaction"
                                                      : "opportunity";
  }

  // A record's top-level length-delimited fields, the last of each number
  // (as a parser keeps a singular field); nullopt if the bytes are not a
  // message.
  using Decoded = std::map<uint32_t, std::string>;
  static std::optional<Decoded> Decode(const std::string& bytes) {
    Decoded fields;
    const bool ok =
        ForEachField(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                     [&](uint32_t field, int wire, const uint8_t* data, size_t size) {
                       if (wire == 2) {
                         fields[field].assign(reinterpret_cast<const char*>(data), size);
                       }
                     });
    if (!ok) return std::nullopt;
    return fields;
  }
  static std::string FieldOf(const Decoded& record, uint32_t number) {
    auto it = record.find(number);
    return it == record.end() ? std::string() : it->second;
  }
  // The owners whose records a call reads; nullptr for every record.
  static const std::vector<std::string>* ScopeOf(const Ctx* c) {
    const FakeHost* host = c->host;
    return c->reads_all || !host->scope_owners_ ? nullptr : &*host->scope_owners_;
  }
  // Whether the call's scope covers a record's owner (rapportd: CanSee).
  static bool InScope(const Ctx* c, rapport_resource resource, const Decoded& record) {
    const std::vector<std::string>* owners = ScopeOf(c);
    if (owners == nullptr) return true;
    const std::string owner = FieldOf(record, OwnerField(resource));
    return std::find(owners->begin(), owners->end(), owner) != owners->end();
  }
  // What get_record and can_read find: a record whose bytes are not a
  // message has no owner to check, so only a call that reads every record
  // sees it.
  static bool Visible(const Ctx* c, rapport_resource resource, const std::string& bytes) {
    if (ScopeOf(c) == nullptr) return true;
    std::optional<Decoded> record = Decode(bytes);
    return record && InScope(c, resource, *record);
  }

  static int InvalidField(rapport_buffer* error, const std::string& field,
                          const std::string& description) {
    Set(error, field + ": " + description);
    return RAPPORT_INVALID_ARGUMENT;
  }
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static std::string Trimmed(const std::string& s) {
    size_t begin = 0, end = s.size();
    while (begin < end && IsSpace(s[begin])) ++begin;
    while (end > begin && IsSpace(s[end - 1])) --end;
    return s.substr(begin, end - begin);
  }

  // (field number, value) pairs a record must all match.
  using Equalities = std::vector<std::pair<uint32_t, std::string>>;
  // Parses a filter the fake host supports into `out`, and a canonical form
  // of it for page tokens; false with the reason otherwise.
  static bool ParseFilter(rapport_resource resource, const std::string& filter, Equalities* out,
                          std::string* canonical, std::string* error) {
    const std::vector<StringField> fields = FilterFields(resource);
    auto unsupported = [&](const std::string& what) {
      std::string names;
      for (const StringField& f : fields) {
        names += (names.empty() ? "" : ", ") + std::string(f.name);
      }
      *error = "the fake host does not support " + what +
               ": it supports \"\" (every record) and field = \"value\" equalities joined by AND "
               "on the " +
               ResourceName(resource) + "'s top-level string fields (" + names + ")";
      return false;
    };
    const std::string whole = "the filter '" + filter + "'";
    const size_t n = filter.size();
    size_t i = 0;
    auto skip = [&] {
      while (i < n && IsSpace(filter[i])) ++i;
    };
    skip();
    if (i == n) return true;
    while (true) {
      const size_t start = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(filter[i])) || filter[i] == '_' ||
                       filter[i] == '.')) {
        ++i;
      }
      const std::string name = filter.substr(start, i - start);
      skip();
      if (name.empty() || i == n || filter[i] != '=') return unsupported(whole);
      ++i;
      skip();
      if (i == n || filter[i] != '"') return unsupported(whole);
      ++i;
      std::string value;
      bool closed = false;
      while (i < n && !closed) {
        const char c = filter[i++];
        if (c == '"') {
          closed = true;
        } else if (c != '\\') {
          value += c;
        } else if (i < n && (filter[i] == '"' || filter[i] == '\\')) {
          value += filter[i++];
        } else {
          return unsupported(whole);
        }
      }
      if (!closed) return unsupported(whole);
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const StringField& f) { return name == f.name; });
      if (field == fields.end()) return unsupported("filtering on '" + name + "'");
      out->emplace_back(field->number, value);
      *canonical += name + "=" + std::to_string(value.size()) + ":" + value + "\n";
      skip();
      if (i == n) return true;
      if (filter.compare(i, 3, "AND") != 0 || i + 3 == n || !IsSpace(filter[i + 3])) {
        return unsupported(whole);
      }
      i += 3;
      skip();
    }
  }
  static bool Matches(const Equalities& equalities, const Decoded& record) {
    for (const auto& [number, value] : equalities) {
      if (FieldOf(record, number) != value) return false;
    }
    return true;
  }
  // A case-sensitive prefix of display_name from the start of a word.
  static bool NameMatches(const std::string& query, const Decoded& record) {
    const std::string name = FieldOf(record, kDisplayNameField);
    for (size_t i = 0; i < name.size(); ++i) {
      if (IsSpace(name[i]) || (i > 0 && !IsSpace(name[i - 1]))) continue;
      if (name.compare(i, query.size(), query) == 0) return true;
    }
    return false;
  }

  // Page tokens: "fake:" + the query's fingerprint (16 hex digits) + ":" +
  // the last id of the page in hex.
  static std::string Hex(const std::string& bytes) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
    return out;
  }
  static bool Unhex(const std::string& hex, std::string* out) {
    auto digit = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    if (hex.size() % 2 != 0) return false;
    out->clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
    }
    return true;
  }
  static std::string Fingerprint(const std::string& query) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : query) h = (h ^ c) * 1099511628211ull;
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(h >> (8 * i));
    return Hex(bytes);
  }
  // The id a page token resumes after, with rapportd's reasons for a bad one.
  static bool Resume(const std::string& token, const std::string& fingerprint,
                     std::optional<std::string>* after, std::string* error) {
    after->reset();
    if (token.empty()) return true;
    std::string id;
    if (token.size() < 22 || token.compare(0, 5, "fake:") != 0 || token[21] != ':' ||
        !Unhex(token.substr(22), &id)) {
      *error = "is not a token this server issued";
      return false;
    }
    if (token.compare(5, 16, fingerprint) != 0) {
      *error =
          "was issued for a different query; pass the same filter and order_by as the first "
          "page, or start again without a token";
      return false;
    }
    *after = std::move(id);
    return true;
  }
  static void AppendBytesField(std::string* out, uint32_t field, const std::string& bytes) {
    auto varint = [out](uint64_t v) {
      while (v >= 0x80) {
        *out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
      }
      *out += static_cast<char>(v);
    };
    varint((uint64_t{field} << 3) | 2);
    varint(bytes.size());
    *out += bytes;
  }

  // Calls fn(id, bytes) for `resource`'s records after `after`, in id order,
  // that the caller's scope covers and `match` accepts, until fn returns
  // false. rapportd answers DATA_LOSS (15) for a record it cannot decode;
  // so does the fake host for bytes PutRecord was given that are not a
  // message.
  template <typename Match, typename Fn>
  int EachMatch(const Ctx* c, rapport_resource resource, const std::optional<std::string>& after,
                Match match, rapport_buffer* error, Fn fn) const {
    auto it =
        after ? records_.upper_bound({resource, *after}) : records_.lower_bound({resource, ""});
    for (; it != records_.end() && it->first.first == resource; ++it) {
      std::optional<Decoded> record = Decode(it->second);
      if (!record) {
        Set(error, "undecodable " + ResourceName(resource) + " '" + it->first.second +
                       "' (PutRecord was given bytes that are not a serialized message)");
        return 15;  // DATA_LOSS
      }
      if (!InScope(c, resource, *record) || !match(*record)) continue;
      if (!fn(it->first.second, it->second)) break;
    }
    return RAPPORT_OK;
  }
  // One page as rapportd encodes it (field 1: each record, field 2:
  // next_page_token), which parses as every List*Response and
  // SearchCustomersResponse.
  template <typename Match>
  int Page(const Ctx* c, rapport_resource resource, int32_t page_size, const char* page_token,
           const std::string& query, Match match, rapport_buffer* response,
           rapport_buffer* error) const {
    if (page_size < 0) return InvalidField(error, "page_size", "must not be negative");
    const size_t size = page_size == 0 ? 50 : static_cast<size_t>(std::min(page_size, 1000));
    const std::string fingerprint = Fingerprint(query);
    std::optional<std::string> after;
    std::string why;
    if (!Resume(page_token ? page_token : "", fingerprint, &after, &why)) {
      return InvalidField(error, "page_token", why);
    }
    std::string out, last_id, next_page_token;
    size_t emitted = 0;
    int rc = EachMatch(c, resource, after, match, error,
                       [&](const std::string& id, const std::string& bytes) {
                         if (emitted == size) {
                           next_page_token = "fake:" + fingerprint + ":" + Hex(last_id);
                           return false;
                         }
                         AppendBytesField(&out, 1, bytes);
                         last_id = id;
                         ++emitted;
                         return true;
                       });
    if (rc != RAPPORT_OK) return rc;
    if (!next_page_token.empty()) AppendBytesField(&out, 2, next_page_token);
    Set(response, out);
    return RAPPORT_OK;
  }

  // The checks list_records and count_records share: the resource and the
  // filter.
  static int ListedQuery(FakeHost* host, rapport_resource resource, const char* filter,
                         Equalities* equalities, std::string* query, rapport_buffer* error) {
    if (!ValidResource(resource)) {
      return InvalidField(error, "resource",
                          "unknown resource " + std::to_string(static_cast<int>(resource)));
    }
    std::string canonical, why;
    if (!ParseFilter(resource, filter ? filter : "", equalities, &canonical, &why)) {
      return InvalidField(error, "filter", why);
    }
    *query = "list\n" + host->tenant_ + "\n" + std::to_string(static_cast<int>(resource)) + "\n" +
             canonical;
    return RAPPORT_OK;
  }
  static int ListRecords(rapport_call* call, rapport_resource resource, const char* filter,
                         const char* order_by, int32_t page_size, const char* page_token,
                         rapport_buffer* response, rapport_buffer* error) {
    FakeHost* host = C(call)->host;
    Equalities equalities;
    std::string query;
    int rc = ListedQuery(host, resource, filter, &equalities, &query, error);
    if (rc != RAPPORT_OK) return rc;
    const std::string order = Trimmed(order_by ? order_by : "");
    if (!order.empty()) {
      return InvalidField(error, "order_by",
                          "the fake host does not support '" + order +
                              "': it lists in id order only (order_by \"\")");
    }
    return host->Page(
        C(call), resource, page_size, page_token, query,
        [&](const Decoded& record) { return Matches(equalities, record); }, response, error);
  }
  static int SearchCustomers(rapport_call* call, const char* raw_query, int32_t page_size,
                             const char* page_token, rapport_buffer* response,
                             rapport_buffer* error) {
    FakeHost* host = C(call)->host;
    const std::string query = Trimmed(raw_query ? raw_query : "");
    if (query.empty()) {
      return InvalidField(error, "query", "is required: a name, email or phone prefix");
    }
    if (query.size() > 200) {
      return InvalidField(error, "query", "must be at most 200 bytes of UTF-8");
    }
    bool digit = false, phone_like = true;
    for (char c : query) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return InvalidField(error, "query", "must not contain control characters");
      }
      digit = digit || (c >= '0' && c <= '9');
      phone_like = phone_like && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ' ||
                                  c == '(' || c == ')' || c == '.');
    }
    if (query.find('@') != std::string::npos || (digit && phone_like)) {
      return InvalidField(error, "query",
                          "the fake host does not support searching emails or phones ('" + query +
                              "'): it matches a case-sensitive prefix of any word of "
                              "display_name");
    }
    return host->Page(
        C(call), RAPPORT_RESOURCE_CUSTOMER, page_size, page_token,
        "search\n" + host->tenant_ + "\n" + query,
        [&](const Decoded& record) { return NameMatches(query, record); }, response, error);
  }
  static int CountRecords(rapport_call* call, rapport_resource resource, const char* filter,
                          int64_t* count, rapport_buffer* error) {
    FakeHost* host = C(call)->host;
    Equalities equalities;
    std::string query;
    int rc = ListedQuery(host, resource, filter, &equalities, &query, error);
    if (rc != RAPPORT_OK) return rc;
    if (count == nullptr) return InvalidField(error, "count", "no output");
    int64_t n = 0;
    rc = host->EachMatch(
        C(call), resource, std::nullopt,
        [&](const Decoded& record) { return Matches(equalities, record); }, error,
        [&](const std::string&, const std::string&) {
          ++n;
          return true;
        });
    if (rc != RAPPORT_OK) return rc;
    *count = n;
    return RAPPORT_OK;
  }
  static int CanRead(rapport_call* call, rapport_resource resource, const char* id) {
    if (!ValidResource(resource) || id == nullptr || id[0] == '\0') {
      return -RAPPORT_INVALID_ARGUMENT;
    }
    const FakeHost* host = C(call)->host;
    auto it = host->records_.find({resource, id});
    return it != host->records_.end() && Visible(C(call), resource, it->second) ? 1 : 0;
  }
  static int GetRecord(rapport_call* call, rapport_resource resource, const char* id,
                       rapport_buffer* record) {
    const FakeHost* host = C(call)->host;
    auto it = host->records_.find({resource, id ? id : ""});
    if (it == host->records_.end() || !Visible(C(call), resource, it->second)) {
      return RAPPORT_NOT_FOUND;
    }
    Set(record, it->second);
    return RAPPORT_OK;
  }

  template <typename Record>
  Status RunHooks(rapport_hook_kind kind, rapport_resource resource, rapport_operation op,
                  const Record* before, const Record* after, Record* changed, Pending* pending,
                  bool read_only = false) {
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

  static const rapport_host_api* Api() {
    static const rapport_host_api api = {
        sizeof(rapport_host_api),
        RAPPORT_PLUGIN_ABI_MAJOR,
        RAPPORT_PLUGIN_ABI_MINOR,
        [](rapport_buffer* b, const void* d, size_t n) {
          if (b && b->set) b->set(b->user, d, n);
        },
        [](rapport_host_ctx* h, rapport_log_level, const char* m) {
          H(h)->logs_.push_back(m ? m : "");
        },
        RegisterHook,
        RegisterMethod,
        RegisterDescriptors,
        KvGet,
        KvPut,
        KvDelete,
        KvScan,
        GetRecord,
        [](rapport_call* c) -> const char* { return C(c)->host->tenant_.c_str(); },
        [](rapport_call* c) -> const char* { return C(c)->host->user_.c_str(); },
        [](rapport_call* c, const char* module, const char*, rapport_buffer* reason) -> int {
          auto it = C(c)->host->enabled_.find(module ? module : "");
          bool on = it != C(c)->host->enabled_.end() && it->second;
          const char* why = on ? "enabled in the fake host" : "off in the fake host";
          reason->set(reason->user, why, std::string(why).size());
          return on ? 1 : 0;
        },
        [](rapport_host_ctx* h) -> const char* { return H(h)->config_.c_str(); },
        [](rapport_host_ctx* h) -> int64_t { return H(h)->now_; },
        [](rapport_host_ctx* h, const char* name, int64_t delta) {
          H(h)->metrics_[name ? name : ""] += delta;
        },
        [](rapport_call* c, rapport_resource r, rapport_operation o, rapport_bytes record,
           const char* mask, int64_t revision, rapport_buffer* out, rapport_buffer* error) -> int {
          FakeHost* host = C(c)->host;
          std::string stored, message = "no write-record handler in the fake host";
          if (C(c)->in_commit) {
            message = "write_record is not allowed in validate or pre-commit hooks";
            error->set(error->user, message.data(), message.size());
            return RAPPORT_FAILED_PRECONDITION;
          }
          int rc = RAPPORT_UNIMPLEMENTED;
          if (host->write_record_) {
            message.clear();
            rc = host->write_record_(r, o, Str(record), mask ? mask : "", revision, &stored,
                                     &message);
          }
          if (rc == RAPPORT_OK) {
            out->set(out->user, stored.data(), stored.size());
          } else {
            error->set(error->user, message.data(), message.size());
          }
          return rc;
        },
        [](rapport_call* c, const char* user, rapport_buffer* teams) -> int {
          auto it = C(c)->host->users_.find(user ? user : "");
          if (it == C(c)->host->users_.end()) return RAPPORT_NOT_FOUND;
          teams->set(teams->user, it->second.data(), it->second.size());
          return RAPPORT_OK;
        },
        [](rapport_call* c) -> const char* { return C(c)->host->roles_.c_str(); },
        [](rapport_call* c, rapport_buffer* owners) -> int {
          const std::vector<std::string>* scope = ScopeOf(C(c));
          if (scope == nullptr) return 1;
          std::vector<std::string> sorted = *scope;
          std::sort(sorted.begin(), sorted.end());
          std::string joined;
          for (const auto& o : sorted) joined += (joined.empty() ? "" : ",") + o;
          owners->set(owners->user, joined.data(), joined.size());
          return 0;
        },
        CallLastError,
        HostLastError,
        KvScanRange,
        KvAdd,
        ListRecords,
        SearchCustomers,
        CountRecords,
        CanRead};
    return &api;
  }

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
};

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_H_
