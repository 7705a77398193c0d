// File: bench/suite/parallel.h
//
// ParallelChunks: runs fn(begin, end) over [0, total) in chunks on `threads`
// threads; stops early and returns the first error.
#ifndef RAPPORT_BENCH_SUITE_PARALLEL_H_
#define RAPPORT_BENCH_SUITE_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace rapport::bench {

inline absl::Status ParallelChunks(int64_t total, int64_t chunk, int threads,
                                   const std::function<absl::Status(int64_t, int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      while (!failed.load()) {
        int64_t begin = next.fetch_add(chunk);
        if (begin >= total) return;
        absl::Status s = fn(begin, std::min(total, begin + chunk));
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first.ok()) first = s;
          failed = true;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  return first;
}

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_SUITE_PARALLEL_H_
