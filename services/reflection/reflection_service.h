// File: services/reflection/reflection_service.h
//
// grpc.reflection.v1alpha.ServerReflection over the core's compiled protos
// and the descriptor sets plugins hand over, so grpcurl and grpc_cli list
// and describe plugin services (served through the generic service, which
// gRPC's own reflection plugin cannot see) exactly like core ones.
//
//   ReflectionService reflection({"rapport.v1.CustomerService", ...},
//                                host->DescriptorSets());
//   builder.RegisterService(&reflection);
//
// Plugin files resolve their imports against the generated pool; a plugin
// file that redefines a name the host already has (e.g. its copy of
// rapport/v1/common.proto) is skipped in favour of the host's.
#ifndef RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_
#define RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace rapport::services {

class ReflectionService final : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  // `services`: full names listed by list_services (services without a
  // descriptor are listed but cannot be described). `descriptor_sets`:
  // serialized google.protobuf.FileDescriptorSets; unreadable ones, and
  // files that do not build, are logged and skipped.
  ReflectionService(std::vector<std::string> services,
                    const std::vector<std::string>& descriptor_sets);

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1alpha::ServerReflectionResponse,
                               grpc::reflection::v1alpha::ServerReflectionRequest>* stream)
      override;

  // The answer to one request (exposed for tests).
  grpc::reflection::v1alpha::ServerReflectionResponse Answer(
      const grpc::reflection::v1alpha::ServerReflectionRequest& request) const;

 private:
  void AddFileWithDependencies(const google::protobuf::FileDescriptor* file,
                               grpc::reflection::v1alpha::ServerReflectionResponse* response) const;

  std::vector<std::string> services_;
  google::protobuf::DescriptorPool pool_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_
