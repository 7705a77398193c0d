// isolation_bench: what running a plugin out of process costs, per write
// through its hooks and per plugin RPC, side by side with the same plugin
// in process (docs/plugin-guide.md, "Running a plugin out of process").
//
//   isolation_bench [--clients 8] [--ops 2000] [--seconds 3] [--rounds 3] [--smoke]
//
// The plugin is tests/plugins/crashy.cc on its well-behaved path: a no-op
// validate hook and a pre-commit hook with one kv_add on customer creates
// (plus a post-commit hook with one kv_add, off the write's path but on the
// same cores, so its cost shows in the "module on" figures), and
// ReadCounter, an RPC
// with one kv_get. Two in-process servers in turn (fresh RocksDB each), the
// plugin loaded "in_process" in one and "process" in the other, same load:
//   create, module off   the write path without hooks (the baseline)
//   create, module on    plus the two hooks
//   plugin RPC           ReadCounter
// Reports single-client p50 and p99 and N-client throughput for each, the
// hooks' cost per write (on minus off) and the ratios out/in. Rounds are
// interleaved and the median is reported.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "services/server/server.h"
#include "test_plugins.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace v1 = rapport::v1;
namespace tp = rapport::testplugins::v1;

struct Result {
  double p50_us = 0, p99_us = 0, throughput = 0;
};

struct Options {
  int clients = 8;
  int ops = 2000;
  double seconds = 3;
};

// Latency of `ops` calls by one client, then throughput of `clients` for
// `seconds`.
Result Measure(const Options& o, const std::function<bool()>& call) {
  Result r;
  std::vector<double> us;
  us.reserve(static_cast<size_t>(o.ops));
  for (int i = 0; i < o.ops; ++i) {
    const auto t0 = Clock::now();
    if (!call()) {
      std::fprintf(stderr, "isolation_bench: a call failed\n");
      std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  r.p50_us = us[us.size() / 2];
  r.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        if (!call()) {
          std::fprintf(stderr, "isolation_bench: a call failed\n");
          std::exit(1);
        }
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  r.throughput = static_cast<double>(done.load()) /
                 std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

// One server with the plugin isolated as `isolation`; results for the three
// workloads.
std::vector<Result> RunServer(const Options& o, const std::string& isolation, int round) {
  const fs::path dir =
      fs::temp_directory_path() / ("rapport-isolation-bench-" + std::to_string(getpid()) + "-" +
                                   isolation + "-" + std::to_string(round));
  fs::remove_all(dir);
  fs::create_directories(dir / "plugins");
  fs::copy_file(fs::path(RAPPORT_ISOLATION_PLUGIN_DIR) / "crashy.so",
                dir / "plugins" / "crashy.so");
  std::ofstream(dir / "plugins" / "crashy.manifest.json")
      << R"({"name": "crashy", "version": "1.0.0", "abi_major": 1, "isolation": ")" << isolation
      << "\"}";
  rapport::services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = (dir / "data").string();
  options.plugins.plugin_dir = (dir / "plugins").string();
  options.plugins.plugin_runner = RAPPORT_PLUGIN_RUNNER;
  auto server = rapport::services::RapportServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    std::exit(1);
  }
  std::string token;
  std::ifstream((dir / "data" / "admin.token").string()) >> token;
  auto context = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  };
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto customers = v1::CustomerService::NewStub(channel);
  auto modules = v1::ModuleService::NewStub(channel);
  auto crashy = tp::CrashyService::NewStub(channel);
  auto create = [&] {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_PERSON);
    request.mutable_customer()->set_display_name("벤치 고객");
    v1::Customer out;
    return customers->CreateCustomer(context().get(), request, &out).ok();
  };
  auto set_mode = [&](v1::ModuleMode mode) {
    v1::SetRolloutRequest rollout;
    rollout.mutable_rule()->set_module("crashy");
    rollout.mutable_rule()->set_default_mode(mode);
    v1::RolloutRule rule;
    if (!modules->SetRollout(context().get(), rollout, &rule).ok()) std::exit(1);
  };
  std::vector<Result> results;
  results.push_back(Measure(o, create));  // off
  set_mode(v1::MODULE_MODE_ON);
  results.push_back(Measure(o, create));
  results.push_back(Measure(o, [&] {
    tp::ReadCounterRequest request;
    request.set_key("created");
    tp::ReadCounterResponse response;
    return crashy->ReadCounter(context().get(), request, &response).ok();
  }));
  server->reset();
  fs::remove_all(dir);
  return results;
}

Result Median(std::vector<Result> v) {
  Result m;
  auto pick = [&](double Result::*field) {
    std::vector<double> x;
    for (const auto& r : v) x.push_back(r.*field);
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  m.p50_us = pick(&Result::p50_us);
  m.p99_us = pick(&Result::p99_us);
  m.throughput = pick(&Result::throughput);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int rounds = 3;
  bool smoke = false;
  CLI::App app{
      "isolation_bench: a plugin out of process against in process, per write and per RPC"};
  app.add_option("--clients", o.clients, "clients for throughput")->check(CLI::Range(1, 256));
  app.add_option("--ops", o.ops, "single-client calls for latency")->check(CLI::Range(10, 1000000));
  app.add_option("--seconds", o.seconds, "throughput run length")->check(CLI::Range(0.1, 600.0));
  app.add_option("--rounds", rounds, "interleaved rounds; the median is reported")
      ->check(CLI::Range(1, 50));
  app.add_flag("--smoke", smoke, "tiny run for CI");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    o = Options{2, 30, 0.2};
    rounds = 1;
  }
  constexpr int kWorkloads = 3;
  std::vector<std::vector<Result>> in(kWorkloads), out(kWorkloads);
  for (int round = 0; round < rounds; ++round) {
    auto a = RunServer(o, "in_process", round);
    auto b = RunServer(o, "process", round);
    for (int w = 0; w < kWorkloads; ++w) {
      in[static_cast<size_t>(w)].push_back(a[static_cast<size_t>(w)]);
      out[static_cast<size_t>(w)].push_back(b[static_cast<size_t>(w)]);
    }
  }
  const char* names[kWorkloads] = {"create, module off", "create, module on (2 hooks)",
                                   "plugin RPC (ReadCounter)"};
  std::printf(
      "isolation_bench: %d clients, %d single-client calls, %.1f s throughput runs, median of %d "
      "rounds\n\n",
      o.clients, o.ops, o.seconds, rounds);
  std::printf(
      "| workload | in process p50 µs | out of process p50 µs | p99 in / out µs | throughput in / "
      "out per s | out/in p50 |\n| --- | --- | --- | --- | --- | --- |\n");
  std::vector<Result> mi, mo;
  for (int w = 0; w < kWorkloads; ++w) {
    mi.push_back(Median(in[static_cast<size_t>(w)]));
    mo.push_back(Median(out[static_cast<size_t>(w)]));
    const Result& a = mi.back();
    const Result& b = mo.back();
    std::printf("| %s | %.0f | %.0f | %.0f / %.0f | %.0f / %.0f | %.2f |\n", names[w], a.p50_us,
                b.p50_us, a.p99_us, b.p99_us, a.throughput, b.throughput, b.p50_us / a.p50_us);
  }
  const double hooks_in = mi[1].p50_us - mi[0].p50_us, hooks_out = mo[1].p50_us - mo[0].p50_us;
  std::printf(
      "\nThe two hooks per write (create on minus off, p50): %.0f µs in process, %.0f µs out of "
      "process (%.0f µs more, %.0f µs per hook).\n",
      hooks_in, hooks_out, hooks_out - hooks_in, (hooks_out - hooks_in) / 2);
  std::printf("A plugin RPC: %.0f µs more out of process (p50).\n", mo[2].p50_us - mi[2].p50_us);
  return 0;
}
