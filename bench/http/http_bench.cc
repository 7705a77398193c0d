// http_bench: what HTTP/JSON (rapportd --http-listen, services/connect/)
// costs against gRPC for the same calls, side by side in one run on one
// real rapportd.
//
//   http_bench [--calls 4000] [--clients 8] [--preload 2000] [--out FILE] [--smoke]
//
// For GetCustomer and CreateCustomer, over gRPC (a generated stub),
// HTTP/JSON and HTTP with the binary codec (application/proto, both through
// cpp-httplib clients with keep-alive): one client calling in a closed
// loop (latency) and --clients at once (throughput), with rapportd's CPU
// per call from /proc. Every figure is also given as a ratio to gRPC's.
// --smoke runs every phase at tiny sizes (CTest), asserting nothing about
// time.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/suite/process.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "rapport/v1/customer.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
namespace v1 = rapport::v1;
using Clock = std::chrono::steady_clock;

enum class Transport { kGrpc, kHttpJson, kHttpProto };
constexpr Transport kTransports[] = {Transport::kGrpc, Transport::kHttpJson, Transport::kHttpProto};
const char* Name(Transport t) {
  switch (t) {
    case Transport::kGrpc:
      return "grpc";
    case Transport::kHttpJson:
      return "http_json";
    case Transport::kHttpProto:
      return "http_proto";
  }
  return "?";
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_bench: %s\n", what.c_str());
  std::exit(2);
}

v1::CreateCustomerRequest NewCustomer(int64_t i) {
  static const char* kFamily[] = {"김", "이", "박", "최", "정", "강", "조", "윤"};
  static const char* kGiven[] = {"민수", "서연", "지훈", "하은", "도윤", "수아", "예준", "지민"};
  v1::CreateCustomerRequest r;
  auto* c = r.mutable_customer();
  c->set_display_name(absl::StrCat(kFamily[i % 8], kGiven[(i / 8) % 8]));
  c->add_emails(absl::StrCat("customer", i, "@example.co.kr"));
  c->add_phones(absl::StrFormat("010-%04d-%04d", 2000 + i / 10000, i % 10000));
  c->add_tags(i % 2 ? "b2b" : "b2c");
  c->mutable_address()->add_lines(absl::StrCat("서울특별시 강남구 테헤란로 ", i % 500));
  c->mutable_address()->set_country_code("KR");
  return r;
}

// One client: its own gRPC channel or HTTP connection.
class Caller {
 public:
  Caller(Transport transport, const std::string& grpc_address, int http_port,
         const std::string& token, int index)
      : transport_(transport), token_(token), http_("127.0.0.1", http_port) {
    grpc::ChannelArguments args;
    args.SetInt("rapport.http_bench.client", index);  // a connection of its own
    stub_ = v1::CustomerService::NewStub(
        grpc::CreateCustomChannel(grpc_address, grpc::InsecureChannelCredentials(), args));
    http_.set_keep_alive(true);
    http_.set_tcp_nodelay(true);  // as curl and browsers do
    http_.set_read_timeout(30, 0);
    headers_ = {{"Authorization", "Bearer " + token}};
  }

  // The created customer's id.
  std::string Create(const v1::CreateCustomerRequest& request) {
    v1::Customer out;
    Call("CreateCustomer", request, &out);
    return out.id();
  }
  void Get(const std::string& id) {
    v1::GetCustomerRequest request;
    request.set_id(id);
    v1::Customer out;
    Call("GetCustomer", request, &out);
  }

 private:
  void Call(const std::string& method, const google::protobuf::Message& request,
            google::protobuf::Message* response) {
    if (transport_ == Transport::kGrpc) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token_);
      grpc::Status s =
          method == "GetCustomer"
              ? stub_->GetCustomer(&ctx, static_cast<const v1::GetCustomerRequest&>(request),
                                   static_cast<v1::Customer*>(response))
              : stub_->CreateCustomer(&ctx, static_cast<const v1::CreateCustomerRequest&>(request),
                                      static_cast<v1::Customer*>(response));
      if (!s.ok()) Die(absl::StrCat(method, " over gRPC: ", s.error_message()));
      return;
    }
    const bool json = transport_ == Transport::kHttpJson;
    std::string body;
    if (json) {
      if (!google::protobuf::util::MessageToJsonString(request, &body).ok()) Die("to JSON");
    } else {
      body = request.SerializeAsString();
    }
    const std::string path = "/rapport.v1.CustomerService/" + method;
    auto result =
        http_.Post(path.c_str(), headers_, body, json ? "application/json" : "application/proto");
    if (!result) Die(absl::StrCat(method, " over HTTP: ", httplib::to_string(result.error())));
    if (result->status != 200) {
      Die(absl::StrCat(method, " over HTTP: ", result->status, " ", result->body));
    }
    const bool parsed =
        json ? google::protobuf::util::JsonStringToMessage(result->body, response).ok()
             : response->ParseFromString(result->body);
    if (!parsed) Die(absl::StrCat(method, " over HTTP: unreadable answer"));
  }

  Transport transport_;
  std::string token_;
  std::unique_ptr<v1::CustomerService::Stub> stub_;
  httplib::Client http_;
  httplib::Headers headers_;
};

struct Result {
  std::string op;
  Transport transport;
  int clients = 0;
  int64_t calls = 0;
  double per_second = 0, cpu_us = 0, p50_us = 0, p99_us = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HTTP/JSON against gRPC for GetCustomer and CreateCustomer on one rapportd"};
  int64_t calls = 4000, preload = 2000;
  int clients = 8;
  bool smoke = false;
  std::string out_file, rapportd = RAPPORT_RAPPORTD_PATH, work_root = fs::temp_directory_path();
  app.add_option("--calls", calls, "calls per phase")->check(CLI::PositiveNumber);
  app.add_option("--clients", clients, "concurrent clients of the throughput phases")
      ->check(CLI::Range(1, 256));
  app.add_option("--preload", preload, "customers created first, the ones gets read")
      ->check(CLI::PositiveNumber);
  app.add_option("--out", out_file, "write the results as JSON here");
  app.add_option("--rapportd", rapportd, "the rapportd binary")->capture_default_str();
  app.add_option("--work-dir", work_root, "where the data directory goes");
  app.add_flag("--smoke", smoke, "tiny sizes: checks that every phase runs");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    calls = 40;
    preload = 20;
    clients = std::min(clients, 2);
  }

  const fs::path work = fs::path(work_root) / absl::StrCat("rapport-http-bench-", getpid());
  const std::string data_dir = (work / "data").string(), log = (work / "rapportd.log").string();
  fs::create_directories(data_dir);
  rapport::bench::SpawnOptions spawn;
  spawn.pipe_stdout = true;
  spawn.log_file = log;
  auto child = rapport::bench::ChildProcess::Spawn(
      {rapportd, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--http-listen", "127.0.0.1:0",
       "--http-threads", std::to_string(clients + 4), "--grpc-max-pollers",
       std::to_string(clients + 4)},
      spawn);
  if (!child.ok()) Die("cannot start " + rapportd);
  std::string address;
  int http_port = 0;
  while (address.empty() || http_port == 0) {
    auto line = child->ReadLine(120000);
    if (!line.ok()) Die("rapportd did not start (see " + log + ")");
    if (line->rfind("rapportd listening on ", 0) == 0) address = line->substr(22);
    if (line->rfind("http on http://", 0) == 0) {
      http_port = std::atoi(line->substr(line->rfind(':') + 1).c_str());
    }
  }
  std::string token;
  std::getline(std::ifstream(data_dir + "/admin.token"), token);
  const pid_t server = child->pid();
  std::printf("http_bench: rapportd pid %d, gRPC %s, HTTP port %d, %lld calls per phase\n",
              static_cast<int>(server), address.c_str(), http_port, static_cast<long long>(calls));

  std::vector<std::string> ids;
  {
    Caller loader(Transport::kGrpc, address, http_port, token, 0);
    for (int64_t i = 0; i < preload; ++i) ids.push_back(loader.Create(NewCustomer(i)));
  }
  std::atomic<int64_t> next_customer{preload};

  std::vector<Result> results;
  for (const char* op : {"get", "create"}) {
    for (int n : {1, clients}) {
      for (Transport transport : kTransports) {
        std::vector<std::unique_ptr<Caller>> callers;
        for (int c = 0; c < n; ++c) {
          callers.push_back(std::make_unique<Caller>(transport, address, http_port, token, c + 1));
          callers.back()->Get(ids[0]);  // connected before the clock starts
        }
        std::atomic<int64_t> next{0};
        std::vector<std::vector<double>> us(static_cast<size_t>(n));
        const bool get = std::string(op) == "get";
        const double cpu0 = rapport::bench::ProcessCpuSeconds(server, false);
        const auto t0 = Clock::now();
        std::vector<std::thread> threads;
        for (int c = 0; c < n; ++c) {
          threads.emplace_back([&, c] {
            Caller& caller = *callers[static_cast<size_t>(c)];
            for (int64_t i; (i = next.fetch_add(1)) < calls;) {
              const v1::CreateCustomerRequest create =
                  get ? v1::CreateCustomerRequest() : NewCustomer(next_customer.fetch_add(1));
              const auto c0 = Clock::now();
              if (get) {
                caller.Get(ids[static_cast<size_t>(i) % ids.size()]);
              } else {
                caller.Create(create);
              }
              us[static_cast<size_t>(c)].push_back(
                  std::chrono::duration<double, std::micro>(Clock::now() - c0).count());
            }
          });
        }
        for (auto& t : threads) t.join();
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        const double cpu = rapport::bench::ProcessCpuSeconds(server, false) - cpu0;
        std::vector<double> all;
        for (auto& v : us) all.insert(all.end(), v.begin(), v.end());
        Result r;
        r.op = op;
        r.transport = transport;
        r.clients = n;
        r.calls = calls;
        r.per_second = static_cast<double>(calls) / seconds;
        r.cpu_us = cpu * 1e6 / static_cast<double>(calls);
        r.p50_us = Percentile(all, 0.5);
        r.p99_us = Percentile(all, 0.99);
        results.push_back(r);
      }
    }
  }
  child->CloseStdin();
  child->Signal(SIGTERM);
  child->Wait(30000);
  std::error_code ignored;
  fs::remove_all(work, ignored);

  // The table: each row against gRPC's row of the same op and clients.
  std::printf("\n| op | clients | transport | calls/s | p50 us | p99 us | server CPU us/call |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const Result& r : results) {
    const Result* base = nullptr;
    for (const Result& b : results) {
      if (b.op == r.op && b.clients == r.clients && b.transport == Transport::kGrpc) base = &b;
    }
    auto ratio = [](double x, double y) { return y > 0 ? x / y : 0; };
    if (r.transport == Transport::kGrpc) {
      std::printf("| %s | %d | %s | %.0f | %.0f | %.0f | %.0f |\n", r.op.c_str(), r.clients,
                  Name(r.transport), r.per_second, r.p50_us, r.p99_us, r.cpu_us);
    } else {
      std::printf("| %s | %d | %s | %.0f (%.2fx) | %.0f (%.2fx) | %.0f (%.2fx) | %.0f (%.2fx) |\n",
                  r.op.c_str(), r.clients, Name(r.transport), r.per_second,
                  ratio(r.per_second, base->per_second), r.p50_us, ratio(r.p50_us, base->p50_us),
                  r.p99_us, ratio(r.p99_us, base->p99_us), r.cpu_us, ratio(r.cpu_us, base->cpu_us));
    }
  }
  if (!out_file.empty()) {
    std::ofstream out(out_file);
    out << "{\"calls\":" << calls << ",\"clients\":" << clients << ",\"results\":[";
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      out << (i ? "," : "")
          << absl::StrFormat(
                 "{\"op\":\"%s\",\"transport\":\"%s\",\"clients\":%d,\"per_second\":%.1f,"
                 "\"p50_us\":%.1f,\"p99_us\":%.1f,\"server_cpu_us\":%.1f}",
                 r.op, Name(r.transport), r.clients, r.per_second, r.p50_us, r.p99_us, r.cpu_us);
    }
    out << "]}\n";
  }
  return 0;
}
