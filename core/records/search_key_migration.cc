#include "core/records/search_key_migration.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/records/index_entries.h"
#include "core/records/resource_kind.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::records {
namespace {

constexpr size_t kBatchOps = 1000;

// Writes `batch` once it holds kBatchOps operations (or when `force`).
absl::Status Flush(store::Database* db, rocksdb::WriteBatch* batch, bool force) {
  if (batch->Count() == 0 || (!force && batch->Count() < kBatchOps)) return absl::OkStatus();
  absl::Status s = db->Write(batch);
  batch->Clear();
  return s;
}

}  // namespace

absl::StatusOr<SearchKeyMigration> MigrateSearchKeys(store::Database* db) {
  SearchKeyMigration out;
  auto stored = db->Get(db->meta(), store::SearchKeyVersionKey());
  if (stored.ok()) {
    store::KeyReader reader(*stored);
    if (!reader.U32(&out.from_version)) return absl::DataLossError("corrupt search-key version");
    if (out.from_version >= kSearchKeyVersion) return out;
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  // Tenants are numbered 1..next-1 (core/tenant/tenant_registry.h); none yet
  // means a new data directory.
  uint32_t next_tenant = 1;
  auto next = db->Get(db->meta(), store::NextTenantKey());
  if (next.ok()) {
    store::KeyReader reader(*next);
    if (!reader.U32(&next_tenant)) return absl::DataLossError("corrupt tenant counter");
  } else if (!absl::IsNotFound(next.status())) {
    return next.status();
  }
  // Records or index entries of tenants the registry does not (yet) know
  // count too: the last key of each family names the highest tenant there.
  for (rocksdb::ColumnFamilyHandle* family : {db->entity(), db->index()}) {
    auto it = db->NewIterator(family);
    it->SeekToLast();
    if (!it->Valid()) continue;
    store::KeyReader reader(it->key().ToStringView());
    uint32_t tenant = 0;
    if (reader.U32(&tenant) && tenant + 1 > next_tenant) next_tenant = tenant + 1;
  }
  if (out.from_version == 0 && next_tenant <= 1) {
    rocksdb::WriteBatch batch;
    batch.Put(db->meta(), store::SearchKeyVersionKey(),
              store::KeyWriter().U32(kSearchKeyVersion).Release());
    RAPPORT_RETURN_IF_ERROR(db->Write(&batch));
    out.from_version = 0;
    return out;
  }
  out.ran = true;
  if (out.from_version == 0) out.from_version = 1;  // written before versions were recorded
  const v1::AttributeSchema no_schema;              // kSearch keys do not depend on the schema
  rocksdb::WriteBatch batch;
  for (uint32_t tenant = 1; tenant < next_tenant; ++tenant) {
    // 1. Every existing kSearch entry of the tenant goes.
    std::set<uint16_t> search_indexes;
    for (const ResourceKind* kind : AllKinds()) {
      for (const IndexSpec& index : kind->indexes) {
        if (index.kind == IndexSpec::Kind::kSearch) search_indexes.insert(index.id);
      }
    }
    for (uint16_t index : search_indexes) {
      const std::string prefix = store::IndexPrefix(tenant, index);
      auto it = db->NewIterator(db->index());
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        batch.Delete(db->index(), it->key());
        ++out.entries_removed;
        RAPPORT_RETURN_IF_ERROR(Flush(db, &batch, false));
      }
      if (!it->status().ok()) return absl::InternalError(it->status().ToString());
    }
    // 2. Each record's entries are derived anew.
    for (const ResourceKind* kind : AllKinds()) {
      bool has_search = false;
      for (const IndexSpec& index : kind->indexes) {
        has_search = has_search || index.kind == IndexSpec::Kind::kSearch;
      }
      if (!has_search) continue;
      const std::string prefix = store::EntityPrefix(tenant, kind->code());
      auto it = db->NewIterator(db->entity());
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        auto record = kind->NewRecord();
        if (!record->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
          return absl::DataLossError(
              absl::StrCat("unreadable ", kind->name, " record while ", "migrating search keys"));
        }
        const std::string id16 = it->key().ToString().substr(prefix.size());
        ++out.records;
        for (const IndexSpec& index : kind->indexes) {
          if (index.kind != IndexSpec::Kind::kSearch) continue;
          const std::string base = store::IndexPrefix(tenant, index.id);
          for (const Scalar& v : index.derive(*record)) {
            store::KeyWriter key(base);
            EncodeScalar(key, v);
            batch.Put(db->index(), key.Bytes16(id16).Release(), "");
            ++out.entries_written;
            RAPPORT_RETURN_IF_ERROR(Flush(db, &batch, false));
          }
        }
      }
      if (!it->status().ok()) return absl::InternalError(it->status().ToString());
    }
    // A tenant's deletes and writes land before the next tenant's, so a
    // crash leaves at most entries the rerun removes again.
    RAPPORT_RETURN_IF_ERROR(Flush(db, &batch, true));
  }
  batch.Put(db->meta(), store::SearchKeyVersionKey(),
            store::KeyWriter().U32(kSearchKeyVersion).Release());
  RAPPORT_RETURN_IF_ERROR(Flush(db, &batch, true));
  return out;
}

}  // namespace rapport::records
