// File: core/identity/tenants.cc
//
// Tenants: the first start's bootstrap (operator tenant, first admin and
// token), tenant records, and creating and listing tenants.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/identity/identity_store.h"
#include "core/identity/identity_store_internal.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::identity {
namespace {

using internal::SetTimestamp;
using store::KeyReader;
using store::KeyWriter;
using store::OperatorKey;
using store::TenantRecordKey;
using store::UserKey;

}  // namespace

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
  bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
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

absl::StatusOr<v1::CreateTenantResponse> IdentityStore::CreateTenant(
    const Principal& caller, const v1::CreateTenantRequest& request) {
  if (!caller.is_operator) {
    return absl::PermissionDeniedError(
        absl::StrCat("only admins of the operator tenant may create tenants; '", caller.user.id(),
                     "' is not one"));
  }
  if (auto s = tenant::TenantRegistry::ValidateName(request.tenant().name()); !s.ok()) {
    return InvalidField("tenant.name", absl::StrCat("'", request.tenant().name(),
                                                    "' must match [a-z0-9][a-z0-9_-]{0,62}"));
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  // A name may be registered without a tenant record (a failed earlier
  // attempt): only an existing record means the tenant exists.
  if (auto known = tenants_->Resolve(request.tenant().name(), false);
      known.ok() && db_->Get(db_->meta(), TenantRecordKey(*known)).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant '", request.tenant().name(), "' already exists"));
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
  token.set_purpose(
      absl::StrCat("created with the tenant by ", caller.tenant_name, "/", caller.user.id()));
  RAPPORT_ASSIGN_OR_RETURN(v1::CreateTokenResponse issued,
                           IssueToken(&caller, tenant, t.name(), token, &batch));
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
    if (!response.add_tenants()->ParseFromArray(it->value().data(),
                                                static_cast<int>(it->value().size())))
      return absl::DataLossError("corrupt tenant record");
  }
  return response;
}

}  // namespace rapport::identity
