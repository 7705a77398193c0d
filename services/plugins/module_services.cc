#include "services/plugins/module_services.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"

namespace rapport::services {
namespace {

constexpr char kModules[] = "rapport.v1.ModuleService";

absl::Status RequireAdmin(const Caller& caller) {
  if (caller.principal->IsAdmin()) return absl::OkStatus();
  return absl::PermissionDeniedError("module administration needs the admin role");
}

absl::Status RequireModule(const ServiceDeps& deps, const std::string& module) {
  if (module.empty()) return InvalidField("module", "is required");
  if (deps.plugins == nullptr || !deps.plugins->IsLoaded(module)) {
    std::vector<std::string> loaded;
    if (deps.plugins) {
      for (const auto& m : deps.plugins->Modules())
        if (m.state() == "loaded") loaded.push_back(m.name());
    }
    return absl::NotFoundError(
        absl::StrCat("no loaded module '", module,
                     "' (loaded: ", loaded.empty() ? "none" : absl::StrJoin(loaded, ", "), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status ModuleServiceImpl::ListModules(grpc::ServerContext* c, const v1::ListModulesRequest*,
                                            v1::ListModulesResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller&) {
    if (deps_.plugins) {
      for (auto& m : deps_.plugins->Modules()) *out->add_modules() = std::move(m);
    }
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::GetRollout(grpc::ServerContext* c, const v1::GetRolloutRequest* r,
                                           v1::RolloutRule* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(*out, deps_.plugins->gate().GetRule(caller.ctx.tenant, r->module()));
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::SetRollout(grpc::ServerContext* c, const v1::SetRolloutRequest* r,
                                           v1::RolloutRule* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(PrefixFields(RequireModule(deps_, r->rule().module()), "rule."));
    RAPPORT_ASSIGN_OR_RETURN(
        *out, deps_.plugins->gate().SetRule(caller.ctx, r->rule(), r->expected_revision()));
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::CheckModule(grpc::ServerContext* c, const v1::CheckModuleRequest* r,
                                            v1::CheckModuleResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    std::string user = r->user_id().empty() ? caller.ctx.user_id : r->user_id();
    if (user != caller.ctx.user_id) RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    auto teams = user == caller.ctx.user_id ? caller.ctx.teams
                                            : deps_.identity->TeamsOf(caller.ctx.tenant, user);
    auto decision = deps_.plugins->gate().Evaluate(caller.ctx.tenant, r->module(), user, teams);
    out->set_mode(decision.mode);
    out->set_reason(decision.reason);
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::ListRolloutHistory(grpc::ServerContext* c,
                                                   const v1::ListRolloutHistoryRequest* r,
                                                   v1::ListRolloutHistoryResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    const std::string subject = absl::StrCat("module/", r->module());
    uint64_t after = 0;
    for (;;) {
      RAPPORT_ASSIGN_OR_RETURN(auto events,
                               deps_.store->feed()->Read(caller.ctx.tenant, after, 1000));
      if (events.empty()) break;
      for (auto& e : events) {
        after = e.sequence();
        if (e.subject() == subject) *out->add_events() = std::move(e);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::ListDeadLetters(grpc::ServerContext* c,
                                                const v1::ListDeadLettersRequest* r,
                                                v1::ListDeadLettersResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(auto letters, deps_.plugins->ListDeadLetters(caller.ctx, r->module()));
    for (auto& l : letters) *out->add_dead_letters() = std::move(l);
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::ReplayDeadLetters(grpc::ServerContext* c,
                                                  const v1::ReplayDeadLettersRequest* r,
                                                  v1::ReplayDeadLettersResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(auto result,
                             deps_.plugins->ReplayDeadLetters(caller.ctx, r->module()));
    out->set_succeeded(result.first);
    out->set_failed(result.second);
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::BackfillModule(grpc::ServerContext* c,
                                               const v1::BackfillModuleRequest* r,
                                               v1::BackfillStatus* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(*out, deps_.plugins->RequestBackfill(caller.ctx, r->module()));
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::GetBackfill(grpc::ServerContext* c, const v1::GetBackfillRequest* r,
                                            v1::BackfillStatus* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(*out, deps_.plugins->GetBackfill(caller.ctx, r->module()));
    return absl::OkStatus();
  });
}

grpc::Status ModuleServiceImpl::ListShadowRecords(grpc::ServerContext* c,
                                                  const v1::ListShadowRecordsRequest* r,
                                                  v1::ListShadowRecordsResponse* out) {
  return Handle(deps_, c, kModules, __func__, [&](const Caller& caller) -> absl::Status {
    RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
    RAPPORT_RETURN_IF_ERROR(RequireModule(deps_, r->module()));
    RAPPORT_ASSIGN_OR_RETURN(auto records,
                             deps_.plugins->ListShadowRecords(caller.ctx, r->module(), r->limit()));
    for (auto& s : records) *out->add_records() = std::move(s);
    return absl::OkStatus();
  });
}

}  // namespace rapport::services
