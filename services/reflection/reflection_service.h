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
// The pool is services/common/descriptor_pool.h's: the generated pool plus
// the plugins' files.
#ifndef RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_
#define RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_

#include <memory>
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
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_REFLECTION_REFLECTION_SERVICE_H_
