// File: bench/suite/system_echo.cc
//
// Baseline B0: a bare synchronous gRPC server, built like rapportd's
// (bench/suite/bench_server.h), whose one method returns the request bytes. Each operation makes
// the same calls as against rapportd: the request is the serialized rapport.v1 request, the reply
// is padded to the mean size rapportd answered for that call.
#include <cstdio>

#include "bench/suite/bench.h"
#include "bench/suite/bench_server.h"
#include "bench/suite/process.h"
#include "bench/suite/requests.h"
#include "grpcpp/grpcpp.h"
#include "rapport/benchmark/v1/echo.grpc.pb.h"

namespace rapport::bench {
namespace {

namespace bv1 = ::rapport::benchmark::v1;

class EchoServiceImpl final : public bv1::EchoService::Service {
  grpc::Status Echo(grpc::ServerContext*, const bv1::EchoRequest* request,
                    bv1::EchoResponse* response) override {
    std::string* payload = response->mutable_payload();
    *payload = request->payload();
    if (request->reply_bytes() > payload->size()) payload->resize(request->reply_bytes(), '\0');
    return grpc::Status::OK;
  }
};

// A 26-character ID like a ULID, for requests that never reach a store.
std::string FakeId(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "01JBENCH%018lld", static_cast<long long>(i));
  return buf;
}

class EchoSystem;

class EchoClient : public Client {
 public:
  EchoClient(const EchoSystem* system, std::shared_ptr<grpc::Channel> channel)
      : system_(system), stub_(bv1::EchoService::NewStub(channel)) {}
  absl::Status Run(const Op& op) override;

 private:
  absl::Status Send(const google::protobuf::Message& request, OpKind kind, int step);
  const EchoSystem* system_;
  std::unique_ptr<bv1::EchoService::Stub> stub_;
};

class EchoSystem : public System {
 public:
  explicit EchoSystem(const SystemConfig& config) : config_(config) {}
  std::string name() const override { return "b0_echo"; }
  std::string description() const override {
    return "bare sync gRPC echo server in its own process, rapportd's server settings";
  }
  absl::Status Start() override {
    auto server = BenchServer::Spawn(config_, "echo", {"--serve-echo"});
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return absl::OkStatus();
  }
  absl::Status Load(const Dataset&, int, LoadReport*) override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<Client>> NewClient() override {
    return std::unique_ptr<Client>(new EchoClient(this, server_.NextChannel()));
  }
  double CpuSeconds() override { return ProcessCpuSeconds(server_.pid(), false); }
  std::string cpu_method() const override {
    return "utime+stime of the echo server process (/proc/PID/stat)";
  }
  void ResetPeakMemory() override { ResetPeakRss(server_.pid()); }
  int64_t PeakMemoryBytes() override { return ProcStatusBytes(server_.pid(), "VmHWM:"); }
  std::string memory_method() const override {
    return "VmHWM of the echo server process, reset per workload";
  }
  void Stop() override { server_.Stop(); }
  DiskUsage Disk() override { return {}; }
  WireProfile* wire() const { return config_.wire; }

 private:
  SystemConfig config_;
  BenchServer server_;
};

absl::Status EchoClient::Send(const google::protobuf::Message& request, OpKind kind, int step) {
  bv1::EchoRequest echo;
  request.SerializeToString(echo.mutable_payload());
  echo.set_reply_bytes(system_->wire() ? system_->wire()->ReplyBytes(kind, step) : 0);
  bv1::EchoResponse reply;
  grpc::ClientContext ctx;
  // A header of the size rapportd's bearer token has.
  ctx.AddMetadata(
      "authorization",
      "Bearer rpt_01JBENCH000000000000000000_0000000000000000000000000000000000000000000");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  grpc::Status s = stub_->Echo(&ctx, echo, &reply);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return absl::OkStatus();
}

absl::Status EchoClient::Run(const Op& op) {
  const OpKind kind = op.kind;
  const std::string customer = FakeId(op.customer);
  switch (kind) {
    case OpKind::kCreateCustomer:
      return Send(requests::CreateCustomer(op), kind, 0);
    case OpKind::kUpdateCustomer:
      return Send(requests::UpdateCustomer(op, customer), kind, 0);
    case OpKind::kGetCustomer:
      return Send(requests::GetCustomer(customer), kind, 0);
    case OpKind::kLogInteraction:
      return Send(requests::LogInteraction(op, customer), kind, 0);
    case OpKind::kMoveStage: {
      const std::string id = FakeId(op.opportunity);
      auto s = Send(requests::GetOpportunity(id), kind, 0);
      if (!s.ok()) return s;
      return Send(requests::MoveStage(id, NextStage(kListStage, op.stage_step), 7), kind, 1);
    }
    case OpKind::kListPipeline:
      return Send(requests::ListPipeline(), kind, 0);
    case OpKind::kPipelineAggregate:
      return Send(requests::StageTotal(), kind, 0);
    case OpKind::kSearch:
      return Send(requests::Search(op), kind, 0);
    case OpKind::kCustomer360:
      return requests::Customer360(
          customer, [&](const auto& request, int step) { return Send(request, kind, step); });
    case OpKind::kImport:
      return Send(requests::Import(op), kind, 0);
    case OpKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

std::unique_ptr<System> NewEchoSystem(const SystemConfig& config) {
  return std::make_unique<EchoSystem>(config);
}

int ServeEcho(int max_message_bytes, int grpc_max_pollers) {
  EchoServiceImpl service;
  return ServeUntilStdinCloses(&service, "echo", max_message_bytes, grpc_max_pollers);
}

}  // namespace rapport::bench
