// rapportctl whoami, tenants, users, teams, tokens and audit
// (rapport.v1.IdentityService).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rapport/v1/identity.grpc.pb.h"
#include "tools/rapportctl/commands.h"

namespace rapport::ctl {
namespace {

using Stub = v1::IdentityService::Stub;

struct IdentityArgs {
  std::string id, display_name, email, parent, user, purpose, team;
  std::vector<std::string> roles, teams;
  bool disabled = false;
  int expires_days = 0;
  int limit = 0;
};

v1::Role RoleFromName(const std::string& name) {
  if (name == "admin") return v1::ROLE_ADMIN;
  if (name == "manager") return v1::ROLE_MANAGER;
  if (name == "rep") return v1::ROLE_REP;
  if (name == "viewer") return v1::ROLE_VIEWER;
  return v1::ROLE_INTEGRATION;
}

// One IdentityService method, its answer printed.
template <typename Request, typename Response>
int Identity(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
             const Request& request) {
  auto stub = v1::IdentityService::NewStub(channel);
  return CallAndPrint(*stub, method, request);
}

v1::User UserFrom(const IdentityArgs& id) {
  v1::User u;
  u.set_id(id.id);
  u.set_display_name(id.display_name);
  u.set_email(id.email);
  for (const auto& r : id.roles) u.add_roles(RoleFromName(r));
  for (const auto& t : id.teams) u.add_team_ids(t);
  return u;
}

v1::Team TeamFrom(const IdentityArgs& id) {
  v1::Team t;
  t.set_id(id.id);
  t.set_parent_team_id(id.parent);
  t.set_display_name(id.display_name);
  return t;
}

int CreateToken(const IdentityArgs& id) {
  v1::CreateTokenRequest r;
  r.mutable_token()->set_user_id(id.user);
  r.mutable_token()->set_name(id.display_name);
  r.mutable_token()->set_purpose(id.purpose);
  if (id.expires_days > 0) {
    auto expiry = std::chrono::system_clock::now() + std::chrono::hours(24 * id.expires_days);
    r.mutable_token()->mutable_expire_time()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(expiry.time_since_epoch()).count());
  }
  return Identity(&Stub::CreateToken, r);
}

}  // namespace

void AddIdentityCommands(CLI::App& app, Command* chosen) {
  auto args = std::make_shared<IdentityArgs>();
  IdentityArgs& id = *args;
  auto* whoami = app.add_subcommand("whoami", "the caller's tenant, user, roles and teams");
  OnParsed(whoami, chosen, [] { return Identity(&Stub::GetCaller, v1::GetCallerRequest()); });

  auto* tenants = app.add_subcommand("tenants", "tenants (operator only)");
  tenants->require_subcommand(1);
  auto* tenants_create =
      tenants->add_subcommand("create", "create a tenant and its first admin token");
  tenants_create->add_option("name", id.id, "tenant name")->required();
  tenants_create->add_option("--display-name", id.display_name, "display name");
  OnParsed(tenants_create, chosen, [args] {
    v1::CreateTenantRequest r;
    r.mutable_tenant()->set_name(args->id);
    r.mutable_tenant()->set_display_name(args->display_name.empty() ? args->id
                                                                    : args->display_name);
    return Identity(&Stub::CreateTenant, r);
  });
  auto* tenants_list = tenants->add_subcommand("list", "list tenants");
  OnParsed(tenants_list, chosen,
           [] { return Identity(&Stub::ListTenants, v1::ListTenantsRequest()); });

  auto* users = app.add_subcommand("users", "users of the tenant (admin only)");
  users->require_subcommand(1);
  auto* users_create = users->add_subcommand("create", "create a user");
  auto* users_update = users->add_subcommand("update", "change a user's roles, teams or state");
  for (auto* sub : {users_create, users_update}) {
    sub->add_option("id", id.id, "user ID, e.g. minsu.kim")->required();
    sub->add_option("--role", id.roles, "admin, manager, rep, viewer or integration (repeatable)")
        ->check(CLI::IsMember({"admin", "manager", "rep", "viewer", "integration"}));
    sub->add_option("--team", id.teams, "team ID (repeatable)");
    sub->add_option("--display-name", id.display_name, "display name");
    sub->add_option("--email", id.email, "email");
  }
  users_update->add_flag("--disable,!--enable", id.disabled, "disable (or enable) the user");
  OnParsed(users_create, chosen, [args] {
    v1::CreateUserRequest r;
    *r.mutable_user() = UserFrom(*args);
    return Identity(&Stub::CreateUser, r);
  });
  OnParsed(users_update, chosen, [args, users_update] {
    v1::UpdateUserRequest r;
    *r.mutable_user() = UserFrom(*args);
    r.mutable_user()->set_disabled(args->disabled);
    if (users_update->count("--role")) r.mutable_update_mask()->add_paths("roles");
    if (users_update->count("--team")) r.mutable_update_mask()->add_paths("team_ids");
    if (users_update->count("--display-name")) r.mutable_update_mask()->add_paths("display_name");
    if (users_update->count("--email")) r.mutable_update_mask()->add_paths("email");
    if (users_update->count("--disable") || users_update->count("--enable"))
      r.mutable_update_mask()->add_paths("disabled");
    return Identity(&Stub::UpdateUser, r);
  });
  auto* users_get = users->add_subcommand("get", "show a user");
  users_get->add_option("id", id.id, "user ID")->required();
  OnParsed(users_get, chosen, [args] {
    v1::GetUserRequest r;
    r.set_id(args->id);
    return Identity(&Stub::GetUser, r);
  });
  auto* users_list = users->add_subcommand("list", "list users");
  users_list->add_option("--team", id.team, "only members of this team");
  OnParsed(users_list, chosen, [args] {
    v1::ListUsersRequest r;
    r.set_team_id(args->team);
    return Identity(&Stub::ListUsers, r);
  });

  auto* teams = app.add_subcommand("teams", "teams of the tenant");
  teams->require_subcommand(1);
  auto* teams_create = teams->add_subcommand("create", "create a team");
  auto* teams_update = teams->add_subcommand("update", "move or rename a team");
  for (auto* sub : {teams_create, teams_update}) {
    sub->add_option("id", id.id, "team ID, e.g. seoul-sales")->required();
    sub->add_option("--parent", id.parent, "parent team ID");
    sub->add_option("--display-name", id.display_name, "display name");
  }
  OnParsed(teams_create, chosen, [args] {
    v1::CreateTeamRequest r;
    *r.mutable_team() = TeamFrom(*args);
    return Identity(&Stub::CreateTeam, r);
  });
  OnParsed(teams_update, chosen, [args, teams_update] {
    v1::UpdateTeamRequest r;
    *r.mutable_team() = TeamFrom(*args);
    if (teams_update->count("--parent")) r.mutable_update_mask()->add_paths("parent_team_id");
    if (teams_update->count("--display-name")) r.mutable_update_mask()->add_paths("display_name");
    return Identity(&Stub::UpdateTeam, r);
  });
  auto* teams_delete = teams->add_subcommand("delete", "delete an empty team");
  teams_delete->add_option("id", id.id, "team ID")->required();
  OnParsed(teams_delete, chosen, [args] {
    v1::DeleteTeamRequest r;
    r.set_id(args->id);
    return Identity(&Stub::DeleteTeam, r);
  });
  auto* teams_list = teams->add_subcommand("list", "list teams");
  OnParsed(teams_list, chosen, [] { return Identity(&Stub::ListTeams, v1::ListTeamsRequest()); });

  auto* tokens = app.add_subcommand("tokens", "API tokens (admin only)");
  tokens->require_subcommand(1);
  auto* tokens_create =
      tokens->add_subcommand("create", "create a token; its secret is printed once");
  tokens_create->add_option("--user", id.user, "the user the token acts as")->required();
  tokens_create->add_option("--name", id.display_name, "a name for the token")->required();
  tokens_create->add_option("--purpose", id.purpose, "what it is for");
  tokens_create->add_option("--expires-in-days", id.expires_days, "expiry")
      ->check(CLI::PositiveNumber);
  OnParsed(tokens_create, chosen, [args] { return CreateToken(*args); });
  auto* tokens_list = tokens->add_subcommand("list", "list tokens (never secrets)");
  tokens_list->add_option("--user", id.user, "only this user's tokens");
  OnParsed(tokens_list, chosen, [args] {
    v1::ListTokensRequest r;
    r.set_user_id(args->user);
    return Identity(&Stub::ListTokens, r);
  });
  auto* tokens_revoke =
      tokens->add_subcommand("revoke", "revoke a token (effective within a second)");
  tokens_revoke->add_option("id", id.id, "token ID")->required();
  OnParsed(tokens_revoke, chosen, [args] {
    v1::RevokeTokenRequest r;
    r.set_id(args->id);
    return Identity(&Stub::RevokeToken, r);
  });

  auto* audit = app.add_subcommand("audit", "denied calls in the tenant, newest first");
  audit->add_option("--limit", id.limit, "entries (default 100)");
  OnParsed(audit, chosen, [args] {
    v1::ListAuditEntriesRequest r;
    r.set_page_size(args->limit);
    return Identity(&Stub::ListAuditEntries, r);
  });
}

}  // namespace rapport::ctl
