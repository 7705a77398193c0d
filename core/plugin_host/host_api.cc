// File: core/plugin_host/host_api.cc
//
// The C host function table (rapport_host_api) the plugins call: logging,
// registration, their keyspace, records, the caller and the module gate.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/resource_kind.h"
#include "core/store/keyspace.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rapport::plugin_host {

using records::ResourceType;

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

const rapport_host_api* internal::HostApiTable() { return HostApi::Table(); }

}  // namespace rapport::plugin_host
