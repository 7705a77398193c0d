// File: services/identity/identity_service.h
//
// rapport.v1.IdentityService: tenants, users, teams, tokens, audit. The
// rules (who may do what) live in core/identity; this maps the wire.
#ifndef RAPPORT_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
#define RAPPORT_SERVICES_IDENTITY_IDENTITY_SERVICE_H_

#include "rapport/v1/identity.grpc.pb.h"
#include "services/common/service_deps.h"

namespace rapport::services {

class IdentityServiceImpl final : public v1::IdentityService::Service {
 public:
  explicit IdentityServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status GetCaller(grpc::ServerContext*, const v1::GetCallerRequest*,
                         v1::GetCallerResponse*) override;
  grpc::Status CreateTenant(grpc::ServerContext*, const v1::CreateTenantRequest*,
                            v1::CreateTenantResponse*) override;
  grpc::Status ListTenants(grpc::ServerContext*, const v1::ListTenantsRequest*,
                           v1::ListTenantsResponse*) override;
  grpc::Status CreateUser(grpc::ServerContext*, const v1::CreateUserRequest*, v1::User*) override;
  grpc::Status GetUser(grpc::ServerContext*, const v1::GetUserRequest*, v1::User*) override;
  grpc::Status UpdateUser(grpc::ServerContext*, const v1::UpdateUserRequest*, v1::User*) override;
  grpc::Status ListUsers(grpc::ServerContext*, const v1::ListUsersRequest*,
                         v1::ListUsersResponse*) override;
  grpc::Status CreateTeam(grpc::ServerContext*, const v1::CreateTeamRequest*, v1::Team*) override;
  grpc::Status UpdateTeam(grpc::ServerContext*, const v1::UpdateTeamRequest*, v1::Team*) override;
  grpc::Status DeleteTeam(grpc::ServerContext*, const v1::DeleteTeamRequest*,
                          google::protobuf::Empty*) override;
  grpc::Status ListTeams(grpc::ServerContext*, const v1::ListTeamsRequest*,
                         v1::ListTeamsResponse*) override;
  grpc::Status CreateToken(grpc::ServerContext*, const v1::CreateTokenRequest*,
                           v1::CreateTokenResponse*) override;
  grpc::Status ListTokens(grpc::ServerContext*, const v1::ListTokensRequest*,
                          v1::ListTokensResponse*) override;
  grpc::Status RevokeToken(grpc::ServerContext*, const v1::RevokeTokenRequest*,
                           v1::ApiToken*) override;
  grpc::Status ListAuditEntries(grpc::ServerContext*, const v1::ListAuditEntriesRequest*,
                                v1::ListAuditEntriesResponse*) override;

 private:
  ServiceDeps deps_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
