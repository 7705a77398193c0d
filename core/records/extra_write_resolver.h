// File: core/records/extra_write_resolver.h
//
// Plugin keyspace transactions (ABI 1.2): turns a call's ExtraWrites (puts,
// deletes, counter adds, and the reads it made) into the plain puts and
// deletes of a WriteBatch, checking that every read is still current.
//
// Run it while holding the commit lock (ChangeFeed::LockCommits), so that
// nothing commits between the check and the write. One resolver serves one
// WriteBatch: a call resolved after another of the same batch sees its
// writes, and a read the earlier call's writes invalidated is a conflict.
#ifndef RAPPORT_CORE_RECORDS_EXTRA_WRITE_RESOLVER_H_
#define RAPPORT_CORE_RECORDS_EXTRA_WRITE_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/records/write_hooks.h"
#include "core/store/database.h"

namespace rapport::records {

// An order-independent digest of a scanned range's entries: add
// EntryDigest(key, value) for each entry.
uint64_t EntryDigest(std::string_view key, std::string_view value);

// The 8-byte little-endian encoding of a kv_add counter.
std::string EncodeCounter(int64_t value);
// False if `bytes` is not 8 bytes long.
bool DecodeCounter(std::string_view bytes, int64_t* value);

class ExtraWriteResolver {
 public:
  explicit ExtraWriteResolver(store::Database* db) : db_(db) {}

  // The plain puts and deletes for `writes`, followed by their module events
  // (kEvent, unchanged and in order), or:
  //   ABORTED             a read is no longer current (`conflict` set true);
  //   OUT_OF_RANGE        a counter add overflows int64;
  //   FAILED_PRECONDITION a counter add meets a value that is not a counter.
  // The message names the key (`describe` renders one for the caller). On
  // error nothing is remembered; on success later calls see these writes.
  absl::StatusOr<std::vector<ExtraWrite>> Resolve(
      const std::vector<ExtraWrite>& writes, bool* conflict = nullptr,
      const std::function<std::string(std::string_view key)>& describe = nullptr);

 private:
  // The key's value as of the store plus the writes resolved so far.
  absl::StatusOr<std::optional<std::string>> Current(
      const std::string& key, const std::map<std::string, std::optional<std::string>>& local);
  absl::StatusOr<uint64_t> RangeDigest(
      const std::string& lo, const std::string& hi,
      const std::map<std::string, std::optional<std::string>>& local);

  store::Database* db_;
  std::map<std::string, std::optional<std::string>> overlay_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_EXTRA_WRITE_RESOLVER_H_
