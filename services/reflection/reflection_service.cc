#include "services/reflection/reflection_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "services/common/descriptor_pool.h"

namespace rapport::services {
namespace {
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

void SetError(ServerReflectionResponse* response, grpc::StatusCode code, std::string message) {
  response->mutable_error_response()->set_error_code(static_cast<int32_t>(code));
  response->mutable_error_response()->set_error_message(std::move(message));
}
}  // namespace

ReflectionService::ReflectionService(std::vector<std::string> services,
                                     const std::vector<std::string>& descriptor_sets)
    : services_(std::move(services)) {
  ServedDescriptors served = LoadServedDescriptors(descriptor_sets);
  pool_ = std::move(served.pool);
  for (std::string& name : served.plugin_services) {
    if (std::find(services_.begin(), services_.end(), name) == services_.end())
      services_.push_back(std::move(name));
  }
  std::sort(services_.begin(), services_.end());
}

void ReflectionService::AddFileWithDependencies(const FileDescriptor* file,
                                                ServerReflectionResponse* response) const {
  // The file first, then its transitive imports, each once.
  std::set<std::string> seen;
  std::vector<const FileDescriptor*> queue{file};
  while (!queue.empty()) {
    const FileDescriptor* f = queue.back();
    queue.pop_back();
    if (!seen.insert(f->name()).second) continue;
    FileDescriptorProto proto;
    f->CopyTo(&proto);
    response->mutable_file_descriptor_response()->add_file_descriptor_proto(
        proto.SerializeAsString());
    for (int i = f->dependency_count() - 1; i >= 0; --i) queue.push_back(f->dependency(i));
  }
}

ServerReflectionResponse ReflectionService::Answer(const ServerReflectionRequest& request) const {
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices:
      for (const auto& name : services_)
        response.mutable_list_services_response()->add_service()->set_name(name);
      break;
    case ServerReflectionRequest::kFileByFilename: {
      const FileDescriptor* file = pool_->FindFileByName(request.file_by_filename());
      if (file == nullptr) {
        SetError(&response, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no file '", request.file_by_filename(), "'"));
      } else {
        AddFileWithDependencies(file, &response);
      }
      break;
    }
    case ServerReflectionRequest::kFileContainingSymbol: {
      const FileDescriptor* file =
          pool_->FindFileContainingSymbol(request.file_containing_symbol());
      if (file == nullptr) {
        SetError(&response, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no symbol '", request.file_containing_symbol(), "'"));
      } else {
        AddFileWithDependencies(file, &response);
      }
      break;
    }
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = request.file_containing_extension();
      const auto* type = pool_->FindMessageTypeByName(ext.containing_type());
      const auto* field =
          type ? pool_->FindExtensionByNumber(type, ext.extension_number()) : nullptr;
      if (field == nullptr) {
        SetError(&response, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no extension ", ext.extension_number(), " of '",
                              ext.containing_type(), "'"));
      } else {
        AddFileWithDependencies(field->file(), &response);
      }
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const auto* type = pool_->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(&response, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no type '", request.all_extension_numbers_of_type(), "'"));
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool_->FindAllExtensions(type, &extensions);
      auto* out = response.mutable_all_extension_numbers_response();
      out->set_base_type_name(type->full_name());
      for (const auto* e : extensions) out->add_extension_number(e->number());
      break;
    }
    default:
      SetError(&response, grpc::StatusCode::INVALID_ARGUMENT, "no request set");
  }
  return response;
}

grpc::Status ReflectionService::ServerReflectionInfo(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    if (!stream->Write(Answer(request))) break;
  }
  return grpc::Status::OK;
}

}  // namespace rapport::services
