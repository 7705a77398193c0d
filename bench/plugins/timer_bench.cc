// timer_bench: what durable timers (plugin ABI 1.2) cost and how late they
// fire, side by side in one run, through the real plugin host (in process,
// no gRPC) over a real RocksDB and the test plugin "timer"
// (tests/core/plugin_host/timer_plugin.cc):
//
//   timer_bench [--rate 10000] [--seconds 10] [--delay-ms 10] [--backlog 50000] [--smoke]
//
//   A  baseline: one Put method call (a plain keyspace write) per op, at
//      --rate calls/s for --seconds
//   B  timers: one Schedule method call per timer at the same rate, each
//      due --delay-ms after it is scheduled with the payload "lag:<due>";
//      the handler writes the "fired" counter and a "fired/<key>" marker in
//      one batch with the timer's removal
//   C  backlog: --backlog timers all due at once, stored before the timer
//      thread starts (as after a restart), then drained
//
// For A and B: achieved calls/s, mean µs per call (the caller's wall time),
// and process CPU µs per op (all threads: the call, for B also the firing,
// RocksDB's background work). The ratio B/A of CPU per op is what one timer,
// scheduled and fired, costs relative to one keyspace write. For B the
// firing lag (fire time minus due time, from the plugin's Lag method)
// p50/p99/max and fired/s; for C fired/s draining the backlog.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "bench/plugins/bench_clock.h"
#include "core/common/clock.h"
#include "core/plugin_host/plugin_host.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "rapport/v1/customer.pb.h"

namespace {

namespace fs = std::filesystem;
using rapport::bench::CpuSeconds;
using rapport::bench::Seconds;
using rapport::bench::SteadyClock;

constexpr char kService[] = "/rapport.timer.v1.TimerService/";

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "timer_bench: %s\n", what.c_str());
  std::exit(1);
}

// A plugin host with the timer plugin, on for tenant 1, in its own temp
// directory (removed on destruction).
class Bench {
 public:
  Bench(const std::string& plugin_dir, const std::string& name) {
    using namespace rapport;
    dir_ = fs::temp_directory_path() /
           ("rapport-timer-bench-" + std::to_string(getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "plugins");
    for (const char* file : {"timer.so", "timer.manifest.json"}) {
      fs::copy_file(fs::path(plugin_dir) / file, dir_ / "plugins" / file);
    }
    store::DatabaseOptions db_options;
    db_options.path = (dir_ / "db").string();
    auto db = store::Database::Open(db_options);
    if (!db.ok()) Die(db.status().ToString());
    db_ = std::move(*db);
    auto records = records::RecordStore::Open(db_.get(), &Clock::Real(), {});
    if (!records.ok()) Die(records.status().ToString());
    records_ = std::move(*records);
    plugin_host::PluginHostOptions options;
    options.plugin_dir = (dir_ / "plugins").string();
    host_ = std::make_unique<plugin_host::PluginHost>(
        db_.get(), records_.get(), &Clock::Real(), options,
        [](uint32_t, const std::string&) { return std::vector<std::string>(); },
        [](uint32_t) { return std::string("acme"); });
    host_->Load();
    ctx_.tenant = 1;
    ctx_.tenant_name = "acme";
    ctx_.principal = "acme/bench";
    ctx_.user_id = "bench";
    ctx_.roles = {"admin"};
    v1::RolloutRule rule;
    rule.set_module("timer");
    rule.set_default_mode(v1::MODULE_MODE_ON);
    if (!host_->IsLoaded("timer") || !host_->gate().SetRule(ctx_, rule, 0).ok()) {
      Die("the timer plugin did not load from " + plugin_dir);
    }
  }
  ~Bench() {
    host_->Stop();
    host_.reset();
    records_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // Starts the timer thread.
  void Start() { host_->Start(); }

  bool Call(const std::string& method, const rapport::v1::Customer& request,
            rapport::v1::Customer* response = nullptr) {
    auto out = host_->Invoke(ctx_, kService + method, request.SerializeAsString());
    if (!out.ok()) {
      std::fprintf(stderr, "timer_bench: %s: %s\n", method.c_str(),
                   out.status().ToString().c_str());
      return false;
    }
    if (response != nullptr) response->ParseFromString(*out);
    return true;
  }

  int64_t Fired() {
    for (const auto& m : host_->Modules()) {
      if (m.name() == "timer") return m.metrics().at("timers_fired");
    }
    return 0;
  }

  // Waits until `n` timers have fired or `limit` seconds passed; the time
  // it was reached (or now).
  SteadyClock::time_point WaitFired(int64_t n, double limit) {
    const auto start = SteadyClock::now();
    while (Fired() < n && Seconds(start) < limit) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return SteadyClock::now();
  }

 private:
  fs::path dir_;
  std::unique_ptr<rapport::store::Database> db_;
  std::unique_ptr<rapport::records::RecordStore> records_;
  std::unique_ptr<rapport::plugin_host::PluginHost> host_;
  rapport::RequestContext ctx_;
};

struct Paced {
  int64_t ops = 0;
  int failed = 0;
  double wall_s = 0;     // from the first call to the last call's return
  double call_us = 0;    // mean wall time per call
  double cpu_start = 0;  // process CPU at the first call
  SteadyClock::time_point start;
};

// Calls `one(i)` for i in [0, rate * seconds) at a steady `rate` per second.
template <typename Fn>
Paced RunPaced(double rate, double seconds, Fn one) {
  Paced p;
  p.ops = static_cast<int64_t>(rate * seconds);
  p.cpu_start = CpuSeconds();
  p.start = SteadyClock::now();
  double in_calls = 0;
  for (int64_t i = 0; i < p.ops; ++i) {
    const auto target = p.start + std::chrono::duration_cast<SteadyClock::duration>(
                                      std::chrono::duration<double>(static_cast<double>(i) / rate));
    if (SteadyClock::now() < target) std::this_thread::sleep_until(target);
    const auto before = SteadyClock::now();
    if (!one(i)) ++p.failed;
    in_calls += Seconds(before);
  }
  p.wall_s = Seconds(p.start);
  p.call_us = p.ops > 0 ? in_calls * 1e6 / static_cast<double>(p.ops) : 0;
  return p;
}

int64_t TagValue(const rapport::v1::Customer& c, const std::string& name) {
  for (const std::string& tag : c.tags()) {
    if (tag.rfind(name + "=", 0) == 0) return std::stoll(tag.substr(name.size() + 1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 10000, seconds = 10;
  int delay_ms = 10;
  int64_t backlog = 50000;
  bool smoke = false;
  std::string plugin_dir = RAPPORT_TIMER_PLUGIN_DIR;
  CLI::App app{"timer_bench: the firing lag and the cost of plugin durable timers"};
  app.add_option("--rate", rate, "timers (and baseline writes) scheduled per second")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--seconds", seconds, "how long to schedule at that rate")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--delay-ms", delay_ms, "each timer is due this long after it is scheduled")
      ->check(CLI::Range(0, 60000));
  app.add_option("--backlog", backlog, "timers due at once for the drain (C); 0: skip")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  app.add_option("--plugin-dir", plugin_dir, "directory holding timer.so");
  app.add_flag("--smoke", smoke, "tiny run for CI");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    rate = 2000;
    seconds = 0.5;
    backlog = 1000;
  }
  using rapport::v1::Customer;
  int failed = 0;
  Paced a, b;
  double a_cpu_us = 0, b_cpu_us = 0, b_fired_per_s = 0, c_fired_per_s = 0, c_stored_s = 0;
  int64_t lag_n = 0, lag_p50 = 0, lag_p99 = 0, lag_max = 0, b_fired = 0, c_fired = 0;
  {
    Bench bench(plugin_dir, "ab");
    bench.Start();
    // A: a plain keyspace write per op, the same payload size as B's.
    a = RunPaced(rate, seconds, [&](int64_t i) {
      Customer request;
      request.set_display_name("put/" + std::to_string(i));
      request.set_owner("lag:" + std::to_string(NowMicros()));
      return bench.Call("Put", request);
    });
    a_cpu_us = (CpuSeconds() - a.cpu_start) * 1e6 / static_cast<double>(a.ops);
    failed += a.failed;
    // B: a timer per op, due delay_ms later; until every one has fired.
    const int64_t delay_us = int64_t{delay_ms} * 1000;
    b = RunPaced(rate, seconds, [&](int64_t i) {
      const int64_t when = NowMicros() + delay_us;
      Customer request;
      request.set_display_name("b/" + std::to_string(i));
      request.set_revision(when);
      request.set_owner("lag:" + std::to_string(when));
      return bench.Call("Schedule", request);
    });
    failed += b.failed;
    const auto all_fired = bench.WaitFired(b.ops - b.failed, 60.0 + delay_ms / 1000.0);
    b_cpu_us = (CpuSeconds() - b.cpu_start) * 1e6 / static_cast<double>(b.ops);
    b_fired = bench.Fired();
    // Fired over the window from the first due time to the last firing.
    const double window =
        std::chrono::duration<double>(all_fired - b.start).count() - delay_ms / 1000.0;
    b_fired_per_s = window > 0 ? static_cast<double>(b_fired) / window : 0;
    Customer lag_request, lag;
    lag_request.add_tags("reset");
    if (!bench.Call("Lag", lag_request, &lag)) ++failed;
    lag_n = TagValue(lag, "n");
    lag_p50 = TagValue(lag, "p50");
    lag_p99 = TagValue(lag, "p99");
    lag_max = TagValue(lag, "max");
  }
  if (backlog > 0) {
    // C: the backlog is stored before the timer thread starts.
    Bench bench(plugin_dir, "c");
    const auto stored = SteadyClock::now();
    constexpr int64_t kChunk = 1000;
    for (int64_t first = 0; first < backlog; first += kChunk) {
      Customer request;
      request.set_display_name("c");
      request.set_revision(std::min(kChunk, backlog - first));
      request.add_tags("0");
      request.add_tags("0");
      request.add_tags(std::to_string(first));
      if (!bench.Call("ScheduleMany", request)) ++failed;
    }
    c_stored_s = Seconds(stored);
    const auto start = SteadyClock::now();
    bench.Start();
    const auto done = bench.WaitFired(backlog, 120.0);
    c_fired = bench.Fired();
    const double s = std::chrono::duration<double>(done - start).count();
    c_fired_per_s = s > 0 ? static_cast<double>(c_fired) / s : 0;
  }

  std::printf(
      "timer_bench  rate=%.0f/s seconds=%.1f delay_ms=%d backlog=%lld hardware_threads=%u\n", rate,
      seconds, delay_ms, static_cast<long long>(backlog), std::thread::hardware_concurrency());
  std::printf("%-44s %9s %9s %10s %10s %7s\n", "workload", "ops", "calls/s", "us/call", "cpu_us/op",
              "failed");
  std::printf("%-44s %9lld %9.0f %10.1f %10.1f %7d\n", "A  Put (keyspace write), baseline",
              static_cast<long long>(a.ops), a.ops / a.wall_s, a.call_us, a_cpu_us, a.failed);
  std::printf("%-44s %9lld %9.0f %10.1f %10.1f %7d\n", "B  Schedule + fire (timer)",
              static_cast<long long>(b.ops), b.ops / b.wall_s, b.call_us, b_cpu_us, b.failed);
  const double ratio = a_cpu_us > 0 ? b_cpu_us / a_cpu_us : 0;
  std::printf(
      "a timer costs %.2fx a keyspace write (CPU per op, B over A); Schedule call %.2fx Put\n",
      ratio, a.call_us > 0 ? b.call_us / a.call_us : 0);
  std::printf(
      "B fired %lld of %lld at %.0f fired/s; lag (fire - due) over %lld: p50 %.2f ms, "
      "p99 %.2f ms, max %.2f ms\n",
      static_cast<long long>(b_fired), static_cast<long long>(b.ops), b_fired_per_s,
      static_cast<long long>(lag_n), lag_p50 / 1000.0, lag_p99 / 1000.0, lag_max / 1000.0);
  if (backlog > 0) {
    std::printf("C backlog of %lld (stored in %.2f s) drained: %lld fired at %.0f fired/s\n",
                static_cast<long long>(backlog), c_stored_s, static_cast<long long>(c_fired),
                c_fired_per_s);
  }
  std::printf(
      "{\"put_cpu_us\":%.1f,\"timer_cpu_us\":%.1f,\"cost_ratio\":%.2f,\"fired_per_s\":%.0f,"
      "\"lag_p50_us\":%lld,\"lag_p99_us\":%lld,\"lag_max_us\":%lld,\"drain_fired_per_s\":%.0f}\n",
      a_cpu_us, b_cpu_us, ratio, b_fired_per_s, static_cast<long long>(lag_p50),
      static_cast<long long>(lag_p99), static_cast<long long>(lag_max), c_fired_per_s);
  const bool all = b_fired == b.ops - b.failed && (backlog == 0 || c_fired == backlog);
  if (!all) std::fprintf(stderr, "timer_bench: not every timer fired in time\n");
  return failed == 0 && all ? 0 : 1;
}
