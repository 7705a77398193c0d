// File: tools/rapportctl/reflection_client.h
//
// Services and their message types, learned at run time from the server's
// grpc.reflection.v1alpha.ServerReflection (rapportd serves it for the core
// and for every loaded plugin), so rapportctl calls a method it was never
// compiled against:
//
//   ReflectionClient reflection(channel, Call);
//   const google::protobuf::ServiceDescriptor* service;
//   grpc::Status s = reflection.FindService("rapport.sfa.v1.SalesService", &service);
//   // s: the reflection call itself (transport, refusal); service: null if
//   // the server has no such service.
//
// The descriptors live in the client's own pool, built from the
// FileDescriptorProtos the server sends; a dependency the server did not
// send with a file is asked for by name.
#ifndef RAPPORT_TOOLS_RAPPORTCTL_REFLECTION_CLIENT_H_
#define RAPPORT_TOOLS_RAPPORTCTL_REFLECTION_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace rapport::ctl {

class ReflectionClient {
 public:
  // `context` makes the context of each reflection call (metadata, deadline).
  ReflectionClient(std::shared_ptr<grpc::Channel> channel,
                   std::function<std::unique_ptr<grpc::ClientContext>()> context);

  // `*service`: the service `full_name` with every type its methods use, or
  // null if the server has none by that name. Not OK: the reflection call
  // failed, or the server's descriptors do not build (INTERNAL).
  grpc::Status FindService(const std::string& full_name,
                           const google::protobuf::ServiceDescriptor** service);

  // The services the server lists, sorted as it sends them.
  grpc::Status ListServices(std::vector<std::string>* names);

 private:
  // One request on its own stream; `*response` holds the answer (which may
  // be an error_response).
  grpc::Status Ask(const grpc::reflection::v1alpha::ServerReflectionRequest& request,
                   grpc::reflection::v1alpha::ServerReflectionResponse* response);
  // Keeps every FileDescriptorProto of a file_descriptor_response; the
  // name of the first (the file asked for) in `*first`.
  grpc::Status Keep(const grpc::reflection::v1alpha::ServerReflectionResponse& response,
                    std::string* first);
  // Builds file `name` into the pool, its dependencies first, asking the
  // server for any it has not sent.
  grpc::Status Build(const std::string& name);

  std::unique_ptr<grpc::reflection::v1alpha::ServerReflection::Stub> stub_;
  std::function<std::unique_ptr<grpc::ClientContext>()> context_;
  std::map<std::string, google::protobuf::FileDescriptorProto> received_;
  std::set<std::string> building_;  // cycle guard
  google::protobuf::DescriptorPool pool_;
};

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_REFLECTION_CLIENT_H_
