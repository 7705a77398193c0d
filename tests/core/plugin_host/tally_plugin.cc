// Test plugin "tally", for backfill_test: a per-customer interaction count,
// the aggregate the SDK 1.2 issue found wrong after a staged rollout. It is
// kept by a post-commit hook on interaction create and rebuilt by backfill:
//   start: deletes every "n/" key;
//   each interaction: Increment("n/<customer_id>", 1).
// Its post-commit hook on interactions fails for the subject "fail" (to
// make dead letters). A post-commit hook on customer create, a resource it
// does not backfill, counts customers in "c".
//   /rapport.tally.v1.TallyService/Customers  response revision: "c".
// Requests and responses are rapport.v1.Customer:
//   /rapport.tally.v1.TallyService/Get      response revision: the count at
//       "n/<display_name>" (0 if none).
//   /rapport.tally.v1.TallyService/Corrupt  sets "n/<display_name>" to 999.
#include <string>
#include <vector>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/interaction.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Customer;
using rapport::v1::Interaction;

constexpr char kService[] = "/rapport.tally.v1.TallyService/";

class Tally : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Status s = OnBackfillStart([](Call& call) {
      std::vector<std::string> keys;
      Status scanned = call.Scan("n/", [&](const std::string& key, const std::string&) {
        keys.push_back(key);
        return true;
      });
      if (!scanned.ok()) return scanned;
      for (const auto& key : keys) {
        if (Status d = call.Delete(key); !d.ok()) return d;
      }
      return Status{};
    });
    if (!s.ok()) return s;
    s = OnBackfill<Interaction>(RAPPORT_RESOURCE_INTERACTION,
                                [](Call& call, const Interaction& interaction) {
                                  return call.Increment("n/" + interaction.customer_id(), 1);
                                });
    if (!s.ok()) return s;
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          Interaction interaction;
          if (!event.after().UnpackTo(&interaction)) {
            return Status::Internal("the event carries no interaction");
          }
          if (interaction.subject() == "fail") return Status::Unavailable("told to fail");
          return call.Increment("n/" + interaction.customer_id(), 1);
        });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::ChangeEvent&) { return call.Increment("c", 1); });
    s = Method<Customer, Customer>(std::string(kService) + "Customers",
                                   [](Call& call, const Customer&, Customer* resp) {
                                     std::optional<std::string> value;
                                     if (Status s = call.Read("c", &value); !s.ok()) return s;
                                     int64_t count = 0;
                                     if (value) Call::DecodeCounter(*value, &count);
                                     resp->set_revision(count);
                                     return Status{};
                                   });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Get", [](Call& call, const Customer& req, Customer* resp) {
          std::optional<std::string> value;
          if (Status s = call.Read("n/" + req.display_name(), &value); !s.ok()) return s;
          int64_t count = 0;
          if (value) Call::DecodeCounter(*value, &count);
          resp->set_revision(count);
          return Status{};
        });
    if (!s.ok()) return s;
    return Method<Customer, Customer>(std::string(kService) + "Corrupt",
                                      [](Call& call, const Customer& req, Customer*) {
                                        std::string bytes(8, '\0');
                                        bytes[0] = static_cast<char>(999 & 0xff);
                                        bytes[1] = static_cast<char>(999 >> 8);
                                        return call.Put("n/" + req.display_name(), bytes);
                                      });
  }
};

}  // namespace

RAPPORT_PLUGIN(Tally, "tally", "1.0.0")
