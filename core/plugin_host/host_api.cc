// File: core/plugin_host/host_api.cc
//
// The C host function table (rapport_host_api) the plugins call: logging,
// registration, their keyspace, records, the caller and the module gate.

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/common/logfmt.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/resource_kind.h"
#include "core/store/keyspace.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "rapport/sdk/event_names.h"
#include "rapport/sdk/method_names.h"
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
  static void Log(rapport_host_ctx* h, rapport_log_level level_arg, const char* message) {
    auto* p = P(h);
    const int level = internal::AbiEnum(level_arg);
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
  // Records why a registration was refused: host_last_error answers it, and
  // the first one refuses the plugin's load (plugin_loader.cc).
  static int Refused(PluginHost::Plugin* p, int code, std::string reason) {
    spdlog::error("plugin={} msg=\"registration refused\" reason={}", p->name, LogValue(reason));
    if (p->registration_error.empty() && p->initialising) p->registration_error = reason;
    p->last_error = std::move(reason);
    return code;
  }
  static const char* HostLastError(rapport_host_ctx* h) { return P(h)->last_error.c_str(); }
  static int RegisterHook(rapport_host_ctx* h, rapport_hook_kind kind_arg,
                          rapport_resource resource_arg, rapport_operation operation_arg,
                          int32_t order, rapport_hook_fn fn, void* user) {
    auto* p = P(h);
    const int kind = internal::AbiEnum(kind_arg);
    const int resource = internal::AbiEnum(resource_arg);
    const int operation = internal::AbiEnum(operation_arg);
    if (!p->initialising)
      return Refused(p, RAPPORT_FAILED_PRECONDITION, "hooks are registered during init only");
    if (fn == nullptr) return Refused(p, RAPPORT_INVALID_ARGUMENT, "hook: no function");
    if (kind < RAPPORT_HOOK_VALIDATE || kind > RAPPORT_HOOK_POST_COMMIT)
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("hook: unknown kind ", static_cast<int>(kind)));
    if (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY)
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("hook: unknown resource ", static_cast<int>(resource)));
    if (operation < RAPPORT_OP_CREATE || operation > RAPPORT_OP_DELETE)
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("hook: unknown operation ", static_cast<int>(operation)));
    p->hooks.push_back({static_cast<rapport_hook_kind>(kind),
                        static_cast<rapport_resource>(resource),
                        static_cast<rapport_operation>(operation),
                        order,
                        fn,
                        user,
                        {},
                        {}});
    p->last_error.clear();
    return RAPPORT_OK;
  }
  static int RegisterMethod(rapport_host_ctx* h, const char* full_method, rapport_method_fn fn,
                            void* user);
  static int RegisterStreamMethod(rapport_host_ctx* h, const char* full_method,
                                  rapport_stream_fn fn, void* user);
  // What register_method and register_stream_method check; RAPPORT_OK or the
  // refusal. On OK the method is the plugin's.
  static int ClaimMethod(PluginHost::Plugin* p, const char* full_method, bool has_fn);
  static int RegisterEventHook(rapport_host_ctx* h, const char* module, const char* type,
                               rapport_hook_fn fn, void* user) {
    auto* p = P(h);
    if (!p->initialising)
      return Refused(p, RAPPORT_FAILED_PRECONDITION, "event hooks are registered during init only");
    if (fn == nullptr) return Refused(p, RAPPORT_INVALID_ARGUMENT, "event hook: no function");
    std::string from = module ? module : "";
    std::string what = type ? type : "";
    if (!ValidModuleName(from)) {
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("event hook: module '", from, "' is not a module name"));
    }
    if (std::string problem = sdk::EventTypeProblem(what); !what.empty() && !problem.empty()) {
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("event hook: event type '", what, "': ", problem));
    }
    p->hooks.push_back({RAPPORT_HOOK_POST_COMMIT, static_cast<rapport_resource>(0),
                        static_cast<rapport_operation>(0), 0, fn, user, from, what});
    p->last_error.clear();
    return RAPPORT_OK;
  }
  static int64_t CallDeadlineMicros(rapport_call* call) {
    const RpcContext* rpc = C(call)->rpc;
    if (rpc == nullptr || rpc->deadline == absl::InfiniteFuture()) return 0;
    return absl::ToUnixMicros(rpc->deadline);
  }
  static int CallCancelled(rapport_call* call) {
    auto* c = C(call);
    if (c->host->stopping_.load()) return 1;
    const RpcContext* rpc = c->rpc;
    if (rpc == nullptr) return 0;
    if (rpc->deadline != absl::InfiniteFuture() && absl::Now() >= rpc->deadline) return 1;
    return rpc->cancelled && rpc->cancelled() ? 1 : 0;
  }
  static int CallMetadata(rapport_call* call, const char* key, rapport_buffer* value) {
    const RpcContext* rpc = C(call)->rpc;
    if (rpc == nullptr || key == nullptr) return RAPPORT_NOT_FOUND;
    const std::string wanted = absl::AsciiStrToLower(key);
    for (const auto& [k, v] : rpc->metadata) {
      if (k != wanted) continue;
      BufferSet(value, v.data(), v.size());
      return RAPPORT_OK;
    }
    return RAPPORT_NOT_FOUND;
  }
  static const char* CallRequestId(rapport_call* call) { return C(call)->ctx->request_id.c_str(); }
  static int StreamSend(rapport_call* call, rapport_bytes message) {
    auto* c = C(call);
    if (c->rpc == nullptr || !c->rpc->send) {
      return internal::FailCall(c, RAPPORT_FAILED_PRECONDITION,
                                "stream_send: not in a streaming method");
    }
    if (!c->rpc->send(internal::AsString(message))) {
      return internal::FailCall(c, RAPPORT_UNAVAILABLE,
                                "stream_send: the caller cancelled or went away");
    }
    c->last_error.clear();
    return RAPPORT_OK;
  }
  static int RegisterBackfill(rapport_host_ctx* h, rapport_resource resource_arg,
                              rapport_backfill_fn fn, void* user) {
    auto* p = P(h);
    const int resource = internal::AbiEnum(resource_arg);
    if (!p->initialising) {
      return Refused(p, RAPPORT_FAILED_PRECONDITION,
                     "backfill handlers are registered during init only");
    }
    if (fn == nullptr) return Refused(p, RAPPORT_INVALID_ARGUMENT, "backfill: no function");
    if (resource != 0 &&
        (resource < RAPPORT_RESOURCE_CUSTOMER || resource > RAPPORT_RESOURCE_OPPORTUNITY)) {
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     absl::StrCat("backfill: unknown resource ", static_cast<int>(resource)));
    }
    if (!p->backfill.emplace(static_cast<int>(resource), std::make_pair(fn, user)).second) {
      return Refused(p, RAPPORT_ALREADY_EXISTS,
                     absl::StrCat("backfill: a handler for resource ", static_cast<int>(resource),
                                  " is already registered"));
    }
    p->last_error.clear();
    return RAPPORT_OK;
  }
  static int RegisterTimerHandler(rapport_host_ctx* h, rapport_timer_fn fn, void* user) {
    auto* p = P(h);
    if (!p->initialising) {
      return Refused(p, RAPPORT_FAILED_PRECONDITION,
                     "the timer handler is registered during init only");
    }
    if (fn == nullptr) return Refused(p, RAPPORT_INVALID_ARGUMENT, "timer handler: no function");
    if (p->timer_fn != nullptr) {
      return Refused(p, RAPPORT_ALREADY_EXISTS,
                     "timer handler: already registered (a plugin has one; dispatch on the key)");
    }
    p->timer_fn = fn;
    p->timer_user = user;
    p->last_error.clear();
    return RAPPORT_OK;
  }
  static int RegisterDescriptors(rapport_host_ctx* h, rapport_bytes set) {
    auto* p = P(h);
    if (!p->initialising)
      return Refused(p, RAPPORT_FAILED_PRECONDITION, "descriptors are registered during init only");
    google::protobuf::FileDescriptorSet parsed;
    if (set.data == nullptr || !parsed.ParseFromArray(set.data, static_cast<int>(set.size)) ||
        parsed.file_size() == 0) {
      return Refused(p, RAPPORT_INVALID_ARGUMENT,
                     "descriptors: not a serialized google.protobuf.FileDescriptorSet with a file");
    }
    p->descriptor_sets.emplace_back(reinterpret_cast<const char*>(set.data), set.size);
    p->last_error.clear();
    return RAPPORT_OK;
  }
  static int GetRecord(rapport_call* call, rapport_resource resource_arg, const char* id,
                       rapport_buffer* record) {
    auto* c = C(call);
    const int resource = internal::AbiEnum(resource_arg);
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
    int64_t& total = p->metrics[name ? name : ""];
    // Saturates instead of overflowing (a plugin may add anything).
    if (__builtin_add_overflow(total, delta, &total)) {
      total = delta > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
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
                                         internal::KeyspaceApi::Get,
                                         internal::KeyspaceApi::Put,
                                         internal::KeyspaceApi::Delete,
                                         internal::KeyspaceApi::Scan,
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
                                         CallScope,
                                         internal::KeyspaceApi::LastError,
                                         HostLastError,
                                         internal::KeyspaceApi::ScanRange,
                                         internal::KeyspaceApi::Add,
                                         internal::RecordsApi::List,
                                         internal::RecordsApi::Search,
                                         internal::RecordsApi::Count,
                                         internal::RecordsApi::CanRead,
                                         RegisterTimerHandler,
                                         internal::TimersApi::Schedule,
                                         internal::TimersApi::Cancel,
                                         RegisterBackfill,
                                         internal::ModulesApi::EmitEvent,
                                         RegisterEventHook,
                                         internal::ModulesApi::CallModule,
                                         CallDeadlineMicros,
                                         CallCancelled,
                                         CallMetadata,
                                         CallRequestId,
                                         RegisterStreamMethod,
                                         StreamSend,
                                         internal::RecordsApi::NormalizeContact,
                                         internal::KeyspaceApi::SequenceNext};
    return &api;
  }
};

int HostApi::WriteRecord(rapport_call* call, rapport_resource resource_arg,
                         rapport_operation operation_arg, rapport_bytes record,
                         const char* update_mask, int64_t expected_revision, rapport_buffer* out,
                         rapport_buffer* error) {
  auto* c = C(call);
  const int resource = internal::AbiEnum(resource_arg);
  const int operation = internal::AbiEnum(operation_arg);
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

int HostApi::ClaimMethod(PluginHost::Plugin* p, const char* full_method, bool has_fn) {
  if (!p->initialising)
    return Refused(p, RAPPORT_FAILED_PRECONDITION, "methods are registered during init only");
  if (!has_fn || full_method == nullptr)
    return Refused(p, RAPPORT_INVALID_ARGUMENT, "method: no name or no function");
  std::string method = full_method;
  std::string problem = rapport::sdk::MethodNameProblem(method);
  if (!problem.empty()) {
    return Refused(p, RAPPORT_INVALID_ARGUMENT, absl::StrCat("method '", method, "': ", problem));
  }
  if (auto it = p->host->methods_.find(method); it != p->host->methods_.end()) {
    return Refused(
        p, RAPPORT_ALREADY_EXISTS,
        absl::StrCat("method '", method, "' is already served by module '", it->second->name, "'"));
  }
  p->host->methods_[method] = p;
  p->last_error.clear();
  return RAPPORT_OK;
}

int HostApi::RegisterMethod(rapport_host_ctx* h, const char* full_method, rapport_method_fn fn,
                            void* user) {
  auto* p = P(h);
  int rc = ClaimMethod(p, full_method, fn != nullptr);
  if (rc == RAPPORT_OK) p->methods_registered.emplace(full_method, std::make_pair(fn, user));
  return rc;
}

int HostApi::RegisterStreamMethod(rapport_host_ctx* h, const char* full_method,
                                  rapport_stream_fn fn, void* user) {
  auto* p = P(h);
  int rc = ClaimMethod(p, full_method, fn != nullptr);
  if (rc == RAPPORT_OK) p->stream_methods.emplace(full_method, std::make_pair(fn, user));
  return rc;
}

const rapport_host_api* internal::HostApiTable() { return HostApi::Table(); }

}  // namespace rapport::plugin_host
