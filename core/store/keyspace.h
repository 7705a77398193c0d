// File: core/store/keyspace.h
//
// THE STORAGE CONTRACT. Every key rapportd writes, in every column family,
// is built by a function in this file, and every byte value that selects a
// kind of key is listed here. These values are on disk: never change or
// reuse one; add new ones. (LevelDB's dbformat.h is the model.) Components
// are encoded by core/store/key_codec.h; tests/core/store/keyspace_test.cc
// checks that no two prefixes can collide.
//
// meta family: the first byte says what the key is (MetaPrefix):
//   'N' tenant name      := 'N' name:string                         -> tenant:u32be
//   'n' next tenant      := 'n'                                     -> u32be
//   's' page secret      := 's'                                     -> 32 random bytes
//   'q' last sequence    := 'q'                                     -> u64be, the feed sequence
//                                                                      of the last commit
//   'v' search keys      := 'v'                                     -> u32be, the version of the
//                                                                      search-key derivation
//                                                                      (records/search_key_migration.h)
//   'S' schema           := 'S' tenant:u32be type:u8                -> AttributeSchema
//   'I' idempotency      := 'I' tenant:u32be type:u8 request_id:string
//                                                                   -> fingerprint:bytes8 +
//                                                                      the created record
//   'P' feed pruned      := 'P' tenant:u32be                        -> u64be: events <= this may
//                                                                      be gone (retention)
//   'C' feed consumer    := 'C' tenant:u32be consumer:string        -> u64be acknowledged
//   'D' tenant record    := 'D' tenant:u32be                        -> Tenant
//   'B' operator tenant  := 'B'                                     -> tenant:u32be
//   'U' user             := 'U' tenant:u32be id:string              -> User
//   'T' team             := 'T' tenant:u32be id:string              -> Team
//   'K' API token        := 'K' token_id:bytes16                    -> hash:bytes32 tenant:u32be
//                                                                      ApiToken
//   'A' audit entry      := 'A' tenant:u32be seq:u64be              -> AuditEntry (newest 1000)
//   'G' rollout rule     := 'G' tenant:u32be module:string          -> RolloutRule
//   'X' plugin key       := 'X' tenant:u32be plugin:string key:bytes -> the plugin's value
//   'Y' plugin cursor    := 'Y' plugin:string tenant:u32be          -> u64be
//   'Z' dead letter      := 'Z' plugin:string tenant:u32be seq:u64be -> DeadLetter
//   'W' shadow record    := 'W' plugin:string tenant:u32be n:u64be  -> ShadowRecord
//   'M' timer            := 'M' plugin:string tenant:u32be key:bytes -> when:u64be attempts:u32be
//                                                                      payload:bytes
//   'O' timer due        := 'O' plugin:string when:u64be tenant:u32be key:bytes -> ""
//   'L' timer count      := 'L' plugin:string tenant:u32be          -> int64 pending timers
//                                                                      (little-endian, kv_add)
//   'R' backfill         := 'R' plugin:string tenant:u32be          -> BackfillStatus
//   'Z' timer dead letter:= 'Z' plugin:string tenant:u32be 0:u64be key:bytes -> DeadLetter
//                           (sequence 0 is never an event's: timer letters sort first)
//
// entity    record       := tenant:u32be type:u8 id:bytes16         -> record proto
// index     entry        := tenant:u32be index:u16be component... id:bytes16
//                                                                   -> "" (unique indexes too:
//                                                                      uniqueness is checked on
//                                                                      the prefix before the id)
// feed      event        := tenant:u32be sequence:u64be             -> ChangeEvent
// counters  feed count   := tenant:u32be 0xFE                       -> int64 events in the
//                                                                      tenant's feed
//           record count := tenant:u32be type:u8                    -> int64 (little-endian,
//                                                                      merged with add)
//
// `type` is StoredResourceType (customer 1, interaction 2, opportunity 3):
// the same numbers as the plugin ABI's rapport_resource and
// rapport.v1.ResourceType (static_asserts in core/records/resource_kind.cc).
// Index ids are the IndexSpec ids of core/records/resource_kind.cc, also on
// disk. Tenant 0 is reserved for server-wide state. Record IDs are ULIDs (16
// bytes, time-ordered), so the entity family is also in creation order.
#ifndef RAPPORT_CORE_STORE_KEYSPACE_H_
#define RAPPORT_CORE_STORE_KEYSPACE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/store/key_codec.h"

namespace rapport::store {

using TenantId = uint32_t;

// The first byte of every meta-family key. On disk: never change a value.
enum class MetaPrefix : uint8_t {
  kTenantName = 'N',
  kNextTenant = 'n',
  kPageSecret = 's',
  kLastSequence = 'q',
  kSearchKeyVersion = 'v',
  kSchema = 'S',
  kIdempotency = 'I',
  kFeedPruned = 'P',
  kFeedConsumer = 'C',
  kTenantRecord = 'D',
  kOperatorTenant = 'B',
  kUser = 'U',
  kTeam = 'T',
  kApiToken = 'K',
  kAuditEntry = 'A',
  kRolloutRule = 'G',
  kPluginKey = 'X',
  kPluginCursor = 'Y',
  kDeadLetter = 'Z',
  kShadowRecord = 'W',
  kTimer = 'M',
  kTimerDue = 'O',
  kTimerCount = 'L',
  kBackfill = 'R',
};
inline constexpr MetaPrefix kAllMetaPrefixes[] = {
    MetaPrefix::kTenantName,   MetaPrefix::kNextTenant,       MetaPrefix::kPageSecret,
    MetaPrefix::kLastSequence, MetaPrefix::kSearchKeyVersion, MetaPrefix::kSchema,
    MetaPrefix::kIdempotency,  MetaPrefix::kFeedPruned,       MetaPrefix::kFeedConsumer,
    MetaPrefix::kTenantRecord, MetaPrefix::kOperatorTenant,   MetaPrefix::kUser,
    MetaPrefix::kTeam,         MetaPrefix::kApiToken,         MetaPrefix::kAuditEntry,
    MetaPrefix::kRolloutRule,  MetaPrefix::kPluginKey,        MetaPrefix::kPluginCursor,
    MetaPrefix::kDeadLetter,   MetaPrefix::kShadowRecord,     MetaPrefix::kTimer,
    MetaPrefix::kTimerDue,     MetaPrefix::kTimerCount,       MetaPrefix::kBackfill,
};

// The resource type byte of entity, counter, schema and idempotency keys.
// On disk: never change a value.
enum class StoredResourceType : uint8_t { kCustomer = 1, kInteraction = 2, kOpportunity = 3 };
// The counters-family byte after the tenant that is not a resource type.
inline constexpr uint8_t kFeedCountTag = 0xFE;

inline KeyWriter Meta(MetaPrefix prefix) { return KeyWriter().U8(static_cast<uint8_t>(prefix)); }

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
  return KeyWriter().U32(tenant).U8(kFeedCountTag).Release();
}

// --- meta family (see the table at the top).
inline std::string TenantNameKey(std::string_view name) {
  return Meta(MetaPrefix::kTenantName).String(name).Release();
}
inline std::string NextTenantKey() { return Meta(MetaPrefix::kNextTenant).Release(); }
inline std::string PageSecretKey() { return Meta(MetaPrefix::kPageSecret).Release(); }
inline std::string LastSequenceKey() { return Meta(MetaPrefix::kLastSequence).Release(); }
inline std::string SearchKeyVersionKey() { return Meta(MetaPrefix::kSearchKeyVersion).Release(); }
inline std::string SchemaKey(TenantId tenant, uint8_t type) {
  return Meta(MetaPrefix::kSchema).U32(tenant).U8(type).Release();
}
inline std::string IdempotencyKey(TenantId tenant, uint8_t type, std::string_view request_id) {
  return Meta(MetaPrefix::kIdempotency).U32(tenant).U8(type).String(request_id).Release();
}
inline std::string FeedPrunedKey(TenantId tenant) {
  return Meta(MetaPrefix::kFeedPruned).U32(tenant).Release();
}
inline std::string ConsumerKey(TenantId tenant, std::string_view consumer) {
  return Meta(MetaPrefix::kFeedConsumer).U32(tenant).String(consumer).Release();
}
// Identity (core/identity/identity_store.h).
inline std::string TenantRecordKey(TenantId tenant) {
  return Meta(MetaPrefix::kTenantRecord).U32(tenant).Release();
}
inline std::string TenantRecordPrefix() { return Meta(MetaPrefix::kTenantRecord).Release(); }
inline std::string OperatorKey() { return Meta(MetaPrefix::kOperatorTenant).Release(); }
inline std::string UserKey(TenantId tenant, std::string_view id) {
  return Meta(MetaPrefix::kUser).U32(tenant).String(id).Release();
}
inline std::string UserPrefix(TenantId tenant) {
  return Meta(MetaPrefix::kUser).U32(tenant).Release();
}
inline std::string TeamKey(TenantId tenant, std::string_view id) {
  return Meta(MetaPrefix::kTeam).U32(tenant).String(id).Release();
}
inline std::string TeamPrefix(TenantId tenant) {
  return Meta(MetaPrefix::kTeam).U32(tenant).Release();
}
inline std::string TokenKey(std::string_view id16) {
  return Meta(MetaPrefix::kApiToken).Bytes16(id16).Release();
}
inline std::string TokenPrefix() { return Meta(MetaPrefix::kApiToken).Release(); }
inline std::string AuditKey(TenantId tenant, uint64_t seq) {
  return Meta(MetaPrefix::kAuditEntry).U32(tenant).U64(seq).Release();
}
inline std::string AuditPrefix(TenantId tenant) {
  return Meta(MetaPrefix::kAuditEntry).U32(tenant).Release();
}
// Modules (core/plugin_host/).
inline std::string RolloutRuleKey(TenantId tenant, std::string_view module) {
  return Meta(MetaPrefix::kRolloutRule).U32(tenant).String(module).Release();
}
inline std::string PluginKvPrefix(TenantId tenant, std::string_view plugin) {
  return Meta(MetaPrefix::kPluginKey).U32(tenant).String(plugin).Release();
}
// Splits a plugin keyspace key (PluginKvPrefix + the plugin's own key) into
// the plugin's name and its own key; false if `key` is not one.
inline bool SplitPluginKey(std::string_view key, std::string* plugin, std::string* own_key) {
  KeyReader reader(key);
  uint8_t prefix = 0;
  uint32_t tenant = 0;
  if (!reader.U8(&prefix) || prefix != static_cast<uint8_t>(MetaPrefix::kPluginKey) ||
      !reader.U32(&tenant) || !reader.String(plugin)) {
    return false;
  }
  *own_key = std::string(reader.rest());
  return true;
}
// Durable timers (core/plugin_host/call_timers.cc).
inline std::string TimerKey(std::string_view plugin, TenantId tenant, std::string_view key) {
  return Meta(MetaPrefix::kTimer).String(plugin).U32(tenant).Raw(key).Release();
}
inline std::string TimerDuePrefix(std::string_view plugin) {
  return Meta(MetaPrefix::kTimerDue).String(plugin).Release();
}
inline std::string TimerDueKey(std::string_view plugin, uint64_t when_micros, TenantId tenant,
                               std::string_view key) {
  return Meta(MetaPrefix::kTimerDue).String(plugin).U64(when_micros).U32(tenant).Raw(key).Release();
}
inline std::string TimerCountKey(std::string_view plugin, TenantId tenant) {
  return Meta(MetaPrefix::kTimerCount).String(plugin).U32(tenant).Release();
}
// A module's backfill of a tenant (core/plugin_host/backfill.cc).
inline std::string BackfillKey(std::string_view plugin, TenantId tenant) {
  return Meta(MetaPrefix::kBackfill).String(plugin).U32(tenant).Release();
}
// A plugin keyspace key as the plugin wrote it, and a timer key as
// "timer 'KEY'", for messages (the key itself if it is neither).
inline std::string DescribePluginKey(std::string_view key) {
  std::string plugin, own_key;
  if (SplitPluginKey(key, &plugin, &own_key)) return own_key;
  KeyReader reader(key);
  uint8_t prefix = 0;
  uint32_t tenant = 0;
  if (reader.U8(&prefix) && prefix == static_cast<uint8_t>(MetaPrefix::kTimer) &&
      reader.String(&plugin) && reader.U32(&tenant)) {
    return "timer '" + std::string(reader.rest()) + "'";
  }
  return std::string(key);
}
inline std::string PluginCursorKey(std::string_view plugin, TenantId tenant) {
  return Meta(MetaPrefix::kPluginCursor).String(plugin).U32(tenant).Release();
}
inline std::string DeadLetterPrefix(std::string_view plugin, TenantId tenant) {
  return Meta(MetaPrefix::kDeadLetter).String(plugin).U32(tenant).Release();
}
inline std::string ShadowPrefix(std::string_view plugin, TenantId tenant) {
  return Meta(MetaPrefix::kShadowRecord).String(plugin).U32(tenant).Release();
}

}  // namespace rapport::store

#endif  // RAPPORT_CORE_STORE_KEYSPACE_H_
