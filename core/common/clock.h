// File: core/common/clock.h
//
// Time source, injectable so tests can control it.
#ifndef RAPPORT_CORE_COMMON_CLOCK_H_
#define RAPPORT_CORE_COMMON_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rapport {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process-wide real clock. Thread-safe.
  static const Clock& Real();
};

// A clock tests move by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_CLOCK_H_
