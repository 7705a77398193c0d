// txn_bench: what keyspace transactions (plugin ABI 1.2) cost, side by side
// in one run, through the real plugin host (in process, no gRPC) and the
// test plugin "txn" (tests/core/plugin_host/txn_plugin.cc):
//
//   txn_bench [--threads 8] [--calls 4000] [--smoke]
//
//   A  Bump (read-modify-write) of a key per thread: never conflicts
//   B  Add (Increment) of one shared key from every thread: never conflicts
//   C  Bump of one shared key from every thread: conflicts, retried
//
// For each: calls/s, mean thread-time per call, conflicts per call. The cost
// of one conflict retry is C's extra thread-time per call over A's, divided
// by C's conflicts per call (it includes the handler run again and the
// randomized pause before it).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "rapport/v1/customer.pb.h"

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

struct Result {
  double calls_per_s = 0;
  double us_per_call = 0;  // thread-time: wall time x threads / calls
  double conflicts_per_call = 0;
  int failed = 0;
};

enum class Workload { kOwnKeys, kSharedAdd, kSharedBump };

Result Run(const std::string& plugin_dir, Workload workload, int threads, int calls) {
  using namespace rapport;
  const fs::path dir =
      fs::temp_directory_path() / ("rapport-txn-bench-" + std::to_string(getpid()) + "-" +
                                   std::to_string(static_cast<int>(workload)));
  fs::remove_all(dir);
  fs::create_directories(dir / "plugins");
  for (const char* file : {"txn.so", "txn.manifest.json"}) {
    fs::copy_file(fs::path(plugin_dir) / file, dir / "plugins" / file);
  }
  Result result;
  {
    store::DatabaseOptions db_options;
    db_options.path = (dir / "db").string();
    auto db = store::Database::Open(db_options);
    if (!db.ok()) {
      std::fprintf(stderr, "txn_bench: %s\n", db.status().ToString().c_str());
      std::exit(1);
    }
    auto records = records::RecordStore::Open(db->get(), &Clock::Real(), {});
    plugin_host::PluginHostOptions options;
    options.plugin_dir = (dir / "plugins").string();
    options.max_conflict_retries = 1000;  // measure retries, not give-ups
    plugin_host::PluginHost host(
        db->get(), records->get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); },
        [](uint32_t) { return std::string("acme"); });
    host.Load();
    RequestContext ctx;
    ctx.tenant = 1;
    ctx.tenant_name = "acme";
    ctx.principal = "acme/bench";
    ctx.user_id = "bench";
    ctx.roles = {"admin"};
    v1::RolloutRule rule;
    rule.set_module("txn");
    rule.set_default_mode(v1::MODULE_MODE_ON);
    if (!host.IsLoaded("txn") || !host.gate().SetRule(ctx, rule, 0).ok()) {
      std::fprintf(stderr, "txn_bench: the txn plugin did not load from %s\n", plugin_dir.c_str());
      std::exit(1);
    }
    std::atomic<int> failed{0};
    const auto start = SteadyClock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        v1::Customer request;
        request.set_display_name(workload == Workload::kOwnKeys ? "own/" + std::to_string(t)
                                                                : std::string("shared"));
        request.set_revision(1);
        const std::string method = workload == Workload::kSharedAdd
                                       ? "/rapport.txn.v1.TxnService/Add"
                                       : "/rapport.txn.v1.TxnService/Bump";
        const std::string bytes = request.SerializeAsString();
        for (int i = 0; i < calls / threads; ++i) {
          if (!host.Invoke(ctx, method, bytes).ok()) ++failed;
        }
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    const int done = (calls / threads) * threads;
    int64_t conflicts = 0;
    for (const auto& m : host.Modules()) {
      if (m.name() == "txn") conflicts = m.metrics().at("keyspace_conflicts");
    }
    result.calls_per_s = done / seconds;
    result.us_per_call = seconds * 1e6 * threads / done;
    result.conflicts_per_call = static_cast<double>(conflicts) / done;
    result.failed = failed.load();
    host.Stop();
  }
  fs::remove_all(dir);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 8, calls = 4000;
  bool smoke = false;
  std::string plugin_dir = RAPPORT_TXN_PLUGIN_DIR;
  CLI::App app{"txn_bench: the cost of plugin keyspace transactions and conflict retries"};
  app.add_option("--threads", threads)->check(CLI::Range(1, 256));
  app.add_option("--calls", calls, "calls per workload, split over the threads")
      ->check(CLI::Range(10, 10000000));
  app.add_option("--plugin-dir", plugin_dir, "directory holding txn.so");
  app.add_flag("--smoke", smoke, "tiny run for CI");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    threads = 2;
    calls = 100;
  }
  const Result a = Run(plugin_dir, Workload::kOwnKeys, threads, calls);
  const Result b = Run(plugin_dir, Workload::kSharedAdd, threads, calls);
  const Result c = Run(plugin_dir, Workload::kSharedBump, threads, calls);
  std::printf("txn_bench  threads=%d calls=%d hardware_threads=%u\n", threads, calls,
              std::thread::hardware_concurrency());
  std::printf("%-40s %10s %12s %12s %7s\n", "workload", "calls/s", "us/call", "conflicts/call",
              "failed");
  auto row = [](const char* name, const Result& r) {
    std::printf("%-40s %10.0f %12.1f %12.3f %7d\n", name, r.calls_per_s, r.us_per_call,
                r.conflicts_per_call, r.failed);
  };
  row("A  Bump, a key per thread", a);
  row("B  Add, one shared key", b);
  row("C  Bump, one shared key (contended)", c);
  const double retry_us =
      c.conflicts_per_call > 0 ? (c.us_per_call - a.us_per_call) / c.conflicts_per_call : 0;
  std::printf("cost of one conflict retry: %.1f us of thread-time (C over A, per conflict)\n",
              retry_us);
  std::printf(
      "{\"a_calls_per_s\":%.0f,\"b_calls_per_s\":%.0f,\"c_calls_per_s\":%.0f,"
      "\"c_conflicts_per_call\":%.3f,\"retry_cost_us\":%.1f}\n",
      a.calls_per_s, b.calls_per_s, c.calls_per_s, c.conflicts_per_call, retry_us);
  return (a.failed + b.failed + c.failed) == 0 ? 0 : 1;
}
