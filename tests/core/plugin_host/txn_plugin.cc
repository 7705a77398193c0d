// Test plugin "txn", for keyspace_transactions_test: read-modify-writes that
// race, counters, ranged scans and the conflicts between them. Requests and
// responses are rapport.v1.Customer, used as a bag of fields:
//   /rapport.txn.v1.TxnService/Bump    key = display_name: reads the decimal
//       at the key and writes it plus one (response display_name: the new
//       value). With the tag "wait-for-go" it then waits (up to 10 s) until
//       the key "go" exists before returning (counting the metric
//       "waiting_for_go" once it has read the key), so a test can change
//       the key in between.
//   /rapport.txn.v1.TxnService/Add     Increment(display_name, revision).
//   /rapport.txn.v1.TxnService/Append  appends "<display_name>/<n>" (n one
//       past the last, found by a reverse scan of limit 1); response
//       display_name: the key written.
//   /rapport.txn.v1.TxnService/Page    scans prefix display_name from
//       tags[0] (start_after; "-" for none), limit revision, reverse if
//       owner == "reverse"; response tags: the keys, or the error code and
//       message in display_name.
//   /rapport.txn.v1.TxnService/Get     response display_name: the value at
//       display_name, decoded as a counter when it is 8 bytes and the owner
//       is "counter"; NOT_FOUND for a missing key.
//   Pre-commit on customer update: read-modify-write of the decimal at
//       "updates/<owner>".
//   Post-commit on interaction create: read-modify-write of the decimal at
//       "interactions".
//   Post-commit on customer create: Increment("customers", 1).
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
using rapport::v1::Customer;

constexpr char kService[] = "/rapport.txn.v1.TxnService/";

// key := decimal(key) + 1.
Status BumpKey(Call& call, const std::string& key, int64_t* now) {
  std::optional<std::string> value;
  Status s = call.Read(key, &value);
  if (!s.ok()) return s;
  *now = (value ? std::stoll(*value) : 0) + 1;
  return call.Put(key, std::to_string(*now));
}

std::string Padded(int64_t n) {
  std::string s = std::to_string(n);
  return std::string(8 - s.size(), '0') + s;
}

class Txn : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    Status s = Method<Customer, Customer>(
        std::string(kService) + "Bump", [this](Call& call, const Customer& req, Customer* resp) {
          int64_t now = 0;
          Status s = BumpKey(call, req.display_name(), &now);
          if (!s.ok()) return s;
          resp->set_display_name(std::to_string(now));
          for (const auto& tag : req.tags()) {
            if (tag != "wait-for-go") continue;
            Metric("waiting_for_go", 1);
            for (int i = 0; i < 2000 && !call.Get("go"); ++i) {
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
          }
          return Status{};
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(std::string(kService) + "Add",
                                   [](Call& call, const Customer& req, Customer*) {
                                     return call.Increment(req.display_name(), req.revision());
                                   });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Append", [](Call& call, const Customer& req, Customer* resp) {
          const std::string prefix = req.display_name() + "/";
          int64_t last = 0;
          Call::ScanOptions options;
          options.limit = 1;
          options.reverse = true;
          Status s = call.Scan(prefix, options, [&](const std::string& key, const std::string&) {
            last = std::stoll(key.substr(prefix.size()));
            return true;
          });
          if (!s.ok()) return s;
          resp->set_display_name(prefix + Padded(last + 1));
          return call.Put(resp->display_name(), "1");
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Page", [](Call& call, const Customer& req, Customer* resp) {
          Call::ScanOptions options;
          if (req.tags_size() > 0 && req.tags(0) != "-") options.start_after = req.tags(0);
          options.limit = static_cast<uint32_t>(req.revision());
          options.reverse = req.owner() == "reverse";
          Status s = call.Scan(req.display_name(), options,
                               [&](const std::string& key, const std::string&) {
                                 resp->add_tags(key);
                                 return true;
                               });
          if (!s.ok()) resp->set_display_name(std::to_string(s.code) + " " + s.message);
          return Status{};
        });
    if (!s.ok()) return s;
    s = Method<Customer, Customer>(
        std::string(kService) + "Get", [](Call& call, const Customer& req, Customer* resp) {
          std::optional<std::string> value;
          Status s = call.Read(req.display_name(), &value);
          if (!s.ok()) return s;
          if (!value) return Status::NotFound("no key " + req.display_name());
          int64_t counter = 0;
          if (req.owner() == "counter" && Call::DecodeCounter(*value, &counter)) {
            resp->set_display_name(std::to_string(counter));
          } else {
            resp->set_display_name(*value);
          }
          return Status{};
        });
    if (!s.ok()) return s;
    OnPreCommit<Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_UPDATE, 100,
                          [](Call& call, const Customer*, Customer* after) -> Status {
                            int64_t now = 0;
                            return BumpKey(call, "updates/" + after->owner(), &now);
                          });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::ChangeEvent&) -> Status {
          int64_t now = 0;
          return BumpKey(call, "interactions", &now);
        });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::ChangeEvent&) -> Status {
          return call.Increment("customers", 1);
        });
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(Txn, "txn", "1.0.0")
