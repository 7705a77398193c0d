// File: core/common/request_context.h
//
// Who is asking, on whose behalf: what every core operation receives from
// services/.
#ifndef RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_
#define RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/access_scope.h"

namespace rapport {

struct RequestContext {
  // Internal tenant number (see core/tenant/tenant_registry.h).
  uint32_t tenant = 0;
  std::string tenant_name;
  // Recorded in the change feed as who made the change.
  std::string principal;
  // The integration the write came from (x-rapport-origin); may be empty.
  std::string origin;
  // The authenticated user (empty for internal calls).
  std::string user_id;
  // The user's teams and all their ancestors (for module targeting).
  std::vector<std::string> teams;
  // The user's roles, lower case ("admin", "manager", "rep", "viewer",
  // "integration"); empty for internal calls.
  std::vector<std::string> roles;
  // What the caller may read and write; null means everything (internal
  // calls and tests).
  std::shared_ptr<const AccessScope> scope;
  // The caller's idempotency key for this request ("" if none): a core
  // write's request_id, or a plugin RPC's x-request-id metadata; recorded in
  // the change events the request causes.
  std::string request_id;
  // How many post-commit hooks deep this write is (0: a client's own);
  // recorded in the change event.
  int hook_depth = 0;

  bool CanRead(std::string_view owner) const { return !scope || scope->CanRead(owner); }
  bool CanWrite() const { return !scope || scope->can_write; }
  bool Restricted() const { return scope && !scope->all; }
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_REQUEST_CONTEXT_H_
