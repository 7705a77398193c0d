// File: core/records/resource_kind.h
//
// The three core resource kinds described as data: their proto message and
// their secondary indexes. The write path, the query planner and fsck all
// work from this table, so a kind's indexes are declared in exactly one place.
#ifndef RAPPORT_CORE_RECORDS_RESOURCE_KIND_H_
#define RAPPORT_CORE_RECORDS_RESOURCE_KIND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/records/field_path.h"
#include "core/store/keyspace.h"
#include "google/protobuf/message.h"
#include "rapport/v1/common.pb.h"

namespace rapport::records {

// The stored type byte (core/store/keyspace.h); the same numbers as the
// plugin ABI's rapport_resource and rapport.v1.ResourceType, which
// resource_kind.cc checks at compile time, so the casts between them are
// exact.
using ResourceType = store::StoredResourceType;

struct IndexSpec {
  enum class Kind {
    // One key component per field in `fields`, from the record's values.
    kFields,
    // fields = {map}: key components (map key, value) per entry. For
    // "attributes", only attributes the schema marks indexed.
    kMap,
    // Prefix-search keys computed by `derive` (e.g. every word-suffix of a
    // name); used by Search, never by filter planning.
    kSearch,
  };
  uint16_t id = 0;
  std::string name;
  Kind kind = Kind::kFields;
  std::vector<std::string> fields;
  std::function<std::vector<Scalar>(const google::protobuf::Message&)> derive;
  // At most one record per key prefix (external refs).
  bool unique = false;
  // `fields` resolved against the kind's descriptor (filled at start-up).
  std::vector<FieldRef> refs;
};

struct ResourceKind {
  ResourceType type;
  std::string name;    // "customer"
  std::string plural;  // "customers"
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::vector<IndexSpec> indexes;

  std::unique_ptr<google::protobuf::Message> NewRecord() const;
  const IndexSpec* FindIndex(std::string_view name) const;
  uint8_t code() const { return static_cast<uint8_t>(type); }
};

// The kind for a type. REQUIRES: a valid type.
const ResourceKind& KindOf(ResourceType type);
// The kind whose message is `descriptor`, or null.
const ResourceKind* KindForDescriptor(const google::protobuf::Descriptor* descriptor);
// Customer, interaction, opportunity.
const std::vector<const ResourceKind*>& AllKinds();

ResourceType FromProto(v1::ResourceType type);
v1::ResourceType ToProto(ResourceType type);

// Index names used by the record store directly.
inline constexpr char kExternalRefIndex[] = "external_ref";
inline constexpr char kAttributeIndex[] = "attributes";
inline constexpr char kNameSearchIndex[] = "name_search";
inline constexpr char kEmailIndex[] = "email";
inline constexpr char kPhoneIndex[] = "phone";
inline constexpr char kOrganizationMatchIndex[] = "organization_match";

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_RESOURCE_KIND_H_
