// File: services/connect/json_transcoder.h
//
// Which methods the HTTP/JSON gateway serves and how their messages cross
// between proto3 JSON and the protobuf binary the gRPC stack speaks. Built
// once at server start from the core's service names and the loaded
// plugins' descriptor sets (services/common/descriptor_pool.h), so plugin
// methods are reachable exactly like core ones.
//
//   JsonTranscoder transcoder(core_services, host->DescriptorSets());
//   const MethodDescriptor* m =
//       transcoder.FindMethod("/rapport.v1.CustomerService/CreateCustomer");
//   auto binary = transcoder.JsonToBinary(*m->input_type(), body);
//
// The mapping is protobuf's own (google/protobuf/util/json_util.h): fields
// by their JSON names (proto names are accepted too), 64-bit integers as
// strings, enums by name, Timestamps in RFC 3339, Any with "@type". Unknown
// fields are refused. Thread-safe.
#ifndef RAPPORT_SERVICES_CONNECT_JSON_TRANSCODER_H_
#define RAPPORT_SERVICES_CONNECT_JSON_TRANSCODER_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/type_resolver.h"
#include "services/common/descriptor_pool.h"

namespace rapport::services::connect {

class JsonTranscoder {
 public:
  // `core_services`: the full names of the compiled services the server
  // registers; every service of a plugin's descriptor sets is added.
  JsonTranscoder(const std::vector<std::string>& core_services,
                 const std::vector<std::string>& descriptor_sets);
  ~JsonTranscoder();

  // The method "/package.Service/Method" names, if a served service has it;
  // else null.
  const google::protobuf::MethodDescriptor* FindMethod(std::string_view path) const;

  // INVALID_ARGUMENT naming what the parser refused (unknown field, wrong
  // type, bad enum name, malformed JSON). An empty body is the empty message.
  absl::StatusOr<std::string> JsonToBinary(const google::protobuf::Descriptor& type,
                                           std::string_view json) const;
  // Compact proto3 JSON; INTERNAL if `binary` does not parse as `type`.
  absl::StatusOr<std::string> BinaryToJson(const google::protobuf::Descriptor& type,
                                           const std::string& binary) const;
  // An Any's value as JSON, if its type is known here.
  absl::StatusOr<std::string> AnyToJson(const google::protobuf::Any& any) const;

 private:
  ServedDescriptors served_;
  std::set<std::string, std::less<>> services_;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
};

}  // namespace rapport::services::connect

#endif  // RAPPORT_SERVICES_CONNECT_JSON_TRANSCODER_H_
