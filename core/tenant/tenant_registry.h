// File: core/tenant/tenant_registry.h
//
// Maps tenant names (what clients say) to the 32-bit numbers that lead every
// key. Numbers are never reused. Thread-safe.
#ifndef RAPPORT_CORE_TENANT_TENANT_REGISTRY_H_
#define RAPPORT_CORE_TENANT_TENANT_REGISTRY_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/store/database.h"

namespace rapport::tenant {

class TenantRegistry {
 public:
  explicit TenantRegistry(store::Database* db) : db_(db) {}

  // The tenant's number. With create=false, NOT_FOUND for an unknown name;
  // with create=true, registers it. INVALID_ARGUMENT if the name is not
  // [a-z0-9][a-z0-9_-]{0,62}.
  absl::StatusOr<uint32_t> Resolve(std::string_view name, bool create);

  static absl::Status ValidateName(std::string_view name);

 private:
  store::Database* db_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> cache_;
};

}  // namespace rapport::tenant

#endif  // RAPPORT_CORE_TENANT_TENANT_REGISTRY_H_
