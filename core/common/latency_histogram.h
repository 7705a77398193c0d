// File: core/common/latency_histogram.h
//
// A lock-free histogram of durations with fixed buckets, for the timings
// the server exports (docs/operations.md, "Metrics"): the commit lock and
// the WAL write, each module's hooks, each RPC method. Observe is a few
// relaxed atomic adds, so the write path pays no lock for being measured;
// Read copies the counts for an exporter. The core keeps its timings in
// these and knows nothing of the export format (services/metrics/ turns
// them into Prometheus histograms), as RocksDB keeps its own Statistics.
//
//   LatencyHistogram commit;
//   auto start = absl::Now();
//   ...
//   commit.Observe(absl::Now() - start);
//   LatencyHistogram::Counts counts = commit.Read();  // counts.buckets[i]: <= kBounds[i]
#ifndef RAPPORT_CORE_COMMON_LATENCY_HISTOGRAM_H_
#define RAPPORT_CORE_COMMON_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace rapport {

class LatencyHistogram {
 public:
  // Upper bounds in seconds, from 25 µs (an empty gRPC call) to 10 s (a
  // hook's deadline); a last bucket takes everything slower.
  static constexpr std::array<double, 18> kBounds = {25e-6,  50e-6,  100e-6, 250e-6, 500e-6, 1e-3,
                                                     2.5e-3, 5e-3,   10e-3,  25e-3,  50e-3,  100e-3,
                                                     250e-3, 500e-3, 1.0,    2.5,    5.0,    10.0};

  struct Counts {
    // buckets[i]: observations <= kBounds[i] and > kBounds[i - 1] (not
    // cumulative); buckets[kBounds.size()]: the rest.
    std::array<uint64_t, kBounds.size() + 1> buckets{};
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  void Observe(absl::Duration d) {
    const double seconds = absl::ToDoubleSeconds(d);
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_nanos_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_relaxed);
  }

  // A copy of the counts. Concurrent Observes may be half in it (a bucket
  // counted, its sum not yet); count is the sum of the buckets, so it never
  // disagrees with them.
  Counts Read() const {
    Counts out;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
      out.count += out.buckets[i];
    }
    out.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
    return out;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<int64_t> sum_nanos_{0};
};

}  // namespace rapport

#endif  // RAPPORT_CORE_COMMON_LATENCY_HISTOGRAM_H_
