// File: services/plugins/module_services.h
//
// rapport.v1.ModuleService: what is loaded, rollout rules, dead letters,
// shadow records. Plugin RPCs themselves: plugin_rpc_server.h.
#ifndef RAPPORT_SERVICES_PLUGINS_MODULE_SERVICES_H_
#define RAPPORT_SERVICES_PLUGINS_MODULE_SERVICES_H_

#include "rapport/v1/modules.grpc.pb.h"
#include "services/common/service_deps.h"

namespace rapport::services {

class ModuleServiceImpl final : public v1::ModuleService::Service {
 public:
  explicit ModuleServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status ListModules(grpc::ServerContext*, const v1::ListModulesRequest*,
                           v1::ListModulesResponse*) override;
  grpc::Status GetRollout(grpc::ServerContext*, const v1::GetRolloutRequest*,
                          v1::RolloutRule*) override;
  grpc::Status SetRollout(grpc::ServerContext*, const v1::SetRolloutRequest*,
                          v1::RolloutRule*) override;
  grpc::Status CheckModule(grpc::ServerContext*, const v1::CheckModuleRequest*,
                           v1::CheckModuleResponse*) override;
  grpc::Status ListRolloutHistory(grpc::ServerContext*, const v1::ListRolloutHistoryRequest*,
                                  v1::ListRolloutHistoryResponse*) override;
  grpc::Status ListDeadLetters(grpc::ServerContext*, const v1::ListDeadLettersRequest*,
                               v1::ListDeadLettersResponse*) override;
  grpc::Status ReplayDeadLetters(grpc::ServerContext*, const v1::ReplayDeadLettersRequest*,
                                 v1::ReplayDeadLettersResponse*) override;
  grpc::Status ListShadowRecords(grpc::ServerContext*, const v1::ListShadowRecordsRequest*,
                                 v1::ListShadowRecordsResponse*) override;
  grpc::Status BackfillModule(grpc::ServerContext*, const v1::BackfillModuleRequest*,
                              v1::BackfillStatus*) override;
  grpc::Status GetBackfill(grpc::ServerContext*, const v1::GetBackfillRequest*,
                           v1::BackfillStatus*) override;

 private:
  ServiceDeps deps_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_PLUGINS_MODULE_SERVICES_H_
