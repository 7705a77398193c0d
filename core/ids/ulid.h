// File: core/ids/ulid.h
//
// Record IDs: ULIDs (https://github.com/ulid/spec). 16 bytes: a 48-bit
// big-endian Unix time in milliseconds, then 80 random bits. As text, 26
// characters of Crockford base32. Byte order == text order == creation order,
// so IDs sort by time in keys and in listings.
#ifndef RAPPORT_CORE_IDS_ULID_H_
#define RAPPORT_CORE_IDS_ULID_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rapport/sdk/ids.h"

namespace rapport::ids {

// Generates monotonic ULIDs: within one millisecond the random part is
// incremented, so IDs from one generator are strictly increasing.
// Thread-safe. The one implementation is the SDK's (rapport/sdk/ids.h), so
// core and modules make IDs the same way.
class UlidGenerator {
 public:
  // Returns 16 raw bytes. `now_ms` is the Unix time in milliseconds.
  std::string Next(int64_t now_ms) { return generator_.NextBytes(now_ms); }

 private:
  sdk::UlidGenerator generator_;
};

// 16 bytes -> 26 characters.
std::string UlidToString(std::string_view bytes16);
// 26 characters (case-insensitive) -> 16 bytes; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> UlidFromString(std::string_view text);
// The millisecond timestamp carried in the first 6 bytes.
int64_t UlidTimeMs(std::string_view bytes16);

}  // namespace rapport::ids

#endif  // RAPPORT_CORE_IDS_ULID_H_
