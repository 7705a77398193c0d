// File: services/metrics/process_stats.h
//
// The process's own figures for /metrics, read from /proc/self on each
// scrape (Linux; prometheus-cpp has no process collector): resident memory,
// threads, CPU time and start time, under the names Prometheus's own
// clients use (process_resident_memory_bytes, ...).
#ifndef RAPPORT_SERVICES_METRICS_PROCESS_STATS_H_
#define RAPPORT_SERVICES_METRICS_PROCESS_STATS_H_

#include <cstdint>
#include <optional>

namespace rapport::services {

struct ProcessStats {
  int64_t resident_memory_bytes = 0;
  int64_t virtual_memory_bytes = 0;
  int64_t threads = 0;
  double cpu_seconds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  int64_t open_fds = 0;
};

// nullopt when /proc/self cannot be read.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_METRICS_PROCESS_STATS_H_
