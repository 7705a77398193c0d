#include "core/ids/ulid.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/strings.h"

namespace rapport::ids {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (int i = 0; i < 32; ++i)
    if (kAlphabet[i] == c) return i;
  return -1;
}
}  // namespace

UlidGenerator::UlidGenerator() : rng_(std::random_device{}()) {}

std::string UlidGenerator::Next(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now_ms <= last_ms_) {
    // Same (or earlier: clock stepped back) millisecond: increment the
    // 80-bit random part so the order stays strictly increasing.
    for (int i = 15; i >= 6; --i) {
      if (++last_[i] != 0) break;
    }
  } else {
    last_ms_ = now_ms;
    for (int i = 0; i < 6; ++i) last_[i] = static_cast<uint8_t>(now_ms >> (8 * (5 - i)));
    uint64_t a = rng_(), b = rng_();
    for (int i = 0; i < 8; ++i) last_[6 + i] = static_cast<uint8_t>(a >> (8 * i));
    last_[14] = static_cast<uint8_t>(b);
    // Keep the top bit of the random part clear so increments within one
    // millisecond cannot overflow into the timestamp.
    last_[6] &= 0x7F;
    last_[15] = static_cast<uint8_t>(b >> 8);
  }
  return std::string(reinterpret_cast<const char*>(last_), 16);
}

std::string UlidToString(std::string_view b) {
  // 128 bits -> 26 base32 chars; the first char carries the top 3 bits.
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  for (int i = 25; i >= 0; --i) {
    out[i] = kAlphabet[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

absl::StatusOr<std::string> UlidFromString(std::string_view text) {
  if (text.size() != 26) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AsAbsl(text.substr(0, 40)), "' is not an ID (expected 26 characters)"));
  }
  unsigned __int128 v = 0;
  for (size_t i = 0; i < 26; ++i) {
    int d = DecodeChar(text[i]);
    if (d < 0 || (i == 0 && d > 7)) {
      return absl::InvalidArgumentError(absl::StrCat("'", AsAbsl(text), "' is not an ID"));
    }
    v = (v << 5) | static_cast<unsigned>(d);
  }
  std::string out(16, '\0');
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<char>(static_cast<uint8_t>(v & 0xFF));
    v >>= 8;
  }
  return out;
}

int64_t UlidTimeMs(std::string_view b) {
  int64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | static_cast<uint8_t>(b[i]);
  return ms;
}

}  // namespace rapport::ids
