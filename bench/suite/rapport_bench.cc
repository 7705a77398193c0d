// rapport_bench: Rapport's benchmark suite.
//
//   rapport_bench [--smoke] [--sizes 10k,100k] [--sync] [--systems ...] [--workloads ...]
//                 [--out-dir bench/results]
//
// For each data size it starts the systems (rapportd; B0 a bare gRPC echo
// server; B1 RocksDB in-process with rapportd's write pattern; B2
// PostgreSQL 15 through libpq from the client; B3 a gRPC service on
// PostgreSQL 15, what a team would build instead), loads the same data into each, and runs every
// workload against each with the same load generator: a closed loop (N clients, as fast as they go)
// for throughput and CPU per operation, then an open loop at a fixed rate (the same for every
// system) for latency percentiles. It prints a table per size, evaluates the targets, and writes
// OUT_DIR/<timestamp>.json, latest.json and latest.tsv (the chart's data;
// bench/run draws latest.png with gnuplot). See docs/performance.md.
//
// `rapport_bench --serve-echo` is the echo server process and
// `rapport_bench --serve-b3 CONNINFO` B3's server process (internal).
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <numeric>
#include <thread>
#include <tuple>

#include "CLI/CLI.hpp"
#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/suite/bench.h"
#include "bench/suite/json.h"
#include "bench/suite/process.h"
#include "google/protobuf/stubs/common.h"
#include "grpcpp/grpcpp.h"
#include "libpq-fe.h"
#include "rocksdb/version.h"

#ifndef RAPPORT_BENCH_BUILD_TYPE
#define RAPPORT_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef RAPPORT_SOURCE_DIR
#define RAPPORT_SOURCE_DIR "."
#endif
#ifndef RAPPORT_RAPPORTD_PATH
#define RAPPORT_RAPPORTD_PATH "rapportd"
#endif

namespace rapport::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  bool smoke = false;
  std::vector<std::string> sizes = {"10k", "100k"};
  std::vector<std::string> systems = {"rapport", "b3_grpc_postgres", "b2_postgres", "b1_rocksdb",
                                      "b0_echo"};
  std::vector<std::string> workloads;  // empty: all
  bool sync = false;
  double seconds = 10;
  double open_seconds = 10;
  double warmup = 1;
  int clients = 16;
  int import_clients = 4;
  // Closed-loop client counts each workload also runs at (e.g. 1,4,16 with
  // --sync: how concurrent writers share fsyncs). Empty: none.
  std::vector<int> client_sweep;
  int open_workers = 32;
  double open_fraction = 0.5;
  int loaders = 4;
  int block_cache_mib = 128;
  int grpc_max_pollers = services::GrpcThreadOptions().max_pollers;
  uint64_t seed = 42;
  std::string out_dir = "bench/results";
  std::string work_dir;
  bool keep_data = false;
  std::string tag;             // results go to <timestamp>-TAG.json and latest-TAG.*
  std::string dump_latencies;  // directory for every open-loop operation's latency
  std::string pg_bin = "/usr/lib/postgresql/15/bin";
  bool require_postgres = false;
  std::string rapportd = RAPPORT_RAPPORTD_PATH;
  // Noise control: before a run, wait (up to quiet_wait seconds) until other
  // processes use less than max_background % of the machine; repeat a run
  // during which they used more (up to `retries` times, keeping the quietest).
  double max_background = 10;
  double quiet_wait = 300;
  int retries = 2;
};

struct RunStats {
  double seconds = 0;
  int64_t ops = 0, errors = 0, conflicts = 0, adds = 0;
  double throughput = 0;                                 // ops/s
  double p50 = 0, p99 = 0, p999 = 0, mean = 0, max = 0;  // ms
  double server_cpu = 0, client_cpu = 0;                 // seconds
  double rate = 0;                                       // offered (open loop)
  // CPU the rest of the machine used meanwhile (other processes: noise).
  double other_cpu = 0;
  int concurrency = 0;
  std::string first_error;
  bool ran = false;
};

struct SystemRun {
  RunStats closed, open;
  // --client-sweep: the closed loop at each client count.
  std::map<int, RunStats> sweep;
  int64_t peak_memory = 0;
};

struct WorkloadResult {
  Workload workload;
  double open_rate = 0;
  std::map<std::string, SystemRun> runs;
};

struct SystemInfo {
  std::string name, description, cpu_method, memory_method;
  LoadReport load;
  int64_t load_peak_memory = 0;
  DiskUsage disk_after_load, disk_final;
  int64_t records_final = 0;
};

struct SizeResult {
  std::string label;
  int64_t customers = 0, interactions = 0, opportunities = 0;
  std::vector<SystemInfo> systems;
  std::vector<std::string> skipped;  // "system: reason"
  std::vector<WorkloadResult> workloads;
};

struct Target {
  std::string name, goal, measured, status, note;
};

// ---------------------------------------------------------------------------

int64_t ParseSize(const std::string& s) {
  std::string t = s;
  int64_t mul = 1;
  if (!t.empty() && (t.back() == 'k' || t.back() == 'K')) {
    mul = 1000;
    t.pop_back();
  } else if (!t.empty() && (t.back() == 'm' || t.back() == 'M')) {
    mul = 1000000;
    t.pop_back();
  }
  return std::stoll(t) * mul;
}

std::string Thousands(double v) {
  auto n = static_cast<int64_t>(std::llround(v));
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

void Summarize(std::vector<float>& lat_us, RunStats* s) {
  if (lat_us.empty()) return;
  double sum = std::accumulate(lat_us.begin(), lat_us.end(), 0.0);
  s->mean = sum / static_cast<double>(lat_us.size()) / 1000;
  s->max = *std::max_element(lat_us.begin(), lat_us.end()) / 1000;
  s->p50 = Percentile(lat_us, 0.50) / 1000;
  s->p99 = Percentile(lat_us, 0.99) / 1000;
  s->p999 = Percentile(lat_us, 0.999) / 1000;
}

struct Keys {
  Dataset* data;
  const Zipfian* customers;
  const Zipfian* opportunities;
};

uint64_t SeedFor(uint64_t seed, Workload w, int thread, int phase) {
  return seed * 1000003 + static_cast<uint64_t>(w) * 7919 + static_cast<uint64_t>(thread) * 104729 +
         static_cast<uint64_t>(phase) * 15485863;
}

// Machine CPU not spent by this process or the system under test.
struct NoiseMeter {
  explicit NoiseMeter(System& sys) : sys_(sys) {}
  void Start(double server_cpu) {
    busy0_ = MachineBusySeconds();
    self0_ = SelfCpuSeconds();
    server0_ = server_cpu;
  }
  double Stop(double server_cpu) const {
    double ours = SelfCpuSeconds() - self0_;
    // B1 runs in this process: its CPU is already ours.
    if (sys_.name() != "b1_rocksdb") ours += server_cpu - server0_;
    return std::max(0.0, MachineBusySeconds() - busy0_ - ours);
  }
  System& sys_;
  double busy0_ = 0, self0_ = 0, server0_ = 0;
};

// Waits until other processes leave the machine mostly to us: their CPU
// over one second below `max_percent` of all cores, for at most `max_wait`
// seconds. Returns the last measured percentage.
double WaitForQuiet(System& sys, double max_percent, double max_wait) {
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(max_wait));
  bool announced = false;
  for (;;) {
    NoiseMeter noise(sys);
    noise.Start(sys.CpuSeconds());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double percent = 100 * noise.Stop(sys.CpuSeconds()) / cores;
    if (percent < max_percent || Clock::now() >= deadline) {
      if (announced) std::printf("  ... background now %.0f%%\n", percent);
      return percent;
    }
    if (!announced) {
      std::printf("  waiting for other processes to quieten (%.0f%% of the machine busy)\n",
                  percent);
      std::fflush(stdout);
      announced = true;
    }
  }
}

// Samples the system's memory every 100 ms until `done`.
void SampleUntil(System& sys, const std::function<bool()>& done) {
  while (!done()) {
    sys.SampleMemory();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sys.SampleMemory();
}

// Closed loop: `clients` threads, each issuing its next operation as soon as
// the previous one returns, for warmup + seconds; only the last `seconds`
// count.
RunStats RunClosed(System& sys, const Keys& keys, Workload w, int clients, double warmup,
                   double seconds, uint64_t seed) {
  RunStats stats;
  stats.concurrency = clients;
  std::vector<std::unique_ptr<Client>> conns;
  for (int i = 0; i < clients; ++i) {
    auto c = sys.NewClient();
    if (!c.ok()) {
      stats.errors = 1;
      stats.first_error = std::string(c.status().message());
      return stats;
    }
    conns.push_back(std::move(*c));
  }
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto measure =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  const auto end =
      measure + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  struct PerThread {
    std::vector<float> lat;
    int64_t ops = 0, errors = 0, adds = 0;
    double cpu = 0;
    std::string error;
  };
  std::vector<PerThread> per(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      PerThread& me = per[static_cast<size_t>(i)];
      OpGenerator gen(keys.data, keys.customers, keys.opportunities, w, SeedFor(seed, w, i, 0));
      std::this_thread::sleep_until(start);
      bool measuring = false;
      double cpu0 = 0;
      for (;;) {
        auto now = Clock::now();
        if (now >= end) break;
        if (!measuring && now >= measure) {
          measuring = true;
          cpu0 = ThreadCpuSeconds();
        }
        const Op& op = gen.Next();
        auto b = Clock::now();
        absl::Status s = conns[static_cast<size_t>(i)]->Run(op);
        auto e = Clock::now();
        if (!measuring || e > end) continue;
        if (s.ok()) {
          ++me.ops;
          me.adds += op.adds;
          me.lat.push_back(std::chrono::duration<float, std::micro>(e - b).count());
        } else {
          ++me.errors;
          if (me.error.empty()) me.error = s.ToString();
        }
      }
      if (measuring) me.cpu = ThreadCpuSeconds() - cpu0;
    });
  }
  std::this_thread::sleep_until(measure);
  const double cpu0 = sys.CpuSeconds();
  NoiseMeter noise(sys);
  noise.Start(cpu0);
  SampleUntil(sys, [&] { return Clock::now() >= end; });
  const double cpu1 = sys.CpuSeconds();
  stats.other_cpu = noise.Stop(cpu1);
  for (auto& t : threads) t.join();
  std::vector<float> lat;
  for (auto& p : per) {
    stats.ops += p.ops;
    stats.errors += p.errors;
    stats.adds += p.adds;
    stats.client_cpu += p.cpu;
    lat.insert(lat.end(), p.lat.begin(), p.lat.end());
    if (stats.first_error.empty()) stats.first_error = p.error;
  }
  for (auto& c : conns) stats.conflicts += c->conflicts();
  stats.seconds = seconds;
  stats.throughput = static_cast<double>(stats.ops) / seconds;
  stats.server_cpu = cpu1 - cpu0;
  Summarize(lat, &stats);
  stats.ran = true;
  return stats;
}

// Open loop: operation i is due at start + i/rate, whatever happened before;
// its latency is measured from when it was due (so queueing counts: no
// coordinated omission). `workers` threads take the operations in turn.
// With `dump_path`, every operation is written there as a line
// "due_seconds<TAB>latency_ms<TAB>ok", in due order (to see when slow calls
// happen, not only how many).
RunStats RunOpen(System& sys, const Keys& keys, Workload w, int workers, double rate,
                 double seconds, uint64_t seed, const std::string& dump_path = "") {
  RunStats stats;
  stats.concurrency = workers;
  stats.rate = rate;
  std::vector<std::unique_ptr<Client>> conns;
  for (int i = 0; i < workers; ++i) {
    auto c = sys.NewClient();
    if (!c.ok()) {
      stats.errors = 1;
      stats.first_error = std::string(c.status().message());
      return stats;
    }
    conns.push_back(std::move(*c));
  }
  // At least a few operations, even for slow ones in short runs.
  const auto total = std::max<int64_t>(3, static_cast<int64_t>(rate * seconds));
  if (rate <= 0) return stats;
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  std::atomic<int64_t> next{0};
  std::atomic<int> finished{0};
  struct PerThread {
    std::vector<float> lat;
    std::vector<std::tuple<int64_t, float, bool>> trace;  // (n, latency us, ok)
    int64_t ops = 0, errors = 0, adds = 0;
    double cpu = 0;
    std::string error;
  };
  std::vector<PerThread> per(static_cast<size_t>(workers));
  const bool tracing = !dump_path.empty();
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      PerThread& me = per[static_cast<size_t>(i)];
      OpGenerator gen(keys.data, keys.customers, keys.opportunities, w, SeedFor(seed, w, i, 1));
      const double cpu0 = ThreadCpuSeconds();
      for (;;) {
        int64_t n = next.fetch_add(1);
        if (n >= total) break;
        const Op& op = gen.Next();
        auto due = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(n) / rate));
        std::this_thread::sleep_until(due);
        absl::Status s = conns[static_cast<size_t>(i)]->Run(op);
        auto e = Clock::now();
        if (tracing) {
          me.trace.emplace_back(n, std::chrono::duration<float, std::micro>(e - due).count(),
                                s.ok());
        }
        if (s.ok()) {
          ++me.ops;
          me.adds += op.adds;
          me.lat.push_back(std::chrono::duration<float, std::micro>(e - due).count());
        } else {
          ++me.errors;
          if (me.error.empty()) me.error = s.ToString();
        }
      }
      me.cpu = ThreadCpuSeconds() - cpu0;
      finished.fetch_add(1);
    });
  }
  std::this_thread::sleep_until(start);
  const double cpu0 = sys.CpuSeconds();
  NoiseMeter noise(sys);
  noise.Start(cpu0);
  SampleUntil(sys, [&] { return finished.load() == workers; });
  const double cpu1 = sys.CpuSeconds();
  stats.other_cpu = noise.Stop(cpu1);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& t : threads) t.join();
  std::vector<float> lat;
  for (auto& p : per) {
    stats.ops += p.ops;
    stats.errors += p.errors;
    stats.adds += p.adds;
    stats.client_cpu += p.cpu;
    lat.insert(lat.end(), p.lat.begin(), p.lat.end());
    if (stats.first_error.empty()) stats.first_error = p.error;
  }
  for (auto& c : conns) stats.conflicts += c->conflicts();
  if (tracing) {
    std::vector<std::tuple<int64_t, float, bool>> trace;
    for (auto& p : per) trace.insert(trace.end(), p.trace.begin(), p.trace.end());
    std::sort(trace.begin(), trace.end());
    std::ofstream out(dump_path);
    out << "due_s\tlatency_ms\tok\n";
    for (const auto& [n, us, ok] : trace) {
      out << static_cast<double>(n) / rate << '\t' << us / 1000.0f << '\t' << (ok ? 1 : 0) << '\n';
    }
    if (!out) std::fprintf(stderr, "cannot write %s\n", dump_path.c_str());
  }
  stats.seconds = elapsed;
  stats.throughput = static_cast<double>(stats.ops) / elapsed;
  stats.server_cpu = cpu1 - cpu0;
  Summarize(lat, &stats);
  stats.ran = true;
  return stats;
}

// ---------------------------------------------------------------------------
// Reporting

const char* ShortName(const std::string& system) {
  if (system == "rapport") return "rapport";
  if (system == "b0_echo") return "B0 echo";
  if (system == "b1_rocksdb") return "B1 rocksdb";
  if (system == "b2_postgres") return "B2 postgres";
  if (system == "b3_grpc_postgres") return "B3 grpc+pg";
  return system.c_str();
}

// Throughput in the unit of the table: customers/s for bulk import.
double TableThroughput(Workload w, const RunStats& s) {
  return w == Workload::kImport ? s.throughput * kImportBatch : s.throughput;
}

std::string Ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, a / b >= 10 ? "%.1f" : "%.2f", a / b);
  return buf;
}

std::string Ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
  return buf;
}

// Percent of the machine's CPU other processes used during both runs.
double Background(const RunStats& closed, const RunStats& open) {
  double seconds = closed.seconds + open.seconds;
  double cores = std::max(1u, std::thread::hardware_concurrency());
  return seconds > 0 ? 100 * (closed.other_cpu + open.other_cpu) / (seconds * cores) : 0;
}

const SystemRun* Find(const WorkloadResult& w, const std::string& system) {
  auto it = w.runs.find(system);
  return it == w.runs.end() || !it->second.closed.ran ? nullptr : &it->second;
}

// --client-sweep: closed-loop throughput and server CPU per operation at
// each client count, and Rapport's throughput over each baseline's.
std::string SweepTable(const SizeResult& size, const Options& options) {
  if (options.client_sweep.empty()) return "";
  std::string out = "\n   closed loop by clients: ops/s (server cpu us/op); Rapport/B1, /B2, /B3\n";
  char line[256];
  for (const auto& wr : size.workloads) {
    bool first = true;
    for (const char* system :
         {"rapport", "b3_grpc_postgres", "b2_postgres", "b1_rocksdb", "b0_echo"}) {
      const SystemRun* run = Find(wr, system);
      if (!run || run->sweep.empty()) continue;
      std::snprintf(line, sizeof line, "   %-24s %-12s", first ? WorkloadLabel(wr.workload) : "",
                    ShortName(system));
      first = false;
      out += line;
      for (const auto& [clients, c] : run->sweep) {
        const double per =
            static_cast<double>(c.ops) * (wr.workload == Workload::kImport ? kImportBatch : 1);
        std::snprintf(line, sizeof line, "  %3d: %9s (%6.0f)", clients,
                      Thousands(TableThroughput(wr.workload, c)).c_str(),
                      c.ops ? c.server_cpu / per * 1e6 : 0.0);
        out += line;
        // Rapport's ratios; a blank column of the same width on other rows.
        std::vector<std::string> ratios;
        for (const char* base : {"b1_rocksdb", "b2_postgres", "b3_grpc_postgres"}) {
          if (system != std::string("rapport")) break;
          const SystemRun* b = Find(wr, base);
          auto it = b ? b->sweep.find(clients) : run->sweep.end();
          ratios.push_back(b && it != b->sweep.end() ? Ratio(c.throughput, it->second.throughput)
                                                     : "-");
        }
        std::snprintf(line, sizeof line, " %-17s", absl::StrJoin(ratios, "/").c_str());
        out += line;
      }
      out += "\n";
    }
  }
  return out;
}

std::string SizeTable(const SizeResult& size, const Options& options) {
  std::string out;
  out += absl::StrCat(
      "\n== ", size.label, ": ", Thousands(static_cast<double>(size.customers)), " customers, ",
      Thousands(static_cast<double>(size.interactions)), " interactions, ",
      Thousands(static_cast<double>(size.opportunities)), " opportunities; durability ",
      options.sync ? "--sync / synchronous_commit=on" : "default / synchronous_commit=off", "\n");
  out += "   bg%: CPU other processes on the machine used during the runs, in % of all cores\n";
  out += "   throughput: closed loop, " + std::to_string(options.clients) +
         " clients (bulk import: " + std::to_string(options.import_clients) +
         ", in customers/s, CPU per customer); latency: open loop at the rate shown; CPU: server "
         "side per op\n";
  char line[512];
  std::snprintf(line, sizeof line,
                "%-24s %-12s %11s %8s %8s %9s %10s %10s %9s %6s %6s %6s %6s %7s %5s %5s\n",
                "workload", "system", "ops/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu us/op",
                "cli us/op", "peak MiB", "R/B0", "R/B1", "R/B2", "R/B3", "p99R/B3", "err", "bg%");
  out += line;
  for (const auto& wr : size.workloads) {
    const SystemRun* r = Find(wr, "rapport");
    bool first = true;
    for (const char* system :
         {"rapport", "b3_grpc_postgres", "b2_postgres", "b1_rocksdb", "b0_echo"}) {
      const SystemRun* run = Find(wr, system);
      if (!run) continue;
      std::string label = first ? WorkloadLabel(wr.workload) : "";
      if (first) first = false;
      const RunStats& c = run->closed;
      const RunStats& o = run->open;
      // Per operation; per customer for bulk import (like its throughput).
      const double per =
          static_cast<double>(c.ops) * (wr.workload == Workload::kImport ? kImportBatch : 1);
      double cpu = c.ops ? c.server_cpu / per * 1e6 : 0;
      double cli = c.ops ? c.client_cpu / per * 1e6 : 0;
      std::string r0 = "", r1 = "", r2 = "", r3 = "", p99r = "";
      if (system == std::string("rapport") && r) {
        auto other = [&](const char* name) { return Find(wr, name); };
        if (auto* b0 = other("b0_echo")) r0 = Ratio(c.throughput, b0->closed.throughput);
        if (auto* b1 = other("b1_rocksdb")) r1 = Ratio(c.throughput, b1->closed.throughput);
        if (auto* b2 = other("b2_postgres")) r2 = Ratio(c.throughput, b2->closed.throughput);
        if (auto* b3 = other("b3_grpc_postgres")) {
          r3 = Ratio(c.throughput, b3->closed.throughput);
          p99r = Ratio(o.p99, b3->open.p99);
        }
      }
      std::snprintf(line, sizeof line,
                    "%-24s %-12s %11s %8s %8s %9s %10.1f %10.1f %9.1f %6s %6s %6s %6s %7s %5" PRId64
                    " %5.0f\n",
                    label.c_str(), ShortName(system),
                    Thousands(TableThroughput(wr.workload, c)).c_str(), Ms(o.p50).c_str(),
                    Ms(o.p99).c_str(), Ms(o.p999).c_str(), cpu, cli,
                    static_cast<double>(run->peak_memory) / (1 << 20), r0.c_str(), r1.c_str(),
                    r2.c_str(), r3.c_str(), p99r.c_str(), c.errors + o.errors, Background(c, o));
      out += line;
    }
    char rate[96];
    std::snprintf(rate, sizeof rate, "%-24s (open loop at %s ops/s)\n", "",
                  Thousands(wr.open_rate).c_str());
    out += rate;
  }
  out += SweepTable(size, options);
  out +=
      "\n   system        load s   records/s   disk B/record (incl. WAL)   peak MiB during load\n";
  for (const auto& s : size.systems) {
    if (s.name == "b0_echo") continue;
    double per = s.records_final ? static_cast<double>(s.disk_final.total - s.disk_final.wal) /
                                       static_cast<double>(s.records_final)
                                 : 0;
    double per_wal = s.records_final ? static_cast<double>(s.disk_final.total) /
                                           static_cast<double>(s.records_final)
                                     : 0;
    std::snprintf(
        line, sizeof line, "   %-12s %7.1f %11s %10.0f (%6.0f)            %9.1f\n",
        ShortName(s.name), s.load.seconds,
        Thousands(s.load.seconds > 0 ? static_cast<double>(s.load.records) / s.load.seconds : 0)
            .c_str(),
        per, per_wal, static_cast<double>(s.load_peak_memory) / (1 << 20));
    out += line;
  }
  for (const auto& skip : size.skipped) out += "   skipped " + skip + "\n";
  return out;
}

std::vector<Target> EvaluateTargets(const std::vector<SizeResult>& sizes, const Options& options) {
  std::vector<Target> targets;
  if (sizes.empty()) return targets;
  auto thr = [](const WorkloadResult& w, const char* s) {
    const SystemRun* r = Find(w, s);
    return r ? r->closed.throughput : 0.0;
  };
  auto workload = [](const SizeResult& size, Workload w) -> const WorkloadResult* {
    for (const auto& wr : size.workloads)
      if (wr.workload == w) return &wr;
    return nullptr;
  };
  auto fmt = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return std::string(buf);
  };
  auto status = [](bool measured, bool ok) {
    return !measured ? std::string("not measured")
           : ok      ? std::string("met")
                     : std::string("not met");
  };
  const SizeResult* million = nullptr;
  for (const auto& s : sizes)
    if (s.customers >= 1000000) million = &s;
  const SizeResult& largest = sizes.back();
  const SizeResult& smallest = sizes.front();

  // Rapport's closed-loop throughput over `system`'s on each of `workloads`:
  // met when every ratio is >= `min_ratio`.
  auto throughput_target = [&](Target t, std::initializer_list<Workload> workloads,
                               const char* system, double min_ratio, const char* suffix) {
    bool measured = false, ok = true;
    std::vector<std::string> parts;
    for (const auto& size : sizes) {
      for (Workload w : workloads) {
        const auto* wr = workload(size, w);
        if (!wr || thr(*wr, "rapport") <= 0 || thr(*wr, system) <= 0) continue;
        double r = thr(*wr, "rapport") / thr(*wr, system);
        measured = true;
        ok = ok && r >= min_ratio;
        parts.push_back(absl::StrCat(size.label, " ", WorkloadName(w), " ", fmt(r), suffix));
      }
    }
    t.measured = absl::StrJoin(parts, "; ");
    t.status = status(measured, ok);
    return t;
  };
  // 1. Point RPCs >= 70% of B0.
  targets.push_back(throughput_target(
      {"point RPCs >= 70% of B0 throughput", "rapport/B0 >= 0.70 for a-d", "", "", ""},
      {Workload::kCreateCustomer, Workload::kGetCustomer, Workload::kLogInteraction,
       Workload::kMoveStage},
      "b0_echo", 0.70, ""));
  // The CRM day against `system`: >= `min_ratio` its throughput, p99 no worse.
  auto crm_day_target = [&](Target t, const char* system, double min_ratio) {
    bool measured = false, ok = true;
    std::vector<std::string> parts;
    for (const auto& size : sizes) {
      const auto* wr = workload(size, Workload::kCrmDay);
      if (!wr) continue;
      const SystemRun* r = Find(*wr, "rapport");
      const SystemRun* p = Find(*wr, system);
      if (!r || !p || p->closed.throughput <= 0) continue;
      measured = true;
      double ratio = r->closed.throughput / p->closed.throughput;
      ok = ok && ratio >= min_ratio && r->open.p99 <= p->open.p99;
      parts.push_back(absl::StrCat(size.label, " ", fmt(ratio), "x, p99 ", Ms(r->open.p99), " vs ",
                                   Ms(p->open.p99), " ms"));
    }
    t.measured = absl::StrJoin(parts, "; ");
    t.status = status(measured, ok);
    return t;
  };
  // 2. CRM day >= 3x PostgreSQL at equal durability, p99 no worse.
  {
    Target t = crm_day_target(
        {"CRM day >= 3x PostgreSQL, p99 no worse", "rapport/B2 >= 3 and p99 <= B2's", "", "", ""},
        "b2_postgres", 3);
    t.note = options.sync
                 ? "--sync vs synchronous_commit=on: both fsync the WAL before acknowledging"
                 : "default vs synchronous_commit=off: neither fsyncs before acknowledging "
                   "(rapportd's default still survives a process crash; PostgreSQL's may "
                   "lose the last ~0.6 s on a server crash)";
    targets.push_back(t);
  }
  // 3. Read-heavy >= 5x PostgreSQL.
  targets.push_back(throughput_target(
      {"read-heavy (get, 360, search) >= 5x PostgreSQL", "rapport/B2 >= 5", "", "", ""},
      {Workload::kGetCustomer, Workload::kCustomer360, Workload::kSearch}, "b2_postgres", 5, "x"));
  // Against B3, the service a team would build on PostgreSQL (issue 18):
  // the CRM day at >= 2x its throughput with a p99 no worse, every read
  // workload at >= 1.5x.
  targets.push_back(crm_day_target({"CRM day >= 2x B3 (a gRPC service on PostgreSQL), p99 no worse",
                                    "rapport/B3 >= 2 and p99 <= B3's", "", "", ""},
                                   "b3_grpc_postgres", 2));
  targets.push_back(throughput_target(
      {"every read workload >= 1.5x B3", "rapport/B3 >= 1.5", "", "", ""},
      {Workload::kGetCustomer, Workload::kCustomer360, Workload::kSearch, Workload::kListPipeline},
      "b3_grpc_postgres", 1.5, "x"));
  // 4. List pipeline p99 < 5 ms and search p99 < 10 ms at 1M.
  {
    Target t{"list pipeline p99 < 5 ms, search p99 < 10 ms at 1M customers", "at 1M", "", "", ""};
    const SizeResult& at = million ? *million : largest;
    const auto* list = workload(at, Workload::kListPipeline);
    const auto* search = workload(at, Workload::kSearch);
    const SystemRun* l = list ? Find(*list, "rapport") : nullptr;
    const SystemRun* s = search ? Find(*search, "rapport") : nullptr;
    if (l && s) {
      t.measured = absl::StrCat(at.label, ": list p99 ", Ms(l->open.p99), " ms, search p99 ",
                                Ms(s->open.p99), " ms");
      t.status = status(million != nullptr, l->open.p99 < 5 && s->open.p99 < 10);
      if (!million)
        t.note = "1M not run (opt-in: --sizes 10k,100k,1m); shown at the largest size run";
    } else {
      t.status = "not measured";
    }
    targets.push_back(t);
  }
  // 5. Import >= 50,000 customers/s.
  {
    Target t{"bulk import >= 50,000 customers/s", ">= 50000/s", "", "", ""};
    bool measured = false, ok = true;
    std::vector<std::string> parts;
    for (const auto& size : sizes) {
      const auto* wr = workload(size, Workload::kImport);
      if (!wr || thr(*wr, "rapport") <= 0) continue;
      double v = thr(*wr, "rapport") * kImportBatch;
      measured = true;
      ok = ok && v >= 50000;
      parts.push_back(absl::StrCat(size.label, " ", Thousands(v), "/s"));
    }
    t.measured = absl::StrJoin(parts, "; ");
    t.status = status(measured, ok);
    targets.push_back(t);
  }
  // 6. Latency at 1M within 1.5x of 10k.
  {
    Target t{"latency at 1M within 1.5x of 10k", "p99(1M)/p99(10k) <= 1.5 for every workload", "",
             "", ""};
    const SizeResult* small = nullptr;
    for (const auto& s : sizes)
      if (s.customers == 10000) small = &s;
    if (!small) small = &smallest;
    const SizeResult* big = million ? million : &largest;
    if (small != big) {
      double worst = 0;
      std::string worst_name;
      std::vector<std::string> parts;
      for (const auto& wr : big->workloads) {
        const auto* s = workload(*small, wr.workload);
        const SystemRun* a = s ? Find(*s, "rapport") : nullptr;
        const SystemRun* b = Find(wr, "rapport");
        if (!a || !b || a->open.p99 <= 0) continue;
        double r = b->open.p99 / a->open.p99;
        parts.push_back(absl::StrCat(WorkloadName(wr.workload), " ", fmt(r)));
        if (r > worst) {
          worst = r;
          worst_name = WorkloadName(wr.workload);
        }
      }
      t.measured = absl::StrCat(big->label, " vs ", small->label, ": worst ", worst_name, " ",
                                fmt(worst), "x (", absl::StrJoin(parts, ", "), ")");
      t.status = status(million != nullptr && small->customers == 10000, worst <= 1.5);
      if (!million) t.note = "1M not run; shown for the largest size against the smallest";
      t.note += (t.note.empty() ? "" : "; ") +
                std::string("open-loop p99, each size at its own offered rate");
    } else {
      t.status = "not measured";
      t.note = "needs two sizes";
    }
    targets.push_back(t);
  }
  // 7. Peak RSS at 1M <= 512 MiB.
  {
    Target t{"rapportd peak RSS at 1M <= 512 MiB", "<= 512 MiB", "", "", ""};
    const SizeResult& at = million ? *million : largest;
    int64_t peak = 0;
    for (const auto& s : at.systems)
      if (s.name == "rapport") peak = std::max(peak, s.load_peak_memory);
    for (const auto& wr : at.workloads)
      if (const SystemRun* r = Find(wr, "rapport")) peak = std::max(peak, r->peak_memory);
    if (peak > 0) {
      t.measured = absl::StrCat(at.label, ": ", fmt(static_cast<double>(peak) / (1 << 20)), " MiB");
      t.status = status(million != nullptr, peak <= (int64_t{512} << 20));
      if (!million) t.note = "1M not run; shown at the largest size run";
    } else {
      t.status = "not measured";
    }
    targets.push_back(t);
  }
  return targets;
}

std::string ReadFirstLine(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

void WriteStats(JsonWriter& j, const RunStats& s, bool closed) {
  j.BeginObject();
  j.Field("mode", closed ? "closed" : "open");
  j.Field("concurrency", s.concurrency);
  if (!closed) j.Field("offered_rate", s.rate);
  j.Field("seconds", s.seconds);
  j.Field("ops", s.ops);
  j.Field("errors", s.errors);
  j.Field("conflicts_retried", s.conflicts);
  j.Field("records_added", s.adds);
  j.Field("throughput_ops", s.throughput);
  j.Field("latency_p50_ms", s.p50);
  j.Field("latency_p99_ms", s.p99);
  j.Field("latency_p999_ms", s.p999);
  j.Field("latency_mean_ms", s.mean);
  j.Field("latency_max_ms", s.max);
  j.Field("server_cpu_s", s.server_cpu);
  j.Field("client_cpu_s", s.client_cpu);
  j.Field("other_processes_cpu_s", s.other_cpu);
  j.Field("server_cpu_us_per_op", s.ops ? s.server_cpu / static_cast<double>(s.ops) * 1e6 : 0);
  j.Field("client_cpu_us_per_op", s.ops ? s.client_cpu / static_cast<double>(s.ops) * 1e6 : 0);
  if (!s.first_error.empty()) j.Field("first_error", s.first_error);
  j.EndObject();
}

struct Environment {
  std::map<std::string, std::string> machine, versions;
};

Environment Describe(const Options& options) {
  Environment env;
  env.machine["cpu_model"] = ReadFirstLine("/proc/cpuinfo", "model name\t: ");
  env.machine["hardware_threads"] = std::to_string(std::thread::hardware_concurrency());
  env.machine["memory"] = ReadFirstLine("/proc/meminfo", "MemTotal:");
  utsname u{};
  if (uname(&u) == 0)
    env.machine["kernel"] = absl::StrCat(u.sysname, " ", u.release, " ", u.machine);
  std::string os = ReadFirstLine("/etc/os-release", "PRETTY_NAME=");
  os.erase(std::remove(os.begin(), os.end(), '"'), os.end());
  env.machine["os"] = os;
  env.machine["work_dir_filesystem"] = CommandOutput(
      "df -PT " + options.work_dir + " 2>/dev/null | tail -1 | awk '{print $1\" \"$2}'");
  env.machine["virtualization"] = CommandOutput("systemd-detect-virt 2>/dev/null");
  env.versions["grpc"] = grpc::Version();
  env.versions["protobuf"] = google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION);
  env.versions["rocksdb"] = absl::StrCat(ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".", ROCKSDB_PATCH);
  env.versions["abseil"] = std::to_string(ABSL_LTS_RELEASE_VERSION);
  env.versions["postgresql"] = PostgresVersion(options.pg_bin);
  env.versions["libpq"] = std::to_string(PQlibVersion());
  env.versions["compiler"] = "gcc " __VERSION__;
  env.versions["build_type"] = RAPPORT_BENCH_BUILD_TYPE;
  env.versions["gnuplot"] = CommandOutput("gnuplot --version 2>/dev/null");
  const std::string git = "git -C " RAPPORT_SOURCE_DIR " ";
  env.versions["git_commit"] = CommandOutput(git + "rev-parse HEAD 2>/dev/null");
  // The tree benchmarked may hold uncommitted work (of others): say which.
  env.versions["git_uncommitted_outside_bench"] = CommandOutput(
      git +
      "status --porcelain 2>/dev/null | grep -v -e ' bench/' -e ' docs/performance.md' "
      "-e ' scripts/setup' | awk '{print $2}' | tr '\\n' ' '");
  env.versions["rapportd"] = options.rapportd;
  return env;
}

std::string Timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string ToJson(const std::vector<SizeResult>& sizes, const std::vector<Target>& targets,
                   const Options& options, const Environment& env, const std::string& command,
                   const std::string& timestamp) {
  JsonWriter j;
  j.BeginObject();
  j.Field("suite", "rapport_bench");
  j.Field("format", 1);
  j.Field("timestamp", timestamp);
  j.Field("command", command);
  j.Key("machine").BeginObject();
  for (const auto& [k, v] : env.machine) j.Field(k, v);
  j.EndObject();
  j.Key("versions").BeginObject();
  for (const auto& [k, v] : env.versions) j.Field(k, v);
  j.EndObject();
  j.Key("options").BeginObject();
  j.Field("smoke", options.smoke);
  j.Field("sync", options.sync);
  j.Field("closed_loop_seconds", options.seconds);
  j.Field("open_loop_seconds", options.open_seconds);
  j.Field("warmup_seconds", options.warmup);
  j.Field("clients", options.clients);
  j.Field("import_clients", options.import_clients);
  j.Key("client_sweep").BeginArray();
  for (int n : options.client_sweep) j.Int(n);
  j.EndArray();
  j.Field("open_loop_workers", options.open_workers);
  j.Field("open_loop_fraction", options.open_fraction);
  j.Field("loaders", options.loaders);
  j.Field("block_cache_mib", options.block_cache_mib);
  j.Field("grpc_max_pollers", options.grpc_max_pollers);
  j.Field("seed", static_cast<int64_t>(options.seed));
  j.Field("max_background_percent", options.max_background);
  j.Field("quiet_wait_seconds", options.quiet_wait);
  j.Field("noisy_run_retries", options.retries);
  j.Field("customer_key_choice", "uniform (a-h); scrambled zipfian theta 0.99 (i)");
  j.Field("crm_day_mix",
          "log interaction 30, customer 360 25, search 15, move stage 10, list pipeline 10, "
          "create/update customer 4+4, pipeline aggregate 2 (rapportd: GetStageTotal, from the "
          "index; PostgreSQL: SELECT sum(), count(*))");
  j.EndObject();
  j.Key("sizes").BeginArray();
  for (const auto& size : sizes) {
    j.BeginObject();
    j.Field("label", size.label);
    j.Field("customers", size.customers);
    j.Field("interactions", size.interactions);
    j.Field("opportunities", size.opportunities);
    j.Key("skipped").BeginArray();
    for (const auto& s : size.skipped) j.String(s);
    j.EndArray();
    j.Key("systems").BeginObject();
    for (const auto& s : size.systems) {
      j.Key(s.name).BeginObject();
      j.Field("description", s.description);
      j.Field("cpu_method", s.cpu_method);
      j.Field("memory_method", s.memory_method);
      j.Key("load").BeginObject();
      j.Field("seconds", s.load.seconds);
      j.Field("records", s.load.records);
      j.Field("records_per_second",
              s.load.seconds > 0 ? static_cast<double>(s.load.records) / s.load.seconds : 0);
      for (const auto& [name, secs] : s.load.phases) j.Field(name + "_seconds", secs);
      j.Field("peak_memory_bytes", s.load_peak_memory);
      j.EndObject();
      j.Key("disk").BeginObject();
      j.Field("after_load_bytes", s.disk_after_load.total);
      j.Field("after_load_wal_bytes", s.disk_after_load.wal);
      j.Field("final_bytes", s.disk_final.total);
      j.Field("final_wal_bytes", s.disk_final.wal);
      j.Field("final_records", s.records_final);
      j.Field("bytes_per_record", s.records_final
                                      ? static_cast<double>(s.disk_final.total - s.disk_final.wal) /
                                            static_cast<double>(s.records_final)
                                      : 0);
      j.Field("bytes_per_record_incl_wal",
              s.records_final
                  ? static_cast<double>(s.disk_final.total) / static_cast<double>(s.records_final)
                  : 0);
      j.Field("measured",
              "after a clean shutdown (RocksDB: memtables flushed; PostgreSQL: "
              "shutdown checkpoint); records = loaded + added by the runs");
      j.EndObject();
      j.EndObject();
    }
    j.EndObject();
    j.Key("workloads").BeginArray();
    for (const auto& wr : size.workloads) {
      j.BeginObject();
      j.Field("name", WorkloadName(wr.workload));
      j.Field("label", WorkloadLabel(wr.workload));
      j.Field("unit", wr.workload == Workload::kImport ? "call of 1000 customers" : "operation");
      j.Field("open_loop_rate", wr.open_rate);
      j.Key("results").BeginObject();
      for (const auto& [system, run] : wr.runs) {
        j.Key(system).BeginObject();
        j.Key("closed");
        WriteStats(j, run.closed, true);
        j.Key("open");
        WriteStats(j, run.open, false);
        j.Field("peak_memory_bytes", run.peak_memory);
        if (!run.sweep.empty()) {
          // --client-sweep: the closed loop at each client count.
          j.Key("closed_by_clients").BeginObject();
          for (const auto& [clients, stats] : run.sweep) {
            j.Key(std::to_string(clients));
            WriteStats(j, stats, true);
          }
          j.EndObject();
        }
        if (wr.workload == Workload::kImport) {
          j.Field("customers_per_second", run.closed.throughput * kImportBatch);
        }
        j.EndObject();
      }
      j.EndObject();
      j.Key("ratios").BeginObject();
      const SystemRun* r = Find(wr, "rapport");
      for (const char* other : {"b0_echo", "b1_rocksdb", "b2_postgres", "b3_grpc_postgres"}) {
        const SystemRun* o = Find(wr, other);
        if (!r || !o || o->closed.throughput <= 0) continue;
        j.Field(absl::StrCat("throughput_rapport_over_", other),
                r->closed.throughput / o->closed.throughput);
        if (o->open.p99 > 0)
          j.Field(absl::StrCat("p99_rapport_over_", other), r->open.p99 / o->open.p99);
        double rc = r->closed.ops ? r->closed.server_cpu / static_cast<double>(r->closed.ops) : 0;
        double oc = o->closed.ops ? o->closed.server_cpu / static_cast<double>(o->closed.ops) : 0;
        if (oc > 0) j.Field(absl::StrCat("cpu_per_op_rapport_over_", other), rc / oc);
      }
      j.EndObject();
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();
  j.Key("targets").BeginArray();
  for (const auto& t : targets) {
    j.BeginObject();
    j.Field("target", t.name);
    j.Field("goal", t.goal);
    j.Field("measured", t.measured);
    j.Field("status", t.status);
    if (!t.note.empty()) j.Field("note", t.note);
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  return j.str() + "\n";
}

// The chart's data: one block per size (gnuplot `index`), a row per
// workload, throughput and open-loop p99 per system ("-" when not run).
std::string ToTsv(const std::vector<SizeResult>& sizes) {
  const char* systems[] = {"rapport", "b2_postgres", "b1_rocksdb", "b0_echo", "b3_grpc_postgres"};
  std::string out;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) out += "\n\n";
    out += "#size\t" + sizes[i].label + "\n";
    out += "workload";
    for (const char* s : systems) out += std::string("\t") + ShortName(s);
    for (const char* s : systems) out += std::string("\tp99 ") + ShortName(s);
    out += "\n";
    for (const auto& wr : sizes[i].workloads) {
      out += WorkloadLabel(wr.workload);
      for (const char* s : systems) {
        const SystemRun* r = Find(wr, s);
        out += "\t" + (r && r->closed.throughput > 0
                           ? absl::StrCat(TableThroughput(wr.workload, r->closed))
                           : std::string("-"));
      }
      for (const char* s : systems) {
        const SystemRun* r = Find(wr, s);
        out += "\t" + (r && r->open.p99 > 0 ? absl::StrCat(r->open.p99) : std::string("-"));
      }
      out += "\n";
    }
  }
  return out;
}

bool WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out);
}

// ---------------------------------------------------------------------------

int Main(const Options& options, const std::string& command) {
  std::filesystem::create_directories(options.work_dir);
  std::filesystem::permissions(options.work_dir, std::filesystem::perms(0755));
  std::filesystem::create_directories(options.out_dir);
  const Environment env = Describe(options);
  const std::string timestamp = Timestamp();
  std::printf("rapport_bench %s: %s, %s hardware threads, %s\n", options.smoke ? "(smoke)" : "",
              env.machine.at("cpu_model").c_str(), env.machine.at("hardware_threads").c_str(),
              env.machine.at("os").c_str());
  std::printf("  gRPC %s, protobuf %s, RocksDB %s, Abseil %s, %s, work dir %s\n",
              env.versions.at("grpc").c_str(), env.versions.at("protobuf").c_str(),
              env.versions.at("rocksdb").c_str(), env.versions.at("abseil").c_str(),
              env.versions.at("postgresql").c_str(), options.work_dir.c_str());
  std::fflush(stdout);

  std::vector<Workload> workloads;
  for (Workload w : RunOrder()) {
    if (options.workloads.empty() || std::find(options.workloads.begin(), options.workloads.end(),
                                               WorkloadName(w)) != options.workloads.end()) {
      workloads.push_back(w);
    }
  }
  std::vector<SizeResult> results;
  int64_t total_errors = 0;
  bool failed = false;
  WireProfile wire;
  // Which "latest" a run replaces: a smoke, --sync or --tag run never
  // overwrites the default run's files.
  const std::string tag = options.smoke          ? "smoke"
                          : !options.tag.empty() ? options.tag
                          : options.sync         ? "sync"
                                                 : "";
  const std::string suffix = tag.empty() ? "" : "-" + tag;
  std::string json_path = options.out_dir + "/" + timestamp + suffix + ".json";

  for (const std::string& size_label : options.sizes) {
    SizeResult size;
    size.label = size_label;
    size.customers = ParseSize(size_label);
    auto data = std::make_unique<Dataset>(size.customers, options.seed);
    size.interactions = data->interactions();
    size.opportunities = data->opportunities();
    Zipfian customer_zipf(static_cast<uint64_t>(data->customers()));
    Zipfian opportunity_zipf(std::max<uint64_t>(1, data->open_opportunities().size()));
    Keys keys{data.get(), &customer_zipf, &opportunity_zipf};
    wire.Reset();

    const std::string size_dir = options.work_dir + "/" + size_label;
    std::filesystem::create_directories(size_dir);
    std::filesystem::permissions(size_dir, std::filesystem::perms(0755));
    SystemConfig config;
    config.work_dir = size_dir;
    config.self_exe = std::filesystem::read_symlink("/proc/self/exe").string();
    config.rapportd = options.rapportd;
    config.sync = options.sync;
    config.block_cache_mib = options.block_cache_mib;
    config.grpc_max_pollers = options.grpc_max_pollers;
    config.pg_bin = options.pg_bin;
    config.wire = &wire;

    std::vector<std::unique_ptr<System>> systems;
    for (const std::string& name : options.systems) {
      std::unique_ptr<System> sys;
      if (name == "rapport") {
        sys = NewRapportSystem(config);
      } else if (name == "b0_echo") {
        sys = NewEchoSystem(config);
      } else if (name == "b1_rocksdb") {
        sys = NewRocksDbSystem(config);
      } else if (name == "b2_postgres" || name == "b3_grpc_postgres") {
        absl::StatusOr<std::unique_ptr<System>> pg;
        if (name == "b2_postgres") {
          pg = NewPostgresSystem(config);
        } else {
          pg = NewB3System(config);
        }
        if (!pg.ok()) {
          std::string reason = std::string(pg.status().message());
          std::printf("skipping %s: %s\n", ShortName(name), reason.c_str());
          size.skipped.push_back(name + ": " + reason);
          if (options.require_postgres) failed = true;
          continue;
        }
        sys = std::move(*pg);
      } else {
        std::fprintf(stderr, "unknown system '%s'\n", name.c_str());
        return 2;
      }
      SystemInfo info;
      info.name = sys->name();
      std::printf("[%s] %s: starting\n", size_label.c_str(), info.name.c_str());
      std::fflush(stdout);
      absl::Status s = sys->Start();
      if (s.ok()) {
        info.description = sys->description();
        info.cpu_method = sys->cpu_method();
        info.memory_method = sys->memory_method();
        std::printf(
            "[%s] %s: loading %s records\n", size_label.c_str(), info.name.c_str(),
            Thousands(static_cast<double>(size.customers + size.interactions + size.opportunities))
                .c_str());
        std::fflush(stdout);
        sys->ResetPeakMemory();
        std::atomic<bool> loading{true};
        std::thread sampler([&] { SampleUntil(*sys, [&] { return !loading.load(); }); });
        s = sys->Load(*data, options.loaders, &info.load);
        loading = false;
        sampler.join();
        info.load_peak_memory = sys->PeakMemoryBytes();
        info.disk_after_load = sys->Disk();
        if (s.ok() && info.load.seconds > 0) {
          std::printf(
              "[%s] %s: loaded in %.1f s (%s records/s)\n", size_label.c_str(), info.name.c_str(),
              info.load.seconds,
              Thousands(static_cast<double>(info.load.records) / info.load.seconds).c_str());
        }
      }
      if (!s.ok()) {
        std::string reason = s.ToString();
        std::printf("[%s] %s FAILED: %s\n", size_label.c_str(), info.name.c_str(), reason.c_str());
        size.skipped.push_back(info.name + ": " + reason);
        failed = true;
        sys->Stop();
        continue;
      }
      size.systems.push_back(info);
      systems.push_back(std::move(sys));
    }

    for (Workload w : workloads) {
      WorkloadResult wr;
      wr.workload = w;
      const int clients = w == Workload::kImport ? options.import_clients : options.clients;
      const int workers = w == Workload::kImport
                              ? std::min(options.open_workers, 2 * options.import_clients)
                              : options.open_workers;
      double min_throughput = 0;
      const double cores = std::max(1u, std::thread::hardware_concurrency());
      auto noisy = [&](const RunStats& r) {
        return r.seconds > 0 && 100 * r.other_cpu / (r.seconds * cores) > options.max_background;
      };
      for (auto& sys : systems) {
        sys->ResetPeakMemory();
        RunStats closed;
        for (int attempt = 0; attempt <= options.retries; ++attempt) {
          if (options.quiet_wait > 0)
            WaitForQuiet(*sys, options.max_background, options.quiet_wait);
          RunStats r =
              RunClosed(*sys, keys, w, clients, options.warmup, options.seconds, options.seed);
          sys->records += r.adds;
          if (attempt == 0 || r.other_cpu < closed.other_cpu) closed = std::move(r);
          if (!noisy(closed)) break;
          std::printf("  (repeating: other processes used %.0f%% of the machine)\n",
                      Background(closed, RunStats()));
        }
        std::printf("[%s] %-22s %-12s closed: %10.1f ops/s  p50 %s ms  p99 %s ms  bg %.0f%%%s%s\n",
                    size_label.c_str(), WorkloadLabel(w), ShortName(sys->name()), closed.throughput,
                    Ms(closed.p50).c_str(), Ms(closed.p99).c_str(), Background(closed, RunStats()),
                    closed.errors ? "  ERRORS: " : "",
                    closed.errors ? closed.first_error.c_str() : "");
        std::fflush(stdout);
        if (closed.throughput > 0 && (min_throughput == 0 || closed.throughput < min_throughput)) {
          min_throughput = closed.throughput;
        }
        SystemRun& run = wr.runs[sys->name()];
        for (int n : options.client_sweep) {
          if (n == clients) {
            run.sweep[n] = closed;
            continue;
          }
          if (options.quiet_wait > 0)
            WaitForQuiet(*sys, options.max_background, options.quiet_wait);
          RunStats r = RunClosed(*sys, keys, w, n, options.warmup, options.seconds, options.seed);
          sys->records += r.adds;
          std::printf("[%s] %-22s %-12s closed, %3d clients: %10.1f ops/s  bg %.0f%%%s%s\n",
                      size_label.c_str(), WorkloadLabel(w), ShortName(sys->name()), n, r.throughput,
                      Background(r, RunStats()), r.errors ? "  ERRORS: " : "",
                      r.errors ? r.first_error.c_str() : "");
          std::fflush(stdout);
          total_errors += r.errors;
          run.sweep[n] = std::move(r);
        }
        run.closed = std::move(closed);
      }
      wr.open_rate = options.open_fraction * min_throughput;
      for (auto& sys : systems) {
        RunStats open;
        for (int attempt = 0; attempt <= options.retries; ++attempt) {
          if (options.quiet_wait > 0)
            WaitForQuiet(*sys, options.max_background, options.quiet_wait);
          std::string dump;
          if (!options.dump_latencies.empty()) {
            std::filesystem::create_directories(options.dump_latencies);
            dump = absl::StrCat(options.dump_latencies, "/", size_label, "-", WorkloadName(w), "-",
                                sys->name(), ".tsv");
          }
          RunStats r = RunOpen(*sys, keys, w, workers, wr.open_rate, options.open_seconds,
                               options.seed, dump);
          sys->records += r.adds;
          if (attempt == 0 || r.other_cpu < open.other_cpu) open = std::move(r);
          if (!noisy(open)) break;
          std::printf("  (repeating: other processes used %.0f%% of the machine)\n",
                      Background(RunStats(), open));
        }
        SystemRun& run = wr.runs[sys->name()];
        run.peak_memory = sys->PeakMemoryBytes();
        std::printf(
            "[%s] %-22s %-12s open at %.1f/s: p50 %s ms  p99 %s ms  p99.9 %s ms  bg %.0f%%%s%s\n",
            size_label.c_str(), WorkloadLabel(w), ShortName(sys->name()), wr.open_rate,
            Ms(open.p50).c_str(), Ms(open.p99).c_str(), Ms(open.p999).c_str(),
            Background(RunStats(), open), open.errors ? "  ERRORS: " : "",
            open.errors ? open.first_error.c_str() : "");
        std::fflush(stdout);
        run.open = std::move(open);
        total_errors += run.closed.errors + run.open.errors;
      }
      size.workloads.push_back(std::move(wr));
    }
    // Display order a..i.
    std::sort(
        size.workloads.begin(), size.workloads.end(),
        [](const WorkloadResult& a, const WorkloadResult& b) { return a.workload < b.workload; });

    for (size_t i = 0; i < systems.size(); ++i) {
      systems[i]->Stop();
      size.systems[i].disk_final = systems[i]->Disk();
      size.systems[i].records_final = systems[i]->records.load();
    }
    systems.clear();
    data.reset();
    if (!options.keep_data) std::filesystem::remove_all(size_dir);
    results.push_back(std::move(size));
    std::printf("%s", SizeTable(results.back(), options).c_str());
    std::fflush(stdout);
    // Partial results survive a later failure.
    WriteFile(json_path,
              ToJson(results, EvaluateTargets(results, options), options, env, command, timestamp));
  }

  const auto targets = EvaluateTargets(results, options);
  std::printf("\n== targets\n");
  for (const auto& t : targets) {
    std::printf("  %-13s %s\n      %s%s%s\n", ("[" + t.status + "]").c_str(), t.name.c_str(),
                t.measured.c_str(), t.note.empty() ? "" : "\n      note: ", t.note.c_str());
  }
  const std::string json = ToJson(results, targets, options, env, command, timestamp);
  bool written = WriteFile(json_path, json) &&
                 WriteFile(options.out_dir + "/latest" + suffix + ".json", json) &&
                 WriteFile(options.out_dir + "/latest" + suffix + ".tsv", ToTsv(results));
  std::printf("\nresults: %s%s\n", json_path.c_str(), written ? "" : " (WRITE FAILED)");
  if (!options.keep_data) std::filesystem::remove_all(options.work_dir);
  if (total_errors > 0)
    std::printf("%" PRId64 " operations failed (see first_error in the JSON)\n", total_errors);
  return (failed || total_errors > 0 || !written) ? 1 : 0;
}

}  // namespace
}  // namespace rapport::bench

int main(int argc, char** argv) {
  rapport::bench::Options options;
  bool serve_echo = false;
  int max_message_bytes = 4 << 20;
  std::string sizes, systems, workloads;
  CLI::App app{
      "rapport_bench: Rapport's benchmark suite against three baselines (docs/performance.md)"};
  app.add_flag(
      "--smoke", options.smoke,
      "tiny sizes, ~0.3 s per run: checks that everything works (CTest); never judges timings");
  app.add_option("--sizes", sizes,
                 "customers per data size, e.g. 10k,100k,1m (default 10k,100k; smoke 1k)");
  app.add_option("--systems", systems,
                 "rapport,b3_grpc_postgres,b2_postgres,b1_rocksdb,b0_echo (default: all)");
  app.add_option("--workloads", workloads,
                 "create_customer,get_customer,log_interaction,move_stage,list_pipeline,"
                 "search_customers,customer_360,bulk_import,crm_day (default: all)");
  app.add_flag("--sync", options.sync,
               "rapportd --sync, PostgreSQL synchronous_commit=on, B1 sync WAL");
  app.add_option("--seconds", options.seconds, "closed-loop measurement per workload and system")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--open-seconds", options.open_seconds, "open-loop run per workload and system")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--warmup", options.warmup, "closed-loop warm-up seconds (not measured)")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--clients", options.clients, "closed-loop clients")->check(CLI::Range(1, 256));
  app.add_option("--client-sweep", options.client_sweep,
                 "also run each workload's closed loop at these client counts, e.g. 1,4,16 "
                 "(with --sync: how concurrent writers share fsyncs); a table and "
                 "closed_by_clients in the JSON")
      ->delimiter(',')
      ->check(CLI::Range(1, 256));
  app.add_option("--import-clients", options.import_clients, "closed-loop clients for bulk import")
      ->check(CLI::Range(1, 64));
  app.add_option("--open-workers", options.open_workers,
                 "open-loop worker threads (most calls in flight)")
      ->check(CLI::Range(1, 256));
  app.add_option("--open-fraction", options.open_fraction,
                 "open-loop rate as a fraction of the slowest system's closed-loop throughput")
      ->check(CLI::Range(0.01, 1.0));
  app.add_option("--loaders", options.loaders, "threads loading the data")
      ->check(CLI::Range(1, 64));
  app.add_option("--block-cache-mib", options.block_cache_mib,
                 "rapportd/B1 block cache and PostgreSQL shared_buffers")
      ->check(CLI::Range(8, 65536));
  app.add_option("--grpc-max-pollers", options.grpc_max_pollers,
                 "rapportd --grpc-max-pollers, and the same for the echo server (B0)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--seed", options.seed, "data and key-choice seed");
  app.add_option("--out-dir", options.out_dir, "where the JSON and TSV go");
  app.add_option("--work-dir", options.work_dir,
                 "data directories (default: a new directory under $TMPDIR)");
  app.add_flag("--keep-data", options.keep_data, "keep the data directories");
  app.add_option("--tag", options.tag,
                 "name the results <timestamp>-TAG.json and latest-TAG.{json,tsv} (default: none; "
                 "--sync runs: sync)")
      ->check([](const std::string& v) {
        bool ok = !v.empty() &&
                  v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
        return ok ? std::string() : std::string("lower-case letters, digits and _ only");
      });
  app.add_option(
      "--dump-latencies", options.dump_latencies,
      "write every open-loop operation (due time, latency) to DIR/SIZE-WORKLOAD-SYSTEM.tsv");
  app.add_option("--pg-bin", options.pg_bin, "PostgreSQL server binaries");
  app.add_flag("--require-postgres", options.require_postgres,
               "fail instead of skipping B2 when PostgreSQL is missing");
  app.add_option("--rapportd", options.rapportd, "the rapportd binary to benchmark");
  app.add_option("--max-background", options.max_background,
                 "% of the machine other processes may use during a run before it is repeated")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--quiet-wait", options.quiet_wait,
                 "seconds to wait before each run for other processes to quieten (0: don't)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--retries", options.retries, "repeats of a run disturbed by other processes")
      ->check(CLI::Range(0, 10));
  app.add_flag("--serve-echo", serve_echo, "internal: run the echo server process")->group("");
  std::string serve_b3;
  app.add_option("--serve-b3", serve_b3, "internal: run B3's server process on CONNINFO")
      ->group("");
  app.add_option("--max-message-bytes", max_message_bytes, "internal: echo server message limit")
      ->group("");
  CLI11_PARSE(app, argc, argv);
  if (serve_echo) return rapport::bench::ServeEcho(max_message_bytes, options.grpc_max_pollers);
  if (!serve_b3.empty()) {
    return rapport::bench::ServeB3(serve_b3, max_message_bytes, options.grpc_max_pollers);
  }

  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    for (auto part : absl::StrSplit(s, ',', absl::SkipEmpty())) out.emplace_back(part);
    return out;
  };
  if (options.smoke) {
    // Smoke defaults, unless given explicitly.
    auto unless_given = [&](const char* flag, auto* field, auto value) {
      if (app.count(flag) == 0) *field = value;
    };
    options.sizes = {"1k"};
    unless_given("--seconds", &options.seconds, 0.25);
    unless_given("--open-seconds", &options.open_seconds, 0.25);
    unless_given("--warmup", &options.warmup, 0.05);
    unless_given("--clients", &options.clients, 4);
    unless_given("--import-clients", &options.import_clients, 2);
    unless_given("--open-workers", &options.open_workers, 4);
    unless_given("--loaders", &options.loaders, 2);
    unless_given("--quiet-wait", &options.quiet_wait, 0.0);
    unless_given("--retries", &options.retries, 0);
  }
  if (!sizes.empty()) options.sizes = split(sizes);
  if (!systems.empty()) options.systems = split(systems);
  if (!workloads.empty()) options.workloads = split(workloads);
  if (options.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    options.work_dir =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/rapport-bench-" + std::to_string(getpid());
  }
  options.work_dir = std::filesystem::absolute(options.work_dir).string();
  for (const auto& s : options.sizes) {
    try {
      if (rapport::bench::ParseSize(s) < 100) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      std::fprintf(stderr, "--sizes: '%s' is not a size of at least 100 (e.g. 10k, 1m)\n",
                   s.c_str());
      return 2;
    }
  }
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  return rapport::bench::Main(options, command);
}
