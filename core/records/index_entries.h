// File: core/records/index_entries.h
//
// The index keys a record owns. Key layout (see core/store/keyspace.h):
//
//   kFields  := tenant:u32be index:u16be value(field 1) ... value(field n) id:bytes16
//   kMap     := tenant:u32be index:u16be map_key:string value id:bytes16
//   kSearch  := tenant:u32be index:u16be derived:string id:bytes16
//
//   value    := string            for strings and enum names
//             | i64               for integers, Timestamps (µs), Dates (yyyymmdd)
//             | i64 (0 or 1)      for bools
//             | u64 (sign-folded) for doubles, so their byte order is numeric
#ifndef RAPPORT_CORE_RECORDS_INDEX_ENTRIES_H_
#define RAPPORT_CORE_RECORDS_INDEX_ENTRIES_H_

#include <string>
#include <vector>

#include "core/records/resource_kind.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::records {

// Appends the order-preserving encoding of `value`.
void EncodeScalar(store::KeyWriter& key, const Scalar& value);

// Every index key of `record` (whose 16-byte id is `id16`), sorted and
// without duplicates. `schema` decides which attributes are indexed.
std::vector<std::string> IndexKeysFor(store::TenantId tenant, const ResourceKind& kind,
                                      const google::protobuf::Message& record,
                                      std::string_view id16, const v1::AttributeSchema& schema);

// The key prefix of `index` entries whose leading components equal `values`.
std::string IndexValuePrefix(store::TenantId tenant, const IndexSpec& index,
                             const std::vector<Scalar>& values);

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_INDEX_ENTRIES_H_
