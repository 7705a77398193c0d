// File: sdk/include/rapport/sdk/keys.h
//
// Typed key builders for a plugin's keyspace. The host keeps a plugin's keys
// in byte order and Scan walks them in that order, so a key layout is an
// index: "due/<micros:20>/<task>" lists tasks by due time with one range
// scan. That only works if numbers sort as numbers (zero-padded to a fixed
// width, or big-endian with the sign bit flipped) and names cannot hold the
// separator. Header-only, standard C++17, no host calls.
//
//   using namespace rapport::sdk;
//   // "topn/minsu/00000001795000000000/01KA..."
//   std::string key = JoinKey({"topn", assignee, ZeroPad(due_micros, 20), task_id});
//   std::vector<std::string> parts = SplitKey(key);  // {"topn", "minsu", "000...", "01KA..."}
//   int64_t due;
//   if (parts.size() != 4 || !ParseZeroPadded(parts[2], &due)) { /* not ours: skip it */ }
//
// Before a user-chosen name goes into a key, check it: IsKeySafeName (or
// KeySafeNameError for the reason), so "a/b" cannot pose as two parts.
// Layouts are on disk: once written, never change one; add a new prefix.
#ifndef RAPPORT_SDK_KEYS_H_
#define RAPPORT_SDK_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::sdk {

// The separator of key parts by convention ('/', as the core's keys and
// SFA's).
inline constexpr char kKeySeparator = '/';

// ---- numbers that sort

// Digits of an int64 at most (INT64_MAX has 19; 20 leaves room, and is the
// width SFA uses for micros).
inline constexpr int kInt64Digits = 20;

// `value` in decimal, zero-padded on the left to `width` digits, so that
// equal-width numbers sort numerically: ZeroPad(42, 6) == "000042". A
// negative value is written as 0 (clamped: byte order cannot hold a minus
// sign; use SortableInt64 for signed values). A value with more digits than
// `width` is written whole, and then sorts wrongly: choose a width for the
// largest value (10 for versions, 12 for revisions, 20 for micros).
inline std::string ZeroPad(int64_t value, int width) {
  if (value < 0) value = 0;
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// Reads decimal digits back (any width, leading zeros allowed): false for
// an empty text, a non-digit or a value above INT64_MAX.
inline bool ParseZeroPadded(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    if (v > (static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(c - '0')) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = static_cast<int64_t>(v);
  return true;
}

// Any int64, negatives too, as exactly 20 decimal digits whose byte order is
// the numeric order: the value plus 2^63 (INT64_MIN -> "00000000000000000000",
// 0 -> "09223372036854775808", INT64_MAX -> "18446744073709551615").
inline std::string SortableInt64(int64_t value) {
  const uint64_t biased = static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
  std::string digits = std::to_string(biased);
  digits.insert(0, kInt64Digits - digits.size(), '0');
  return digits;
}
// The inverse of SortableInt64: false unless `text` is exactly 20 digits of
// a value it can have written.
inline bool ParseSortableInt64(std::string_view text, int64_t* value) {
  if (text.size() != static_cast<size_t>(kInt64Digits)) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *value = static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  return true;
}

// `value` as 8 big-endian bytes: byte order == numeric order, and shorter
// than decimal. The bytes may be anything, '/' and NUL included, so put a
// binary number last in a key, or slice it by its fixed width; never
// SplitKey it.
inline std::string BigEndian64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}
// A signed value as 8 big-endian bytes with the sign bit flipped, so
// negatives sort before positives.
inline std::string BigEndianInt64(int64_t value) {
  return BigEndian64(static_cast<uint64_t>(value) ^ (uint64_t{1} << 63));
}
// Read back: false unless `bytes` is exactly 8 bytes.
inline bool ParseBigEndian64(std::string_view bytes, uint64_t* value) {
  if (bytes.size() != 8) return false;
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  *value = v;
  return true;
}
inline bool ParseBigEndianInt64(std::string_view bytes, int64_t* value) {
  uint64_t v;
  if (!ParseBigEndian64(bytes, &v)) return false;
  *value = static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  return true;
}

// ---- names in keys

// The longest name IsKeySafeName accepts by default, in bytes.
inline constexpr size_t kMaxKeyNameBytes = 64;

// "" when `name` can be one part of a key: 1..max_bytes bytes, no
// `separator`, no control characters (below 0x20, or 0x7f), no leading or
// trailing space. Otherwise why not, without the field, e.g. "cannot hold
// '/'": prefix your field path.
inline std::string KeySafeNameError(std::string_view name, char separator = kKeySeparator,
                                    size_t max_bytes = kMaxKeyNameBytes) {
  if (name.empty()) return "must not be empty";
  if (name.size() > max_bytes) {
    return "is " + std::to_string(name.size()) + " bytes; at most " + std::to_string(max_bytes) +
           " are allowed";
  }
  if (name.front() == ' ' || name.back() == ' ') return "cannot begin or end with a space";
  for (unsigned char c : name) {
    if (c == static_cast<unsigned char>(separator)) {
      return std::string("cannot hold '") + separator + "'";
    }
    if (c < 0x20 || c == 0x7f) return "cannot hold control characters";
  }
  return "";
}
inline bool IsKeySafeName(std::string_view name, char separator = kKeySeparator,
                          size_t max_bytes = kMaxKeyNameBytes) {
  return KeySafeNameError(name, separator, max_bytes).empty();
}

// ---- joining and splitting

// The parts joined by `separator` (a string: ", " joins a list for a
// message as well). No part is checked: check names first.
inline std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

// A key of parts joined by kKeySeparator (or `separator`):
// JoinKey({"fc", "2026-11", owner}) == "fc/2026-11/minsu". JoinKey({"a",
// ""}) == "a/", the prefix of every key under "a".
inline std::string JoinKey(std::initializer_list<std::string_view> parts,
                           char separator = kKeySeparator) {
  std::string out;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) out += separator;
    out += part;
    first = false;
  }
  return out;
}

// Splits on `separator`, keeping empty parts: SplitKey("a//b") == {"a", "",
// "b"}, SplitKey("") == {""}. The inverse of JoinKey when no part holds the
// separator.
inline std::vector<std::string> SplitKey(std::string_view key, char separator = kKeySeparator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = key.find(separator, start);
    if (at == std::string_view::npos) {
      out.emplace_back(key.substr(start));
      return out;
    }
    out.emplace_back(key.substr(start, at - start));
    start = at + 1;
  }
}

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The parts of `key` after `prefix` (e.g. a Scan's key and the prefix
// scanned), split on `separator`; false when `key` does not start with
// `prefix` or has not exactly `count` parts after it.
inline bool SplitKeySuffix(std::string_view key, std::string_view prefix, size_t count,
                           std::vector<std::string>* parts, char separator = kKeySeparator) {
  if (!StartsWith(key, prefix)) return false;
  *parts = SplitKey(key.substr(prefix.size()), separator);
  return parts->size() == count;
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_KEYS_H_
