// Test plugin "flaky": a post-commit hook on new customers that fails for
// names containing "fail" until Fix is called (then replays succeed), and
// can be made slow with config {"sleep_ms": N}.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "test_plugins.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;

class Flaky : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    const std::string config = ConfigJson();
    auto at = config.find("\"sleep_ms\":");
    if (at != std::string::npos) sleep_ms_ = std::atoi(config.c_str() + at + 11);
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
          rapport::v1::Customer customer;
          customer.ParseFromString(event.after().value());  // lite: parse the Any's bytes
          if (customer.display_name().find("fail") != std::string::npos && !call.Get("fixed")) {
            return Status::Unavailable("downstream system rejected " + customer.id());
          }
          return call.Put("done/" + customer.id(), "1");
        });
    Method<rapport::testplugins::v1::FixRequest, rapport::testplugins::v1::FixResponse>(
        "/rapport.testplugins.v1.FlakyService/Fix",
        [](Call& call, const auto&, auto*) -> Status { return call.Put("fixed", "1"); });
    Method<rapport::testplugins::v1::CountRequest, rapport::testplugins::v1::CountResponse>(
        "/rapport.testplugins.v1.FlakyService/Count",
        [](Call& call, const auto& request, auto* response) -> Status {
          int64_t n = 0;
          call.Scan(request.prefix(), [&](const std::string&, const std::string&) {
            ++n;
            return true;
          });
          response->set_count(n);
          return {};
        });
    return {};
  }

 private:
  int sleep_ms_ = 0;
};

}  // namespace

RAPPORT_PLUGIN(Flaky, "flaky", "1.0.0")
