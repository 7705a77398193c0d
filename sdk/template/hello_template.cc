// hello_template: a Rapport plugin, made from the SDK's template
// (scripts/rapport_new_plugin). It shows the two things most modules do:
//
// - an RPC method, Greet, that reads and writes the module's keyspace (one
//   namespace per module and tenant; each call is a transaction), and a
//   read-only one, GetStats;
// - a post-commit hook on customer creates, fed from the change feed after
//   the commit, at least once, with retries and dead letters.
//
// Replace them with your own; docs/plugin-guide.md covers every hook, the
// Call API and what the host promises.
#include <cstdint>
#include <optional>
#include <string>

#include "rapport/hello_template/v1/hello_template.pb.h"
#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"

namespace {

namespace api = rapport::hello_template::v1;
using rapport::sdk::Call;
using rapport::sdk::Status;

// The module's keys (in its own keyspace, per tenant).
constexpr char kGreetings[] = "greetings";                 // counter (Increment)
constexpr char kCustomersCreated[] = "customers_created";  // counter (Increment)
constexpr char kLastCustomerId[] = "last_customer_id";     // plain value (Put)

// A counter's value: 0 when missing.
Status ReadCounter(const Call& call, const std::string& key, int64_t* value) {
  *value = 0;
  std::optional<std::string> bytes;
  if (Status s = call.Read(key, &bytes); !s.ok()) return s;
  if (bytes && !Call::DecodeCounter(*bytes, value)) {
    return Status::Internal("key '" + key + "' does not hold a counter");
  }
  return {};
}

class HelloTemplate : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    // A refused method refuses the plugin, so hand the status back to the host.
    Status registered = Method<api::GreetRequest, api::GreetResponse>(
        "/rapport.hello_template.v1.HelloTemplateService/Greet",
        [](Call& call, const api::GreetRequest& request, api::GreetResponse* response) -> Status {
          if (request.name().empty()) return Status::Invalid("name: is required");
          // Increment never conflicts with concurrent calls; Get in the same
          // call sees the new sum.
          if (Status s = call.Increment(kGreetings, 1); !s.ok()) return s;
          int64_t greetings = 0;
          if (Status s = ReadCounter(call, kGreetings, &greetings); !s.ok()) return s;
          response->set_message("Hello, " + request.name() + " (" + call.tenant() + ")");
          response->set_greetings(greetings);
          return {};
        });
    if (!registered.ok()) return registered;

    registered = Method<api::GetStatsRequest, api::Stats>(
        "/rapport.hello_template.v1.HelloTemplateService/GetStats",
        [](Call& call, const api::GetStatsRequest&, api::Stats* stats) -> Status {
          int64_t n = 0;
          if (Status s = ReadCounter(call, kGreetings, &n); !s.ok()) return s;
          stats->set_greetings(n);
          if (Status s = ReadCounter(call, kCustomersCreated, &n); !s.ok()) return s;
          stats->set_customers_created(n);
          std::optional<std::string> last;
          if (Status s = call.Read(kLastCustomerId, &last); !s.ok()) return s;
          stats->set_last_customer_id(last.value_or(""));
          return {};
        });
    if (!registered.ok()) return registered;

    // After a customer is created. The event's `after` holds the record;
    // with lite code parse its bytes. The keyspace writes commit with the
    // module's feed cursor, so they happen exactly once; return an error to
    // have the event retried (then dead-lettered).
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          rapport::v1::Customer customer;
          if (!customer.ParseFromString(event.after().value())) {
            return Status::Internal("the event does not hold a customer");
          }
          if (Status s = call.Increment(kCustomersCreated, 1); !s.ok()) return s;
          if (Status s = call.Put(kLastCustomerId, customer.id()); !s.ok()) return s;
          Metric("customers_seen", 1);
          return {};
        });

    Log(RAPPORT_LOG_INFO, "hello_template plugin initialised");
    return {};
  }
};

}  // namespace

// The name must match the manifest (and the file name, hello_template.so).
RAPPORT_PLUGIN(HelloTemplate, "hello_template", "0.1.0")
