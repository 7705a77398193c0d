#include "core/identity/auth_failure_limiter.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rapport::identity {

std::string AuthFailureLimiter::PeerAddress(std::string_view peer) {
  std::string_view rest = peer;
  if (rest.substr(0, 5) == "ipv4:") {
    rest.remove_prefix(5);
    size_t colon = rest.rfind(':');
    return std::string(colon == std::string_view::npos ? rest : rest.substr(0, colon));
  }
  if (rest.substr(0, 5) == "ipv6:") {
    rest.remove_prefix(5);
    if (!rest.empty() && rest.front() == '[') {
      size_t close = rest.find(']');
      if (close != std::string_view::npos) return std::string(rest.substr(1, close - 1));
    }
    return std::string(rest);
  }
  return std::string(peer);
}

std::optional<absl::Duration> AuthFailureLimiter::Count(const std::string& key, int limit,
                                                        absl::Time now) {
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    if (windows_.size() >= limits_.max_tracked) MakeRoom(now);
    it = windows_.emplace(key, Window{now, 0}).first;
  }
  Window& w = it->second;
  if (now - w.start >= limits_.window) w = Window{now, 0};
  ++w.failures;
  if (w.failures <= limit) return std::nullopt;
  return std::max(absl::Seconds(1), absl::Ceil(w.start + limits_.window - now, absl::Seconds(1)));
}

void AuthFailureLimiter::MakeRoom(absl::Time now) {
  absl::erase_if(windows_, [&](const auto& kv) { return now - kv.second.start >= limits_.window; });
  if (windows_.size() < limits_.max_tracked) return;
  // Still full: drop the oldest half.
  std::vector<absl::Time> starts;
  starts.reserve(windows_.size());
  for (const auto& [key, w] : windows_) starts.push_back(w.start);
  auto middle = starts.begin() + static_cast<std::ptrdiff_t>(starts.size() / 2);
  std::nth_element(starts.begin(), middle, starts.end());
  const absl::Time cutoff = *middle;
  absl::erase_if(windows_, [&](const auto& kv) { return kv.second.start <= cutoff; });
}

absl::Status AuthFailureLimiter::RecordFailure(std::string_view peer, std::string_view token_id,
                                               absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string address = PeerAddress(peer);
  const std::string token(token_id);
  auto peer_wait = Count("p:" + address, limits_.max_failures_per_peer, now);
  std::optional<absl::Duration> token_wait;
  if (!token_id.empty()) {
    token_wait = Count("t:" + token, limits_.max_failures_per_token, now);
  }
  if (peer_wait) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many failed authentication attempts from ", address, " (more than ",
                     limits_.max_failures_per_peer, " in ", absl::FormatDuration(limits_.window),
                     "); retry in ", absl::ToInt64Seconds(*peer_wait), "s"));
  }
  if (token_wait) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many failed authentication attempts for token id ", token, " (more than ",
                     limits_.max_failures_per_token, " in ", absl::FormatDuration(limits_.window),
                     "); retry in ", absl::ToInt64Seconds(*token_wait), "s"));
  }
  return absl::OkStatus();
}

}  // namespace rapport::identity
