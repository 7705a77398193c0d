// core/common/latency_histogram.h: bucket edges (a value equal to a bound
// is in that bound's bucket), the overflow bucket, the sum, and counts
// from concurrent observers.
#include "core/common/latency_histogram.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rapport {
namespace {

TEST(LatencyHistogramTest, AValueOnABoundIsInThatBoundsBucket) {
  LatencyHistogram h;
  h.Observe(absl::Microseconds(25));  // == kBounds[0]
  h.Observe(absl::Microseconds(26));  // just above: the next bucket
  h.Observe(absl::Milliseconds(1));   // == kBounds[5]
  h.Observe(absl::Seconds(11));       // above every bound
  h.Observe(absl::ZeroDuration());
  const LatencyHistogram::Counts c = h.Read();
  EXPECT_EQ(c.buckets[0], 2u);  // 0 and 25 µs
  EXPECT_EQ(c.buckets[1], 1u);  // 26 µs
  EXPECT_EQ(c.buckets[5], 1u);  // 1 ms
  EXPECT_EQ(c.buckets[LatencyHistogram::kBounds.size()], 1u);
  EXPECT_EQ(c.count, 5u);
  EXPECT_NEAR(c.sum_seconds, 25e-6 + 26e-6 + 1e-3 + 11, 1e-9);
}

TEST(LatencyHistogramTest, ConcurrentObserversAreAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.Observe(absl::Microseconds(100 * (t + 1)));
    });
  }
  for (auto& t : threads) t.join();
  const LatencyHistogram::Counts c = h.Read();
  EXPECT_EQ(c.count, 40000u);
  EXPECT_EQ(c.buckets[2], 10000u);  // 100 µs
  EXPECT_EQ(c.buckets[3], 10000u);  // 200 µs: <= 250 µs
  EXPECT_EQ(c.buckets[4], 20000u);  // 300 and 400 µs: <= 500 µs
  EXPECT_NEAR(c.sum_seconds, 10000 * (100 + 200 + 300 + 400) * 1e-6, 1e-6);
}

}  // namespace
}  // namespace rapport
