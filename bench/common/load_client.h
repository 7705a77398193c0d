// File: bench/common/load_client.h
//
// What the load drivers against a real rapportd (bench/torture, bench/soak)
// share: calls with the admin token and a deadline, turning a module on for
// the tenant, and the SFA pipeline their stage moves run through.
#ifndef RAPPORT_BENCH_COMMON_LOAD_CLIENT_H_
#define RAPPORT_BENCH_COMMON_LOAD_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"

namespace rapport::bench {

inline std::unique_ptr<grpc::ClientContext> BearerContext(const std::string& token, int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

// The stages of the drivers' pipeline, in order.
inline const std::vector<std::string>& PipelineStages() {
  static const std::vector<std::string> stages = {"lead", "qualify", "proposal", "won", "lost"};
  return stages;
}

// `module` on for everyone in the tenant.
inline grpc::Status EnableModule(v1::ModuleService::Stub& modules, const std::string& token,
                                 const std::string& module) {
  v1::SetRolloutRequest rollout;
  rollout.mutable_rule()->set_module(module);
  rollout.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
  v1::RolloutRule rule;
  return modules.SetRollout(BearerContext(token, 10).get(), rollout, &rule);
}

// The SFA pipeline `name` with PipelineStages() (backward moves allowed).
inline grpc::Status SetUpPipeline(sfa::v1::SalesService::Stub& sales, const std::string& token,
                                  const std::string& name) {
  const auto& stages = PipelineStages();
  sfa::v1::SetPipelineRequest request;
  request.mutable_pipeline()->set_name(name);
  request.mutable_pipeline()->set_allow_backward_moves(true);
  for (size_t i = 0; i < stages.size(); ++i) {
    auto* stage = request.mutable_pipeline()->add_stages();
    stage->set_name(stages[i]);
    const bool won = stages[i] == "won", lost = stages[i] == "lost";
    stage->set_probability(won ? 100 : lost ? 0 : static_cast<int>(10 + 20 * i));
    stage->set_forecast_category(won    ? sfa::v1::FORECAST_CATEGORY_CLOSED_WON
                                 : lost ? sfa::v1::FORECAST_CATEGORY_CLOSED_LOST
                                        : sfa::v1::FORECAST_CATEGORY_PIPELINE);
  }
  sfa::v1::Pipeline pipeline;
  return sales.SetPipeline(BearerContext(token, 10).get(), request, &pipeline);
}

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_COMMON_LOAD_CLIENT_H_
