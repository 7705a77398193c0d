// Fuzzes the HTTP/JSON gateway's parsing of outside input (services/connect/):
// a request body as JSON for a core method's request type (the first byte
// picks the method), a streaming request's envelope, and the
// Connect-Timeout-Ms header. Checks, beyond not crashing: a body the
// transcoder accepts is a valid message of its type, and refusals are
// INVALID_ARGUMENT (UNIMPLEMENTED for a compressed envelope).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "rapport/v1/admin.pb.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/identity.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/modules.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "rapport/v1/schema.pb.h"
#include "rapport/v1/sync.pb.h"
#include "services/connect/connect_protocol.h"
#include "services/connect/json_transcoder.h"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

struct Methods {
  std::unique_ptr<rapport::services::connect::JsonTranscoder> transcoder;
  std::vector<const google::protobuf::MethodDescriptor*> methods;
};

const Methods& Served() {
  static const Methods* served = [] {
    // One message of each service's file, so that the file is linked and
    // its services are in the generated pool.
    for (const auto* type :
         {rapport::v1::Customer::descriptor(), rapport::v1::Interaction::descriptor(),
          rapport::v1::Opportunity::descriptor(), rapport::v1::AttributeDefinition::descriptor(),
          rapport::v1::CreateBackupRequest::descriptor(), rapport::v1::Tenant::descriptor(),
          rapport::v1::SubscribeRequest::descriptor(), rapport::v1::RolloutRule::descriptor()}) {
      Require(type != nullptr);
    }
    auto* m = new Methods;
    const std::vector<std::string> services = {
        "rapport.v1.CustomerService",    "rapport.v1.InteractionService",
        "rapport.v1.OpportunityService", "rapport.v1.SchemaService",
        "rapport.v1.AdminService",       "rapport.v1.IdentityService",
        "rapport.v1.EventService",       "rapport.v1.DataService",
        "rapport.v1.ModuleService"};
    m->transcoder = std::make_unique<rapport::services::connect::JsonTranscoder>(
        services, std::vector<std::string>{});
    for (const std::string& name : services) {
      const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      Require(service != nullptr);
      for (int i = 0; i < service->method_count(); ++i) m->methods.push_back(service->method(i));
    }
    return m;
  }();
  return *served;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Methods& served = Served();
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  switch (data[0] % 3) {
    case 0: {
      const auto* method = served.methods[data[1] % served.methods.size()];
      auto binary = served.transcoder->JsonToBinary(*method->input_type(), input);
      if (!binary.ok()) {
        Require(binary.status().code() == absl::StatusCode::kInvalidArgument);
        return 0;
      }
      // The bytes are a valid message of the method's type.
      std::unique_ptr<google::protobuf::Message> message(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(method->input_type())
              ->New());
      Require(message->ParseFromString(*binary));
      // Converting back may fail: protobuf 3.21 accepts a Timestamp whose
      // offset moves it out of 0001..9999 and then refuses to print it. The
      // server refuses such times (record_validator); here it must not crash.
      (void)served.transcoder->BinaryToJson(*method->input_type(), *binary);
      break;
    }
    case 1: {
      auto message = rapport::services::connect::ParseSingleEnvelope(input);
      if (!message.ok()) {
        Require(message.status().code() == absl::StatusCode::kInvalidArgument ||
                message.status().code() == absl::StatusCode::kUnimplemented);
      } else {
        Require(message->size() + 5 == input.size());
      }
      break;
    }
    case 2: {
      auto timeout = rapport::services::connect::ParseTimeout(input);
      if (!timeout.ok()) Require(timeout.status().code() == absl::StatusCode::kInvalidArgument);
      break;
    }
  }
  return 0;
}
