#include "core/plugin_host/plugin_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/common/logfmt.h"
#include "core/common/status_util.h"
#include "core/records/record_fields.h"
#include "core/records/resource_kind.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {
namespace {

namespace fs = std::filesystem;
using records::ResourceType;

using store::DeadLetterPrefix;
using store::ShadowPrefix;
constexpr uint64_t kShadowRecordsKept = 1000;

void SetTimestamp(google::protobuf::Timestamp* ts, absl::Time t) {
  int64_t ns = absl::ToUnixNanos(t);
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

// A host-made output buffer backed by a std::string.
struct HostBuffer {
  std::string data;
  bool set = false;
  rapport_buffer buffer{this, [](void* user, const void* bytes, size_t size) {
                          auto* self = static_cast<HostBuffer*>(user);
                          self->data.assign(static_cast<const char*>(bytes), size);
                          self->set = true;
                        }};
  HostBuffer() = default;
  HostBuffer(const HostBuffer&) = delete;
};

rapport_bytes Bytes(const std::string& s) {
  return rapport_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

absl::StatusCode CodeOf(int rc) {
  if (rc <= 0 || rc > 16) return absl::StatusCode::kInternal;
  return static_cast<absl::StatusCode>(rc);
}

// Calls into a plugin. Exceptions must not escape a C ABI, but a C++
// plugin may still throw: catch everything and report it as the plugin's
// error.
template <typename F>
int Guarded(HostBuffer& error, F call) {
  try {
    return call();
  } catch (const std::exception& e) {
    error.data = absl::StrCat("threw: ", e.what());
  } catch (...) {
    error.data = "threw a non-std exception";
  }
  return RAPPORT_INTERNAL;
}

}  // namespace

struct PluginHost::Plugin {
  std::string name;
  std::string file;
  Manifest manifest;
  v1::Module info;
  PluginHost* host = nullptr;
  const rapport_plugin_info* entry = nullptr;
  rapport_plugin_state* state = nullptr;
  std::string config_json = "{}";
  bool loaded = false;
  bool initialising = false;
  struct Hook {
    rapport_hook_kind kind;
    rapport_resource resource;
    rapport_operation operation;
    int32_t order;
    rapport_hook_fn fn;
    void* user;
  };
  std::vector<Hook> hooks;
  std::atomic<int64_t> hook_calls{0}, hook_failures{0}, dead_letters{0};
  std::mutex metrics_mu;
  std::map<std::string, int64_t> metrics;
  std::map<std::string, std::pair<rapport_method_fn, void*>> methods_registered;
  std::vector<std::string> descriptor_sets;
};

// One invocation, as the plugin sees it through rapport_call*.
struct PluginHost::CallState {
  CallState(PluginHost* h, Plugin* p, const RequestContext* c, std::vector<records::ExtraWrite>* w)
      : host(h), plugin(p), ctx(c), pending(w) {}
  PluginHost* host;
  Plugin* plugin;
  const RequestContext* ctx;
  // Keyspace writes are collected here and committed by the host: with the
  // change (pre-commit), with the feed cursor (post-commit), or when the
  // method returns OK (RPC). Null: each write is its own batch.
  std::vector<records::ExtraWrite>* pending = nullptr;
  // Validate hooks write nothing.
  bool read_only = false;
  // Validate and pre-commit hooks run inside a commit: no write_record.
  bool in_commit = false;
  // write_record from here makes a change of this depth.
  int depth = 0;
  // Recorded as the origin of write_record changes ("" keeps the caller's).
  std::string origin;
  // call_roles' answer, kept alive for the call.
  std::string roles;
  // Set when write_record wrote a core record (post-commit: the dispatcher
  // then commits the cursor at once, so a crash re-runs at most this event).
  bool* wrote_record = nullptr;
};

// The host function table. Each function is noexcept in effect: nothing
// thrown here may reach a plugin.
struct HostApi {
  static PluginHost::Plugin* P(rapport_host_ctx* h) {
    return reinterpret_cast<PluginHost::Plugin*>(h);
  }
  static PluginHost::CallState* C(rapport_call* c) {
    return reinterpret_cast<PluginHost::CallState*>(c);
  }

  static void BufferSet(rapport_buffer* b, const void* data, size_t size) {
    if (b && b->set) b->set(b->user, data, size);
  }
  static void Log(rapport_host_ctx* h, rapport_log_level level, const char* message) {
    auto* p = P(h);
    std::string m = message ? message : "";
    switch (level) {
      case RAPPORT_LOG_ERROR:
        spdlog::error("plugin={} msg={}", p->name, LogValue(m));
        break;
      case RAPPORT_LOG_WARN:
        spdlog::warn("plugin={} msg={}", p->name, LogValue(m));
        break;
      case RAPPORT_LOG_DEBUG:
        spdlog::debug("plugin={} msg={}", p->name, LogValue(m));
        break;
      default:
        spdlog::info("plugin={} msg={}", p->name, LogValue(m));
    }
  }
  static int RegisterHook(rapport_host_ctx* h, rapport_hook_kind kind, rapport_resource resource,
                          rapport_operation operation, int32_t order, rapport_hook_fn fn,
                          void* user) {
    auto* p = P(h);
    if (!p->initialising || fn == nullptr) return RAPPORT_FAILED_PRECONDITION;
    if (kind < RAPPORT_HOOK_VALIDATE || kind > RAPPORT_HOOK_POST_COMMIT)
      return RAPPORT_INVALID_ARGUMENT;
    if (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY)
      return RAPPORT_INVALID_ARGUMENT;
    if (operation < RAPPORT_OP_CREATE || operation > RAPPORT_OP_DELETE)
      return RAPPORT_INVALID_ARGUMENT;
    p->hooks.push_back({kind, resource, operation, order, fn, user});
    return RAPPORT_OK;
  }
  static int RegisterMethod(rapport_host_ctx* h, const char* full_method, rapport_method_fn fn,
                            void* user);
  static int RegisterDescriptors(rapport_host_ctx* h, rapport_bytes set) {
    auto* p = P(h);
    if (!p->initialising) return RAPPORT_FAILED_PRECONDITION;
    google::protobuf::FileDescriptorSet parsed;
    if (set.data == nullptr || !parsed.ParseFromArray(set.data, static_cast<int>(set.size)) ||
        parsed.file_size() == 0) {
      spdlog::error("plugin={} msg=\"descriptor set is not a FileDescriptorSet\"", p->name);
      return RAPPORT_INVALID_ARGUMENT;
    }
    p->descriptor_sets.emplace_back(reinterpret_cast<const char*>(set.data), set.size);
    return RAPPORT_OK;
  }
  static std::string Key(PluginHost::CallState* c, rapport_bytes key) {
    return store::PluginKvPrefix(c->ctx->tenant, c->plugin->name) +
           std::string(reinterpret_cast<const char*>(key.data), key.size);
  }
  static int KvGet(rapport_call* call, rapport_bytes key, rapport_buffer* value) {
    auto* c = C(call);
    std::string k = Key(c, key);
    if (c->pending) {  // read your own pending writes
      for (auto it = c->pending->rbegin(); it != c->pending->rend(); ++it) {
        if (it->key != k) continue;
        if (!it->value) return RAPPORT_NOT_FOUND;
        BufferSet(value, it->value->data(), it->value->size());
        return RAPPORT_OK;
      }
    }
    auto v = c->host->db_->Get(c->host->db_->meta(), k);
    if (absl::IsNotFound(v.status())) return RAPPORT_NOT_FOUND;
    if (!v.ok()) return RAPPORT_UNAVAILABLE;
    BufferSet(value, v->data(), v->size());
    return RAPPORT_OK;
  }
  static int KvWrite(rapport_call* call, rapport_bytes key, const rapport_bytes* value) {
    auto* c = C(call);
    if (c->read_only) return RAPPORT_FAILED_PRECONDITION;
    if (key.size == 0 || key.size > 1024 || (value && value->size > (1 << 20)))
      return RAPPORT_INVALID_ARGUMENT;
    std::string k = Key(c, key);
    std::optional<std::string> v;
    if (value) v = std::string(reinterpret_cast<const char*>(value->data), value->size);
    if (c->pending) {
      c->pending->push_back({k, v});
      return RAPPORT_OK;
    }
    rocksdb::WriteBatch batch;
    return c->host->CommitWrites({{k, v}}, &batch).ok() ? RAPPORT_OK : RAPPORT_UNAVAILABLE;
  }
  static int KvPut(rapport_call* call, rapport_bytes key, rapport_bytes value) {
    return KvWrite(call, key, &value);
  }
  static int KvDelete(rapport_call* call, rapport_bytes key) { return KvWrite(call, key, nullptr); }
  static int KvScan(rapport_call* call, rapport_bytes prefix, rapport_scan_fn fn, void* user) {
    auto* c = C(call);
    const std::string base = store::PluginKvPrefix(c->ctx->tenant, c->plugin->name);
    const std::string start = Key(c, prefix);
    // The call's own pending writes (not yet committed) overlay the stored
    // keys: the last write of a key wins, a delete hides it.
    std::map<std::string, const std::optional<std::string>*> pending;
    if (c->pending) {
      for (const auto& w : *c->pending) {
        if (absl::StartsWith(w.key, start)) pending[w.key] = &w.value;
      }
    }
    auto emit = [&](std::string_view key, std::string_view value) {
      std::string_view k = key.substr(base.size());
      rapport_bytes kb{reinterpret_cast<const uint8_t*>(k.data()), k.size()};
      rapport_bytes vb{reinterpret_cast<const uint8_t*>(value.data()), value.size()};
      return fn(user, kb, vb) != 0;
    };
    auto next_pending = pending.begin();
    // Pending keys before `stored` (all of them when stored is null); false
    // when the plugin asked to stop.
    auto drain_pending = [&](const std::string_view* stored) {
      for (; next_pending != pending.end() && (stored == nullptr || next_pending->first < *stored);
           ++next_pending) {
        if (*next_pending->second && !emit(next_pending->first, **next_pending->second))
          return false;
      }
      return true;
    };
    auto it = c->host->db_->NewIterator(c->host->db_->meta());
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      std::string_view key = it->key().ToStringView();
      if (!drain_pending(&key)) return RAPPORT_OK;
      if (next_pending != pending.end() && next_pending->first == key) {
        // Overridden by a pending write (or deleted by it).
        const auto* value = next_pending->second;
        ++next_pending;
        if (*value && !emit(key, **value)) return RAPPORT_OK;
        continue;
      }
      if (!emit(key, it->value().ToStringView())) return RAPPORT_OK;
    }
    if (!it->status().ok()) return RAPPORT_UNAVAILABLE;
    drain_pending(nullptr);
    return RAPPORT_OK;
  }
  static int GetRecord(rapport_call* call, rapport_resource resource, const char* id,
                       rapport_buffer* record) {
    auto* c = C(call);
    if (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY ||
        id == nullptr) {
      return RAPPORT_INVALID_ARGUMENT;
    }
    auto r = c->host->records_->Get(*c->ctx, static_cast<ResourceType>(resource), id);
    if (!r.ok()) return static_cast<int>(r.status().code());
    std::string bytes = (*r)->SerializeAsString();
    BufferSet(record, bytes.data(), bytes.size());
    return RAPPORT_OK;
  }
  static const char* CallTenant(rapport_call* call) { return C(call)->ctx->tenant_name.c_str(); }
  static const char* CallUser(rapport_call* call) { return C(call)->ctx->user_id.c_str(); }
  static int ModuleEnabled(rapport_call* call, const char* module, const char* user_id,
                           rapport_buffer* reason) {
    auto* c = C(call);
    std::string user = user_id ? user_id : "";
    auto teams = user == c->ctx->user_id ? c->ctx->teams : c->host->teams_of_(c->ctx->tenant, user);
    GateDecision d = c->host->gate_->Evaluate(c->ctx->tenant, module ? module : "", user, teams);
    BufferSet(reason, d.reason.data(), d.reason.size());
    return d.mode == v1::MODULE_MODE_OFF ? 0 : 1;
  }
  static int WriteRecord(rapport_call* call, rapport_resource resource, rapport_operation operation,
                         rapport_bytes record, const char* update_mask, int64_t expected_revision,
                         rapport_buffer* out, rapport_buffer* error);
  static int UserInfo(rapport_call* call, const char* user_id, rapport_buffer* teams) {
    auto* c = C(call);
    if (!c->host->user_teams_ || user_id == nullptr) return RAPPORT_NOT_FOUND;
    auto found = c->host->user_teams_(c->ctx->tenant, user_id);
    if (!found) return RAPPORT_NOT_FOUND;
    std::string joined = absl::StrJoin(*found, ",");
    BufferSet(teams, joined.data(), joined.size());
    return RAPPORT_OK;
  }
  static const char* CallRoles(rapport_call* call) {
    auto* c = C(call);
    if (c->roles.empty() && !c->ctx->roles.empty()) c->roles = absl::StrJoin(c->ctx->roles, ",");
    return c->roles.c_str();
  }
  static int CallScope(rapport_call* call, rapport_buffer* owners) {
    auto* c = C(call);
    if (!c->ctx->Restricted()) return 1;
    std::string joined = absl::StrJoin(c->ctx->scope->owners, ",");
    BufferSet(owners, joined.data(), joined.size());
    return 0;
  }
  static const char* ConfigJson(rapport_host_ctx* h) { return P(h)->config_json.c_str(); }
  static int64_t NowMicros(rapport_host_ctx* h) {
    return absl::ToUnixMicros(P(h)->host->clock_->Now());
  }
  static void MetricAdd(rapport_host_ctx* h, const char* name, int64_t delta) {
    auto* p = P(h);
    std::lock_guard<std::mutex> lock(p->metrics_mu);
    p->metrics[name ? name : ""] += delta;
  }

  static const rapport_host_api* Table() {
    static const rapport_host_api api = {sizeof(rapport_host_api),
                                         RAPPORT_PLUGIN_ABI_MAJOR,
                                         RAPPORT_PLUGIN_ABI_MINOR,
                                         BufferSet,
                                         Log,
                                         RegisterHook,
                                         RegisterMethod,
                                         RegisterDescriptors,
                                         KvGet,
                                         KvPut,
                                         KvDelete,
                                         KvScan,
                                         GetRecord,
                                         CallTenant,
                                         CallUser,
                                         ModuleEnabled,
                                         ConfigJson,
                                         NowMicros,
                                         MetricAdd,
                                         WriteRecord,
                                         UserInfo,
                                         CallRoles,
                                         CallScope};
    return &api;
  }
};

int HostApi::WriteRecord(rapport_call* call, rapport_resource resource, rapport_operation operation,
                         rapport_bytes record, const char* update_mask, int64_t expected_revision,
                         rapport_buffer* out, rapport_buffer* error) {
  auto* c = C(call);
  auto fail = [&](const absl::Status& s) {
    std::string m(s.message());
    BufferSet(error, m.data(), m.size());
    return static_cast<int>(s.code());
  };
  if (c->in_commit) {
    return fail(absl::FailedPreconditionError(
        "write_record is not allowed in validate or pre-commit hooks (they run inside a commit)"));
  }
  if (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY) {
    return fail(
        absl::InvalidArgumentError(absl::StrCat("unknown resource ", static_cast<int>(resource))));
  }
  const int limit = c->host->options_.max_hook_depth;
  if (c->depth > limit) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("hook depth limit ", limit, " reached: module '", c->plugin->name,
                     "' wrote a record from a post-commit hook ", c->depth, " changes deep")));
  }
  const auto type = static_cast<ResourceType>(resource);
  auto message = records::KindOf(type).NewRecord();
  if (record.size > 0 && !message->ParseFromArray(record.data, static_cast<int>(record.size))) {
    return fail(absl::InvalidArgumentError("record: cannot parse"));
  }
  RequestContext ctx = *c->ctx;
  ctx.hook_depth = c->depth;
  if (!c->origin.empty()) ctx.origin = c->origin;
  absl::StatusOr<records::RecordPtr> stored;
  if (operation == RAPPORT_OP_CREATE) {
    stored = c->host->records_->Create(ctx, type, *message, "");
  } else if (operation == RAPPORT_OP_UPDATE) {
    google::protobuf::FieldMask mask;
    for (absl::string_view path :
         absl::StrSplit(update_mask ? update_mask : "", ',', absl::SkipWhitespace())) {
      mask.add_paths(std::string(absl::StripAsciiWhitespace(path)));
    }
    stored = c->host->records_->Update(ctx, type, *message, mask, expected_revision);
  } else {
    return fail(absl::InvalidArgumentError("operation: write_record creates or updates"));
  }
  if (!stored.ok()) return fail(stored.status());
  if (c->wrote_record) *c->wrote_record = true;
  std::string bytes = (*stored)->SerializeAsString();
  BufferSet(out, bytes.data(), bytes.size());
  return RAPPORT_OK;
}

int HostApi::RegisterMethod(rapport_host_ctx* h, const char* full_method, rapport_method_fn fn,
                            void* user) {
  auto* p = P(h);
  if (!p->initialising || fn == nullptr || full_method == nullptr)
    return RAPPORT_FAILED_PRECONDITION;
  std::string method = full_method;
  // "/rapport.<module>.vN.Service/Method", never the core's package.
  if (!absl::StartsWith(method, "/rapport.") || absl::StartsWith(method, "/rapport.v1.") ||
      std::count(method.begin(), method.end(), '/') != 2) {
    return RAPPORT_INVALID_ARGUMENT;
  }
  if (p->host->methods_.count(method)) return RAPPORT_FAILED_PRECONDITION;
  p->host->methods_[method] = p;
  p->methods_registered.emplace(method, std::make_pair(fn, user));
  return RAPPORT_OK;
}

PluginHost::PluginHost(
    store::Database* db, records::RecordStore* records, const Clock* clock,
    PluginHostOptions options,
    std::function<std::vector<std::string>(uint32_t, const std::string&)> teams_of,
    std::function<std::string(uint32_t)> tenant_name)
    : db_(db),
      records_(records),
      clock_(clock),
      options_(std::move(options)),
      teams_of_(std::move(teams_of)),
      tenant_name_(std::move(tenant_name)) {
  gate_ = std::make_unique<ModuleGate>(
      db, records->feed(),
      [this](const std::string& module) {
        Plugin* p = FindPlugin(module);
        return p ? p->manifest.requires_modules : std::vector<std::string>{};
      },
      [this](const std::string& module) {
        std::vector<std::string> dependents;
        for (const auto& p : plugins_) {
          if (!p->loaded) continue;
          const auto& deps = p->manifest.requires_modules;
          if (std::find(deps.begin(), deps.end(), module) != deps.end())
            dependents.push_back(p->name);
        }
        return dependents;
      });
}

PluginHost::~PluginHost() { Stop(); }

PluginHost::Plugin* PluginHost::FindPlugin(const std::string& module) const {
  for (const auto& p : plugins_)
    if (p->name == module) return p.get();
  return nullptr;
}

bool PluginHost::IsLoaded(const std::string& module) const {
  Plugin* p = FindPlugin(module);
  return p && p->loaded;
}

void PluginHost::Refuse(Plugin* plugin, std::string error) {
  plugin->loaded = false;
  plugin->info.set_state("refused");
  plugin->info.set_last_error(error);
  spdlog::error("msg=\"plugin refused\" file={} error={}", LogValue(plugin->file), LogValue(error));
}

void PluginHost::Load() {
  if (options_.plugin_dir.empty()) return;
  std::error_code ec;
  const fs::path dir = fs::canonical(options_.plugin_dir, ec);
  if (ec) {
    spdlog::error("msg=\"plugin directory unreadable\" dir={} error={}",
                  LogValue(options_.plugin_dir), LogValue(ec.message()));
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  // 1. Manifests, before any code runs.
  std::map<std::string, Plugin*> by_name;
  for (const fs::path& path : files) {
    auto plugin = std::make_unique<Plugin>();
    plugin->host = this;
    plugin->file = path.string();
    plugin->name = path.stem().string();
    plugin->info.set_name(plugin->name);
    plugin->info.set_file(plugin->file);
    Plugin* p = plugin.get();
    plugins_.push_back(std::move(plugin));
    // Only regular files inside the directory: a symlink may not lead out.
    fs::path real = fs::canonical(path, ec);
    if (ec || !fs::is_regular_file(real)) {
      Refuse(p, absl::StrCat(p->file, ": not a regular file"));
      continue;
    }
    auto [dir_end, real_it] = std::mismatch(dir.begin(), dir.end(), real.begin(), real.end());
    if (dir_end != dir.end()) {
      Refuse(p, absl::StrCat(p->file, ": leads outside the plugin directory (to ", real.string(),
                             ")"));
      continue;
    }
    auto manifest = ReadManifest((path.parent_path() / (p->name + ".manifest.json")).string());
    if (!manifest.ok()) {
      Refuse(p, std::string(manifest.status().message()));
      continue;
    }
    p->manifest = *manifest;
    p->info.set_version(manifest->version);
    for (const auto& d : manifest->requires_modules) p->info.add_dependencies(d);
    for (const auto& svc : manifest->services) p->info.add_services(svc);
    if (manifest->name != p->name) {
      Refuse(p, absl::StrCat(p->file, ": manifest name '", manifest->name,
                             "' does not match the file name '", p->name, "'"));
      continue;
    }
    if (manifest->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      Refuse(p, absl::StrCat(p->file, ": plugin ABI major ", manifest->abi_major,
                             " (manifest), host expects ", RAPPORT_PLUGIN_ABI_MAJOR));
      continue;
    }
    if (by_name.count(p->name)) {
      Refuse(p, absl::StrCat(p->file, ": duplicate module name '", p->name, "'"));
      continue;
    }
    by_name[p->name] = p;
    if (auto it = options_.config.find(p->name); it != options_.config.end())
      p->config_json = it->second;
  }
  // 2. Dependency order (depth-first; cycles and missing modules refused).
  std::vector<Plugin*> order;
  std::map<std::string, int> mark;  // 1 visiting, 2 done
  // mark: 1 visiting, 2 ordered, 3 refused.
  std::function<bool(Plugin*, std::string*)> visit = [&](Plugin* p, std::string* why) -> bool {
    if (mark[p->name] == 2) return true;
    if (mark[p->name] == 3) {
      *why = absl::StrCat("requires module '", p->name, "', which was refused");
      return false;
    }
    if (mark[p->name] == 1) {
      *why = absl::StrCat("dependency cycle through '", p->name, "'");
      return false;
    }
    mark[p->name] = 1;
    for (const auto& dep : p->manifest.requires_modules) {
      auto it = by_name.find(dep);
      std::string dep_why;
      if (it == by_name.end()) {
        *why = absl::StrCat("requires module '", dep, "', which is not in the plugin directory");
      } else if (visit(it->second, &dep_why)) {
        continue;
      } else {
        *why = mark[dep] == 1 ? dep_why
                              : absl::StrCat("requires module '", dep, "', which was refused");
      }
      mark[p->name] = 3;
      return false;
    }
    mark[p->name] = 2;
    order.push_back(p);
    return true;
  };
  for (auto& [name, p] : by_name) {
    std::string why;
    if (mark[name] == 0 && !visit(p, &why)) Refuse(p, absl::StrCat(p->file, ": ", why));
  }
  for (auto& [name, p] : by_name) {
    if (mark[name] == 3 && p->info.state() != "refused") {
      // Refused while visiting a dependent: say why for this one too.
      std::string why;
      for (const auto& dep : p->manifest.requires_modules) {
        if (!by_name.count(dep))
          why = absl::StrCat("requires module '", dep, "', which is not in the plugin directory");
        else if (mark[dep] == 3)
          why = absl::StrCat("requires module '", dep, "', which was refused");
      }
      Refuse(p, absl::StrCat(p->file, ": ", why.empty() ? "dependency cycle" : why));
    }
  }
  // 3. Open and initialise, dependencies first.
  for (Plugin* p : order) {
    if (p->info.state() == "refused") continue;
    bool deps_ok = true;
    for (const auto& dep : p->manifest.requires_modules) {
      if (!IsLoaded(dep)) {
        Refuse(p, absl::StrCat(p->file, ": requires module '", dep, "', which was refused"));
        deps_ok = false;
        break;
      }
    }
    if (!deps_ok) continue;
    void* handle = dlopen(p->file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      Refuse(p, absl::StrCat(p->file, ": cannot load: ", dlerror()));
      continue;
    }
    auto entry =
        reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle, RAPPORT_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) {
      Refuse(p, absl::StrCat(p->file, ": no exported symbol '", RAPPORT_PLUGIN_ENTRY_SYMBOL, "'"));
      continue;
    }
    const rapport_plugin_info* info = nullptr;
    try {
      info = entry();
    } catch (...) {
      info = nullptr;
    }
    if (info == nullptr ||
        info->struct_size < offsetof(rapport_plugin_info, stop) + sizeof(info->stop)) {
      Refuse(p, absl::StrCat(p->file, ": rapport_plugin_entry returned no usable info"));
      continue;
    }
    if (info->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
      Refuse(p,
             absl::StrCat(p->file, ": built for plugin ABI ", info->abi_major, ".", info->abi_minor,
                          ", host expects ABI ", RAPPORT_PLUGIN_ABI_MAJOR, ".x"));
      continue;
    }
    if (info->name == nullptr || p->name != info->name) {
      Refuse(p, absl::StrCat(p->file, ": binary says its name is '", info->name ? info->name : "",
                             "', the manifest '", p->name, "'"));
      continue;
    }
    p->entry = info;
    p->info.set_abi_major(info->abi_major);
    p->info.set_abi_minor(info->abi_minor);
    p->info.set_build_info(info->build_info ? info->build_info : "");
    HostBuffer error;
    p->initialising = true;
    int rc = Guarded(error, [&] {
      return info->init(HostApi::Table(), reinterpret_cast<rapport_host_ctx*>(p), &p->state,
                        &error.buffer);
    });
    p->initialising = false;
    if (rc != RAPPORT_OK) {
      for (auto it = methods_.begin(); it != methods_.end();) {
        it = it->second == p ? methods_.erase(it) : std::next(it);
      }
      p->hooks.clear();
      Refuse(p, absl::StrCat(p->file,
                             ": init failed: ", error.data.empty() ? "no message" : error.data));
      continue;
    }
    p->loaded = true;
    p->info.set_state("loaded");
    spdlog::info("msg=\"plugin loaded\" name={} version={} file={} hooks={} methods={}", p->name,
                 LogValue(p->manifest.version), LogValue(p->file), p->hooks.size(),
                 p->methods_registered.size());
  }
}

void PluginHost::Start() {
  for (auto& p : plugins_) {
    if (!p->loaded) continue;
    try {
      if (p->entry->start) p->entry->start(p->state);
    } catch (...) {
      spdlog::error("plugin={} msg=\"start threw\"", p->name);
    }
    bool has_post_commit = std::any_of(p->hooks.begin(), p->hooks.end(), [](const Plugin::Hook& h) {
      return h.kind == RAPPORT_HOOK_POST_COMMIT;
    });
    if (has_post_commit) dispatchers_.emplace_back([this, raw = p.get()] { Dispatch(raw); });
  }
}

void PluginHost::Stop() {
  std::call_once(stop_once_, [this] {
    auto quietly = [](auto fn) {
      try {
        fn();
      } catch (...) {
      }
    };
    for (auto& p : plugins_) {
      if (p->loaded && p->entry->drain) quietly([&] { p->entry->drain(p->state); });
    }
    stopping_ = true;
    for (auto& t : dispatchers_) t.join();
    for (auto& p : plugins_) {
      if (p->loaded && p->entry->stop) quietly([&] { p->entry->stop(p->state); });
    }
  });
}

std::vector<v1::Module> PluginHost::Modules() const {
  std::vector<v1::Module> out;
  for (const auto& p : plugins_) {
    v1::Module m = p->info;
    m.set_hook_calls(p->hook_calls.load());
    m.set_hook_failures(p->hook_failures.load());
    m.set_dead_letters(p->dead_letters.load());
    std::lock_guard<std::mutex> lock(p->metrics_mu);
    for (const auto& [k, v] : p->metrics) (*m.mutable_metrics())[k] = v;
    out.push_back(std::move(m));
  }
  return out;
}

bool PluginHost::Handles(const std::string& method) const { return methods_.count(method) > 0; }

absl::StatusOr<std::string> PluginHost::Invoke(const RequestContext& ctx, const std::string& method,
                                               const std::string& request) {
  auto it = methods_.find(method);
  if (it == methods_.end())
    return absl::UnimplementedError(absl::StrCat("no plugin serves ", method));
  Plugin* p = it->second;
  GateDecision gate = gate_->Evaluate(ctx, p->name);
  if (gate.mode != v1::MODULE_MODE_ON) {
    return absl::FailedPreconditionError(absl::StrCat("module '", p->name, "' is off for tenant '",
                                                      ctx.tenant_name, "' (", gate.reason, ")"));
  }
  auto [fn, user] = p->methods_registered.at(method);
  // The method's keyspace writes commit together, and only if it succeeds.
  std::vector<records::ExtraWrite> writes;
  CallState call(this, p, &ctx, &writes);
  HostBuffer response, error;
  int rc = Guarded(error, [&] {
    return fn(user, reinterpret_cast<rapport_call*>(&call), Bytes(request), &response.buffer,
              &error.buffer);
  });
  if (rc != RAPPORT_OK) {
    return absl::Status(CodeOf(rc), absl::StrCat("module '", p->name, "': ", error.data));
  }
  if (!writes.empty()) {
    rocksdb::WriteBatch batch;
    RAPPORT_RETURN_IF_ERROR(CommitWrites(writes, &batch));
  }
  return response.data;
}

void PluginHost::AddWrites(const std::vector<records::ExtraWrite>& writes,
                           rocksdb::WriteBatch* batch) {
  for (const auto& w : writes) {
    if (w.value) {
      batch->Put(db_->meta(), w.key, *w.value);
    } else {
      batch->Delete(db_->meta(), w.key);
    }
  }
}

absl::Status PluginHost::CommitWrites(const std::vector<records::ExtraWrite>& writes,
                                      rocksdb::WriteBatch* batch) {
  AddWrites(writes, batch);
  return db_->Write(batch);
}

std::vector<std::string> PluginHost::DescriptorSets() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_) {
    if (!p->loaded) continue;
    out.insert(out.end(), p->descriptor_sets.begin(), p->descriptor_sets.end());
  }
  return out;
}

std::vector<std::string> PluginHost::Methods() const {
  std::vector<std::string> out;
  for (const auto& [method, plugin] : methods_) out.push_back(method);
  return out;
}

absl::Status PluginHost::BeforeWrite(const RequestContext& ctx, records::ResourceType type,
                                     records::WriteOperation op,
                                     const google::protobuf::Message* before,
                                     google::protobuf::Message* after,
                                     std::vector<records::ExtraWrite>* writes) {
  const auto resource = static_cast<rapport_resource>(type);
  const auto operation = static_cast<rapport_operation>(op);
  const std::string id = after ? records::GetId(*after) : before ? records::GetId(*before) : "";
  for (rapport_hook_kind kind : {RAPPORT_HOOK_VALIDATE, RAPPORT_HOOK_PRE_COMMIT}) {
    // Every plugin's hooks of this kind, in (order, plugin name) order.
    std::vector<std::pair<Plugin*, const Plugin::Hook*>> hooks;
    for (const auto& p : plugins_) {
      if (!p->loaded) continue;
      for (const auto& h : p->hooks) {
        if (h.kind == kind && h.resource == resource && h.operation == operation)
          hooks.push_back({p.get(), &h});
      }
    }
    std::stable_sort(hooks.begin(), hooks.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.second->order, a.first->name) <
             std::make_pair(b.second->order, b.first->name);
    });
    for (const auto& [p, hook] : hooks) {
      GateDecision gate = gate_->Evaluate(ctx, p->name);
      if (gate.mode == v1::MODULE_MODE_OFF) continue;
      const bool shadow = gate.mode == v1::MODULE_MODE_SHADOW;
      std::string before_bytes = before ? before->SerializeAsString() : std::string();
      std::string after_bytes = after ? after->SerializeAsString() : std::string();
      std::vector<records::ExtraWrite> local;
      CallState call(this, p, &ctx, &local);
      call.read_only = kind == RAPPORT_HOOK_VALIDATE;
      call.in_commit = true;
      HostBuffer out, error;
      ++p->hook_calls;
      rapport_bytes b = before ? Bytes(before_bytes) : rapport_bytes{nullptr, 0};
      rapport_bytes a = after ? Bytes(after_bytes) : rapport_bytes{nullptr, 0};
      int rc = Guarded(error, [&] {
        return hook->fn(hook->user, reinterpret_cast<rapport_call*>(&call), b, a,
                        kind == RAPPORT_HOOK_PRE_COMMIT ? &out.buffer : nullptr, &error.buffer);
      });
      if (rc != RAPPORT_OK) {
        ++p->hook_failures;
        std::string message = error.data.empty() ? "rejected the write" : error.data;
        if (shadow) {
          RecordShadow(p, ctx, id, absl::StrCat("would reject: ", message));
          continue;
        }
        return absl::Status(CodeOf(rc), absl::StrCat("module '", p->name, "': ", message));
      }
      if (kind != RAPPORT_HOOK_PRE_COMMIT) continue;
      if (out.set && after != nullptr) {
        std::unique_ptr<google::protobuf::Message> changed(after->New());
        if (!changed->ParseFromString(out.data)) {
          ++p->hook_failures;
          if (!shadow)
            return absl::InternalError(
                absl::StrCat("module '", p->name, "' returned an unreadable record"));
          continue;
        }
        if (shadow) {
          RecordShadow(p, ctx, id,
                       absl::StrCat("would change: ",
                                    absl::StrJoin(records::ChangedFields(*after, *changed), ", ")));
          continue;
        }
        after->CopyFrom(*changed);
      }
      if (shadow) {
        if (!local.empty())
          RecordShadow(p, ctx, id, absl::StrCat("would write ", local.size(), " keys"));
        continue;
      }
      for (auto& w : local) writes->push_back(std::move(w));
    }
  }
  return absl::OkStatus();
}

void PluginHost::RecordShadow(Plugin* plugin, const RequestContext& ctx,
                              const std::string& resource_id, const std::string& outcome) {
  v1::ShadowRecord record;
  record.set_module(plugin->name);
  SetTimestamp(record.mutable_time(), clock_->Now());
  record.set_principal(ctx.principal);
  record.set_resource_id(resource_id);
  record.set_outcome(outcome);
  const std::string prefix = ShadowPrefix(plugin->name, ctx.tenant);
  std::lock_guard<std::mutex> lock(shadow_mu_);
  auto [it, fresh] = shadow_next_.try_emplace(prefix, 0);
  if (fresh) {
    auto iter = db_->NewIterator(db_->meta());
    iter->SeekForPrev(store::PrefixSuccessor(prefix));
    if (iter->Valid() && iter->key().starts_with(prefix)) {
      store::KeyReader reader(iter->key().ToStringView().substr(prefix.size()));
      uint64_t last;
      if (reader.U64(&last)) it->second = last + 1;
    }
  }
  uint64_t n = it->second++;
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::KeyWriter(prefix).U64(n).Release(), record.SerializeAsString());
  if (n >= kShadowRecordsKept)
    batch.Delete(db_->meta(), store::KeyWriter(prefix).U64(n - kShadowRecordsKept).Release());
  (void)db_->Write(&batch);
}

absl::Status PluginHost::RunPostCommit(Plugin* p, const RequestContext& ctx,
                                       const v1::ChangeEvent& event, bool* ran,
                                       std::vector<records::ExtraWrite>* writes,
                                       bool* wrote_record) {
  *ran = false;
  if (event.resource_id().empty()) return absl::OkStatus();  // not a record event
  const auto resource = static_cast<rapport_resource>(event.resource_type());
  const auto operation = static_cast<rapport_operation>(event.operation());
  const std::string bytes = event.SerializeAsString();
  for (const auto& h : p->hooks) {
    if (h.kind != RAPPORT_HOOK_POST_COMMIT || h.resource != resource || h.operation != operation)
      continue;
    *ran = true;
    CallState call(this, p, &ctx, writes);
    call.wrote_record = wrote_record;
    call.depth = event.hook_depth() + 1;
    call.origin = absl::StrCat("module/", p->name);
    HostBuffer error;
    ++p->hook_calls;
    int rc = Guarded(error, [&] {
      return h.fn(h.user, reinterpret_cast<rapport_call*>(&call), rapport_bytes{nullptr, 0},
                  Bytes(bytes), nullptr, &error.buffer);
    });
    if (rc != RAPPORT_OK) {
      ++p->hook_failures;
      return absl::Status(CodeOf(rc), error.data.empty() ? "post-commit hook failed" : error.data);
    }
  }
  return absl::OkStatus();
}

void PluginHost::Dispatch(Plugin* p) {
  while (!stopping_.load()) {
    const uint64_t head = records_->feed()->last_sequence();
    bool progressed = false;
    // Each tenant with a feed, by its first key.
    auto tenants = db_->NewIterator(db_->feed());
    for (tenants->SeekToFirst(); tenants->Valid() && !stopping_.load();) {
      uint32_t tenant = 0;
      store::KeyReader reader(tenants->key().ToStringView());
      if (!reader.U32(&tenant)) break;
      const std::string tenant_prefix = store::KeyWriter().U32(tenant).Release();
      uint64_t cursor = 0;
      if (auto v = db_->Get(db_->meta(), store::PluginCursorKey(p->name, tenant)); v.ok()) {
        store::KeyReader cr(*v);
        if (!cr.U64(&cursor)) cursor = 0;
      }
      RequestContext ctx;
      ctx.tenant = tenant;
      auto events = records_->feed()->Read(ctx.tenant, cursor, 100);
      // The hooks' keyspace writes of this batch of events, committed in one
      // WriteBatch with the cursor after the last of them: each event's
      // effects are applied exactly once, even across a crash, and a busy
      // feed costs one write per 100 events, not one per event.
      std::vector<records::ExtraWrite> writes;
      uint64_t committed = cursor;
      bool stop = false;
      // Commits the pending writes with the cursor at `upto`.
      auto flush = [&](uint64_t upto) {
        if (upto == committed && writes.empty()) return true;
        rocksdb::WriteBatch batch;
        batch.Put(db_->meta(), store::PluginCursorKey(p->name, tenant), store::KeyWriter().U64(upto).key());
        if (!CommitWrites(writes, &batch).ok()) {
          spdlog::error("plugin={} msg=\"cannot commit post-commit writes\" sequence={}", p->name,
                        upto);
          return false;
        }
        writes.clear();
        committed = upto;
        progressed = true;
        return true;
      };
      if (events.ok()) {
        for (const auto& event : *events) {
          if (stopping_.load()) break;
          bool wrote_record = false;
          // The gate is evaluated for the user who made the change.
          RequestContext as_writer;
          as_writer.tenant = tenant;
          as_writer.tenant_name = tenant_name_ ? tenant_name_(tenant) : "";
          as_writer.principal = event.principal();
          std::string user = event.principal().substr(event.principal().find('/') + 1);
          if (event.principal().find('/') == std::string::npos) user.clear();
          as_writer.user_id = user;
          as_writer.teams = teams_of_(tenant, user);
          GateDecision gate = gate_->Evaluate(as_writer, p->name);
          if (gate.mode == v1::MODULE_MODE_SHADOW) {
            // Shadow enforces nothing: post-commit hooks have effects, so they
            // are recorded, not run.
            bool matches = false;
            for (const auto& h : p->hooks) {
              matches =
                  matches || (h.kind == RAPPORT_HOOK_POST_COMMIT &&
                              h.resource == static_cast<rapport_resource>(event.resource_type()) &&
                              h.operation == static_cast<rapport_operation>(event.operation()));
            }
            if (matches)
              RecordShadow(p, as_writer, event.resource_id(), "would run its post-commit hook");
          } else if (gate.mode == v1::MODULE_MODE_ON) {
            // Not OK until an attempt ran: stopping before the first one
            // must not count as handled.
            absl::Status status = absl::CancelledError("stopping");
            bool ran = false;
            int attempts = 0;
            absl::Duration backoff = options_.retry_base;
            auto mark = static_cast<std::ptrdiff_t>(writes.size());
            for (; attempts < options_.dead_letter_after && !stopping_.load(); ++attempts) {
              writes.erase(writes.begin() + mark, writes.end());  // a failed attempt's are dropped
              status = RunPostCommit(p, as_writer, event, &ran, &writes, &wrote_record);
              if (status.ok() || !ran) break;
              writes.erase(writes.begin() + mark, writes.end());
              // Before waiting, the earlier events' effects land, so a slow
              // retry holds nothing back.
              if (flush(cursor)) mark = 0;
              if (attempts + 1 < options_.dead_letter_after) {
                absl::SleepFor(backoff);
                backoff = std::min(backoff * 2, options_.retry_max);
              }
            }
            if (!status.ok()) writes.erase(writes.begin() + mark, writes.end());
            if (stopping_.load() && !status.ok()) {
              stop = true;  // this event again after restart
              break;
            }
            if (!status.ok()) {
              {
                v1::DeadLetter letter;
                letter.set_module(p->name);
                letter.set_sequence(event.sequence());
                letter.set_error(std::string(status.message()));
                letter.set_attempts(attempts);
                SetTimestamp(letter.mutable_time(), clock_->Now());
                *letter.mutable_event() = event;
                rocksdb::WriteBatch batch;
                batch.Put(db_->meta(),
                          store::KeyWriter(DeadLetterPrefix(p->name, tenant))
                              .U64(event.sequence())
                              .Release(),
                          letter.SerializeAsString());
                (void)db_->Write(&batch);
                ++p->dead_letters;
                spdlog::warn("plugin={} msg=\"dead-lettered\" sequence={} error={}", p->name,
                             event.sequence(), LogValue(std::string(status.message())));
              }
            }
          }
          cursor = event.sequence();
          // A hook that wrote core records: commit now, so that a crash
          // repeats at most this event's record writes (those are at least
          // once; keyspace effects stay exactly once).
          if (wrote_record && !flush(cursor)) break;
        }
        if (!flush(cursor)) absl::SleepFor(options_.retry_base);  // re-read from the durable cursor
        if (stop) return;
      }
      tenants->Seek(store::PrefixSuccessor(tenant_prefix));
    }
    if (!progressed) records_->feed()->WaitForEvents(head, absl::Milliseconds(200));
  }
}

absl::StatusOr<std::vector<v1::DeadLetter>> PluginHost::ListDeadLetters(const RequestContext& ctx,
                                                                        const std::string& module) {
  if (FindPlugin(module) == nullptr)
    return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  std::vector<v1::DeadLetter> out;
  const std::string prefix = DeadLetterPrefix(module, ctx.tenant);
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::DeadLetter letter;
    if (letter.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      out.push_back(letter);
  }
  return out;
}

absl::StatusOr<std::pair<int, int>> PluginHost::ReplayDeadLetters(const RequestContext& ctx,
                                                                  const std::string& module) {
  Plugin* p = FindPlugin(module);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  if (!p->loaded)
    return absl::FailedPreconditionError(absl::StrCat("module '", module, "' is not loaded"));
  RAPPORT_ASSIGN_OR_RETURN(auto letters, ListDeadLetters(ctx, module));
  int ok = 0, failed = 0;
  for (auto& letter : letters) {
    RequestContext as_writer = ctx;
    bool ran = false;
    std::vector<records::ExtraWrite> writes;
    absl::Status status = RunPostCommit(p, as_writer, letter.event(), &ran, &writes);
    const std::string key =
        store::KeyWriter(DeadLetterPrefix(module, ctx.tenant)).U64(letter.sequence()).Release();
    rocksdb::WriteBatch batch;
    if (status.ok()) {
      AddWrites(writes, &batch);
      batch.Delete(db_->meta(), key);
      ++ok;
      --p->dead_letters;
    } else {
      letter.set_error(std::string(status.message()));
      letter.set_attempts(letter.attempts() + 1);
      batch.Put(db_->meta(), key, letter.SerializeAsString());
      ++failed;
    }
    RAPPORT_RETURN_IF_ERROR(db_->Write(&batch));
  }
  return std::make_pair(ok, failed);
}

absl::StatusOr<std::vector<v1::ShadowRecord>> PluginHost::ListShadowRecords(
    const RequestContext& ctx, const std::string& module, int limit) {
  if (FindPlugin(module) == nullptr)
    return absl::NotFoundError(absl::StrCat("no module '", module, "'"));
  if (limit <= 0 || limit > static_cast<int>(kShadowRecordsKept)) limit = 100;
  std::vector<v1::ShadowRecord> out;
  const std::string prefix = ShadowPrefix(module, ctx.tenant);
  auto it = db_->NewIterator(db_->meta());
  for (it->SeekForPrev(store::PrefixSuccessor(prefix));
       it->Valid() && it->key().starts_with(prefix) && static_cast<int>(out.size()) < limit;
       it->Prev()) {
    v1::ShadowRecord r;
    if (r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      out.push_back(r);
  }
  return out;
}

}  // namespace rapport::plugin_host
