// File: core/identity/identity_store.cc
//
// The identity store: construction, the admin check, and Commit (one
// WriteBatch with its change-feed event). The rest is split by job: see
// identity_store_internal.h.

#include "core/identity/identity_store.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"

namespace rapport::identity {

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

IdentityStore::IdentityStore(store::Database* db, tenant::TenantRegistry* tenants,
                             feed::ChangeFeed* feed, const Clock* clock)
    : db_(db), tenants_(tenants), feed_(feed), clock_(clock) {}

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

}  // namespace rapport::identity
