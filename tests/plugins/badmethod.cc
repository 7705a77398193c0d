// Test plugin "badmethod": registers one good method, then one under a name
// the host must refuse ("/other.v1.S/M", outside "/rapport."), and returns
// OK from Init anyway. Both hosts refuse its load with the method's reason
// (plugin_host_test, plugin_platform_test, fake_host_parity_test).
#include "rapport/sdk/plugin.h"
#include "test_plugins.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
namespace tp = rapport::testplugins::v1;

class BadMethod : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    auto count = [](Call&, const tp::CountRequest&, tp::CountResponse* response) -> Status {
      response->set_count(1);
      return {};
    };
    Status good = Method<tp::CountRequest, tp::CountResponse>(
        "/rapport.testplugins.v1.BadMethodService/Count", count);
    if (!good.ok()) return good;
    // The refusal is ignored on purpose: the host refuses the load anyway.
    (void)Method<tp::CountRequest, tp::CountResponse>("/other.v1.S/M", count);
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(BadMethod, "badmethod", "1.0.0")
