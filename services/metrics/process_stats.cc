#include "services/metrics/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rapport::services {
namespace {

// Seconds since the epoch when the system booted (/proc/stat "btime").
std::optional<int64_t> BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      int64_t value = 0;
      if (in >> value) return value;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so
  // fields are counted after its closing parenthesis (proc(5)).
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  ProcessStats out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const int64_t page = sysconf(_SC_PAGESIZE);
  // Field 3 (state) is the first after the parenthesis.
  for (int n = 3; fields >> field; ++n) {
    if (n == 14 || n == 15) out.cpu_seconds += std::stod(field) / ticks;  // utime, stime
    if (n == 20) out.threads = std::stoll(field);
    if (n == 22) {
      auto boot = BootTime();
      if (boot) out.start_time_seconds = static_cast<double>(*boot) + std::stod(field) / ticks;
    }
    if (n == 23) out.virtual_memory_bytes = std::stoll(field);
    if (n == 24) {
      out.resident_memory_bytes = std::stoll(field) * page;
      break;
    }
  }
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++out.open_fds;
  }
  if (out.open_fds > 0) --out.open_fds;  // the iterator's own
  return out;
}

}  // namespace rapport::services
