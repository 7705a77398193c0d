// File: bench/suite/system_rapport.cc
//
// The system under test: the real rapportd binary in its own process (so its
// CPU time and peak RSS are its own), on 127.0.0.1:0 with a fresh data
// directory, driven through the public gRPC API with the admin token it
// bootstraps.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "bench/suite/bench.h"
#include "bench/suite/parallel.h"
#include "bench/suite/process.h"
#include "bench/suite/requests.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/interaction.grpc.pb.h"
#include "rapport/v1/opportunity.grpc.pb.h"
#include "rapport/v1/schema.grpc.pb.h"

namespace rapport::bench {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const char* what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

class RapportSystem;

class RapportClient : public Client {
 public:
  RapportClient(RapportSystem* system, std::shared_ptr<grpc::Channel> channel);
  absl::Status Run(const Op& op) override;

 private:
  template <typename Req, typename Resp, typename Method>
  absl::Status Call(Method method, const Req& request, Resp* response, OpKind kind, int step,
                    const char* what);

  RapportSystem* system_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::InteractionService::Stub> interactions_;
  std::unique_ptr<v1::OpportunityService::Stub> opportunities_;
};

class RapportSystem : public System {
 public:
  explicit RapportSystem(const SystemConfig& config) : config_(config) {
    data_dir_ = config.work_dir + "/rapport";
  }
  std::string name() const override { return "rapport"; }
  std::string description() const override {
    return absl::StrCat("rapportd (", config_.rapportd, ") in its own process, data dir on the ",
                        "same disk, ", config_.sync ? "--sync" : "default durability",
                        ", block cache ", config_.block_cache_mib, " MiB");
  }

  absl::Status Start() override {
    std::filesystem::create_directories(data_dir_);
    SpawnOptions spawn;
    spawn.pipe_stdout = true;
    spawn.log_file = config_.work_dir + "/rapportd.log";
    std::vector<std::string> argv = {config_.rapportd,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--data-dir",
                                     data_dir_,
                                     "--block-cache-mib",
                                     std::to_string(config_.block_cache_mib),
                                     "--max-message-bytes",
                                     std::to_string(config_.max_message_bytes),
                                     "--grpc-max-pollers",
                                     std::to_string(config_.grpc_max_pollers)};
    if (config_.sync) argv.push_back("--sync");
    auto child = ChildProcess::Spawn(argv, spawn);
    if (!child.ok()) return child.status();
    child_ = std::move(*child);
    const std::string kPrefix = "rapportd listening on ";
    for (;;) {
      auto line = child_.ReadLine(120000);
      if (!line.ok()) {
        return absl::UnavailableError(absl::StrCat("rapportd did not start (see ", spawn.log_file,
                                                   "): ", line.status().message()));
      }
      if (line->rfind(kPrefix, 0) == 0) {
        address_ = line->substr(kPrefix.size());
        break;
      }
    }
    std::ifstream token_file(data_dir_ + "/admin.token");
    std::string token;
    std::getline(token_file, token);
    if (token.empty()) return absl::InternalError("rapportd wrote no admin.token");
    bearer_ = "Bearer " + token;
    for (int i = 0; i < 4; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("rapport.bench.channel", i);  // distinct channels, distinct connections
      args.SetMaxReceiveMessageSize(-1);
      args.SetMaxSendMessageSize(-1);
      channels_.push_back(
          grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args));
    }
    return DefineSchema();
  }

  absl::Status Load(const Dataset& data, int threads, LoadReport* report) override {
    auto t0 = std::chrono::steady_clock::now();
    auto phase_start = t0;
    auto phase = [&](const char* name) {
      auto now = std::chrono::steady_clock::now();
      report->phases.emplace_back(name, std::chrono::duration<double>(now - phase_start).count());
      phase_start = now;
    };
    customer_ids_.assign(static_cast<size_t>(data.customers()), "");
    opportunity_ids_.assign(static_cast<size_t>(data.opportunities()), "");
    auto stub_for = [&](int64_t begin) {
      return std::make_pair(
          v1::CustomerService::NewStub(channels_[static_cast<size_t>(begin / kImportBatch) % 4]),
          channels_[static_cast<size_t>(begin / kImportBatch) % 4]);
    };
    absl::Status s =
        ParallelChunks(data.customers(), kImportBatch, threads, [&](int64_t b, int64_t e) {
          v1::BatchUpsertCustomersRequest request;
          for (int64_t i = b; i < e; ++i) *request.add_customers() = data.Customer(i);
          v1::BatchUpsertCustomersResponse response;
          auto [stub, channel] = stub_for(b);
          grpc::ClientContext ctx;
          Prepare(&ctx);
          auto st =
              FromGrpc(stub->BatchUpsertCustomers(&ctx, request, &response), "load customers");
          if (!st.ok()) return st;
          for (int64_t i = b; i < e; ++i)
            customer_ids_[static_cast<size_t>(i)] =
                response.customers(static_cast<int>(i - b)).id();
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    phase("customers");
    s = ParallelChunks(data.interactions(), kImportBatch, threads, [&](int64_t b, int64_t e) {
      v1::BatchUpsertInteractionsRequest request;
      for (int64_t j = b; j < e; ++j) {
        v1::Interaction* in = request.add_interactions();
        *in = data.Interaction(j);
        in->set_customer_id(customer_ids_[static_cast<size_t>(data.InteractionCustomer(j))]);
      }
      v1::BatchUpsertInteractionsResponse response;
      auto stub =
          v1::InteractionService::NewStub(channels_[static_cast<size_t>(b / kImportBatch) % 4]);
      grpc::ClientContext ctx;
      Prepare(&ctx);
      return FromGrpc(stub->BatchUpsertInteractions(&ctx, request, &response), "load interactions");
    });
    if (!s.ok()) return s;
    phase("interactions");
    s = ParallelChunks(data.opportunities(), kImportBatch, threads, [&](int64_t b, int64_t e) {
      v1::BatchUpsertOpportunitiesRequest request;
      for (int64_t k = b; k < e; ++k) {
        v1::Opportunity* o = request.add_opportunities();
        *o = data.Opportunity(k);
        o->set_customer_id(customer_ids_[static_cast<size_t>(data.OpportunityCustomer(k))]);
      }
      v1::BatchUpsertOpportunitiesResponse response;
      auto stub =
          v1::OpportunityService::NewStub(channels_[static_cast<size_t>(b / kImportBatch) % 4]);
      grpc::ClientContext ctx;
      Prepare(&ctx);
      auto st =
          FromGrpc(stub->BatchUpsertOpportunities(&ctx, request, &response), "load opportunities");
      if (!st.ok()) return st;
      for (int64_t k = b; k < e; ++k)
        opportunity_ids_[static_cast<size_t>(k)] =
            response.opportunities(static_cast<int>(k - b)).id();
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    phase("opportunities");
    report->records = data.customers() + data.interactions() + data.opportunities();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    records = report->records;
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Client>> NewClient() override {
    return std::unique_ptr<Client>(
        new RapportClient(this, channels_[next_channel_++ % channels_.size()]));
  }

  double CpuSeconds() override { return ProcessCpuSeconds(child_.pid(), false); }
  std::string cpu_method() const override {
    return "utime+stime of the rapportd process (/proc/PID/stat); client CPU reported separately";
  }
  void ResetPeakMemory() override { ResetPeakRss(child_.pid()); }
  int64_t PeakMemoryBytes() override { return ProcStatusBytes(child_.pid(), "VmHWM:"); }
  std::string memory_method() const override {
    return "VmHWM of the rapportd process, reset per workload through /proc/PID/clear_refs";
  }
  void Stop() override {
    if (child_.pid() > 0) {
      channels_.clear();
      child_.Signal(SIGTERM);
      child_.Wait(120000);
    }
  }
  DiskUsage Disk() override {
    auto size = DirectorySize(data_dir_, [](const std::string& path) {
      return path.size() > 4 && path.compare(path.size() - 4, 4, ".log") == 0;
    });
    return {size.total, size.wal};
  }

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->AddMetadata("authorization", bearer_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  }
  const std::string& customer_id(int64_t i) const { return customer_ids_[static_cast<size_t>(i)]; }
  const std::string& opportunity_id(int64_t k) const {
    return opportunity_ids_[static_cast<size_t>(k)];
  }
  WireProfile* wire() const { return config_.wire; }

 private:
  absl::Status DefineSchema() {
    auto stub = v1::SchemaService::NewStub(channels_[0]);
    v1::UpdateAttributeSchemaRequest request;
    auto* schema = request.mutable_schema();
    schema->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    auto* region = schema->add_attributes();
    region->set_name("region");
    region->set_type(v1::ATTRIBUTE_TYPE_STRING);
    region->set_indexed(true);
    auto* seats = schema->add_attributes();
    seats->set_name("seats");
    seats->set_type(v1::ATTRIBUTE_TYPE_INT);
    auto* vip = schema->add_attributes();
    vip->set_name("vip");
    vip->set_type(v1::ATTRIBUTE_TYPE_BOOL);
    v1::AttributeSchema out;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return FromGrpc(stub->UpdateAttributeSchema(&ctx, request, &out), "define customer attributes");
  }

  SystemConfig config_;
  std::string data_dir_;
  ChildProcess child_;
  std::string address_;
  std::string bearer_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  size_t next_channel_ = 0;
  std::vector<std::string> customer_ids_;
  std::vector<std::string> opportunity_ids_;
};

RapportClient::RapportClient(RapportSystem* system, std::shared_ptr<grpc::Channel> channel)
    : system_(system),
      customers_(v1::CustomerService::NewStub(channel)),
      interactions_(v1::InteractionService::NewStub(channel)),
      opportunities_(v1::OpportunityService::NewStub(channel)) {}

template <typename Req, typename Resp, typename Method>
absl::Status RapportClient::Call(Method method, const Req& request, Resp* response, OpKind kind,
                                 int step, const char* what) {
  grpc::ClientContext ctx;
  system_->Prepare(&ctx);
  grpc::Status s = method(&ctx, request, response);
  if (!s.ok()) return FromGrpc(s, what);
  if (system_->wire()) system_->wire()->Add(kind, step, response->ByteSizeLong());
  return absl::OkStatus();
}

absl::Status RapportClient::Run(const Op& op) {
  const OpKind kind = op.kind;
  switch (kind) {
    case OpKind::kCreateCustomer: {
      v1::Customer out;
      return Call([&](auto* c, auto& r, auto* o) { return customers_->CreateCustomer(c, r, o); },
                  requests::CreateCustomer(op), &out, kind, 0, "CreateCustomer");
    }
    case OpKind::kUpdateCustomer: {
      v1::Customer out;
      return Call([&](auto* c, auto& r, auto* o) { return customers_->UpdateCustomer(c, r, o); },
                  requests::UpdateCustomer(op, system_->customer_id(op.customer)), &out, kind, 0,
                  "UpdateCustomer");
    }
    case OpKind::kGetCustomer: {
      v1::Customer out;
      return Call([&](auto* c, auto& r, auto* o) { return customers_->GetCustomer(c, r, o); },
                  requests::GetCustomer(system_->customer_id(op.customer)), &out, kind, 0,
                  "GetCustomer");
    }
    case OpKind::kLogInteraction: {
      v1::Interaction out;
      return Call(
          [&](auto* c, auto& r, auto* o) { return interactions_->CreateInteraction(c, r, o); },
          requests::LogInteraction(op, system_->customer_id(op.customer)), &out, kind, 0,
          "CreateInteraction");
    }
    case OpKind::kMoveStage: {
      const std::string& id = system_->opportunity_id(op.opportunity);
      for (int attempt = 0;; ++attempt) {
        v1::Opportunity current, out;
        auto s =
            Call([&](auto* c, auto& r, auto* o) { return opportunities_->GetOpportunity(c, r, o); },
                 requests::GetOpportunity(id), &current, kind, 0, "GetOpportunity");
        if (!s.ok()) return s;
        s = Call(
            [&](auto* c, auto& r, auto* o) { return opportunities_->UpdateOpportunity(c, r, o); },
            requests::MoveStage(id, NextStage(current.stage(), op.stage_step), current.revision()),
            &out, kind, 1, "UpdateOpportunity");
        if (absl::IsAborted(s) && attempt < 20) {
          ++conflicts_;
          continue;
        }
        return s;
      }
    }
    case OpKind::kListPipeline: {
      v1::ListOpportunitiesResponse out;
      return Call(
          [&](auto* c, auto& r, auto* o) { return opportunities_->ListOpportunities(c, r, o); },
          requests::ListPipeline(), &out, kind, 0, "ListOpportunities");
    }
    case OpKind::kPipelineAggregate: {
      // One call: the total comes from the pipeline/stage/amount index.
      v1::StageTotal out;
      auto s =
          Call([&](auto* c, auto& r, auto* o) { return opportunities_->GetStageTotal(c, r, o); },
               requests::StageTotal(), &out, kind, 0, "GetStageTotal");
      if (!s.ok()) return s;
      return out.amount().units() >= 0 ? absl::OkStatus()
                                       : absl::InternalError("negative pipeline sum");
    }
    case OpKind::kSearch: {
      v1::SearchCustomersResponse out;
      auto s = Call([&](auto* c, auto& r, auto* o) { return customers_->SearchCustomers(c, r, o); },
                    requests::Search(op), &out, kind, 0, "SearchCustomers");
      if (s.ok() && out.customers().empty()) {
        return absl::NotFoundError(absl::StrCat("search '", op.query, "' found nothing"));
      }
      return s;
    }
    case OpKind::kCustomer360: {
      const std::string& id = system_->customer_id(op.customer);
      v1::Customer customer;
      auto s = Call([&](auto* c, auto& r, auto* o) { return customers_->GetCustomer(c, r, o); },
                    requests::GetCustomer(id), &customer, kind, 0, "GetCustomer");
      if (!s.ok()) return s;
      v1::ListInteractionsResponse timeline;
      s = Call([&](auto* c, auto& r,
                   auto* o) { return interactions_->ListCustomerInteractions(c, r, o); },
               requests::Timeline(id), &timeline, kind, 1, "ListCustomerInteractions");
      if (!s.ok()) return s;
      v1::ListOpportunitiesResponse deals;
      return Call([&](auto* c, auto& r,
                      auto* o) { return opportunities_->ListCustomerOpportunities(c, r, o); },
                  requests::OpenOpportunities(id), &deals, kind, 2, "ListCustomerOpportunities");
    }
    case OpKind::kImport: {
      v1::BatchUpsertCustomersResponse out;
      auto s =
          Call([&](auto* c, auto& r, auto* o) { return customers_->BatchUpsertCustomers(c, r, o); },
               requests::Import(op), &out, kind, 0, "BatchUpsertCustomers");
      if (s.ok() && out.customers_size() != static_cast<int>(op.batch->size())) {
        return absl::InternalError("BatchUpsertCustomers returned fewer customers");
      }
      return s;
    }
    case OpKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

std::unique_ptr<System> NewRapportSystem(const SystemConfig& config) {
  return std::make_unique<RapportSystem>(config);
}

}  // namespace rapport::bench
