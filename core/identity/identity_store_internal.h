// File: core/identity/identity_store_internal.h
//
// What the identity store's files share; not for use outside core/identity/.
// The store is split by job:
//   identity_store.cc  construction, the admin check, one commit with its event
//   tenants.cc         bootstrap, tenant records, creating and listing tenants
//   tokens.cc          API tokens: parsing, authentication, issuing, revoking
//   directory.cc       users and teams, and the Principal built from them
//   audit_log.cc       the audit log of denied calls
#ifndef RAPPORT_CORE_IDENTITY_IDENTITY_STORE_INTERNAL_H_
#define RAPPORT_CORE_IDENTITY_IDENTITY_STORE_INTERNAL_H_

#include "core/common/time_util.h"

namespace rapport::identity::internal {

// The one conversion, from core/common/time_util.h.
using ::rapport::SetTimestamp;

}  // namespace rapport::identity::internal

#endif  // RAPPORT_CORE_IDENTITY_IDENTITY_STORE_INTERNAL_H_
