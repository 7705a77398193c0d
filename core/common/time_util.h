// File: core/common/time_util.h
//
// absl::Time <-> google.protobuf.Timestamp, the one conversion the core's
// stores use for the times they write (records, feed events, identity,
// plugin host).
#ifndef RAPPORT_CORE_COMMON_TIME_UTIL_H_
#define RAPPORT_CORE_COMMON_TIME_UTIL_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace rapport {

// `t` to nanosecond precision (the fraction of a time before 1970 keeps the
// sign of the seconds, as it always has here).
inline void SetTimestamp(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t ns = absl::ToUnixNanos(t);
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_TIME_UTIL_H_
