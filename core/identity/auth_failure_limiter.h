// File: core/identity/auth_failure_limiter.h
//
// Bounds failed authentication. Every call that fails authentication is
// counted against the caller's address (the peer's IP, without the port)
// and, when it presented a well-formed token, against that token id. Past
// `max_failures_per_peer` or `max_failures_per_token` failures in one
// `window`, further *failures* are answered RESOURCE_EXHAUSTED ("too many
// failed authentication attempts ...; retry in Ns") and are no longer
// written to the audit log, so nobody without a valid token can rotate the
// server-wide audit log's real entries out. A caller presenting a valid
// token is never refused here: knowing a token id (ids are not secret) does
// not let anyone lock its owner out.
//
// Memory is bounded: at most `max_tracked` keys; when full, keys whose
// window has passed are dropped first, then the oldest windows.
#ifndef RAPPORT_CORE_IDENTITY_AUTH_FAILURE_LIMITER_H_
#define RAPPORT_CORE_IDENTITY_AUTH_FAILURE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace rapport::identity {

struct AuthFailureLimits {
  int max_failures_per_peer = 100;
  int max_failures_per_token = 20;
  absl::Duration window = absl::Minutes(1);
  size_t max_tracked = 100000;
};

class AuthFailureLimiter {
 public:
  explicit AuthFailureLimiter(AuthFailureLimits limits = {}) : limits_(limits) {}

  void SetLimits(const AuthFailureLimits& limits) {
    std::lock_guard<std::mutex> lock(mu_);
    limits_ = limits;
  }

  // Counts one failed attempt from `peer` (a gRPC peer string such as
  // "ipv4:127.0.0.1:53211"; the port is ignored) with token id `token_id`
  // ("" if none could be read). OK while within the limits; otherwise
  // RESOURCE_EXHAUSTED naming the peer or the token id and when to retry.
  absl::Status RecordFailure(std::string_view peer, std::string_view token_id, absl::Time now);

  // "ipv4:10.0.0.1:5000" -> "10.0.0.1"; "ipv6:[::1]:5000" -> "::1";
  // anything else unchanged.
  static std::string PeerAddress(std::string_view peer);

 private:
  struct Window {
    absl::Time start;
    int64_t failures = 0;
  };
  // Counts a failure under `key`; the retry delay if it is over `limit`.
  std::optional<absl::Duration> Count(const std::string& key, int limit, absl::Time now);
  void MakeRoom(absl::Time now);

  std::mutex mu_;
  AuthFailureLimits limits_;
  absl::flat_hash_map<std::string, Window> windows_;
};

}  // namespace rapport::identity

#endif  // RAPPORT_CORE_IDENTITY_AUTH_FAILURE_LIMITER_H_
