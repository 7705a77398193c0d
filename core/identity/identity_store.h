// File: core/identity/identity_store.h
//
// Tenants, users, teams, API tokens and the audit log of denied calls, and
// the one place a bearer token becomes a Principal.
//
// Keys: the tenant record, operator tenant, user, team, API token and
// audit entry keys of the meta family (core/store/keyspace.h).
//
// Tokens are "rpt_<id>_<secret>": the ULID id finds the record, the secret's
// SHA-256 is compared in constant time; the secret itself is never stored.
// Every admin change is one WriteBatch with its change-feed event.
//
// Thread-safe.
#ifndef RAPPORT_CORE_IDENTITY_IDENTITY_STORE_H_
#define RAPPORT_CORE_IDENTITY_IDENTITY_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/feed/change_feed.h"
#include "core/identity/auth_failure_limiter.h"
#include "core/ids/ulid.h"
#include "core/store/database.h"
#include "core/tenant/tenant_registry.h"
#include "google/protobuf/field_mask.pb.h"
#include "rapport/v1/identity.pb.h"

namespace rapport::identity {

// An authenticated caller.
struct Principal {
  uint32_t tenant = 0;
  std::string tenant_name;
  v1::User user;
  // An admin of the bootstrap tenant: may create tenants.
  bool is_operator = false;
  std::shared_ptr<const AccessScope> scope;
  std::vector<std::string> readable_teams;
  // The user's teams and their ancestors (module targeting).
  std::vector<std::string> member_of;

  bool Has(v1::Role role) const;
  bool IsAdmin() const { return Has(v1::ROLE_ADMIN); }
  // The core's view of this caller, for one call.
  RequestContext Context(std::string origin) const;
};

struct BootstrapResult {
  bool created = false;
  std::string tenant;
  std::string token_path;
};

class IdentityStore {
 public:
  IdentityStore(store::Database* db, tenant::TenantRegistry* tenants, feed::ChangeFeed* feed,
                const Clock* clock);

  // On a data directory with no identity yet: creates tenant `tenant_name`,
  // user "admin" (admin, operator) and a token written to
  // `data_dir`/admin.token with mode 0600. Otherwise does nothing.
  absl::StatusOr<BootstrapResult> Bootstrap(const std::string& data_dir,
                                            const std::string& tenant_name);

  // Resolves an `authorization` header value ("Bearer rpt_..."). Cached for
  // at most one second; revocation and user changes clear the cache at once.
  // UNAUTHENTICATED (with a reason) for anything but a valid, live token.
  absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(std::string_view authorization);

  // --- Admin API. `caller` must be an admin of its tenant (operator for
  // tenants); PERMISSION_DENIED otherwise. All act on the caller's tenant.
  absl::StatusOr<v1::CreateTenantResponse> CreateTenant(const Principal& caller,
                                                        const v1::CreateTenantRequest& request);
  absl::StatusOr<v1::ListTenantsResponse> ListTenants(const Principal& caller);
  absl::StatusOr<v1::User> CreateUser(const Principal& caller, v1::User user);
  absl::StatusOr<v1::User> GetUser(const Principal& caller, std::string_view id);
  absl::StatusOr<v1::User> UpdateUser(const Principal& caller, const v1::User& patch,
                                      const google::protobuf::FieldMask& mask,
                                      int64_t expected_revision);
  absl::StatusOr<std::vector<v1::User>> ListUsers(const Principal& caller,
                                                  std::string_view team_id);
  absl::StatusOr<v1::Team> CreateTeam(const Principal& caller, v1::Team team);
  absl::StatusOr<v1::Team> UpdateTeam(const Principal& caller, const v1::Team& patch,
                                      const google::protobuf::FieldMask& mask);
  absl::Status DeleteTeam(const Principal& caller, std::string_view id);
  absl::StatusOr<std::vector<v1::Team>> ListTeams(const Principal& caller);
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const Principal& caller, v1::ApiToken token);
  absl::StatusOr<std::vector<v1::ApiToken>> ListTokens(const Principal& caller,
                                                       std::string_view user_id);
  absl::StatusOr<v1::ApiToken> RevokeToken(const Principal& caller, std::string_view id);

  // Counts a failed authentication from `peer` presenting `token_id` (""
  // if none); RESOURCE_EXHAUSTED once over the limits (see
  // auth_failure_limiter.h), and the failure is then not audited.
  absl::Status RecordAuthFailure(std::string_view peer, std::string_view token_id) {
    return auth_failures_.RecordFailure(peer, token_id, clock_->Now());
  }
  void SetAuthFailureLimits(const AuthFailureLimits& limits) { auth_failures_.SetLimits(limits); }

  // Records a denied call in `tenant`'s bounded audit log (tenant 0: calls
  // whose tenant is unknown, readable by operators).
  void Audit(uint32_t tenant, v1::AuditEntry entry);
  absl::StatusOr<std::vector<v1::AuditEntry>> ListAudit(const Principal& caller, int limit);

  // The tenant's name ("" if unknown).
  std::string TenantNameOf(uint32_t tenant) {
    auto name = TenantName(tenant);
    return name.ok() ? *name : "";
  }
  // A user's teams and their ancestors ({} if unknown).
  std::vector<std::string> TeamsOf(uint32_t tenant, const std::string& user_id);
  // The same for an enabled user; nullopt if the user is unknown or disabled.
  std::optional<std::vector<std::string>> LiveUserTeams(uint32_t tenant,
                                                        const std::string& user_id);

  // Who `user_id` is now, as a RequestContext without an origin: roles,
  // teams with ancestors and read scope, as their token would give them. A
  // user since deleted or disabled keeps their teams but reads only their own
  // records and writes nothing. For post-commit hooks, which act for the
  // change's writer.
  RequestContext WriterContext(uint32_t tenant, const std::string& user_id);

  static constexpr int kAuditEntriesKept = 1000;

 public:
  struct Directory {
    std::map<std::string, v1::User> users;
    std::map<std::string, v1::Team> teams;
  };

 private:
  struct CachedToken {
    std::string hash;
    std::shared_ptr<const Principal> principal;
    absl::Time loaded;
    absl::Time expires;
  };

  absl::Status RequireAdmin(const Principal& caller) const;
  absl::StatusOr<std::shared_ptr<const Directory>> LoadDirectory(uint32_t tenant);
  void Invalidate(uint32_t tenant);
  absl::StatusOr<std::shared_ptr<const Principal>> BuildPrincipal(uint32_t tenant,
                                                                  const std::string& user_id);
  absl::Status ValidateUser(const Principal& caller, const v1::User& user,
                            const Directory& directory) const;
  absl::Status ValidateTeam(const v1::Team& team, const Directory& directory) const;
  // Writes the batch with an identity change event in the caller's tenant.
  absl::Status Commit(const Principal& caller, uint32_t tenant, rocksdb::WriteBatch* batch,
                      std::string subject, v1::ChangeOperation op,
                      const google::protobuf::Message* before,
                      const google::protobuf::Message* after);
  absl::StatusOr<v1::CreateTokenResponse> IssueToken(const Principal* caller, uint32_t tenant,
                                                     const std::string& tenant_name,
                                                     v1::ApiToken token,
                                                     rocksdb::WriteBatch* batch);
  absl::StatusOr<std::string> TenantName(uint32_t tenant);

  store::Database* db_;
  tenant::TenantRegistry* tenants_;
  feed::ChangeFeed* feed_;
  const Clock* clock_;
  ids::UlidGenerator ids_;
  std::mutex write_mu_;  // serialises admin read-check-write sequences
  std::shared_mutex cache_mu_;
  // Bumped by Invalidate. A loader reads it before it reads the store and
  // caches its result only if it is unchanged, so a load that raced a commit
  // never puts the pre-commit directory or principal back after Invalidate.
  uint64_t cache_generation_ = 0;
  absl::flat_hash_map<uint32_t, std::shared_ptr<const Directory>> directories_;
  absl::flat_hash_map<std::string, CachedToken> token_cache_;
  std::mutex audit_mu_;
  absl::flat_hash_map<uint32_t, uint64_t> audit_next_;
  absl::flat_hash_map<std::string, absl::Time> last_used_written_;
  std::optional<uint32_t> operator_tenant_;
  AuthFailureLimiter auth_failures_;
};

// Authentication failures for a token whose tenant is known carry it, so the
// denial is audited in that tenant's log (0: unknown, the server-wide log).
inline constexpr char kTenantPayload[] = "rapport.dev/tenant";
absl::Status WithTenant(absl::Status status, uint32_t tenant);
uint32_t TenantOfFailure(const absl::Status& status);

// "rpt_<26-char id>_<43-char secret>" -> (id16, secret), or UNAUTHENTICATED.
absl::StatusOr<std::pair<std::string, std::string>> ParseToken(std::string_view token);

}  // namespace rapport::identity

#endif  // RAPPORT_CORE_IDENTITY_IDENTITY_STORE_H_
