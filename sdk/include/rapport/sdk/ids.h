// File: sdk/include/rapport/sdk/ids.h
//
// IDs for a plugin's own objects, the same ULIDs the core gives records
// (https://github.com/ulid/spec, core/ids/ulid.h): 16 bytes, a 48-bit
// big-endian Unix time in milliseconds then 80 random bits; as text, 26
// characters of Crockford base32. Byte order == text order == creation order,
// so IDs sort by time in keys and listings. Header-only, standard C++17, no
// host calls (SDK 1.2).
//
//   std::string id = rapport::sdk::NewUlid(NowMicros() / 1000);  // "01KA2..."
//
// Generators are monotonic, as the core's: within one millisecond (or when
// the clock steps back) the random part is incremented, so the IDs of one
// generator strictly increase even at a faked, fixed time.
#ifndef RAPPORT_SDK_IDS_H_
#define RAPPORT_SDK_IDS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace rapport::sdk {

namespace internal {
inline constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}  // namespace internal

// 16 bytes -> 26 characters (upper case).
inline std::string UlidToString(std::string_view bytes16) {
  // 128 bits -> 26 base32 characters; the first carries the top 3 bits.
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (size_t i = 0; i < 16 && i < bytes16.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(bytes16[i]);
  }
  for (int i = 25; i >= 0; --i) {
    out[i] = internal::kCrockford[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

// 26 characters (case-insensitive) -> 16 bytes; nullopt when `text` is not a
// ULID.
inline std::optional<std::string> UlidFromString(std::string_view text) {
  if (text.size() != 26) return std::nullopt;
  unsigned __int128 v = 0;
  for (size_t i = 0; i < 26; ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    int d = -1;
    for (int k = 0; k < 32; ++k) {
      if (internal::kCrockford[k] == c) d = k;
    }
    if (d < 0 || (i == 0 && d > 7)) return std::nullopt;
    v = (v << 5) | static_cast<unsigned>(d);
  }
  std::string out(16, '\0');
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<char>(static_cast<uint8_t>(v & 0xFF));
    v >>= 8;
  }
  return out;
}

// The millisecond time carried in the first 6 bytes.
inline int64_t UlidTimeMs(std::string_view bytes16) {
  int64_t ms = 0;
  for (size_t i = 0; i < 6 && i < bytes16.size(); ++i) {
    ms = (ms << 8) | static_cast<uint8_t>(bytes16[i]);
  }
  return ms;
}

// Monotonic ULIDs. Thread-safe.
class UlidGenerator {
 public:
  UlidGenerator() : rng_(std::random_device{}()) {}
  // A fixed seed, for tests that want the same IDs every run.
  explicit UlidGenerator(uint64_t seed) : rng_(seed) {}

  // 16 raw bytes for `now_ms` (Unix milliseconds; outside 0..2^48-1 it is
  // clamped to that range). At or before the last call's millisecond the
  // previous ID's random part is incremented instead of drawn, so IDs
  // strictly increase.
  std::string NextBytes(int64_t now_ms) {
    constexpr int64_t kMaxMs = (int64_t{1} << 48) - 1;
    now_ms = now_ms < 0 ? 0 : (now_ms > kMaxMs ? kMaxMs : now_ms);
    std::lock_guard<std::mutex> lock(mu_);
    if (now_ms <= last_ms_) {
      for (int i = 15; i >= 6; --i) {
        if (++last_[i] != 0) break;
      }
    } else {
      last_ms_ = now_ms;
      for (int i = 0; i < 6; ++i) last_[i] = static_cast<uint8_t>(now_ms >> (8 * (5 - i)));
      const uint64_t a = rng_(), b = rng_();
      for (int i = 0; i < 8; ++i) last_[6 + i] = static_cast<uint8_t>(a >> (8 * i));
      last_[14] = static_cast<uint8_t>(b);
      last_[15] = static_cast<uint8_t>(b >> 8);
      // The top bit of the random part stays clear, so increments within one
      // millisecond (2^79 of them) never reach the timestamp.
      last_[6] &= 0x7F;
    }
    return std::string(reinterpret_cast<const char*>(last_), 16);
  }
  // The same ID as 26 characters.
  std::string Next(int64_t now_ms) { return UlidToString(NextBytes(now_ms)); }

 private:
  std::mutex mu_;
  std::mt19937_64 rng_;
  int64_t last_ms_ = -1;
  uint8_t last_[16] = {};
};

// A new ULID (26 characters) from the plugin's one process-wide generator:
// monotonic across every caller in the plugin. Pass the host's clock
// (Plugin::NowMicros() / 1000), so tests that fake the time get IDs of that
// time.
inline std::string NewUlid(int64_t now_ms) {
  static UlidGenerator generator;
  return generator.Next(now_ms);
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_IDS_H_
