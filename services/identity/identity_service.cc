#include "services/identity/identity_service.h"

namespace rapport::services {
namespace {

constexpr char kService[] = "rapport.v1.IdentityService";

// Moves a StatusOr's value into *out.
template <typename T, typename Out>
absl::Status Into(absl::StatusOr<T> result, Out* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

template <typename T, typename Field>
absl::Status IntoRepeated(absl::StatusOr<std::vector<T>> result, Field* out) {
  if (!result.ok()) return result.status();
  for (auto& item : *result) *out->Add() = std::move(item);
  return absl::OkStatus();
}

}  // namespace

using grpc::ServerContext;
using grpc::Status;

Status IdentityServiceImpl::GetCaller(ServerContext* c, const v1::GetCallerRequest*,
                                      v1::GetCallerResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    out->set_tenant(caller.principal->tenant_name);
    *out->mutable_user() = caller.principal->user;
    for (const auto& t : caller.principal->readable_teams) out->add_readable_team_ids(t);
    out->set_operator_(caller.principal->is_operator);
    return absl::OkStatus();
  });
}
Status IdentityServiceImpl::CreateTenant(ServerContext* c, const v1::CreateTenantRequest* r,
                                         v1::CreateTenantResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->CreateTenant(*caller.principal, *r), out);
  });
}
Status IdentityServiceImpl::ListTenants(ServerContext* c, const v1::ListTenantsRequest*,
                                        v1::ListTenantsResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->ListTenants(*caller.principal), out);
  });
}
Status IdentityServiceImpl::CreateUser(ServerContext* c, const v1::CreateUserRequest* r,
                                       v1::User* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->CreateUser(*caller.principal, r->user()), out);
  });
}
Status IdentityServiceImpl::GetUser(ServerContext* c, const v1::GetUserRequest* r, v1::User* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->GetUser(*caller.principal, r->id()), out);
  });
}
Status IdentityServiceImpl::UpdateUser(ServerContext* c, const v1::UpdateUserRequest* r,
                                       v1::User* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->UpdateUser(*caller.principal, r->user(), r->update_mask(),
                                           r->expected_revision()),
                out);
  });
}
Status IdentityServiceImpl::ListUsers(ServerContext* c, const v1::ListUsersRequest* r,
                                      v1::ListUsersResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return IntoRepeated(deps_.identity->ListUsers(*caller.principal, r->team_id()),
                        out->mutable_users());
  });
}
Status IdentityServiceImpl::CreateTeam(ServerContext* c, const v1::CreateTeamRequest* r,
                                       v1::Team* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->CreateTeam(*caller.principal, r->team()), out);
  });
}
Status IdentityServiceImpl::UpdateTeam(ServerContext* c, const v1::UpdateTeamRequest* r,
                                       v1::Team* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->UpdateTeam(*caller.principal, r->team(), r->update_mask()), out);
  });
}
Status IdentityServiceImpl::DeleteTeam(ServerContext* c, const v1::DeleteTeamRequest* r,
                                       google::protobuf::Empty*) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return deps_.identity->DeleteTeam(*caller.principal, r->id());
  });
}
Status IdentityServiceImpl::ListTeams(ServerContext* c, const v1::ListTeamsRequest*,
                                      v1::ListTeamsResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return IntoRepeated(deps_.identity->ListTeams(*caller.principal), out->mutable_teams());
  });
}
Status IdentityServiceImpl::CreateToken(ServerContext* c, const v1::CreateTokenRequest* r,
                                        v1::CreateTokenResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->CreateToken(*caller.principal, r->token()), out);
  });
}
Status IdentityServiceImpl::ListTokens(ServerContext* c, const v1::ListTokensRequest* r,
                                       v1::ListTokensResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return IntoRepeated(deps_.identity->ListTokens(*caller.principal, r->user_id()),
                        out->mutable_tokens());
  });
}
Status IdentityServiceImpl::RevokeToken(ServerContext* c, const v1::RevokeTokenRequest* r,
                                        v1::ApiToken* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return Into(deps_.identity->RevokeToken(*caller.principal, r->id()), out);
  });
}
Status IdentityServiceImpl::ListAuditEntries(ServerContext* c, const v1::ListAuditEntriesRequest* r,
                                             v1::ListAuditEntriesResponse* out) {
  return Handle(deps_, c, kService, __func__, [&](const Caller& caller) {
    return IntoRepeated(deps_.identity->ListAudit(*caller.principal, r->page_size()),
                        out->mutable_entries());
  });
}

}  // namespace rapport::services
