// Plugin "empty": one no-op hook of each kind on customer creates. Used by
// bench/plugins to measure the cost of the gate and of crossing the ABI.
#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"

namespace {

class Empty : public rapport::sdk::Plugin {
 public:
  rapport::sdk::Status Init() override {
    using rapport::v1::Customer;
    OnValidate<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
                         [](rapport::sdk::Call&, const Customer*,
                            const Customer*) -> rapport::sdk::Status { return {}; });
    OnPreCommit<Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](rapport::sdk::Call&, const Customer*, Customer*) -> rapport::sdk::Status { return {}; });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](rapport::sdk::Call&, const rapport::v1::ChangeEvent&) -> rapport::sdk::Status {
          return {};
        });
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(Empty, "empty", "1.0.0")
