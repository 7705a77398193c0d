// File: core/store/keyspace.h
//
// The one RocksDB database and its host-owned column families, and the key
// grammar of each (components encoded by core/store/key_codec.h):
//
//   meta      tenant name  := 'N' name:string                    -> tenant:u32be
//             next tenant  := 'n'                                -> u32be
//             page secret  := 's'                                -> 32 random bytes
//             last seq     := 'q'                                -> u64be (the feed
//                                                                   sequence of the
//                                                                   last commit)
//             schema       := 'S' tenant:u32be type:u8           -> AttributeSchema
//             search keys  := 'v'                                -> u32be (the version
//                                                                   of the search-key
//                                                                   derivation the
//                                                                   index entries were
//                                                                   written with; see
//                                                                   records/search_key_
//                                                                   migration.h)
//             idempotency  := 'I' tenant:u32be type:u8 request_id:string
//                                -> request fingerprint:bytes8 + the created record
//   entity    record       := tenant:u32be type:u8 id:bytes16    -> record proto
//   index     entry        := tenant:u32be index:u16be component... id:bytes16
//                                                                -> "" (unique
//                                                                   indexes too:
//                                                                   uniqueness is
//                                                                   checked on the
//                                                                   prefix before
//                                                                   the id)
//   feed      event        := tenant:u32be sequence:u64be        -> ChangeEvent
//   counters  feed count   := tenant:u32be 0xFE                  -> int64 events in
//                                                                   the tenant's feed
//             record count := tenant:u32be type:u8               -> int64 (little-
//                                                                   endian, merged
//                                                                   with add)
//
// Tenant 0 is reserved for server-wide state. Record IDs are ULIDs (16 bytes,
// time-ordered), so the entity family is also in creation order.
#ifndef RAPPORT_CORE_STORE_KEYSPACE_H_
#define RAPPORT_CORE_STORE_KEYSPACE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/store/key_codec.h"

namespace rapport::store {

using TenantId = uint32_t;

// Column family names, in the order they are opened.
inline constexpr const char* kMetaFamily = "meta";
inline constexpr const char* kEntityFamily = "entity";
inline constexpr const char* kIndexFamily = "index";
inline constexpr const char* kFeedFamily = "feed";
inline constexpr const char* kCountersFamily = "counters";

inline std::string EntityPrefix(TenantId tenant, uint8_t type) {
  return KeyWriter().U32(tenant).U8(type).Release();
}
inline std::string EntityKey(TenantId tenant, uint8_t type, std::string_view id16) {
  return KeyWriter().U32(tenant).U8(type).Bytes16(id16).Release();
}
inline std::string IndexPrefix(TenantId tenant, uint16_t index) {
  return KeyWriter().U32(tenant).U16(index).Release();
}
inline std::string FeedKey(TenantId tenant, uint64_t sequence) {
  return KeyWriter().U32(tenant).U64(sequence).Release();
}
inline std::string CounterKey(TenantId tenant, uint8_t type) {
  return KeyWriter().U32(tenant).U8(type).Release();
}
// Events in a tenant's feed (counters family), for size-based retention.
inline std::string FeedCountKey(TenantId tenant) {
  return KeyWriter().U32(tenant).U8(0xFE).Release();
}
inline std::string SchemaKey(TenantId tenant, uint8_t type) {
  return KeyWriter().U8('S').U32(tenant).U8(type).Release();
}
inline std::string IdempotencyKey(TenantId tenant, uint8_t type, std::string_view request_id) {
  return KeyWriter().U8('I').U32(tenant).U8(type).String(request_id).Release();
}
inline std::string TenantNameKey(std::string_view name) {
  return KeyWriter().U8('N').String(name).Release();
}
inline std::string NextTenantKey() { return KeyWriter().U8('n').Release(); }
inline std::string PageSecretKey() { return KeyWriter().U8('s').Release(); }
inline std::string SearchKeyVersionKey() { return KeyWriter().U8('v').Release(); }

}  // namespace rapport::store

#endif  // RAPPORT_CORE_STORE_KEYSPACE_H_
