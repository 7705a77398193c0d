// File: core/records/page_token.h
//
// Opaque, tamper-evident page tokens. Layout before base64url:
//
//   token := query_fingerprint:bytes8  last_key:bytes  mac:bytes16
//   mac   := HMAC-SHA256(server secret, fingerprint || last_key)[0..16)
//
// The fingerprint binds the token to one query (tenant, resource, filter,
// order, plan), so a token from another query is refused; the MAC makes any
// edit detectable. The last key is where the next page continues (strictly
// after it in scan order), so pages neither skip nor repeat records that
// exist throughout the paging, whatever is inserted meanwhile.
#ifndef RAPPORT_CORE_RECORDS_PAGE_TOKEN_H_
#define RAPPORT_CORE_RECORDS_PAGE_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rapport::records {

class PageTokenCodec {
 public:
  // REQUIRES: secret.size() >= 16.
  explicit PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

  // 8 bytes identifying a query from its canonical description.
  static std::string Fingerprint(std::string_view canonical_query);

  std::string Encode(std::string_view fingerprint, std::string_view last_key) const;
  // The last key, or INVALID_ARGUMENT ("page_token: ...") if the token is
  // malformed, tampered with, or was issued for a different query.
  absl::StatusOr<std::string> Decode(std::string_view token, std::string_view fingerprint) const;

 private:
  std::string Mac(std::string_view body) const;
  std::string secret_;
};

}  // namespace rapport::records

#endif  // RAPPORT_CORE_RECORDS_PAGE_TOKEN_H_
