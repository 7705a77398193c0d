// Test plugin "guard": validates opportunity amounts against a configured
// maximum, tags new customers and remembers them in its keyspace (pre-commit,
// so the key is written atomically with the customer), and answers a count.
#include <cstdlib>
#include <string>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;

class Guard : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    // Config {"max_units": N}: a tiny parse, enough for a test.
    const std::string config = ConfigJson();
    auto at = config.find("\"max_units\":");
    if (at != std::string::npos) max_units_ = std::atoll(config.c_str() + at + 12);
    for (auto op : {RAPPORT_OP_CREATE, RAPPORT_OP_UPDATE}) {
      OnValidate<rapport::v1::Opportunity>(
          RAPPORT_RESOURCE_OPPORTUNITY, op, 100,
          [this](Call&, const rapport::v1::Opportunity*,
                 const rapport::v1::Opportunity* after) -> Status {
            if (after->amount().units() > max_units_) {
              return Status::Invalid("amount.units " + std::to_string(after->amount().units()) +
                                     " is above the approval limit " + std::to_string(max_units_));
            }
            return {};
          });
    }
    OnPreCommit<rapport::v1::Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::Customer*, rapport::v1::Customer* after) -> Status {
          // A hook whose downstream is down (rapportctl must not read it as
          // an unreachable server).
          if (after->display_name() == "downstream-down") {
            return Status::Unavailable("downstream down");
          }
          after->add_tags("guarded");
          Metric("customers_guarded", 1);
          return call.Put("seen/" + after->id(), after->display_name());
        });
    return Method<rapport::testplugins::v1::CountRequest, rapport::testplugins::v1::CountResponse>(
        "/rapport.testplugins.v1.GuardService/Count",
        [](Call& call, const auto& request, auto* response) -> Status {
          int64_t n = 0;
          call.Scan(request.prefix(), [&](const std::string&, const std::string&) {
            ++n;
            return true;
          });
          response->set_count(n);
          return {};
        });
  }

 private:
  int64_t max_units_ = 1000000;
};

}  // namespace

RAPPORT_PLUGIN(Guard, "guard", "1.0.0")
