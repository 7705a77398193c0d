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
// RapportPlugin.cmake does it). Single-threaded; one plugin per FakeHost.
#ifndef RAPPORT_SDK_FAKE_HOST_H_
#define RAPPORT_SDK_FAKE_HOST_H_

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  // read; nullopt (the default) means every record.
  void SetScope(std::optional<std::vector<std::string>> owners) {
    scope_owners_ = std::move(owners);
  }
  // Modules the fake reports as enabled to Call::ModuleEnabled.
  void SetModuleEnabled(const std::string& module, bool on) { enabled_[module] = on; }
  // Records GetRecord returns: (resource, id) -> serialized message.
  void PutRecord(rapport_resource resource, const std::string& id, const std::string& bytes) {
    records_[{resource, id}] = bytes;
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

  // Checks the info and runs init. Returns the plugin's error on failure.
  Status Load(const rapport_plugin_info* info) {
    if (info == nullptr || info->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      return Status::FailedPrecondition("ABI mismatch");
    }
    info_ = info;
    std::string error;
    rapport_buffer buffer = StringOut(&error);
    initialising_ = true;
    int rc = info->init(Api(), reinterpret_cast<rapport_host_ctx*>(this), &state_, &buffer);
    initialising_ = false;
    return rc == RAPPORT_OK ? Status{} : Status{rc, error};
  }

  // Validate hooks are read-only, as in rapportd: Put/Delete answer
  // FAILED_PRECONDITION.
  template <typename Record>
  Status Validate(rapport_resource resource, rapport_operation op, const Record* before,
                  const Record* after) {
    Record unused;
    Pending none;
    return RunHooks(RAPPORT_HOOK_VALIDATE, resource, op, before, after, &unused, &none,
                    /*read_only=*/true);
  }
  // Runs pre-commit hooks; `after` receives their changes, `writes` their
  // keyspace writes (applied to the fake keyspace only if all succeed).
  template <typename Record>
  Status PreCommit(rapport_resource resource, rapport_operation op, const Record* before,
                   Record* after) {
    Pending pending;
    Status s = RunHooks(RAPPORT_HOOK_PRE_COMMIT, resource, op, before, after, after, &pending);
    if (s.ok()) Apply(pending);
    return s;
  }
  // Delivers a change event (serialized rapport.v1.ChangeEvent) to the
  // post-commit hooks of (resource, op), in (order, registration) order. As
  // in rapportd, a hook's keyspace writes are committed with the event only
  // if it succeeds (a failing hook is retried there, its writes dropped).
  Status PostCommit(rapport_resource resource, rapport_operation op,
                    const std::string& event_bytes) {
    for (const Hook* h : Matching(RAPPORT_HOOK_POST_COMMIT, resource, op)) {
      std::string error;
      rapport_buffer eb = StringOut(&error);
      Pending pending;
      Ctx ctx{this, &pending, false};
      int rc = h->fn(h->user, reinterpret_cast<rapport_call*>(&ctx), rapport_bytes{nullptr, 0},
                     internal::Bytes(event_bytes), nullptr, &eb);
      if (rc != RAPPORT_OK) return Status{rc, error};
      Apply(pending);
    }
    return {};
  }
  template <typename Request, typename Response>
  Status CallMethod(const std::string& method, const Request& request, Response* response) {
    auto it = methods_.find(method);
    if (it == methods_.end()) return Status{12, "no such method"};
    std::string out, error;
    rapport_buffer ob = StringOut(&out), eb = StringOut(&error);
    // As in rapportd, a method's keyspace writes land only if it succeeds.
    Pending pending;
    Ctx ctx{this, &pending, false};
    std::string req = request.SerializeAsString();
    int rc = it->second.first(it->second.second, reinterpret_cast<rapport_call*>(&ctx),
                              internal::Bytes(req), &ob, &eb);
    if (rc != RAPPORT_OK) return Status{rc, error};
    Apply(pending);
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
  using Pending = std::vector<std::pair<std::string, std::optional<std::string>>>;
  struct Ctx {
    FakeHost* host;
    Pending* pending;  // the call's writes, applied by the host when it succeeds
    bool read_only = false;
    bool in_commit = false;  // validate and pre-commit hooks run inside a commit
  };

  void Apply(const Pending& pending) {
    for (const auto& [k, v] : pending) {
      if (v) {
        kv_[k] = *v;
      } else {
        kv_.erase(k);
      }
    }
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
  // rapportd's rules for a keyspace write (host_api in core/plugin_host).
  static int CheckWrite(const Ctx* c, rapport_bytes key, const rapport_bytes* value) {
    if (c->read_only) return RAPPORT_FAILED_PRECONDITION;
    if (key.size == 0 || key.size > 1024 || (value && value->size > (1 << 20))) {
      return RAPPORT_INVALID_ARGUMENT;
    }
    return RAPPORT_OK;
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
    return std::string(reinterpret_cast<const char*>(b.data), b.size);
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
        [](rapport_host_ctx* h, rapport_hook_kind k, rapport_resource r, rapport_operation o,
           int32_t order, rapport_hook_fn fn, void* user) -> int {
          if (!H(h)->initialising_) return RAPPORT_FAILED_PRECONDITION;
          H(h)->hooks_.push_back({k, r, o, order, fn, user});
          return RAPPORT_OK;
        },
        [](rapport_host_ctx* h, const char* m, rapport_method_fn fn, void* user) -> int {
          if (!H(h)->initialising_ || fn == nullptr || m == nullptr)
            return RAPPORT_FAILED_PRECONDITION;
          // rapportd's rule: "/rapport.<module>.vN.Service/Method", never the
          // core's package, each name once.
          const std::string method = m;
          if (method.rfind("/rapport.", 0) != 0 || method.rfind("/rapport.v1.", 0) == 0 ||
              std::count(method.begin(), method.end(), '/') != 2) {
            return RAPPORT_INVALID_ARGUMENT;
          }
          if (H(h)->methods_.count(method)) return RAPPORT_FAILED_PRECONDITION;
          H(h)->methods_[method] = {fn, user};
          return RAPPORT_OK;
        },
        [](rapport_host_ctx*, rapport_bytes) -> int { return RAPPORT_OK; },
        [](rapport_call* c, rapport_bytes key, rapport_buffer* value) -> int {
          std::string k = Str(key);
          if (C(c)->pending) {
            for (auto it = C(c)->pending->rbegin(); it != C(c)->pending->rend(); ++it) {
              if (it->first != k) continue;
              if (!it->second) return RAPPORT_NOT_FOUND;
              value->set(value->user, it->second->data(), it->second->size());
              return RAPPORT_OK;
            }
          }
          auto it = C(c)->host->kv_.find(k);
          if (it == C(c)->host->kv_.end()) return RAPPORT_NOT_FOUND;
          value->set(value->user, it->second.data(), it->second.size());
          return RAPPORT_OK;
        },
        [](rapport_call* c, rapport_bytes key, rapport_bytes value) -> int {
          if (int rc = CheckWrite(C(c), key, &value); rc != RAPPORT_OK) return rc;
          if (C(c)->pending) {
            C(c)->pending->push_back({Str(key), Str(value)});
          } else {
            C(c)->host->kv_[Str(key)] = Str(value);
          }
          return RAPPORT_OK;
        },
        [](rapport_call* c, rapport_bytes key) -> int {
          if (int rc = CheckWrite(C(c), key, nullptr); rc != RAPPORT_OK) return rc;
          if (C(c)->pending) {
            C(c)->pending->push_back({Str(key), std::nullopt});
          } else {
            C(c)->host->kv_.erase(Str(key));
          }
          return RAPPORT_OK;
        },
        [](rapport_call* c, rapport_bytes prefix, rapport_scan_fn fn, void* user) -> int {
          // The stored keys with the call's own pending writes over them (the
          // last write of a key wins, a delete hides it), in key order.
          std::string p = Str(prefix);
          std::map<std::string, std::optional<std::string>> view;
          for (auto it = C(c)->host->kv_.lower_bound(p);
               it != C(c)->host->kv_.end() && it->first.rfind(p, 0) == 0; ++it) {
            view[it->first] = it->second;
          }
          if (C(c)->pending) {
            for (const auto& [k, v] : *C(c)->pending) {
              if (k.rfind(p, 0) == 0) view[k] = v;
            }
          }
          for (const auto& [k, v] : view) {
            if (v && fn(user, internal::Bytes(k), internal::Bytes(*v)) == 0) break;
          }
          return RAPPORT_OK;
        },
        [](rapport_call* c, rapport_resource r, const char* id, rapport_buffer* record) -> int {
          auto it = C(c)->host->records_.find({r, id ? id : ""});
          if (it == C(c)->host->records_.end()) return RAPPORT_NOT_FOUND;
          record->set(record->user, it->second.data(), it->second.size());
          return RAPPORT_OK;
        },
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
          FakeHost* host = C(c)->host;
          if (!host->scope_owners_) return 1;
          std::vector<std::string> sorted = *host->scope_owners_;
          std::sort(sorted.begin(), sorted.end());
          std::string joined;
          for (const auto& o : sorted) joined += (joined.empty() ? "" : ",") + o;
          owners->set(owners->user, joined.data(), joined.size());
          return 0;
        }};
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
};

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_FAKE_HOST_H_
