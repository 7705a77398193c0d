// Test plugin "second": requires "guard"; its pre-commit hook runs after
// guard's (order 200 > 100) and records the order in the tags.
#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"

namespace {

class Second : public rapport::sdk::Plugin {
 public:
  rapport::sdk::Status Init() override {
    OnPreCommit<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 200,
                                       [](rapport::sdk::Call&, const rapport::v1::Customer*,
                                          rapport::v1::Customer* after) -> rapport::sdk::Status {
                                         after->add_tags("second");
                                         return {};
                                       });
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(Second, "second", "0.1.0")
