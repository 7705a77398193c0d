// File: core/identity/audit_log.cc
//
// The audit log of denied calls: a bounded, per-tenant sequence of
// entries (kAuditEntriesKept), appended best-effort and listed newest first.

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/common/status_util.h"
#include "core/identity/identity_store.h"
#include "core/identity/identity_store_internal.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::identity {
namespace {

using internal::SetTimestamp;
using store::AuditKey;
using store::AuditPrefix;
using store::KeyReader;

}  // namespace

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

absl::StatusOr<std::vector<v1::AuditEntry>> IdentityStore::ListAudit(const Principal& caller,
                                                                     int limit) {
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
      if (e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
        entries.push_back(std::move(e));
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
