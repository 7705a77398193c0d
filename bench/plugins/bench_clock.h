// File: bench/plugins/bench_clock.h
//
// The clocks the in-process plugin benchmarks (timer_bench, backfill_bench)
// report with: wall time since a point, and the process's CPU time.
#ifndef RAPPORT_BENCH_PLUGINS_BENCH_CLOCK_H_
#define RAPPORT_BENCH_PLUGINS_BENCH_CLOCK_H_

#include <sys/resource.h>
#include <sys/time.h>

#include <chrono>

namespace rapport::bench {

using SteadyClock = std::chrono::steady_clock;

// Wall seconds since `since`.
inline double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

// Process CPU time (user + system, all threads), in seconds.
inline double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_PLUGINS_BENCH_CLOCK_H_
