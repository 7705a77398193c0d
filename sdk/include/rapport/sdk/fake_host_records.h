// File: sdk/include/rapport/sdk/fake_host_records.h
//
// What the fake host (fake_host.h) needs to read records and descriptor
// sets without generated protos or protobuf's runtime: the protobuf wire
// format, the resources' string fields, its small filter language and its
// page tokens. Stateless; not for plugins to use.
#ifndef RAPPORT_SDK_FAKE_HOST_RECORDS_H_
#define RAPPORT_SDK_FAKE_HOST_RECORDS_H_

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rapport/sdk/plugin_abi.h"

namespace rapport::sdk::fake_host_internal {

// FakeHost inherits these (privately), so its code calls them unqualified.
struct RecordWire {
  // Calls fn(field number, wire type, payload, payload size) for each
  // top-level field of serialized message bytes (a length-delimited field's
  // payload is its contents); false if they are not well-formed wire format
  // (groups included: proto3 has none).
  template <typename Fn>
  static bool ForEachField(const uint8_t* p, size_t size, Fn fn) {
    const uint8_t* end = p + size;
    auto varint = [&](uint64_t* v) {
      *v = 0;
      for (int shift = 0; shift < 64 && p < end; shift += 7) {
        const uint8_t byte = *p++;
        *v |= uint64_t{byte & 0x7fu} << shift;
        if ((byte & 0x80) == 0) return true;
      }
      return false;
    };
    while (p < end) {
      uint64_t tag = 0, n = 0;
      if (!varint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return false;
      const uint8_t* payload = p;
      switch (tag & 7) {
        case 0:
          if (!varint(&n)) return false;
          break;
        case 1:
          if (end - p < 8) return false;
          p += 8;
          break;
        case 2:
          if (!varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
          payload = p;
          p += n;
          break;
        case 5:
          if (end - p < 4) return false;
          p += 4;
          break;
        default:
          return false;
      }
      fn(static_cast<uint32_t>(tag >> 3), static_cast<int>(tag & 7), payload,
         static_cast<size_t>(p - payload));
    }
    return true;
  }
  // rapportd parses the bytes as a google.protobuf.FileDescriptorSet and
  // wants a file in it. The fake checks the same without protobuf's
  // descriptors: well-formed wire format with at least one field 1
  // (`file`) of wire type 2. It does not look inside the files.
  static bool LooksLikeDescriptorSet(rapport_bytes set) {
    if (set.data == nullptr) return false;
    bool file = false;
    const bool well_formed =
        ForEachField(set.data, set.size, [&](uint32_t field, int wire, const uint8_t*, size_t) {
          file = file || (field == 1 && wire == 2);
        });
    return well_formed && file;
  }
  struct StringField {
    const char* name;
    uint32_t number;
  };
  // The top-level singular string fields of each resource
  // (protos/rapport/v1/*.proto) a filter may compare.
  static std::vector<StringField> FilterFields(rapport_resource resource) {
    switch (resource) {
      case RAPPORT_RESOURCE_CUSTOMER:
        return {{"id", 1}, {"display_name", 3}, {"organization_id", 4}, {"owner", 8}};
      case RAPPORT_RESOURCE_INTERACTION:
        return {{"id", 1},    {"customer_id", 6}, {"opportunity_id", 7},
                {"owner", 8}, {"subject", 9},     {"body", 10}};
      case RAPPORT_RESOURCE_OPPORTUNITY:
        return {{"id", 1},    {"customer_id", 2}, {"name", 3},         {"pipeline", 5},
                {"stage", 6}, {"owner", 10},      {"close_reason", 11}};
    }
    return {};
  }
  static constexpr uint32_t kDisplayNameField = 3;  // rapport.v1.Customer
  static uint32_t OwnerField(rapport_resource resource) {
    return resource == RAPPORT_RESOURCE_OPPORTUNITY ? 10 : 8;
  }
  static bool ValidResource(rapport_resource resource) {
    return resource >= RAPPORT_RESOURCE_CUSTOMER && resource <= RAPPORT_RESOURCE_OPPORTUNITY;
  }
  static std::string ResourceName(rapport_resource resource) {
    return resource == RAPPORT_RESOURCE_CUSTOMER      ? "customer"
           : resource == RAPPORT_RESOURCE_INTERACTION ? "interaction"
                                                      : "opportunity";
  }

  // A record's top-level length-delimited fields, the last of each number
  // (as a parser keeps a singular field); nullopt if the bytes are not a
  // message.
  using Decoded = std::map<uint32_t, std::string>;
  static std::optional<Decoded> Decode(const std::string& bytes) {
    Decoded fields;
    const bool ok =
        ForEachField(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                     [&](uint32_t field, int wire, const uint8_t* data, size_t size) {
                       if (wire == 2) {
                         fields[field].assign(reinterpret_cast<const char*>(data), size);
                       }
                     });
    if (!ok) return std::nullopt;
    return fields;
  }
  static std::string FieldOf(const Decoded& record, uint32_t number) {
    auto it = record.find(number);
    return it == record.end() ? std::string() : it->second;
  }
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static std::string Trimmed(const std::string& s) {
    size_t begin = 0, end = s.size();
    while (begin < end && IsSpace(s[begin])) ++begin;
    while (end > begin && IsSpace(s[end - 1])) --end;
    return s.substr(begin, end - begin);
  }

  // (field number, value) pairs a record must all match.
  using Equalities = std::vector<std::pair<uint32_t, std::string>>;
  // Parses a filter the fake host supports into `out`, and a canonical form
  // of it for page tokens; false with the reason otherwise.
  static bool ParseFilter(rapport_resource resource, const std::string& filter, Equalities* out,
                          std::string* canonical, std::string* error) {
    const std::vector<StringField> fields = FilterFields(resource);
    auto unsupported = [&](const std::string& what) {
      std::string names;
      for (const StringField& f : fields) {
        names += (names.empty() ? "" : ", ") + std::string(f.name);
      }
      *error = "the fake host does not support " + what +
               ": it supports \"\" (every record) and field = \"value\" equalities joined by AND "
               "on the " +
               ResourceName(resource) + "'s top-level string fields (" + names + ")";
      return false;
    };
    const std::string whole = "the filter '" + filter + "'";
    const size_t n = filter.size();
    size_t i = 0;
    auto skip = [&] {
      while (i < n && IsSpace(filter[i])) ++i;
    };
    skip();
    if (i == n) return true;
    while (true) {
      const size_t start = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(filter[i])) || filter[i] == '_' ||
                       filter[i] == '.')) {
        ++i;
      }
      const std::string name = filter.substr(start, i - start);
      skip();
      if (name.empty() || i == n || filter[i] != '=') return unsupported(whole);
      ++i;
      skip();
      if (i == n || filter[i] != '"') return unsupported(whole);
      ++i;
      std::string value;
      bool closed = false;
      while (i < n && !closed) {
        const char c = filter[i++];
        if (c == '"') {
          closed = true;
        } else if (c != '\\') {
          value += c;
        } else if (i < n && (filter[i] == '"' || filter[i] == '\\')) {
          value += filter[i++];
        } else {
          return unsupported(whole);
        }
      }
      if (!closed) return unsupported(whole);
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const StringField& f) { return name == f.name; });
      if (field == fields.end()) return unsupported("filtering on '" + name + "'");
      out->emplace_back(field->number, value);
      *canonical += name + "=" + std::to_string(value.size()) + ":" + value + "\n";
      skip();
      if (i == n) return true;
      if (filter.compare(i, 3, "AND") != 0 || i + 3 == n || !IsSpace(filter[i + 3])) {
        return unsupported(whole);
      }
      i += 3;
      skip();
    }
  }
  static bool Matches(const Equalities& equalities, const Decoded& record) {
    for (const auto& [number, value] : equalities) {
      if (FieldOf(record, number) != value) return false;
    }
    return true;
  }
  // A case-sensitive prefix of display_name from the start of a word.
  static bool NameMatches(const std::string& query, const Decoded& record) {
    const std::string name = FieldOf(record, kDisplayNameField);
    for (size_t i = 0; i < name.size(); ++i) {
      if (IsSpace(name[i]) || (i > 0 && !IsSpace(name[i - 1]))) continue;
      if (name.compare(i, query.size(), query) == 0) return true;
    }
    return false;
  }

  // Page tokens: "fake:" + the query's fingerprint (16 hex digits) + ":" +
  // the last id of the page in hex.
  static std::string Hex(const std::string& bytes) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
    return out;
  }
  static bool Unhex(const std::string& hex, std::string* out) {
    auto digit = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    if (hex.size() % 2 != 0) return false;
    out->clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
    }
    return true;
  }
  static std::string Fingerprint(const std::string& query) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : query) h = (h ^ c) * 1099511628211ull;
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(h >> (8 * i));
    return Hex(bytes);
  }
  // The id a page token resumes after, with rapportd's reasons for a bad one.
  static bool Resume(const std::string& token, const std::string& fingerprint,
                     std::optional<std::string>* after, std::string* error) {
    after->reset();
    if (token.empty()) return true;
    std::string id;
    if (token.size() < 22 || token.compare(0, 5, "fake:") != 0 || token[21] != ':' ||
        !Unhex(token.substr(22), &id)) {
      *error = "is not a token this server issued";
      return false;
    }
    if (token.compare(5, 16, fingerprint) != 0) {
      *error =
          "was issued for a different query; pass the same filter and order_by as the first "
          "page, or start again without a token";
      return false;
    }
    *after = std::move(id);
    return true;
  }
  static void AppendBytesField(std::string* out, uint32_t field, const std::string& bytes) {
    auto varint = [out](uint64_t v) {
      while (v >= 0x80) {
        *out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
      }
      *out += static_cast<char>(v);
    };
    varint((uint64_t{field} << 3) | 2);
    varint(bytes.size());
    *out += bytes;
  }
};

}  // namespace rapport::sdk::fake_host_internal

#endif  // RAPPORT_SDK_FAKE_HOST_RECORDS_H_
