#include "services/connect/json_transcoder.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace rapport::services::connect {
namespace {
constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

std::string MessageOf(const google::protobuf::util::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

std::string TypeUrl(const google::protobuf::Descriptor& type) {
  return absl::StrCat(kTypeUrlPrefix, "/", type.full_name());
}
}  // namespace

JsonTranscoder::JsonTranscoder(const std::vector<std::string>& core_services,
                               const std::vector<std::string>& descriptor_sets)
    : served_(LoadServedDescriptors(descriptor_sets)) {
  services_.insert(core_services.begin(), core_services.end());
  services_.insert(served_.plugin_services.begin(), served_.plugin_services.end());
  resolver_.reset(
      google::protobuf::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, served_.pool.get()));
}

JsonTranscoder::~JsonTranscoder() = default;

const google::protobuf::MethodDescriptor* JsonTranscoder::FindMethod(std::string_view path) const {
  if (path.empty() || path[0] != '/') return nullptr;
  path.remove_prefix(1);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::string_view service_name = path.substr(0, slash);
  if (services_.find(service_name) == services_.end()) return nullptr;
  const auto* service = served_.pool->FindServiceByName(std::string(service_name));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(path.substr(slash + 1)));
}

absl::StatusOr<std::string> JsonTranscoder::JsonToBinary(const google::protobuf::Descriptor& type,
                                                         std::string_view json) const {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) json = "{}";
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  std::string binary;
  auto status = google::protobuf::util::JsonToBinaryString(
      resolver_.get(), TypeUrl(type), google::protobuf::StringPiece(json.data(), json.size()),
      &binary, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body is not a valid ", type.full_name(), " in JSON: ", MessageOf(status)));
  }
  return binary;
}

absl::StatusOr<std::string> JsonTranscoder::BinaryToJson(const google::protobuf::Descriptor& type,
                                                         const std::string& binary) const {
  std::string json;
  auto status =
      google::protobuf::util::BinaryToJsonString(resolver_.get(), TypeUrl(type), binary, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot write ", type.full_name(), " as JSON: ", MessageOf(status)));
  }
  return json;
}

absl::StatusOr<std::string> JsonTranscoder::AnyToJson(const google::protobuf::Any& any) const {
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(resolver_.get(), any.type_url(),
                                                           any.value(), &json);
  if (!status.ok()) return absl::NotFoundError(MessageOf(status));
  return json;
}

}  // namespace rapport::services::connect
