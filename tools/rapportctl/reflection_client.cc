#include "tools/rapportctl/reflection_client.h"

#include <utility>

namespace rapport::ctl {
namespace {

using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

// Collects what the pool says about a file that does not build.
class Errors : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    text += (text.empty() ? "" : "; ") + filename + " " + element_name + ": " + message;
  }
  std::string text;
};

}  // namespace

ReflectionClient::ReflectionClient(std::shared_ptr<grpc::Channel> channel,
                                   std::function<std::unique_ptr<grpc::ClientContext>()> context)
    : stub_(grpc::reflection::v1alpha::ServerReflection::NewStub(channel)),
      context_(std::move(context)) {}

grpc::Status ReflectionClient::Ask(const ServerReflectionRequest& request,
                                   ServerReflectionResponse* response) {
  auto context = context_();
  auto stream = stub_->ServerReflectionInfo(context.get());
  const bool sent = stream->Write(request);
  const bool answered = sent && stream->Read(response);
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return status;
  if (!answered) return grpc::Status(grpc::StatusCode::UNKNOWN, "server reflection sent no answer");
  return grpc::Status::OK;
}

grpc::Status ReflectionClient::Keep(const ServerReflectionResponse& response, std::string* first) {
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "server reflection sent an unreadable FileDescriptorProto");
    }
    if (first != nullptr && first->empty()) *first = file.name();
    std::string name = file.name();
    received_.emplace(std::move(name), std::move(file));
  }
  return grpc::Status::OK;
}

grpc::Status ReflectionClient::Build(const std::string& name) {
  if (pool_.FindFileByName(name) != nullptr) return grpc::Status::OK;
  if (!building_.insert(name).second) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "circular import of " + name);
  }
  if (received_.find(name) == received_.end()) {
    ServerReflectionRequest request;
    request.set_file_by_filename(name);
    ServerReflectionResponse response;
    if (grpc::Status s = Ask(request, &response); !s.ok()) return s;
    if (grpc::Status s = Keep(response, nullptr); !s.ok()) return s;
  }
  auto it = received_.find(name);
  if (it == received_.end()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "server reflection has no file '" + name + "' (an import)");
  }
  const google::protobuf::FileDescriptorProto file = it->second;
  for (const std::string& dependency : file.dependency()) {
    if (grpc::Status s = Build(dependency); !s.ok()) return s;
  }
  Errors errors;
  if (pool_.BuildFileCollectingErrors(file, &errors) == nullptr) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the server's descriptor of " + name + " does not build: " + errors.text);
  }
  return grpc::Status::OK;
}

grpc::Status ReflectionClient::FindService(const std::string& full_name,
                                           const google::protobuf::ServiceDescriptor** service) {
  *service = pool_.FindServiceByName(full_name);
  if (*service != nullptr) return grpc::Status::OK;
  ServerReflectionRequest request;
  request.set_file_containing_symbol(full_name);
  ServerReflectionResponse response;
  if (grpc::Status s = Ask(request, &response); !s.ok()) return s;
  if (response.has_error_response()) {
    if (response.error_response().error_code() == grpc::StatusCode::NOT_FOUND) {
      return grpc::Status::OK;  // no such symbol: *service stays null
    }
    return grpc::Status(static_cast<grpc::StatusCode>(response.error_response().error_code()),
                        response.error_response().error_message());
  }
  std::string file;
  if (grpc::Status s = Keep(response, &file); !s.ok()) return s;
  if (file.empty()) return grpc::Status::OK;
  if (grpc::Status s = Build(file); !s.ok()) return s;
  *service = pool_.FindServiceByName(full_name);  // null if the symbol is not a service
  return grpc::Status::OK;
}

grpc::Status ReflectionClient::ListServices(std::vector<std::string>* names) {
  ServerReflectionRequest request;
  request.set_list_services("*");
  ServerReflectionResponse response;
  if (grpc::Status s = Ask(request, &response); !s.ok()) return s;
  for (const auto& service : response.list_services_response().service()) {
    names->push_back(service.name());
  }
  return grpc::Status::OK;
}

}  // namespace rapport::ctl
