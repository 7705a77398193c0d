// File: core/plugin_host/call_modules.cc
//
// Modules talking to modules (plugin_abi.h, ABI 1.2): events a module writes
// into the change feed (emit_event) and other modules' post-commit hooks
// receive (register_event_hook), and in-process calls of another module's
// methods as the same caller (call_module).
//
// An emitted event is one more operation of the call (records::ExtraWrite
// kEvent): it reaches the feed only if the call commits, in the same batch
// as its keyspace writes (PluginHost::CommitWrites) or, from a pre-commit
// hook, as the record change it belongs to (RecordCommitter). A called
// module's keyspace operations join the caller's in the same way, so a
// call_module and the caller's own writes commit together or not at all.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/store/key_codec.h"
#include "rapport/sdk/event_names.h"
#include "rapport/sdk/method_names.h"
#include "rapport/v1/event.pb.h"

namespace rapport::plugin_host::internal {
namespace {

using records::ExtraWrite;
using CallState = PluginHost::CallState;

int Fail(CallState* c, int code, std::string reason) {
  return FailCall(c, code, std::move(reason));
}

int SetError(rapport_buffer* error, int code, const std::string& message) {
  if (error && error->set) error->set(error->user, message.data(), message.size());
  return code;
}

}  // namespace

int ModulesApi::EmitEvent(rapport_call* call, const char* type, const char* payload_type,
                          rapport_bytes payload) {
  CallState* c = CallOf(call);
  PluginHost* host = c->host;
  const std::string event_type = type ? type : "";
  const std::string message_name = payload_type ? payload_type : "";
  if (c->read_only) return Fail(c, RAPPORT_FAILED_PRECONDITION, sdk::kEmitInValidateHook);
  if (std::string problem = sdk::EmitEventProblem(event_type, message_name, payload.size);
      !problem.empty()) {
    return Fail(c, RAPPORT_INVALID_ARGUMENT, std::move(problem));
  }
  const int limit = host->options_.max_hook_depth;
  if (c->depth > limit) {
    return Fail(
        c, RAPPORT_FAILED_PRECONDITION,
        absl::StrCat("hook depth limit ", limit, " reached: module '", c->plugin->name,
                     "' emitted an event from a post-commit hook ", c->depth, " changes deep"));
  }
  v1::ChangeEvent event;
  event.set_principal(c->ctx->principal);  // "" from a timer or a backfill
  event.set_origin(absl::StrCat("module/", c->plugin->name));
  event.set_subject(absl::StrCat("module/", c->plugin->name, "/", event_type));
  event.set_request_id(c->ctx->request_id);
  event.set_hook_depth(c->depth);
  v1::ModuleEvent* emitted = event.mutable_module_event();
  emitted->set_module(c->plugin->name);
  emitted->set_type(event_type);
  if (!message_name.empty()) {
    emitted->mutable_payload()->set_type_url(absl::StrCat("type.googleapis.com/", message_name));
    emitted->mutable_payload()->set_value(AsString(payload));
  }
  ExtraWrite w{store::KeyWriter().U32(c->ctx->tenant).Release(), event.SerializeAsString()};
  w.op = ExtraWrite::Op::kEvent;
  if (c->pending != nullptr) {
    c->pending->push_back(std::move(w));
  } else if (absl::Status s = TimersApi::CommitNow(c, {std::move(w)}); !s.ok()) {
    return Fail(c, static_cast<int>(s.code()), std::string(s.message()));
  }
  c->last_error.clear();
  return RAPPORT_OK;
}

int ModulesApi::CallModule(rapport_call* call, const char* full_method, rapport_bytes request,
                           rapport_buffer* response, rapport_buffer* error) {
  CallState* c = CallOf(call);
  PluginHost* host = c->host;
  std::string method = full_method ? full_method : "";
  if (!method.empty() && method[0] != '/') method.insert(0, "/");
  if (std::string problem = sdk::MethodNameProblem(method); !problem.empty()) {
    return SetError(error, RAPPORT_INVALID_ARGUMENT,
                    absl::StrCat("call_module: method '", method, "': ", problem));
  }
  auto it = host->methods_.find(method);
  if (it == host->methods_.end()) {
    return SetError(error, RAPPORT_NOT_FOUND,
                    absl::StrCat("call_module: no loaded module serves '", method,
                                 "' (the module is missing, was refused, or has no such method)"));
  }
  PluginHost::Plugin* target = it->second;
  if (c->module_calls >= kMaxModuleCallDepth) {
    return SetError(error, RAPPORT_FAILED_PRECONDITION,
                    absl::StrCat("call_module: '", method, "' would be ", c->module_calls + 1,
                                 " module calls deep (the limit is ", kMaxModuleCallDepth,
                                 "); modules calling each other in a loop?"));
  }
  auto method_it = target->methods_registered.find(method);
  if (method_it == target->methods_registered.end()) {
    return SetError(error, RAPPORT_FAILED_PRECONDITION,
                    absl::StrCat("call_module: '", method, "' of module '", target->name,
                                 "' is a streaming method; call_module calls unary methods"));
  }
  // Gated for the caller, as the public path gates it.
  GateDecision gate = host->gate_->Evaluate(*c->ctx, target->name);
  if (gate.mode != v1::MODULE_MODE_ON) {
    return SetError(error, RAPPORT_FAILED_PRECONDITION,
                    absl::StrCat("module '", target->name, "' is off for tenant '",
                                 c->ctx->tenant_name, "' (", gate.reason, ")"));
  }
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
  const auto fn = method_it->second.first;
  void* const user = method_it->second.second;
  // The callee runs as the same caller, in the same transaction: its
  // keyspace operations join the caller's and commit with them.
  CallState inner = *c;
  inner.plugin = target;
  inner.module_calls = c->module_calls + 1;
  inner.roles.clear();
  inner.last_error.clear();
  HostBuffer out, failure;
  int rc = Guarded(failure, [&] {
    return fn(user, reinterpret_cast<rapport_call*>(&inner), request, &out.buffer, &failure.buffer);
  });
  ++target->module_calls;
  if (rc != RAPPORT_OK) {
    return SetError(error, static_cast<int>(CodeOf(rc)),
                    absl::StrCat("module '", target->name, "': ", failure.data));
  }
  if (response && response->set) response->set(response->user, out.data.data(), out.data.size());
  return RAPPORT_OK;
}

}  // namespace rapport::plugin_host::internal
