// File: core/common/log_limiter.h
//
// Caps how often one kind of log line is written, for lines an outside
// caller can cause (bad requests, failed authentication): at most `burst`
// lines per `interval`; the rest are counted and the next line written says
// how many were suppressed.
//
//   static LogLimiter limiter(absl::Seconds(10), 5);
//   if (int64_t suppressed; limiter.Allow(&suppressed)) spdlog::warn("... suppressed={}",
//   suppressed);
#ifndef RAPPORT_CORE_COMMON_LOG_LIMITER_H_
#define RAPPORT_CORE_COMMON_LOG_LIMITER_H_

#include <cstdint>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rapport {

class LogLimiter {
 public:
  LogLimiter(absl::Duration interval, int burst) : interval_(interval), burst_(burst) {}

  // True if this line may be written; `suppressed` gets the number of lines
  // dropped since the last one written.
  bool Allow(int64_t* suppressed, absl::Time now = absl::Now()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now - window_start_ >= interval_) {
      window_start_ = now;
      written_ = 0;
    }
    if (written_ >= burst_) {
      ++suppressed_;
      return false;
    }
    ++written_;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  const absl::Duration interval_;
  const int burst_;
  std::mutex mu_;
  absl::Time window_start_ = absl::InfinitePast();
  int written_ = 0;
  int64_t suppressed_ = 0;
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_LOG_LIMITER_H_
