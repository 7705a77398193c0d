// File: core/identity/tokens.cc
//
// API tokens: "rpt_<id>_<secret>" parsed, authenticated into a Principal
// (cached briefly), issued, listed and revoked. Only the secret's SHA-256
// is stored.

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/common/strings.h"
#include "core/identity/identity_store.h"
#include "core/identity/identity_store_internal.h"
#include "core/records/record_validator.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::identity {
namespace {

using internal::SetTimestamp;
using store::KeyReader;
using store::KeyWriter;
using store::TokenKey;

constexpr char kTokenPrefix[] = "rpt_";
constexpr size_t kTokenIdChars = 26;
constexpr size_t kTokenSecretChars = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kTokenChars = 4 + kTokenIdChars + 1 + kTokenSecretChars;
constexpr absl::Duration kPrincipalCacheTtl = absl::Seconds(1);
constexpr size_t kMaxCachedTokens = 10000;
constexpr absl::Duration kLastUsedResolution = absl::Minutes(1);

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), SHA256_DIGEST_LENGTH);
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string StoredToken(const std::string& hash, uint32_t tenant, const v1::ApiToken& token) {
  return absl::StrCat(hash, KeyWriter().U32(tenant).key(), token.SerializeAsString());
}

bool ParseStoredToken(std::string_view value, std::string* hash, uint32_t* tenant,
                      v1::ApiToken* token) {
  if (value.size() < 36) return false;
  *hash = std::string(value.substr(0, 32));
  KeyReader reader(value.substr(32, 4));
  if (!reader.U32(tenant)) return false;
  return token->ParseFromArray(value.data() + 36, static_cast<int>(value.size() - 36));
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> ParseToken(std::string_view token) {
  if (token.size() != kTokenChars || !absl::StartsWith(AsAbsl(token), kTokenPrefix) ||
      token[4 + kTokenIdChars] != '_') {
    return absl::UnauthenticatedError("malformed API token (expected rpt_<id>_<secret>)");
  }
  for (char c : token) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '-')) {
      return absl::UnauthenticatedError("malformed API token (unexpected characters)");
    }
  }
  auto id16 = ids::UlidFromString(token.substr(4, kTokenIdChars));
  if (!id16.ok()) return absl::UnauthenticatedError("malformed API token (bad id)");
  return std::make_pair(*id16, std::string(token.substr(4 + kTokenIdChars + 1)));
}

absl::StatusOr<std::shared_ptr<const Principal>> IdentityStore::Authenticate(
    std::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  if (authorization.size() > 1024)
    return absl::UnauthenticatedError("authorization header too long");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  RAPPORT_ASSIGN_OR_RETURN(auto parsed, ParseToken(authorization.substr(kBearer.size())));
  const auto& [id16, secret] = parsed;
  const std::string presented_hash = Sha256(secret);
  const absl::Time now = clock_->Now();
  uint64_t generation = 0;
  {
    std::shared_lock lock(cache_mu_);
    generation = cache_generation_;
    auto it = token_cache_.find(id16);
    if (it != token_cache_.end() && now - it->second.loaded < kPrincipalCacheTtl) {
      if (CRYPTO_memcmp(it->second.hash.data(), presented_hash.data(), 32) != 0) {
        return WithTenant(absl::UnauthenticatedError("invalid API token"),
                          it->second.principal->tenant);
      }
      if (now >= it->second.expires) {
        return WithTenant(absl::UnauthenticatedError("API token has expired"),
                          it->second.principal->tenant);
      }
      return it->second.principal;
    }
  }
  auto value = db_->Get(db_->meta(), TokenKey(id16));
  if (absl::IsNotFound(value.status())) return absl::UnauthenticatedError("unknown API token");
  if (!value.ok()) return value.status();
  std::string hash;
  uint32_t tenant = 0;
  v1::ApiToken token;
  if (!ParseStoredToken(*value, &hash, &tenant, &token))
    return absl::DataLossError("corrupt token record");
  if (CRYPTO_memcmp(hash.data(), presented_hash.data(), 32) != 0) {
    return WithTenant(absl::UnauthenticatedError("invalid API token"), tenant);
  }
  // One line: scripts/mutate's I05 (tests/mutations.txt) names it whole.
  // clang-format off
  if (token.revoked()) return WithTenant(absl::UnauthenticatedError("API token was revoked"), tenant);
  // clang-format on
  if (token.has_expire_time() && FromTimestamp(token.expire_time()) <= now) {
    return WithTenant(absl::UnauthenticatedError("API token has expired"), tenant);
  }
  auto built = BuildPrincipal(tenant, token.user_id());
  if (!built.ok()) return WithTenant(built.status(), tenant);
  auto principal = std::move(*built);
  {
    std::unique_lock lock(cache_mu_);
    if (generation == cache_generation_) {
      if (token_cache_.size() >= kMaxCachedTokens) token_cache_.clear();
      token_cache_[id16] = CachedToken{
          hash, principal, now,
          token.has_expire_time() ? FromTimestamp(token.expire_time()) : absl::InfiniteFuture()};
    }
  }
  // last_used_time, written at most once a minute per token.
  bool write_last_used = false;
  {
    std::lock_guard<std::mutex> lock(audit_mu_);
    auto& written = last_used_written_[id16];
    if (now - written >= kLastUsedResolution) {
      written = now;
      write_last_used = true;
    }
  }
  if (write_last_used) {
    std::lock_guard<std::mutex> lock(write_mu_);
    auto fresh = db_->Get(db_->meta(), TokenKey(id16));
    if (fresh.ok() && ParseStoredToken(*fresh, &hash, &tenant, &token)) {
      SetTimestamp(token.mutable_last_used_time(), now);
      rocksdb::WriteBatch batch;
      batch.Put(db_->meta(), TokenKey(id16), StoredToken(hash, tenant, token));
      (void)db_->Write(&batch);
    }
  }
  return principal;
}

absl::StatusOr<v1::CreateTokenResponse> IdentityStore::IssueToken(const Principal* caller,
                                                                  uint32_t tenant,
                                                                  const std::string& tenant_name,
                                                                  v1::ApiToken token,
                                                                  rocksdb::WriteBatch* batch) {
  std::vector<FieldViolation> v;
  if (token.name().empty() || token.name().size() > 100 || !records::IsValidUtf8(token.name()))
    v.push_back({"token.name", "is required, at most 100 bytes of UTF-8"});
  if (token.purpose().size() > 500 || !records::IsValidUtf8(token.purpose()))
    v.push_back({"token.purpose", "at most 500 bytes of UTF-8"});
  if (token.has_expire_time() && FromTimestamp(token.expire_time()) <= clock_->Now())
    v.push_back({"token.expire_time", "must be in the future"});
  if (!v.empty()) return InvalidFields(v);
  (void)caller;
  std::string secret_bytes(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret_bytes.data()), 32) != 1) {
    return absl::InternalError("no randomness for a token");
  }
  std::string secret = absl::WebSafeBase64Escape(secret_bytes);
  std::string id16 = ids_.Next(absl::ToUnixMillis(clock_->Now()));
  token.set_id(ids::UlidToString(id16));
  token.set_tenant(tenant_name);
  token.set_revoked(false);
  token.clear_last_used_time();
  SetTimestamp(token.mutable_create_time(), clock_->Now());
  batch->Put(db_->meta(), TokenKey(id16), StoredToken(Sha256(secret), tenant, token));
  v1::CreateTokenResponse response;
  *response.mutable_token() = token;
  response.set_secret(absl::StrCat(kTokenPrefix, token.id(), "_", secret));
  return response;
}

absl::StatusOr<v1::CreateTokenResponse> IdentityStore::CreateToken(const Principal& caller,
                                                                   v1::ApiToken token) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(auto directory, LoadDirectory(caller.tenant));
  if (!directory->users.count(token.user_id())) {
    return InvalidField("token.user_id",
                        absl::StrCat("no user '", token.user_id(), "' in this tenant"));
  }
  rocksdb::WriteBatch batch;
  RAPPORT_ASSIGN_OR_RETURN(
      v1::CreateTokenResponse issued,
      IssueToken(&caller, caller.tenant, caller.tenant_name, std::move(token), &batch));
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch,
                                 absl::StrCat("token/", issued.token().id()),
                                 v1::CHANGE_OPERATION_CREATE, nullptr, &issued.token()));
  return issued;
}

absl::StatusOr<std::vector<v1::ApiToken>> IdentityStore::ListTokens(const Principal& caller,
                                                                    std::string_view user_id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  std::vector<v1::ApiToken> tokens;
  std::string prefix = store::TokenPrefix();
  auto it = db_->NewIterator(db_->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string hash;
    uint32_t tenant;
    v1::ApiToken token;
    if (!ParseStoredToken(it->value().ToStringView(), &hash, &tenant, &token)) continue;
    if (tenant != caller.tenant) continue;
    if (!user_id.empty() && token.user_id() != user_id) continue;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

absl::StatusOr<v1::ApiToken> IdentityStore::RevokeToken(const Principal& caller,
                                                        std::string_view id) {
  RAPPORT_RETURN_IF_ERROR(RequireAdmin(caller));
  auto id16 = ids::UlidFromString(id);
  if (!id16.ok()) return InvalidField("id", AsStd(id16.status().message()));
  std::lock_guard<std::mutex> lock(write_mu_);
  auto value = db_->Get(db_->meta(), TokenKey(*id16));
  std::string hash;
  uint32_t tenant = 0;
  v1::ApiToken token;
  if (!value.ok() || !ParseStoredToken(*value, &hash, &tenant, &token) || tenant != caller.tenant) {
    return absl::NotFoundError(absl::StrCat("no token '", AsAbsl(id), "'"));
  }
  v1::ApiToken before = token;
  token.set_revoked(true);
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), TokenKey(*id16), StoredToken(hash, tenant, token));
  RAPPORT_RETURN_IF_ERROR(Commit(caller, caller.tenant, &batch, absl::StrCat("token/", token.id()),
                                 v1::CHANGE_OPERATION_UPDATE, &before, &token));
  return token;
}

}  // namespace rapport::identity
