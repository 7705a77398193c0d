// File: core/store/key_codec.h
//
// Order-preserving encoding of key tuples: for any two tuples a < b (compared
// component by component), Encode(a) < Encode(b) as raw bytes, so RocksDB's
// bytewise comparator sorts keys in tuple order and prefix scans work.
//
// Component encodings:
//   u8/u16/u32/u64  := big-endian, fixed width
//   i64             := big-endian of (value XOR 0x8000000000000000)
//   string          := bytes with 00 escaped as 00 FF, then terminator 00 01
//                      (so "a" < "a\0" < "ab" and no string is a prefix of
//                      another's encoding)
//   bytes16         := 16 raw bytes (record IDs)
//   descending(x)   := every byte of encode(x) complemented (~b)
//
// The keyspace grammar built from these lives in core/store/keyspace.h.
#ifndef RAPPORT_CORE_STORE_KEY_CODEC_H_
#define RAPPORT_CORE_STORE_KEY_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace rapport::store {

// Appends components to a key. Not thread-safe; cheap to create.
class KeyWriter {
 public:
  KeyWriter() = default;
  explicit KeyWriter(std::string prefix) : key_(std::move(prefix)) {}

  KeyWriter& U8(uint8_t v);
  KeyWriter& U16(uint16_t v);
  KeyWriter& U32(uint32_t v);
  KeyWriter& U64(uint64_t v);
  KeyWriter& I64(int64_t v);
  KeyWriter& String(std::string_view v);
  // Appends exactly 16 bytes. REQUIRES: v.size() == 16.
  KeyWriter& Bytes16(std::string_view v);
  // Descending variants: larger values sort first.
  KeyWriter& I64Desc(int64_t v);
  KeyWriter& U64Desc(uint64_t v);
  KeyWriter& StringDesc(std::string_view v);
  // Appends bytes verbatim (an already-encoded component).
  KeyWriter& Raw(std::string_view v);

  const std::string& key() const { return key_; }
  std::string Release() { return std::move(key_); }

 private:
  std::string key_;
};

// Reads components back in the order they were written. Each method returns
// false (and leaves the output unspecified) if the input is malformed.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}

  [[nodiscard]] bool U8(uint8_t* v);
  [[nodiscard]] bool U16(uint16_t* v);
  [[nodiscard]] bool U32(uint32_t* v);
  [[nodiscard]] bool U64(uint64_t* v);
  [[nodiscard]] bool I64(int64_t* v);
  [[nodiscard]] bool String(std::string* v);
  [[nodiscard]] bool Bytes16(std::string* v);
  [[nodiscard]] bool I64Desc(int64_t* v);
  [[nodiscard]] bool U64Desc(uint64_t* v);
  [[nodiscard]] bool StringDesc(std::string* v);
  // Skips one encoded string component (ascending or descending).
  [[nodiscard]] bool SkipString(bool descending);

  std::string_view rest() const { return rest_; }
  bool done() const { return rest_.empty(); }

 private:
  [[nodiscard]] bool Fixed(size_t n, uint64_t* v, bool complement);
  std::string_view rest_;
};

// The smallest key greater than every key starting with `prefix`, or "" if
// there is none (prefix is all 0xFF). Use as an exclusive upper bound.
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace rapport::store

#endif  // RAPPORT_CORE_STORE_KEY_CODEC_H_
