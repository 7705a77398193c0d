#include "core/records/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"

namespace rapport::records {
namespace {
constexpr size_t kFingerprintBytes = 8;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxTokenChars = 4096;
}  // namespace

std::string PageTokenCodec::Fingerprint(std::string_view canonical_query) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical_query.data()), canonical_query.size(),
         digest);
  return std::string(reinterpret_cast<char*>(digest), kFingerprintBytes);
}

std::string PageTokenCodec::Mac(std::string_view body) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), kMacBytes);
}

std::string PageTokenCodec::Encode(std::string_view fingerprint, std::string_view last_key) const {
  std::string body = std::string(fingerprint) + std::string(last_key);
  return absl::WebSafeBase64Escape(body + Mac(body));
}

absl::StatusOr<std::string> PageTokenCodec::Decode(std::string_view token,
                                                   std::string_view fingerprint) const {
  std::string raw;
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(AsAbsl(token), &raw) ||
      raw.size() < kFingerprintBytes + kMacBytes) {
    return InvalidField("page_token", "is not a token this server issued");
  }
  std::string_view body(raw.data(), raw.size() - kMacBytes);
  std::string expected = Mac(body);
  if (CRYPTO_memcmp(expected.data(), raw.data() + body.size(), kMacBytes) != 0) {
    return InvalidField("page_token", "is not a token this server issued (altered or corrupt)");
  }
  if (body.substr(0, kFingerprintBytes) != fingerprint) {
    return InvalidField("page_token",
                        "was issued for a different query; pass the same filter and order_by "
                        "as the first page, or start again without a token");
  }
  return std::string(body.substr(kFingerprintBytes));
}

}  // namespace rapport::records
