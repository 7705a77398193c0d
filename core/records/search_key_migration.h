// File: core/records/search_key_migration.h
//
// Search-index entries (the kSearch indexes: name_search,
// organization_match, …) are derived from a record's text when it is written
// and stored. When the derivation changes, entries written before no longer
// match what the record implies: search misses old records, a rename leaves
// the old keys behind, and fsck reports them. So the derivation has a
// version, stored in the meta family (keyspace.h: 'v'), and on open every
// data directory written with an older one is brought up to date once:
// every kSearch entry of every tenant is deleted and re-derived from the
// records. No change events (records do not change), no counters.
//
//   version 1  NFD + Unicode case folding + NFC (until issue 12)
//   version 2  NFKC_Casefold: also folds width and compatibility forms
//              (`ＡＢＣ` = `abc`, half-width katakana, ligatures)
//
// Crash-safe: the version is written after the last batch; an interrupted
// migration runs again from the start on the next open (it is idempotent).
#ifndef RAPPORT_CORE_RECORDS_SEARCH_KEY_MIGRATION_H_
#define RAPPORT_CORE_RECORDS_SEARCH_KEY_MIGRATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/store/database.h"

namespace rapport::records {

inline constexpr uint32_t kSearchKeyVersion = 2;

struct SearchKeyMigration {
  // The version found (0: a new, empty data directory).
  uint32_t from_version = 0;
  bool ran = false;
  uint64_t records = 0;
  uint64_t entries_removed = 0;
  uint64_t entries_written = 0;
};

// Brings the search-index entries of `db` to kSearchKeyVersion (see above).
// A new data directory (no tenants yet) just records the version.
absl::StatusOr<SearchKeyMigration> MigrateSearchKeys(store::Database* db);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_SEARCH_KEY_MIGRATION_H_
