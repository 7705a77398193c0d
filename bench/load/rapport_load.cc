// rapport_load: a small load generator for rapportd's core RPCs.
//
//   rapport_load [--server HOST:PORT] [--sync] [--clients 16] [--seconds 5] [--ops 2000]
//
// Without --server it starts rapportd in-process on 127.0.0.1:0 with a fresh
// RocksDB in a temp directory (the same code as the rapportd binary). It
// reports single-client create and get latency (closed loop, one call at a
// time) and N-client create throughput, as a table and one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "CLI/CLI.hpp"
#include "core/validation/phone.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "services/server/server.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = rapport::v1;

struct Latencies {
  std::vector<double> us;
  double Percentile(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))];
  }
};

v1::CreateCustomerRequest RealisticCustomer(std::mt19937_64& rng, int i) {
  static const char* kFamily[] = {"김", "이", "박", "최", "정", "강", "조", "윤"};
  static const char* kGiven[] = {"민수", "서연", "지훈", "하은", "도윤", "수아", "예준", "지민"};
  v1::CreateCustomerRequest r;
  auto* c = r.mutable_customer();
  c->set_display_name(std::string(kFamily[rng() % 8]) + kGiven[rng() % 8]);
  c->add_emails("customer" + std::to_string(i) + "." + std::to_string(rng() % 100000) +
                "@example.co.kr");
  // Not every 010 block is allocated (libphonenumber knows which): draw until valid.
  std::string phone;
  do {
    phone =
        "010-" + std::to_string(1000 + rng() % 9000) + "-" + std::to_string(1000 + rng() % 9000);
  } while (!rapport::validation::NormalizePhone(phone, "KR").ok());
  c->add_phones(phone);
  c->set_owner("rep" + std::to_string(rng() % 50));
  c->add_tags(rng() % 2 ? "b2b" : "b2c");
  c->mutable_address()->add_lines("서울특별시 강남구 테헤란로 " + std::to_string(rng() % 500));
  c->mutable_address()->set_country_code("KR");
  return r;
}

std::string token;

std::unique_ptr<grpc::ClientContext> Call() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server_address;
  bool sync = false;
  int clients = 16, ops = 2000;
  double seconds = 5;
  CLI::App app{"rapport_load: latency and throughput of rapportd's core RPCs"};
  app.add_option("--server", server_address, "existing rapportd (default: start one in-process)");
  std::string token_file;
  app.add_option("--token-file", token_file, "API token file for --server");
  app.add_flag("--sync", sync, "in-process server fsyncs each write");
  app.add_option("--clients", clients, "concurrent clients for the throughput run")
      ->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds, "duration of the throughput run")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--ops", ops, "calls per latency run")->check(CLI::Range(1, 10000000));
  double probe_seconds = 0;
  double stall_ms = 10;
  app.add_option("--stall-probe", probe_seconds,
                 "only: one client getting customers back to back for this many seconds, printing "
                 "every call slower than --stall-ms with its time, and the gaps between them")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--stall-ms", stall_ms, "what --stall-probe reports")
      ->check(CLI::Range(0.1, 10000.0));
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<rapport::services::RapportServer> server;
  std::string data_dir;
  if (server_address.empty()) {
    data_dir =
        (std::filesystem::temp_directory_path() / ("rapport-load-" + std::to_string(getpid())))
            .string();
    rapport::services::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = data_dir;
    options.sync = sync;
    auto started = rapport::services::RapportServer::Start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start rapportd: %s\n", started.status().ToString().c_str());
      return 1;
    }
    server = std::move(*started);
    server_address = server->address();
    token_file = data_dir + "/admin.token";
  }
  {
    std::ifstream in(token_file);
    std::getline(in, token);
    if (token.empty()) {
      std::fprintf(stderr, "no API token: pass --token-file with --server\n");
      return 2;
    }
  }
  auto channel = grpc::CreateChannel(server_address, grpc::InsecureChannelCredentials());
  auto stub = v1::CustomerService::NewStub(channel);
  std::mt19937_64 rng(42);

  // Warm up connection and code paths.
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    v1::Customer out;
    if (stub->CreateCustomer(Call().get(), RealisticCustomer(rng, i), &out).ok())
      ids.push_back(out.id());
  }
  if (probe_seconds > 0) {
    // Back-to-back gets; a stall shows as one slow call. Periodic stalls
    // (a timer, a cache expiry) show as regular gaps between them.
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(probe_seconds));
    int64_t calls = 0;
    std::vector<double> at_ms;
    Latencies all;
    while (Clock::now() < end) {
      v1::GetCustomerRequest request;
      request.set_id(ids[rng() % ids.size()]);
      v1::Customer out;
      auto start = Clock::now();
      if (!stub->GetCustomer(Call().get(), request, &out).ok()) return 1;
      double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      all.us.push_back(us);
      ++calls;
      if (us >= stall_ms * 1000) {
        double t = std::chrono::duration<double, std::milli>(start - t0).count();
        std::printf("slow call at %9.1f ms: %8.1f ms%s\n", t, us / 1000,
                    at_ms.empty() ? ""
                                  : ("  (" + std::to_string(static_cast<int>(t - at_ms.back())) +
                                     " ms after the last)")
                                        .c_str());
        at_ms.push_back(t);
      }
    }
    std::printf(
        "%lld gets in %.1f s: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us; %zu slower "
        "than %.1f ms\n",
        static_cast<long long>(calls), probe_seconds, all.Percentile(0.5), all.Percentile(0.99),
        all.Percentile(0.999), all.Percentile(1.0), at_ms.size(), stall_ms);
    server.reset();
    if (!data_dir.empty()) std::filesystem::remove_all(data_dir);
    return 0;
  }
  Latencies create, get;
  for (int i = 0; i < ops; ++i) {
    auto request = RealisticCustomer(rng, i);
    v1::Customer out;
    auto start = Clock::now();
    grpc::Status s = stub->CreateCustomer(Call().get(), request, &out);
    create.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!s.ok()) {
      std::fprintf(stderr, "create failed: %s\n", s.error_message().c_str());
      return 1;
    }
    ids.push_back(out.id());
  }
  for (int i = 0; i < ops; ++i) {
    v1::GetCustomerRequest request;
    request.set_id(ids[rng() % ids.size()]);
    v1::Customer out;
    auto start = Clock::now();
    grpc::Status s = stub->GetCustomer(Call().get(), request, &out);
    get.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!s.ok()) return 1;
  }

  // Throughput: N clients over 4 channels, closed loop, fixed duration.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("rapport.load.channel", i);  // distinct channels, distinct connections
    channels.push_back(
        grpc::CreateCustomChannel(server_address, grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<int64_t> done{0}, failed{0};
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto s = v1::CustomerService::NewStub(channels[c % channels.size()]);
      std::mt19937_64 local(c);
      for (int i = 0; Clock::now() < deadline; ++i) {
        v1::Customer out;
        if (s->CreateCustomer(Call().get(), RealisticCustomer(local, i), &out).ok())
          ++done;
        else
          ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  double throughput = done.load() / elapsed;

  std::printf("rapport_load  server=%s  sync=%s  hardware_threads=%u\n", server_address.c_str(),
              sync ? "on" : "off", std::thread::hardware_concurrency());
  std::printf("%-34s %10s %10s %10s\n", "workload", "p50 us", "p99 us", "p99.9 us");
  std::printf("%-34s %10.0f %10.0f %10.0f\n", "create customer (1 client)", create.Percentile(0.5),
              create.Percentile(0.99), create.Percentile(0.999));
  std::printf("%-34s %10.0f %10.0f %10.0f\n", "get customer (1 client)", get.Percentile(0.5),
              get.Percentile(0.99), get.Percentile(0.999));
  std::printf("%-34s %10.0f ops/s (%lld failed)\n",
              ("create customer (" + std::to_string(clients) + " clients)").c_str(), throughput,
              static_cast<long long>(failed.load()));
  std::printf(
      "{\"create_p50_us\":%.1f,\"create_p99_us\":%.1f,\"get_p50_us\":%.1f,\"get_p99_us\":%.1f,"
      "\"create_throughput_ops\":%.1f,\"clients\":%d,\"sync\":%s}\n",
      create.Percentile(0.5), create.Percentile(0.99), get.Percentile(0.5), get.Percentile(0.99),
      throughput, clients, sync ? "true" : "false");
  server.reset();
  if (!data_dir.empty()) std::filesystem::remove_all(data_dir);
  return failed.load() == 0 ? 0 : 1;
}
