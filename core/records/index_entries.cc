#include "core/records/index_entries.h"

#include <algorithm>
#include <cstring>

namespace rapport::records {

void EncodeScalar(store::KeyWriter& key, const Scalar& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    key.String(*s);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    key.I64(*i);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    key.I64(*b ? 1 : 0);
  } else {
    double d = std::get<double>(value);
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    // Negative doubles: flip all bits; positive: flip the sign bit.
    bits = (bits & 0x8000000000000000ULL) ? ~bits : (bits | 0x8000000000000000ULL);
    key.U64(bits);
  }
}

std::vector<std::string> IndexKeysFor(store::TenantId tenant, const ResourceKind& kind,
                                      const google::protobuf::Message& record,
                                      std::string_view id16, const v1::AttributeSchema& schema) {
  std::vector<std::string> keys;
  for (const IndexSpec& index : kind.indexes) {
    std::string base = store::IndexPrefix(tenant, index.id);
    switch (index.kind) {
      case IndexSpec::Kind::kSearch:
        for (const Scalar& v : index.derive(record)) {
          store::KeyWriter key(base);
          EncodeScalar(key, v);
          keys.push_back(key.Bytes16(id16).Release());
        }
        break;
      case IndexSpec::Kind::kMap:
        for (auto& [map_key, value] : ExtractMapEntries(record, index.refs[0])) {
          if (index.refs[0].leaf == FieldRef::Leaf::kAttribute) {
            bool indexed = false;
            for (const auto& def : schema.attributes())
              if (def.name() == map_key) indexed = def.indexed();
            if (!indexed) continue;
          }
          store::KeyWriter key(base);
          key.String(map_key);
          EncodeScalar(key, value);
          keys.push_back(key.Bytes16(id16).Release());
        }
        break;
      case IndexSpec::Kind::kFields: {
        // Cartesian product over the (possibly repeated) fields.
        std::vector<std::string> partial = {base};
        for (const FieldRef& ref : index.refs) {
          std::vector<std::string> next;
          for (const Scalar& v : ExtractValues(record, ref)) {
            for (const std::string& p : partial) {
              store::KeyWriter key(p);
              EncodeScalar(key, v);
              next.push_back(key.Release());
            }
          }
          partial = std::move(next);
        }
        for (std::string& p : partial)
          keys.push_back(store::KeyWriter(std::move(p)).Bytes16(id16).Release());
        break;
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::string IndexValuePrefix(store::TenantId tenant, const IndexSpec& index,
                             const std::vector<Scalar>& values) {
  store::KeyWriter key(store::IndexPrefix(tenant, index.id));
  for (const Scalar& v : values) EncodeScalar(key, v);
  return key.Release();
}

}  // namespace rapport::records
