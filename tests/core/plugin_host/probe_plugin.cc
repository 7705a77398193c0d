// Test plugin "probe", for plugin_host_test: hooks that try what the host
// must refuse or undo, at orders around the other test plugins' 100 and 200.
//   - Validate (customer create, order 100): a customer named
//     "validate-put..." makes the hook try a keyspace write and return its
//     result, so the create fails if (and only if) the host refuses it.
//   - Pre-commit (customer create): tags "probe@50", "probe@100",
//     "probe@150" and "probe@300" from hooks of those orders; the 150 hook
//     also writes "pre/<name>" and then fails for names containing
//     "pre-fail".
//   - Method /rapport.probe.v1.ProbeService/Put: writes "method/<name>" for
//     the request customer's display_name, then fails if it has the tag
//     "fail".
//   (Names the host refuses are badmethod's, tests/plugins/badmethod.cc: a
//   refused method refuses the whole plugin.)
#include <string>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Customer;

class Probe : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    OnValidate<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
                         [](Call& call, const Customer*, const Customer* after) -> Status {
                           if (after->display_name().rfind("validate-put", 0) != 0) return {};
                           return call.Put("validate/" + after->display_name(), "1");
                         });
    for (int order : {300, 50, 150, 100}) {
      OnPreCommit<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, order,
                            [order](Call& call, const Customer*, Customer* after) -> Status {
                              after->add_tags("probe@" + std::to_string(order));
                              if (order != 150) return {};
                              Status put = call.Put("pre/" + after->display_name(), "1");
                              if (!put.ok()) return put;
                              if (after->display_name().find("pre-fail") != std::string::npos) {
                                return Status::Unavailable("refused " + after->display_name() +
                                                           " after writing its key");
                              }
                              return {};
                            });
    }
    auto put = [](Call& call, const Customer& request, Customer* response) -> Status {
      Status s = call.Put("method/" + request.display_name(), "1");
      if (!s.ok()) return s;
      for (const auto& tag : request.tags()) {
        if (tag == "fail") return Status::FailedPrecondition("asked to fail after the put");
      }
      *response = request;
      return {};
    };
    return Method<Customer, Customer>("/rapport.probe.v1.ProbeService/Put", put);
  }
};

}  // namespace

RAPPORT_PLUGIN(Probe, "probe", "0.3.0")
