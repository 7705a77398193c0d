// File: core/plugin_host/hook_runner.cc
//
// Running hooks: validate and pre-commit hooks inside the record store's
// write path, in (order, plugin name) order through the module gate, and a
// plugin's post-commit hooks for one change event.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/plugin_host/plugin_host.h"
#include "core/plugin_host/plugin_host_internal.h"
#include "core/records/record_fields.h"

namespace rapport::plugin_host {

using internal::Bytes;
using internal::CodeOf;
using internal::Guarded;
using internal::HostBuffer;

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
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
    for (const auto& entry : hooks) {
      Plugin* const p = entry.first;
      const Plugin::Hook* const hook = entry.second;
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
      const auto start = std::chrono::steady_clock::now();
      int rc = Guarded(error, [&] {
        return hook->fn(hook->user, reinterpret_cast<rapport_call*>(&call), b, a,
                        kind == RAPPORT_HOOK_PRE_COMMIT ? &out.buffer : nullptr, &error.buffer);
      });
      p->hook_latency[kind == RAPPORT_HOOK_PRE_COMMIT ? 1 : 0].Observe(
          absl::FromChrono(std::chrono::steady_clock::now() - start));
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

absl::Status PluginHost::RunPostCommit(Plugin* p, const RequestContext& ctx,
                                       const v1::ChangeEvent& event, bool* ran,
                                       std::vector<records::ExtraWrite>* writes,
                                       bool* wrote_record) {
  *ran = false;
  std::string bytes;
  for (const auto& h : p->hooks) {
    if (!h.Takes(event)) continue;  // another kind, record or module event
    if (bytes.empty()) bytes = event.SerializeAsString();
    *ran = true;
    CallState call(this, p, &ctx, writes);
    call.wrote_record = wrote_record;
    call.depth = event.hook_depth() + 1;
    call.origin = absl::StrCat("module/", p->name);
    HostBuffer error;
    ++p->hook_calls;
    const auto start = std::chrono::steady_clock::now();
    int rc = Guarded(error, [&] {
      return h.fn(h.user, reinterpret_cast<rapport_call*>(&call), rapport_bytes{nullptr, 0},
                  Bytes(bytes), nullptr, &error.buffer);
    });
    p->hook_latency[2].Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
    if (rc != RAPPORT_OK) {
      ++p->hook_failures;
      return absl::Status(CodeOf(rc), error.data.empty() ? "post-commit hook failed" : error.data);
    }
  }
  return absl::OkStatus();
}

}  // namespace rapport::plugin_host
