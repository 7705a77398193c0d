// File: sdk/include/rapport/sdk/page_token.h
//
// Page tokens for a plugin's own listings (a Scan of its keyspace answered a
// page at a time), with the API's rules (docs/api.md, "List and paging"):
// opaque to clients, bound to the query they were issued for, and refused
// with INVALID_ARGUMENT naming page_token when they are reused for another
// query, truncated or corrupt. Header-only, standard C++17, no host calls.
//
//   using namespace rapport::sdk;
//   // Every request field that shapes the listing, but not page_size or
//   // page_token: a token is refused for a different query.
//   const std::string query = PageQuery({"ListTasks", request.assignee(),
//                                        request.include_closed() ? "closed" : "open"});
//   std::string after;  // "" for the first page
//   if (Status s = DecodePageToken(request.page_token(), query, &after); !s.ok()) return s;
//   Call::ScanOptions options;
//   if (!after.empty()) options.start_after = prefix + after;
//   ... scan; when a page is full and another key follows:
//   out->set_next_page_token(EncodePageToken(query, last_suffix));
//
// Layout, before unpadded base64url (RFC 4648 section 5, so a token is safe
// in URLs and JSON):
//
//   token := 0x01  fingerprint:8  resume_key:bytes  check:8
//
// `fingerprint` is a 64-bit hash of the query (PageQuery), `resume_key` is
// where the next page continues (strictly after it, in key order: store the
// key suffix after the listing's prefix) and `check` is a 64-bit hash of all
// that came before, so a truncated or garbled token is refused.
//
// Tokens are NOT signed: the SDK has no secret (rapportd's own tokens are
// HMAC-signed with a key the plugin cannot reach), and a client who decodes
// one can forge another with a different resume key. That only moves where
// the scan starts within the listing's own prefix, so it cannot reach keys
// the listing would not have reached: still check every entry's access as
// the caller (e.g. read the record with Call::GetRecord) rather than trust
// that a key was reached through an earlier page. A resume key is readable
// by the client (base64 is not encryption): do not page on a key that holds
// something the caller may not see.
#ifndef RAPPORT_SDK_PAGE_TOKEN_H_
#define RAPPORT_SDK_PAGE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "rapport/sdk/plugin.h"  // Status

namespace rapport::sdk {

// Tokens longer than this are refused unread (rapportd's limit too). Keys
// are at most 1024 bytes, so a token the helper makes is at most about 1.4k.
inline constexpr size_t kMaxPageTokenChars = 4096;

namespace internal {

inline constexpr uint8_t kPageTokenVersion = 1;
inline constexpr size_t kPageTokenHashBytes = 8;

// FNV-1a over `data` from `seed`, then the splitmix64 finaliser so every
// input bit reaches every output bit. Not cryptographic (see the file
// comment): it detects mistakes, not forgers.
inline uint64_t PageTokenHash(std::string_view data, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}
inline void AppendHash(std::string* out, uint64_t h) {
  for (int i = 7; i >= 0; --i) *out += static_cast<char>((h >> (8 * i)) & 0xFF);
}
inline constexpr uint64_t kFingerprintSeed = 0x5175657279ull;  // "Query"
inline constexpr uint64_t kCheckSeed = 0x436865636bull;        // "Check"

inline constexpr char kBase64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    if (rest == 2) out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

// false on any character outside the alphabet (padding '=' included) or an
// impossible length.
inline bool Base64UrlDecode(std::string_view text, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return false;
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so each token has exactly one spelling.
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace internal

// The canonical description of a query from its parts, for the two
// functions below: each part length-prefixed, so {"ab", "c"} and {"a",
// "bc"} differ. Name the method first, then every request field that
// changes which entries are listed or their order (a filter, an owner, a
// flag), not page_size or page_token.
inline std::string PageQuery(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    out += std::to_string(part.size());
    out += ':';
    out += part;
    out += ';';
  }
  return out;
}

// The token of the page after `resume_key` for `query` (as PageQuery made
// it). Give it as next_page_token; "" is for the last page, not this.
inline std::string EncodePageToken(std::string_view query, std::string_view resume_key) {
  std::string raw;
  raw.reserve(1 + 2 * internal::kPageTokenHashBytes + resume_key.size());
  raw += static_cast<char>(internal::kPageTokenVersion);
  internal::AppendHash(&raw, internal::PageTokenHash(query, internal::kFingerprintSeed));
  raw += resume_key;
  internal::AppendHash(&raw, internal::PageTokenHash(raw, internal::kCheckSeed));
  return internal::Base64UrlEncode(raw);
}

// The resume key of `token` into `*resume_key`: "" for an empty token (the
// first page). INVALID_ARGUMENT naming `field` when the token is not one
// EncodePageToken made (garbage, truncated, altered) or was made for another
// query:
//   "page_token: is not a token this listing issued (truncated or corrupt); ..."
//   "page_token: was issued for a different query; ..."
inline Status DecodePageToken(std::string_view token, std::string_view query,
                              std::string* resume_key, std::string_view field = "page_token") {
  resume_key->clear();
  if (token.empty()) return {};
  const std::string f(field);
  std::string raw;
  constexpr size_t kMinBytes = 1 + 2 * internal::kPageTokenHashBytes;
  if (token.size() > kMaxPageTokenChars || !internal::Base64UrlDecode(token, &raw) ||
      raw.size() < kMinBytes || static_cast<uint8_t>(raw[0]) != internal::kPageTokenVersion) {
    return Status::Invalid(f +
                           ": is not a token this listing issued (truncated or corrupt); pass "
                           "next_page_token back unchanged, or start again without a token");
  }
  const size_t body = raw.size() - internal::kPageTokenHashBytes;
  std::string check;
  internal::AppendHash(
      &check, internal::PageTokenHash(std::string_view(raw).substr(0, body), internal::kCheckSeed));
  if (raw.compare(body, internal::kPageTokenHashBytes, check) != 0) {
    return Status::Invalid(f +
                           ": is not a token this listing issued (truncated or corrupt); pass "
                           "next_page_token back unchanged, or start again without a token");
  }
  std::string fingerprint;
  internal::AppendHash(&fingerprint, internal::PageTokenHash(query, internal::kFingerprintSeed));
  if (raw.compare(1, internal::kPageTokenHashBytes, fingerprint) != 0) {
    return Status::Invalid(f +
                           ": was issued for a different query; repeat the first page's request, "
                           "changing only page_token (and page_size if you like), or start again "
                           "without a token");
  }
  *resume_key =
      raw.substr(1 + internal::kPageTokenHashBytes, body - 1 - internal::kPageTokenHashBytes);
  return {};
}

}  // namespace rapport::sdk

#endif  // RAPPORT_SDK_PAGE_TOKEN_H_
