#include "core/tenant/tenant_registry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/strings.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::tenant {

absl::Status TenantRegistry::ValidateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 &&
            (absl::ascii_islower(name[0]) || absl::ascii_isdigit(name[0]));
  for (char c : name)
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_');
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("tenant: '", AsAbsl(name.substr(0, 64)),
                                                   "' must match [a-z0-9][a-z0-9_-]{0,62}"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> TenantRegistry::Resolve(std::string_view name, bool create) {
  if (auto s = ValidateName(name); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = cache_.find(std::string(name)); it != cache_.end()) return it->second;
  auto existing = db_->Get(db_->meta(), store::TenantNameKey(name));
  if (existing.ok()) {
    uint32_t id = 0;
    store::KeyReader reader(*existing);
    if (!reader.U32(&id)) return absl::DataLossError("corrupt tenant registry entry");
    cache_.emplace(std::string(name), id);
    return id;
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  if (!create)
    return absl::NotFoundError(absl::StrCat("tenant '", AsAbsl(name), "' does not exist"));
  uint32_t next = 1;  // 0 is reserved for server-wide state
  auto counter = db_->Get(db_->meta(), store::NextTenantKey());
  if (counter.ok()) {
    store::KeyReader reader(*counter);
    if (!reader.U32(&next)) return absl::DataLossError("corrupt tenant counter");
  } else if (!absl::IsNotFound(counter.status())) {
    return counter.status();
  }
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::TenantNameKey(name), store::KeyWriter().U32(next).key());
  batch.Put(db_->meta(), store::NextTenantKey(), store::KeyWriter().U32(next + 1).key());
  if (auto s = db_->Write(&batch); !s.ok()) return s;
  cache_.emplace(std::string(name), next);
  return next;
}

}  // namespace rapport::tenant
