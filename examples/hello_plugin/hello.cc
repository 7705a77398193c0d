// hello: the smallest useful Rapport plugin. One RPC that greets the caller
// and counts greetings in the plugin's keyspace, and one validate hook that
// refuses customers named "nobody".
#include <string>

#include "hello.pb.h"
#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;

class Hello : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Method<rapport::hello::v1::SayHelloRequest, rapport::hello::v1::SayHelloResponse>(
        "/rapport.hello.v1.HelloService/SayHello",
        [](Call& call, const auto& request, auto* response) -> Status {
          if (request.name().empty()) return Status::Invalid("name: is required");
          int64_t count = 0;
          if (auto stored = call.Get("greetings")) count = std::stoll(*stored);
          ++count;
          if (Status s = call.Put("greetings", std::to_string(count)); !s.ok()) return s;
          response->set_message("안녕하세요, " + request.name() + " (" + call.tenant() + ")");
          response->set_greetings(count);
          return {};
        });
    OnValidate<rapport::v1::Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call&, const rapport::v1::Customer*, const rapport::v1::Customer* after) -> Status {
          if (after->display_name() == "nobody")
            return Status::Invalid("display_name: 'nobody' is not a customer");
          return {};
        });
    Log(RAPPORT_LOG_INFO, "hello plugin initialised");
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(Hello, "hello", "1.0.0")
