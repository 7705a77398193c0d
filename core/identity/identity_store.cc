#include "core/identity/identity_store.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/records/record_validator.h"
#include "core/store/key_codec.h"
#include "google/protobuf/util/field_mask_util.h"
#include "rocksdb/write_batch.h"

namespace rapport::identity {
namespace {

using store::KeyReader;
using store::AuditKey;
using store::AuditPrefix;
using store::KeyWriter;
using store::OperatorKey;
using store::TeamKey;
using store::TeamPrefix;
using store::TenantRecordKey;
using store::TokenKey;
using store::UserKey;
using store::UserPrefix;

constexpr char kTokenPrefix[] = "rpt_";
constexpr size_t kTokenIdChars = 26;
constexpr size_t kTokenSecretChars = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kTokenChars = 4 + kTokenIdChars + 1 + kTokenSecretChars;
constexpr absl::Duration kPrincipalCacheTtl = absl::Seconds(1);
constexpr size_t kMaxCachedTokens = 10000;
constexpr absl::Duration kLastUsedResolution = absl::Minutes(1);
constexpr int kMaxTeamDepth = 32;

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), SHA256_DIGEST_LENGTH);
}

void SetTimestamp(google::protobuf::Timestamp* ts, absl::Time t) {
  int64_t ns = absl::ToUnixNanos(t);
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool ValidSlug(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(absl::ascii_islower(s[0]) || absl::ascii_isdigit(s[0]))) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

int RoleRank(v1::Role r) {
  switch (r) {
    case v1::ROLE_ADMIN: return 5;
    case v1::ROLE_INTEGRATION: return 4;
    case v1::ROLE_MANAGER: return 3;
    case v1::ROLE_REP: return 2;
    case v1::ROLE_VIEWER: return 1;
    default: return 0;
  }
}

std::string StoredToken(const std::string& hash, uint32_t tenant, const v1::ApiToken& token) {
  return absl::StrCat(hash, KeyWriter().U32(tenant).key(), token.SerializeAsString());
}

bool ParseStoredToken(std::string_view value, std::string* hash, uint32_t* tenant, v1::ApiToken* token) {
  if (value.size() < 36) return false;
  *hash = std::string(value.substr(0, 32));
  KeyReader reader(value.substr(32, 4));
  if (!reader.U32(tenant)) return false;
  return token->ParseFromArray(value.data() + 36, static_cast<int>(value.size() - 36));
}

}  // namespace

absl::Status WithTenant(absl::Status status, uint32_t tenant) {
  status.SetPayload(kTenantPayload, absl::Cord(absl::StrCat(tenant)));
  return status;
}

uint32_t TenantOfFailure(const absl::Status& status) {
  auto payload = status.GetPayload(kTenantPayload);
  uint32_t tenant = 0;
  if (payload && absl::SimpleAtoi(std::string(*payload), &tenant)) return tenant;
  return 0;
}

bool Principal::Has(v1::Role role) const {
  return std::find(user.roles().begin(), user.roles().end(), role) != user.roles().end();
}

std::vector<std::string> TeamsWithAncestors(const IdentityStore::Directory& directory, const v1::User& user) {
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

absl::StatusOr<std::pair<std::string, std::string>> ParseToken(std::string_view token) {
  if (token.size() != kTokenChars || !absl::StartsWith(AsAbsl(token), kTokenPrefix) ||
      token[4 + kTokenIdChars] != '_') {
    return absl::UnauthenticatedError("malformed API token (expected rpt_<id>_<secret>)");
  }
  for (char c : token) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '-')) {
      return absl::UnauthenticatedError("malformed API token (unexpected characters)");
    }
  }
  auto id16 = ids::UlidFromString(token.substr(4, kTokenIdChars));
  if (!id16.ok()) return absl::UnauthenticatedError("malformed API token (bad id)");
  return std::make_pair(*id16, std::string(token.substr(4 + kTokenIdChars + 1)));
}

IdentityStore::IdentityStore(store::Database* db, tenant::TenantRegistry* tenants,
                             feed::ChangeFeed* feed, const Clock* clock)
    : db_(db), tenants_(tenants), feed_(feed), clock_(clock) {}

absl::StatusOr<std::string> IdentityStore::TenantName(uint32_t tenant) {
  auto value = db_->Get(db_->meta(), TenantRecordKey(tenant));
  if (!value.ok()) return value.status();
  v1::Tenant t;
  if (!t.ParseFromString(*value)) return absl::DataLossError("corrupt tenant record");
  return t.name();
}

absl::StatusOr<BootstrapResult> IdentityStore::Bootstrap(const std::string& data_dir,
                                                         const std::string& tenant_name) {
  std::lock_guard<std::mutex> lock(write_mu_);
  BootstrapResult result;
  auto existing = db_->Get(db_->meta(), OperatorKey());
  if (existing.ok()) {
    uint32_t t = 0;
    KeyReader reader(*existing);
    if (!reader.U32(&t)) return absl::DataLossError("corrupt operator tenant");
    operator_tenant_ = t;
    RAPPORT_ASSIGN_OR_RETURN(result.tenant, TenantName(t));
    return result;
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  RAPPORT_ASSIGN_OR_RETURN(uint32_t tenant, tenants_->Resolve(tenant_name, /*create=*/true));
  const absl::Time now = clock_->Now();
  v1::Tenant t;
  t.set_name(tenant_name);
  t.set_display_name(tenant_name);
  SetTimestamp(t.mutable_create_time(), now);
  v1::User admin;
  admin.set_id("admin");
  admin.set_display_name("Administrator");
  admin.add_roles(v1::ROLE_ADMIN);
  SetTimestamp(admin.mutable_create_time(), now);
  admin.set_revision(1);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TenantRecordKey(tenant), t.SerializeAsString());
  batch.Put(db_->meta(), UserKey(tenant, admin.id()), admin.SerializeAsString());
  batch.Put(db_->meta(), OperatorKey(), KeyWriter().U32(tenant).key());
  v1::ApiToken token;
  token.set_user_id("admin");
  token.set_name("bootstrap");
  token.set_purpose("first admin token, created on first start");
  RAPPORT_ASSIGN_OR_RETURN(v1::CreateTokenResponse issued,
                           IssueToken(nullptr, tenant, tenant_name, token, &batch));
  // Write the secret before committing: a crash in between leaves no usable
  // identity, and the next start bootstraps again.
  const std::string path = data_dir + "/admin.token";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", path));
  std::string content = issued.secret() + "\n";
  bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::fchmod(fd, 0600);
  ::fsync(fd);
  ::close(fd);
  if (!written) return absl::InternalError(absl::StrCat("cannot write ", path));
  RequestContext ctx;
  ctx.tenant = tenant;
  ctx.tenant_name = tenant_name;
  ctx.principal = "rapportd/bootstrap";
  v1::ChangeEvent event;
  event.set_operation(v1::CHANGE_OPERATION_CREATE);
  event.set_subject(absl::StrCat("tenant/", tenant_name));
  event.mutable_after()->PackFrom(t);
  RAPPORT_RETURN_IF_ERROR(feed_->CommitWithEvent(ctx, &batch, std::move(event)));
  operator_tenant_ = tenant;
  result.created = true;
  result.tenant = tenant_name;
  result.token_path = path;
  return result;
}

absl::StatusOr<std::shared_ptr<const IdentityStore::Directory>> IdentityStore::LoadDirectory(
    uint32_t tenant) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = directories_.find(tenant); it != directories_.end()) return it->second;
  }
  auto directory = std::make_shared<Directory>();
  for (const auto& [prefix, is_user] : {std::pair{UserPrefix(tenant), true}, {TeamPrefix(tenant), false}}) {
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
  directories_[tenant] = directory;
  return std::shared_ptr<const Directory>(directory);
}

void IdentityStore::Invalidate(uint32_t tenant) {
  std::unique_lock lock(cache_mu_);
  directories_.erase(tenant);
  token_cache_.clear();  // principals embed team membership and roles
}

absl::StatusOr<std::shared_ptr<const Principal>> IdentityStore::BuildPrincipal(
    uint32_t tenant, const std::string& user_id) {
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(tenant));
  auto user = directory->users.find(user_id);
  if (user == directory->users.end()) return absl::UnauthenticatedError("the token's user no longer exists");
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

absl::StatusOr<std::shared_ptr<const Principal>> IdentityStore::Authenticate(
    std::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  if (authorization.size() > 1024) return absl::UnauthenticatedError("authorization header too long");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  RAPPORT_ASSIGN_OR_RETURN(auto parsed, ParseToken(authorization.substr(kBearer.size())));
  const auto& [id16, secret] = parsed;
  const std::string presented_hash = Sha256(secret);
  const absl::Time now = clock_->Now();
  {
    std::shared_lock lock(cache_mu_);
    auto it = token_cache_.find(id16);
    if (it != token_cache_.end() && now - it->second.loaded < kPrincipalCacheTtl) {
      if (CRYPTO_memcmp(it->second.hash.data(), presented_hash.data(), 32) != 0) {
        return WithTenant(absl::UnauthenticatedError("invalid API token"), it->second.principal->tenant);
      }
      if (now >= it->second.expires) {
        return WithTenant(absl::UnauthenticatedError("API token has expired"), it->second.principal->tenant);
      }
      return it->second.principal;
    }
  }
  auto value = db_->Get(db_->meta(), TokenKey(id16));
  if (absl::IsNotFound(value.status())) return absl::UnauthenticatedError("unknown API token");
  if (!value.ok()) return value.status();
  std::string hash;
  uint32_t tenant = 0;
  v1::ApiToken token;
  if (!ParseStoredToken(*value, &hash, &tenant, &token)) return absl::DataLossError("corrupt token record");
  if (CRYPTO_memcmp(hash.data(), presented_hash.data(), 32) != 0) {
    return WithTenant(absl::UnauthenticatedError("invalid API token"), tenant);
  }
  if (token.revoked()) return WithTenant(absl::UnauthenticatedError("API token was revoked"), tenant);
  if (token.has_expire_time() && FromTimestamp(token.expire_time()) <= now) {
    return WithTenant(absl::UnauthenticatedError("API token has expired"), tenant);
  }
  auto built = BuildPrincipal(tenant, token.user_id());
  if (!built.ok()) return WithTenant(built.status(), tenant);
  auto principal = std::move(*built);
  {
    std::unique_lock lock(cache_mu_);
    if (token_cache_.size() >= kMaxCachedTokens) token_cache_.clear();
    token_cache_[id16] = CachedToken{hash, principal, now,
                                     token.has_expire_time() ? FromTimestamp(token.expire_time())
                                                             : absl::InfiniteFuture()};
  }
  // last_used_time, written at most once a minute per token.
  bool write_last_used = false;
  {
    std::lock_guard<std::mutex> lock(audit_mu_);
    auto& written = last_used_written_[id16];
    if (now - written >= kLastUsedResolution) {
      written = now;
      write_last_used = true;
    }
  }
  if (write_last_used) {
    std::lock_guard<std::mutex> lock(write_mu_);
    auto fresh = db_->Get(db_->meta(), TokenKey(id16));
    if (fresh.ok() && ParseStoredToken(*fresh, &hash, &tenant, &token)) {
      SetTimestamp(token.mutable_last_used_time(), now);
      rocksdb::WriteBatch batch;
      batch.Put(db_->meta(), TokenKey(id16), StoredToken(hash, tenant, token));
      (void)db_->Write(&batch);
    }
  }
  return principal;
}

absl::Status IdentityStore::RequireAdmin(const Principal& caller) const {
  if (!caller.IsAdmin()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "user '", caller.user.id(), "' is not an admin of tenant '", caller.tenant_name, "'"));
  }
  return absl::OkStatus();
}

absl::Status IdentityStore::Commit(const Principal& caller, uint32_t tenant,
                                   rocksdb::WriteBatch* batch, std::string subject,
                                   v1::ChangeOperation op, const google::protobuf::Message* before,
                                   const google::protobuf::Message* after) {
  RequestContext ctx = caller.Context("");
  ctx.tenant = tenant;
  v1::ChangeEvent event;
  event.set_operation(op);
  event.set_subject(std::move(subject));
  if (before) event.mutable_before()->PackFrom(*before);
  if (after) event.mutable_after()->PackFrom(*after);
  RAPPORT_RETURN_IF_ERROR(feed_->CommitWithEvent(ctx, batch, std::move(event)));
  Invalidate(tenant);
  return absl::OkStatus();
}

absl::Status IdentityStore::ValidateUser(const Principal& caller, const v1::User& user,
                                         const Directory& directory) const {
  std::vector<FieldViolation> v;
  if (!ValidSlug(user.id())) v.push_back({"user.id", absl::StrCat("'", user.id(), "' must match [a-z0-9][a-z0-9._-]{0,62}")});
  if (user.display_name().size() > 200 || !records::IsValidUtf8(user.display_name()))
    v.push_back({"user.display_name", "at most 200 bytes of UTF-8"});
  if (user.email().size() > 254) v.push_back({"user.email", "at most 254 bytes"});
  if (user.roles_size() == 0) v.push_back({"user.roles", "at least one role is required"});
  for (int i = 0; i < user.roles_size(); ++i) {
    if (user.roles(i) == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(user.roles(i)))
      v.push_back({absl::StrCat("user.roles[", i, "]"), absl::StrCat(user.roles(i), " is not a role")});
  }
  for (int i = 0; i < user.team_ids_size(); ++i) {
    if (!directory.teams.count(user.team_ids(i)))
      v.push_back({absl::StrCat("user.team_ids[", i, "]"), absl::StrCat("no team '", user.team_ids(i), "'")});
  }
  (void)caller;
  return v.empty() ? absl::OkStatus() : InvalidFields(v);
}

absl::Status IdentityStore::ValidateTeam(const v1::Team& team, const Directory& directory) const {
  std::vector<FieldViolation> v;
  if (!ValidSlug(team.id())) v.push_back({"team.id", absl::StrCat("'", team.id(), "' must match [a-z0-9][a-z0-9._-]{0,62}")});
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
          v.push_back({"team.parent_team_id", absl::StrCat("'", team.parent_team_id(),
                                                           "' would make a cycle or nest deeper than ",
                                                           kMaxTeamDepth)});
          break;
        }
        auto it = directory.teams.find(at);
        at = it == directory.teams.end() ? "" : it->second.parent_team_id();
      }
    }
  }
  return v.empty() ? absl::OkStatus() : InvalidFields(v);
}

absl::StatusOr<v1::CreateTokenResponse> IdentityStore::IssueToken(const Principal* caller,
                                                                  uint32_t tenant,
                                                                  const std::string& tenant_name,
                                                                  v1::ApiToken token,
                                                                  rocksdb::WriteBatch* batch) {
  std::vector<FieldViolation> v;
  if (token.name().empty() || token.name().size() > 100 || !records::IsValidUtf8(token.name()))
    v.push_back({"token.name", "is required, at most 100 bytes of UTF-8"});
  if (token.purpose().size() > 500 || !records::IsValidUtf8(token.purpose()))
    v.push_back({"token.purpose", "at most 500 bytes of UTF-8"});
  if (token.has_expire_time() && FromTimestamp(token.expire_time()) <= clock_->Now())
    v.push_back({"token.expire_time", "must be in the future"});
  if (!v.empty()) return InvalidFields(v);
  (void)caller;
  std::string secret_bytes(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret_bytes.data()), 32) != 1) {
    return absl::InternalError("no randomness for a token");
  }
  std::string secret = absl::WebSafeBase64Escape(secret_bytes);
  std::string id16 = ids_.Next(absl::ToUnixMillis(clock_->Now()));
  token.set_id(ids::UlidToString(id16));
  token.set_tenant(tenant_name);
  token.set_revoked(false);
  token.clear_last_used_time();
  SetTimestamp(token.mutable_create_time(), clock_->Now());
  batch->Put(db_->meta(), TokenKey(id16), StoredToken(Sha256(secret), tenant, token));
  v1::CreateTokenResponse response;
  *response.mutable_token() = token;
  response.set_secret(absl::StrCat(kTokenPrefix, token.id(), "_", secret));
  return response;
}

absl::StatusOr<v1::CreateTenantResponse> IdentityStore::CreateTenant(
    const Principal& caller, const v1::CreateTenantRequest& request) {
  if (!caller.is_operator) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only admins of the operator tenant may create tenants; '", caller.user.id(), "' is not one"));
  }
  if (auto s = tenant::TenantRegistry::ValidateName(request.tenant().name()); !s.ok()) {
    return InvalidField("tenant.name", absl::StrCat("'", request.tenant().name(), "' must match [a-z0-9][a-z0-9_-]{0,62}"));
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  // A name may be registered without a tenant record (a failed earlier
  // attempt): only an existing record means the tenant exists.
  if (auto known = tenants_->Resolve(request.tenant().name(), false);
      known.ok() && db_->Get(db_->meta(), TenantRecordKey(*known)).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("tenant '", request.tenant().name(), "' already exists"));
  }
  v1::User admin = request.admin();
  if (admin.id().empty()) admin.set_id("admin");
  admin.clear_roles();
  admin.add_roles(v1::ROLE_ADMIN);
  admin.clear_team_ids();
  Directory empty;
  RAPPORT_RETURN_IF_ERROR(PrefixFields(ValidateUser(caller, admin, empty), "admin."));
  RAPPORT_ASSIGN_OR_RETURN(uint32_t tenant, tenants_->Resolve(request.tenant().name(), true));
  const absl::Time now = clock_->Now();
  v1::Tenant t = request.tenant();
  SetTimestamp(t.mutable_create_time(), now);
  SetTimestamp(admin.mutable_create_time(), now);
  admin.set_revision(1);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TenantRecordKey(tenant), t.SerializeAsString());
  batch.Put(db_->meta(), UserKey(tenant, admin.id()), admin.SerializeAsString());
  v1::ApiToken token;
  token.set_user_id(admin.id());
  token.set_name("first admin token");
  token.set_purpose(absl::StrCat("created with the tenant by ", caller.tenant_name, "/", caller.user.id()));
  RAPPORT_ASSIGN_OR_RETURN(v1::CreateTokenResponse issued, IssueToken(&caller, tenant, t.name(), token, &batch));
  // The event goes to the operator's tenant feed: that is where the actor is.
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("tenant/", t.name()),
                                 v1::CHANGE_OPERATION_CREATE, nullptr, &t));
  v1::CreateTenantResponse response;
  *response.mutable_tenant() = t;
  *response.mutable_admin() = admin;
  *response.mutable_admin_token() = issued;
  return response;
}

absl::StatusOr<v1::ListTenantsResponse> IdentityStore::ListTenants(const Principal& caller) {
  if (!caller.is_operator) return absl::PermissionDeniedError("only operators may list tenants");
  v1::ListTenantsResponse response;
  std::string prefix = store::TenantRecordPrefix();
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!response.add_tenants()->ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      return absl::DataLossError("corrupt tenant record");
  }
  return response;
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
  if (it == directory->users.end()) return absl::NotFoundError(absl::StrCat("no user '", AsAbsl(id), "'"));
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
  if (it == directory->users.end()) return absl::NotFoundError(absl::StrCat("no user '", patch.id(), "'"));
  const v1::User& before = it->second;
  if (expected_revision != 0 && expected_revision != before.revision()) {
    return absl::AbortedError(absl::StrCat("user '", before.id(), "' changed concurrently; current revision is ",
                                           before.revision()));
  }
  v1::User after = before;
  google::protobuf::util::FieldMaskUtil::MergeOptions merge;
  merge.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, merge, &after);
  RAPPORT_RETURN_IF_ERROR(ValidateUser(caller, after, *directory));
  if (after.id() == caller.user.id() &&
      (std::find(after.roles().begin(), after.roles().end(), v1::ROLE_ADMIN) == after.roles().end() ||
       after.disabled())) {
    return absl::FailedPreconditionError("an admin cannot remove their own admin role or disable themselves");
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
    if (team_id.empty() || std::find(u.team_ids().begin(), u.team_ids().end(), team_id) != u.team_ids().end())
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
  if (it == directory->teams.end()) return absl::NotFoundError(absl::StrCat("no team '", patch.id(), "'"));
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
  if (it == directory->teams.end()) return absl::NotFoundError(absl::StrCat("no team '", AsAbsl(id), "'"));
  for (const auto& [tid, t] : directory->teams) {
    if (t.parent_team_id() == id)
      return absl::FailedPreconditionError(absl::StrCat("team '", AsAbsl(id), "' has sub-team '", tid, "'"));
  }
  for (const auto& [uid, u] : directory->users) {
    if (std::find(u.team_ids().begin(), u.team_ids().end(), id) != u.team_ids().end())
      return absl::FailedPreconditionError(absl::StrCat("team '", AsAbsl(id), "' still has member '", uid, "'"));
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

absl::StatusOr<v1::CreateTokenResponse> IdentityStore::CreateToken(const Principal& caller,
                                                                   v1::ApiToken token) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  if (!directory->users.count(token.user_id())) {
    return InvalidField("token.user_id", absl::StrCat("no user '", token.user_id(), "' in this tenant"));
  }
  rocksdb::WriteBatch batch;
  RAPPORT_ASSIGN_OR_RETURN(v1::CreateTokenResponse issued,
                           IssueToken(&caller, caller.tenant, caller.tenant_name, std::move(token), &batch));
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("token/", issued.token().id()),
                                 v1::CHANGE_OPERATION_CREATE, nullptr, &issued.token()));
  return issued;
}

absl::StatusOr<std::vector<v1::ApiToken>> IdentityStore::ListTokens(const Principal& caller,
                                                                    std::string_view user_id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::vector<v1::ApiToken> tokens;
  std::string prefix = store::TokenPrefix();
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string hash;
    uint32_t tenant;
    v1::ApiToken token;
    if (!ParseStoredToken(it->value().ToStringView(), &hash, &tenant, &token)) continue;
    if (tenant != caller.tenant) continue;
    if (!user_id.empty() && token.user_id() != user_id) continue;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

absl::StatusOr<v1::ApiToken> IdentityStore::RevokeToken(const Principal& caller, std::string_view id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  auto id16 = ids::UlidFromString(id);
  if (!id16.ok()) return InvalidField("id", AsStd(id16.status().message()));
  std::lock_guard<std::mutex> lock(write_mu_);
  auto value = db_->Get(db_->meta(), TokenKey(*id16));
  std::string hash;
  uint32_t tenant = 0;
  v1::ApiToken token;
  if (!value.ok() || !ParseStoredToken(*value, &hash, &tenant, &token) || tenant != caller.tenant) {
    return absl::NotFoundError(absl::StrCat("no token '", AsAbsl(id), "'"));
  }
  v1::ApiToken before = token;
  token.set_revoked(true);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TokenKey(*id16), StoredToken(hash, tenant, token));
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("token/", token.id()),
                                 v1::CHANGE_OPERATION_UPDATE, &before, &token));
  return token;
}

void IdentityStore::Audit(uint32_t tenant, v1::AuditEntry entry) {
  SetTimestamp(entry.mutable_time(), clock_->Now());
  std::lock_guard<std::mutex> lock(audit_mu_);
  auto [it, fresh] = audit_next_.try_emplace(tenant, 0);
  if (fresh) {
    // Continue after the newest stored entry.
    std::string prefix = AuditPrefix(tenant);
    auto iter = db_->NewIterator(db_->meta());
    iter->SeekForPrev(store::PrefixSuccessor(prefix));
    if (iter->Valid() && iter->key().starts_with(prefix)) {
      KeyReader reader(iter->key().ToStringView().substr(prefix.size()));
      uint64_t last = 0;
      if (reader.U64(&last)) it->second = last + 1;
    }
  }
  uint64_t seq = it->second++;
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), AuditKey(tenant, seq), entry.SerializeAsString());
  if (seq >= static_cast<uint64_t>(kAuditEntriesKept)) {
    batch.Delete(db_->meta(), AuditKey(tenant, seq - kAuditEntriesKept));
  }
  (void)db_->Write(&batch);  // best effort: a failed audit write must not fail the call twice
}

absl::StatusOr<std::vector<v1::AuditEntry>> IdentityStore::ListAudit(const Principal& caller, int limit) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  if (limit < 0) return InvalidField("page_size", "must not be negative");
  if (limit == 0 || limit > kAuditEntriesKept) limit = limit == 0 ? 100 : kAuditEntriesKept;
  std::vector<v1::AuditEntry> entries;
  // Up to `limit` newest from each log (the tenant's, and for operators the
  // server-wide one), then the newest `limit` of those.
  std::vector<uint32_t> logs = {caller.tenant};
  if (caller.is_operator && caller.tenant != 0) logs.push_back(0);
  for (uint32_t tenant : logs) {
    std::string prefix = AuditPrefix(tenant);
    auto it = db_->NewIterator(db_->meta());
    int taken = 0;
    for (it->SeekForPrev(store::PrefixSuccessor(prefix));
         it->Valid() && it->key().starts_with(prefix) && taken < limit; it->Prev(), ++taken) {
      v1::AuditEntry e;
      if (e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) entries.push_back(std::move(e));
    }
  }
  std::sort(entries.begin(), entries.end(), [](const v1::AuditEntry& a, const v1::AuditEntry& b) {
    return std::make_pair(a.time().seconds(), a.time().nanos()) >
           std::make_pair(b.time().seconds(), b.time().nanos());
  });
  if (static_cast<int>(entries.size()) > limit) entries.resize(limit);
  return entries;
}

}  // namespace rapport::identity
