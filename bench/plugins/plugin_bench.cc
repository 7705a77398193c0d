// plugin_bench: what the module gate and one empty hook of each kind cost on
// the write path, side by side in one run.
//
//   plugin_bench [--clients 16] [--seconds 5] [--ops 2000] [--smoke]
//
// Three in-process servers in turn (fresh RocksDB each), same load:
//   A  no plugins
//   B  plugin "empty" loaded, module off  (the gate is evaluated per hook)
//   C  module on: a validate, a pre-commit and a post-commit hook run
// Reports single-client create latency and N-client create throughput, and
// the ratios B/A and C/A.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "services/server/server.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = rapport::v1;

struct Result {
  double p50_us = 0, p99_us = 0, throughput = 0;
};

Result Run(const std::string& plugin_dir, bool enable, int clients, double seconds, int ops) {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("rapport-plugin-bench-" + std::to_string(getpid()) + "-" + std::to_string(clients) +
       (plugin_dir.empty() ? "a"
        : enable           ? "c"
                           : "b"));
  rapport::services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = (dir / "data").string();
  options.plugins.plugin_dir = plugin_dir;
  auto server = rapport::services::RapportServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    std::exit(1);
  }
  std::string token;
  std::ifstream((dir / "data" / "admin.token").string()) >> token;
  auto call = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  };
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  if (enable) {
    auto modules = v1::ModuleService::NewStub(channel);
    v1::SetRolloutRequest r;
    r.mutable_rule()->set_module("empty");
    r.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule out;
    if (!modules->SetRollout(call().get(), r, &out).ok()) std::exit(1);
  }
  auto stub = v1::CustomerService::NewStub(channel);
  auto request = [](int i) {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name("고객 " + std::to_string(i));
    r.mutable_customer()->add_emails("c" + std::to_string(i) + "@example.kr");
    return r;
  };
  for (int i = 0; i < 200; ++i) {
    v1::Customer out;
    stub->CreateCustomer(call().get(), request(i), &out);
  }
  std::vector<double> us;
  for (int i = 0; i < ops; ++i) {
    v1::Customer out;
    auto t0 = Clock::now();
    stub->CreateCustomer(call().get(), request(i), &out);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  Result result;
  result.p50_us = us[us.size() / 2];
  result.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  std::atomic<int64_t> done{0};
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto s = v1::CustomerService::NewStub(channel);
      for (int i = 0; Clock::now() < deadline; ++i) {
        v1::Customer out;
        if (s->CreateCustomer(call().get(), request(c * 1000000 + i), &out).ok()) ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  result.throughput = done.load() / std::chrono::duration<double>(Clock::now() - t0).count();
  server->reset();
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 16, ops = 2000;
  double seconds = 5;
  bool smoke = false;
  int rounds = 3;
  std::string plugin_dir = RAPPORT_EMPTY_PLUGIN_DIR;
  CLI::App app{"plugin_bench: the cost of the module gate and of empty hooks on writes"};
  app.add_option("--clients", clients)->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds)->check(CLI::Range(0.1, 600.0));
  app.add_option("--ops", ops)->check(CLI::Range(10, 1000000));
  app.add_option("--plugin-dir", plugin_dir, "directory holding empty.so");
  app.add_option("--rounds", rounds, "interleaved rounds; the median is reported")
      ->check(CLI::Range(1, 50));
  app.add_flag("--smoke", smoke, "tiny run for CI");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    clients = 2;
    seconds = 0.3;
    ops = 50;
    rounds = 1;
  }
  // Interleaved rounds (A B C, A B C, ...) and the median of each, so a
  // burst of other load on the machine does not land on one configuration.
  std::vector<Result> ra, rb, rc;
  for (int round = 0; round < rounds; ++round) {
    ra.push_back(Run("", false, clients, seconds, ops));
    rb.push_back(Run(plugin_dir, false, clients, seconds, ops));
    rc.push_back(Run(plugin_dir, true, clients, seconds, ops));
  }
  auto median = [](std::vector<Result> v) {
    Result m;
    auto pick = [&](auto field) {
      std::vector<double> x;
      for (const auto& r : v) x.push_back(r.*field);
      std::sort(x.begin(), x.end());
      return x[x.size() / 2];
    };
    m.p50_us = pick(&Result::p50_us);
    m.p99_us = pick(&Result::p99_us);
    m.throughput = pick(&Result::throughput);
    return m;
  };
  Result a = median(ra), b = median(rb), c = median(rc);
  std::printf(
      "plugin_bench  clients=%d seconds=%.1f ops=%d rounds=%d (medians) hardware_threads=%u\n",
      clients, seconds, ops, rounds, std::thread::hardware_concurrency());
  std::printf("%-44s %9s %9s %12s %8s\n", "configuration", "p50 us", "p99 us", "creates/s", "vs A");
  auto row = [&](const char* name, const Result& r) {
    std::printf("%-44s %9.0f %9.0f %12.0f %7.1f%%\n", name, r.p50_us, r.p99_us, r.throughput,
                100.0 * r.throughput / a.throughput);
  };
  row("A  no plugins", a);
  row("B  plugin loaded, module off (gate only)", b);
  row("C  module on: validate+pre-commit+post-commit", c);
  std::printf(
      "{\"a_creates_per_s\":%.0f,\"b_creates_per_s\":%.0f,\"c_creates_per_s\":%.0f,"
      "\"a_p50_us\":%.0f,\"b_p50_us\":%.0f,\"c_p50_us\":%.0f}\n",
      a.throughput, b.throughput, c.throughput, a.p50_us, b.p50_us, c.p50_us);
  return 0;
}
