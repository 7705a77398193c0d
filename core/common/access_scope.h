// File: core/common/access_scope.h
//
// Which records a caller may read and write, derived from their roles and
// teams (core/identity/identity_store.h computes it; the record store
// enforces it):
//
//   admin, integration   every record of the tenant
//   manager              records owned by anyone in their teams' subtrees
//   rep                  records owned by themselves or members of their teams
//   viewer               read what a rep would; never write
//
// A record the caller cannot read does not exist for them (NOT_FOUND); one
// they can read but not write is PERMISSION_DENIED.
#ifndef RAPPORT_CORE_COMMON_ACCESS_SCOPE_H_
#define RAPPORT_CORE_COMMON_ACCESS_SCOPE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace rapport {

struct AccessScope {
  // Reads every record of the tenant.
  bool all = true;
  // May create, update and delete (within what it reads).
  bool can_write = true;
  // When !all: the user IDs whose records are readable, sorted.
  std::vector<std::string> owners;
  absl::flat_hash_set<std::string> owner_set;

  bool CanRead(std::string_view owner) const {
    return all || owner_set.contains(absl::string_view(owner.data(), owner.size()));
  }
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_ACCESS_SCOPE_H_
