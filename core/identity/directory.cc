// File: core/identity/directory.cc
//
// The directory of users and teams: the per-tenant cache, validation,
// creating, updating and listing them, and the Principal (roles, teams,
// access scope) built from it.

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/identity/identity_store.h"
#include "core/identity/identity_store_internal.h"
#include "core/records/record_validator.h"
#include "core/store/keyspace.h"
#include "google/protobuf/util/field_mask_util.h"
#include "rocksdb/write_batch.h"

namespace rapport::identity {
namespace {

using internal::SetTimestamp;
using store::TeamKey;
using store::TeamPrefix;
using store::UserKey;
using store::UserPrefix;

constexpr int kMaxTeamDepth = 32;

bool ValidSlug(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(absl::ascii_islower(s[0]) || absl::ascii_isdigit(s[0])))
    return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

int RoleRank(v1::Role r) {
  switch (r) {
    case v1::ROLE_ADMIN:
      return 5;
    case v1::ROLE_INTEGRATION:
      return 4;
    case v1::ROLE_MANAGER:
      return 3;
    case v1::ROLE_REP:
      return 2;
    case v1::ROLE_VIEWER:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

bool Principal::Has(v1::Role role) const {
  return std::find(user.roles().begin(), user.roles().end(), role) != user.roles().end();
}

std::vector<std::string> TeamsWithAncestors(const IdentityStore::Directory& directory,
                                            const v1::User& user) {
  std::set<std::string> out;
  for (std::string team : user.team_ids()) {
    for (int depth = 0; !team.empty() && depth < 64 && out.insert(team).second; ++depth) {
      auto it = directory.teams.find(team);
      team = it == directory.teams.end() ? "" : it->second.parent_team_id();
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

std::vector<std::string> IdentityStore::TeamsOf(uint32_t tenant, const std::string& user_id) {
  auto directory = LoadDirectory(tenant);
  if (!directory.ok()) return {};
  auto it = (*directory)->users.find(user_id);
  if (it == (*directory)->users.end()) return {};
  return TeamsWithAncestors(**directory, it->second);
}

std::optional<std::vector<std::string>> IdentityStore::LiveUserTeams(uint32_t tenant,
                                                                     const std::string& user_id) {
  auto directory = LoadDirectory(tenant);
  if (!directory.ok()) return std::nullopt;
  auto it = (*directory)->users.find(user_id);
  if (it == (*directory)->users.end() || it->second.disabled()) return std::nullopt;
  return TeamsWithAncestors(**directory, it->second);
}

RequestContext IdentityStore::WriterContext(uint32_t tenant, const std::string& user_id) {
  auto principal = BuildPrincipal(tenant, user_id);
  if (principal.ok()) return (*principal)->Context("");
  RequestContext ctx;
  ctx.tenant = tenant;
  ctx.tenant_name = TenantNameOf(tenant);
  ctx.principal = absl::StrCat(ctx.tenant_name, "/", user_id);
  ctx.user_id = user_id;
  ctx.teams = TeamsOf(tenant, user_id);
  auto own = std::make_shared<AccessScope>();
  own->all = false;
  own->can_write = false;
  own->owners = {user_id};
  own->owner_set.insert(user_id);
  ctx.scope = std::move(own);
  return ctx;
}

RequestContext Principal::Context(std::string origin) const {
  RequestContext ctx;
  ctx.tenant = tenant;
  ctx.tenant_name = tenant_name;
  ctx.principal = absl::StrCat(tenant_name, "/", user.id());
  ctx.origin = std::move(origin);
  ctx.user_id = user.id();
  ctx.teams = member_of;
  ctx.scope = scope;
  for (int r : user.roles()) {
    std::string name = v1::Role_Name(static_cast<v1::Role>(r));
    if (absl::StartsWith(name, "ROLE_")) name = absl::AsciiStrToLower(name.substr(5));
    ctx.roles.push_back(std::move(name));
  }
  return ctx;
}

absl::StatusOr<std::shared_ptr<const IdentityStore::Directory>> IdentityStore::LoadDirectory(
    uint32_t tenant) {
  uint64_t generation = 0;
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = directories_.find(tenant); it != directories_.end()) return it->second;
    generation = cache_generation_;
  }
  auto directory = std::make_shared<Directory>();
  for (const auto& [prefix, is_user] :
       {std::pair{UserPrefix(tenant), true}, {TeamPrefix(tenant), false}}) {
    auto it = db_->NewIterator(db_->meta());
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (is_user) {
        v1::User u;
        if (!u.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
          return absl::DataLossError("corrupt user record");
        directory->users[u.id()] = std::move(u);
      } else {
        v1::Team t;
        if (!t.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
          return absl::DataLossError("corrupt team record");
        directory->teams[t.id()] = std::move(t);
      }
    }
    RAPPORT_RETURN_IF_ERROR(store::FromRocks(it->status(), "directory scan"));
  }
  std::unique_lock lock(cache_mu_);
  if (generation == cache_generation_) directories_[tenant] = directory;
  return std::shared_ptr<const Directory>(directory);
}

void IdentityStore::Invalidate(uint32_t tenant) {
  std::unique_lock lock(cache_mu_);
  ++cache_generation_;
  directories_.erase(tenant);
  token_cache_.clear();  // principals embed team membership and roles
}

absl::StatusOr<std::shared_ptr<const Principal>> IdentityStore::BuildPrincipal(
    uint32_t tenant, const std::string& user_id) {
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(tenant));
  auto user = directory->users.find(user_id);
  if (user == directory->users.end())
    return absl::UnauthenticatedError("the token's user no longer exists");
  if (user->second.disabled()) return absl::UnauthenticatedError("the token's user is disabled");
  auto principal = std::make_shared<Principal>();
  principal->tenant = tenant;
  RAPPORT_ASSIGN_OR_RETURN(principal->tenant_name, TenantName(tenant));
  principal->user = user->second;
  principal->is_operator = principal->IsAdmin() && operator_tenant_ && *operator_tenant_ == tenant;
  auto scope = std::make_shared<AccessScope>();
  int rank = 0;
  for (int r : principal->user.roles()) rank = std::max(rank, RoleRank(static_cast<v1::Role>(r)));
  scope->all = rank >= RoleRank(v1::ROLE_INTEGRATION);
  scope->can_write = rank >= RoleRank(v1::ROLE_REP);
  // Readable teams: the user's own, plus their subtrees for managers.
  std::set<std::string> teams(principal->user.team_ids().begin(), principal->user.team_ids().end());
  if (rank == RoleRank(v1::ROLE_MANAGER)) {
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [id, team] : directory->teams) {
        if (!teams.count(id) && teams.count(team.parent_team_id())) {
          teams.insert(id);
          grew = true;
        }
      }
    }
  }
  principal->readable_teams.assign(teams.begin(), teams.end());
  principal->member_of = TeamsWithAncestors(*directory, principal->user);
  if (!scope->all) {
    std::set<std::string> owners = {user_id};
    for (const auto& [id, u] : directory->users) {
      for (const auto& team : u.team_ids())
        if (teams.count(team)) owners.insert(id);
    }
    scope->owners.assign(owners.begin(), owners.end());
    for (const auto& o : owners) scope->owner_set.insert(o);
  }
  principal->scope = std::move(scope);
  return std::shared_ptr<const Principal>(std::move(principal));
}

absl::Status IdentityStore::ValidateUser(const Principal& caller, const v1::User& user,
                                         const Directory& directory) const {
  std::vector<FieldViolation> v;
  if (!ValidSlug(user.id()))
    v.push_back(
        {"user.id", absl::StrCat("'", user.id(), "' must match [a-z0-9][a-z0-9._-]{0,62}")});
  if (user.display_name().size() > 200 || !records::IsValidUtf8(user.display_name()))
    v.push_back({"user.display_name", "at most 200 bytes of UTF-8"});
  if (user.email().size() > 254) v.push_back({"user.email", "at most 254 bytes"});
  if (user.roles_size() == 0) v.push_back({"user.roles", "at least one role is required"});
  for (int i = 0; i < user.roles_size(); ++i) {
    if (user.roles(i) == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(user.roles(i)))
      v.push_back(
          {absl::StrCat("user.roles[", i, "]"), absl::StrCat(user.roles(i), " is not a role")});
  }
  for (int i = 0; i < user.team_ids_size(); ++i) {
    if (!directory.teams.count(user.team_ids(i)))
      v.push_back({absl::StrCat("user.team_ids[", i, "]"),
                   absl::StrCat("no team '", user.team_ids(i), "'")});
  }
  (void)caller;
  return v.empty() ? absl::OkStatus() : InvalidFields(v);
}

absl::Status IdentityStore::ValidateTeam(const v1::Team& team, const Directory& directory) const {
  std::vector<FieldViolation> v;
  if (!ValidSlug(team.id()))
    v.push_back(
        {"team.id", absl::StrCat("'", team.id(), "' must match [a-z0-9][a-z0-9._-]{0,62}")});
  if (team.display_name().size() > 200 || !records::IsValidUtf8(team.display_name()))
    v.push_back({"team.display_name", "at most 200 bytes of UTF-8"});
  if (!team.parent_team_id().empty()) {
    if (!directory.teams.count(team.parent_team_id())) {
      v.push_back({"team.parent_team_id", absl::StrCat("no team '", team.parent_team_id(), "'")});
    } else {
      // Walk up from the parent: reaching the team itself is a cycle.
      std::string at = team.parent_team_id();
      for (int depth = 0; !at.empty(); ++depth) {
        if (at == team.id() || depth > kMaxTeamDepth) {
          v.push_back({"team.parent_team_id",
                       absl::StrCat("'", team.parent_team_id(),
                                    "' would make a cycle or nest deeper than ", kMaxTeamDepth)});
          break;
        }
        auto it = directory.teams.find(at);
        at = it == directory.teams.end() ? "" : it->second.parent_team_id();
      }
    }
  }
  return v.empty() ? absl::OkStatus() : InvalidFields(v);
}

absl::StatusOr<v1::User> IdentityStore::CreateUser(const Principal& caller, v1::User user) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  RAPPORT_RETURN_IF_ERROR(ValidateUser(caller, user, *directory));
  if (directory->users.count(user.id())) {
    return absl::AlreadyExistsError(absl::StrCat("user '", user.id(), "' already exists"));
  }
  SetTimestamp(user.mutable_create_time(), clock_->Now());
  user.set_revision(1);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), UserKey(caller.tenant, user.id()), user.SerializeAsString());
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("user/", user.id()),
                                 v1::CHANGE_OPERATION_CREATE, nullptr, &user));
  return user;
}

absl::StatusOr<v1::User> IdentityStore::GetUser(const Principal& caller, std::string_view id) {
  if (!caller.IsAdmin() && id != caller.user.id()) RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  auto it = directory->users.find(std::string(id));
  if (it == directory->users.end())
    return absl::NotFoundError(absl::StrCat("no user '", AsAbsl(id), "'"));
  return it->second;
}

absl::StatusOr<v1::User> IdentityStore::UpdateUser(const Principal& caller, const v1::User& patch,
                                                   const google::protobuf::FieldMask& mask,
                                                   int64_t expected_revision) {
  // Only admins change users, including their own roles and teams: a rep
  // moving themselves into another team would widen what they can read.
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  if (mask.paths_size() == 0) return InvalidField("update_mask", "is required");
  for (const auto& path : mask.paths()) {
    if (path != "display_name" && path != "email" && path != "roles" && path != "team_ids" &&
        path != "disabled") {
      return InvalidField("update_mask", absl::StrCat("'", path, "' cannot be updated"));
    }
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  auto it = directory->users.find(patch.id());
  if (it == directory->users.end())
    return absl::NotFoundError(absl::StrCat("no user '", patch.id(), "'"));
  const v1::User& before = it->second;
  if (expected_revision != 0 && expected_revision != before.revision()) {
    return absl::AbortedError(absl::StrCat(
        "user '", before.id(), "' changed concurrently; current revision is ", before.revision()));
  }
  v1::User after = before;
  google::protobuf::util::FieldMaskUtil::MergeOptions merge;
  merge.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, merge, &after);
  RAPPORT_RETURN_IF_ERROR(ValidateUser(caller, after, *directory));
  if (after.id() == caller.user.id() && (std::find(after.roles().begin(), after.roles().end(),
                                                   v1::ROLE_ADMIN) == after.roles().end() ||
                                         after.disabled())) {
    return absl::FailedPreconditionError(
        "an admin cannot remove their own admin role or disable themselves");
  }
  after.set_revision(before.revision() + 1);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), UserKey(caller.tenant, after.id()), after.SerializeAsString());
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("user/", after.id()),
                                 v1::CHANGE_OPERATION_UPDATE, &before, &after));
  return after;
}

absl::StatusOr<std::vector<v1::User>> IdentityStore::ListUsers(const Principal& caller,
                                                               std::string_view team_id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  std::vector<v1::User> users;
  for (const auto& [id, u] : directory->users) {
    if (team_id.empty() ||
        std::find(u.team_ids().begin(), u.team_ids().end(), team_id) != u.team_ids().end())
      users.push_back(u);
  }
  return users;
}

absl::StatusOr<v1::Team> IdentityStore::CreateTeam(const Principal& caller, v1::Team team) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  RAPPORT_RETURN_IF_ERROR(ValidateTeam(team, *directory));
  if (directory->teams.count(team.id())) {
    return absl::AlreadyExistsError(absl::StrCat("team '", team.id(), "' already exists"));
  }
  SetTimestamp(team.mutable_create_time(), clock_->Now());
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TeamKey(caller.tenant, team.id()), team.SerializeAsString());
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("team/", team.id()),
                                 v1::CHANGE_OPERATION_CREATE, nullptr, &team));
  return team;
}

absl::StatusOr<v1::Team> IdentityStore::UpdateTeam(const Principal& caller, const v1::Team& patch,
                                                   const google::protobuf::FieldMask& mask) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  for (const auto& path : mask.paths()) {
    if (path != "display_name" && path != "parent_team_id")
      return InvalidField("update_mask", absl::StrCat("'", path, "' cannot be updated"));
  }
  if (mask.paths_size() == 0) return InvalidField("update_mask", "is required");
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  auto it = directory->teams.find(patch.id());
  if (it == directory->teams.end())
    return absl::NotFoundError(absl::StrCat("no team '", patch.id(), "'"));
  v1::Team before = it->second, after = it->second;
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, {}, &after);
  RAPPORT_RETURN_IF_ERROR(ValidateTeam(after, *directory));
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TeamKey(caller.tenant, after.id()), after.SerializeAsString());
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("team/", after.id()),
                                 v1::CHANGE_OPERATION_UPDATE, &before, &after));
  return after;
}

absl::Status IdentityStore::DeleteTeam(const Principal& caller, std::string_view id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  auto it = directory->teams.find(std::string(id));
  if (it == directory->teams.end())
    return absl::NotFoundError(absl::StrCat("no team '", AsAbsl(id), "'"));
  for (const auto& [tid, t] : directory->teams) {
    if (t.parent_team_id() == id)
      return absl::FailedPreconditionError(
          absl::StrCat("team '", AsAbsl(id), "' has sub-team '", tid, "'"));
  }
  for (const auto& [uid, u] : directory->users) {
    if (std::find(u.team_ids().begin(), u.team_ids().end(), id) != u.team_ids().end())
      return absl::FailedPreconditionError(
          absl::StrCat("team '", AsAbsl(id), "' still has member '", uid, "'"));
  }
  v1::Team before = it->second;
  rocksdb::WriteBatch batch;
  batch.Delete(db_->meta(), TeamKey(caller.tenant, id));
  return Commit(caller, caller.tenant, &batch, absl::StrCat("team/", AsAbsl(id)),
                v1::CHANGE_OPERATION_DELETE, &before, nullptr);
}

absl::StatusOr<std::vector<v1::Team>> IdentityStore::ListTeams(const Principal& caller) {
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  std::vector<v1::Team> teams;
  for (const auto& [id, t] : directory->teams) teams.push_back(t);
  return teams;
}

}  // namespace rapport::identity
