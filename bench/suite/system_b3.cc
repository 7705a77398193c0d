// File: bench/suite/system_b3.cc
//
// Baseline B3: the service a platform team would build instead of Rapport,
// "a gRPC service of our own on PostgreSQL". Its server
// (bench/suite/b3_server.cc, a `rapport_bench --serve-b3` child) serves B0's
// API with rapportd's server settings, and runs B2's prepared statements on
// a PostgreSQL of its own (the same version, settings, schema, indexes, load
// and durability as B2: bench/suite/system_postgres.cc) through one libpq
// connection per handler thread. Each operation makes the calls it makes
// against rapportd, with the same rapport.v1 requests: a stage move reads
// the opportunity, then updates it at the revision it read, and reads again
// on a conflict, as against rapportd.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/suite/bench.h"
#include "bench/suite/bench_server.h"
#include "bench/suite/process.h"
#include "bench/suite/requests.h"
#include "grpcpp/grpcpp.h"
#include "rapport/benchmark/v1/echo.grpc.pb.h"

namespace rapport::bench {
namespace {

namespace bv1 = ::rapport::benchmark::v1;

class B3System;

class B3Client : public Client {
 public:
  B3Client(const B3System* system, std::shared_ptr<grpc::Channel> channel)
      : system_(system), stub_(bv1::EchoService::NewStub(channel)) {}
  absl::Status Run(const Op& op) override;

 private:
  absl::Status Send(const google::protobuf::Message& request, OpKind kind, int step,
                    bv1::ResultRows* rows = nullptr);
  absl::Status MoveStage(const std::string& id, int stage_step);
  const B3System* system_;
  std::unique_ptr<bv1::EchoService::Stub> stub_;
};

class B3System : public System {
 public:
  B3System(const SystemConfig& config, std::unique_ptr<PostgresDatabase> db)
      : config_(config), db_(std::move(db)) {}
  std::string name() const override { return "b3_grpc_postgres"; }
  std::string description() const override {
    return absl::StrCat(
        "a sync gRPC service with rapportd's server settings, handlers running B2's prepared "
        "statements over one libpq connection per handler thread, on ",
        db_->description());
  }
  absl::Status Start() override {
    if (auto s = db_->Start(); !s.ok()) return s;
    auto server = BenchServer::Spawn(config_, "b3", {"--serve-b3", db_->conninfo()});
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return absl::OkStatus();
  }
  absl::Status Load(const Dataset& data, int threads, LoadReport* report) override {
    absl::Status s = db_->Load(data, threads, report);
    records = db_->records.load();
    return s;
  }
  absl::StatusOr<std::unique_ptr<Client>> NewClient() override {
    return std::unique_ptr<Client>(new B3Client(this, server_.NextChannel()));
  }
  double CpuSeconds() override {
    return db_->CpuSeconds() + ProcessCpuSeconds(server_.pid(), false);
  }
  std::string cpu_method() const override {
    return absl::StrCat("utime+stime of the B3 server process plus, for its PostgreSQL, ",
                        db_->cpu_method());
  }
  void ResetPeakMemory() override {
    db_->ResetPeakMemory();
    ResetPeakRss(server_.pid());
  }
  void SampleMemory() override { db_->SampleMemory(); }
  int64_t PeakMemoryBytes() override {
    return db_->PeakMemoryBytes() + ProcStatusBytes(server_.pid(), "VmHWM:");
  }
  std::string memory_method() const override {
    return absl::StrCat("VmHWM of the B3 server process plus, for its PostgreSQL, ",
                        db_->memory_method());
  }
  void Stop() override {
    server_.Stop();
    db_->Stop();
  }
  DiskUsage Disk() override { return db_->Disk(); }
  const PostgresDatabase& db() const { return *db_; }

 private:
  SystemConfig config_;
  std::unique_ptr<PostgresDatabase> db_;
  BenchServer server_;
};

absl::Status B3Client::Send(const google::protobuf::Message& request, OpKind kind, int step,
                            bv1::ResultRows* rows) {
  bv1::EchoRequest call;
  request.SerializeToString(call.mutable_payload());
  call.set_operation(static_cast<int32_t>(kind));
  call.set_step(step);
  bv1::EchoResponse reply;
  grpc::ClientContext ctx;
  // A header of the size rapportd's bearer token has, as for B0.
  ctx.AddMetadata(
      "authorization",
      "Bearer rpt_01JBENCH000000000000000000_0000000000000000000000000000000000000000000");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  grpc::Status s = stub_->Echo(&ctx, call, &reply);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  // Every reply is read, as a client would.
  bv1::ResultRows parsed;
  if (!parsed.ParseFromString(reply.payload())) return absl::InternalError("b3: unparsable reply");
  if (rows != nullptr) *rows = std::move(parsed);
  return absl::OkStatus();
}

// The cell `column` of the only row.
std::string Cell(const bv1::ResultRows& rows, const std::string& column) {
  if (rows.rows_size() != 1) return "";
  for (int j = 0; j < rows.columns_size(); ++j) {
    if (rows.columns(j) == column && j < rows.rows(0).cells_size()) return rows.rows(0).cells(j);
  }
  return "";
}

absl::Status B3Client::MoveStage(const std::string& id, int stage_step) {
  for (int attempt = 0;; ++attempt) {
    bv1::ResultRows got;
    if (auto s = Send(requests::GetOpportunity(id), OpKind::kMoveStage, 0, &got); !s.ok()) return s;
    const std::string stage = Cell(got, "stage");
    int64_t revision = 0;
    if (stage.empty() || !absl::SimpleAtoi(Cell(got, "revision"), &revision)) {
      return absl::InternalError("b3: get_opportunity returned no stage or revision");
    }
    absl::Status s = Send(requests::MoveStage(id, NextStage(stage, stage_step), revision),
                          OpKind::kMoveStage, 1);
    if (s.code() != absl::StatusCode::kAborted) return s;
    if (attempt >= 20) return s;
    ++conflicts_;
  }
}

absl::Status B3Client::Run(const Op& op) {
  const PostgresDatabase& db = system_->db();
  const OpKind kind = op.kind;
  switch (kind) {
    case OpKind::kCreateCustomer:
      return Send(requests::CreateCustomer(op), kind, 0);
    case OpKind::kUpdateCustomer:
      return Send(requests::UpdateCustomer(op, db.customer_id(op.customer)), kind, 0);
    case OpKind::kGetCustomer:
      return Send(requests::GetCustomer(db.customer_id(op.customer)), kind, 0);
    case OpKind::kLogInteraction:
      return Send(requests::LogInteraction(op, db.customer_id(op.customer)), kind, 0);
    case OpKind::kMoveStage:
      return MoveStage(db.opportunity_id(op.opportunity), op.stage_step);
    case OpKind::kListPipeline:
      return Send(requests::ListPipeline(), kind, 0);
    case OpKind::kPipelineAggregate:
      return Send(requests::StageTotal(), kind, 0);
    case OpKind::kSearch: {
      bv1::ResultRows found;
      if (auto s = Send(requests::Search(op), kind, 0, &found); !s.ok()) return s;
      return found.rows_size() > 0 ? absl::OkStatus() : absl::NotFoundError("search found nothing");
    }
    case OpKind::kCustomer360:
      return requests::Customer360(db.customer_id(op.customer), [&](const auto& request, int step) {
        return Send(request, kind, step);
      });
    case OpKind::kImport:
      return Send(requests::Import(op), kind, 0);
    case OpKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

absl::StatusOr<std::unique_ptr<System>> NewB3System(const SystemConfig& config) {
  auto db = NewPostgresSystem(config, "b3-postgres");
  if (!db.ok()) return db.status();
  return std::unique_ptr<System>(new B3System(config, std::move(*db)));
}

}  // namespace rapport::bench
