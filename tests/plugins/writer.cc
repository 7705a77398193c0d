// Test plugin "writer" (ABI 1.1): writes core records from an RPC and from a
// post-commit hook, and looks users up.
//   - Rename: sets an opportunity's name through write_record (as the
//     caller); with fail_after_put it puts a key and fails instead.
//   - A post-commit hook on opportunity updates appends "+" to names that
//     start with "loop", so each of its writes triggers it again: only the
//     host's hook depth limit ends the chain.
//   - A pre-commit hook on customer creates tries write_record and rejects
//     the create unless the host refuses it.
#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
namespace tp = rapport::testplugins::v1;

class Writer : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    // Names the host must refuse: outside "/rapport.", the core's own
    // package, not "/Service/Method". Counted, so a test can see both hosts
    // refuse the same ones.
    int refused = 0;
    for (const char* bad : {"/other.v1.S/M", "/rapport.v1.CustomerService/Steal",
                            "rapport.testplugins.v1.WriterService/NoSlash"}) {
      refused += Method<tp::GetKeyRequest, tp::GetKeyResponse>(
                     bad, [](Call&, const auto&, auto*) -> Status { return {}; })
                     ? 0
                     : 1;
    }
    Metric("bad_method_names_refused", refused);
    Method<tp::RenameRequest, tp::RenameResponse>(
        "/rapport.testplugins.v1.WriterService/Rename",
        [](Call& call, const auto& request, auto* response) -> Status {
          Status put = call.Put("renamed/" + request.opportunity_id(), request.name());
          if (!put.ok()) return put;
          if (request.fail_after_put())
            return Status::FailedPrecondition("asked to fail after the put");
          rapport::v1::Opportunity patch, stored;
          patch.set_id(request.opportunity_id());
          patch.set_name(request.name());
          Status s = call.UpdateRecord(RAPPORT_RESOURCE_OPPORTUNITY, patch, "name", 0, &stored);
          if (!s.ok()) return s;
          response->set_revision(stored.revision());
          response->set_name(stored.name());
          return {};
        });
    Method<tp::ScanOwnWritesRequest, tp::ScanOwnWritesResponse>(
        "/rapport.testplugins.v1.WriterService/ScanOwnWrites",
        [](Call& call, const auto& request, auto* response) -> Status {
          const std::string& p = request.prefix();
          if (request.setup()) {
            for (const char* k : {"a", "c", "e"}) {
              if (Status s = call.Put(p + k, "old"); !s.ok()) return s;
            }
            return {};
          }
          for (const Status& s : {call.Put(p + "b", "new"), call.Put(p + "e", "new"),
                                  call.Put(p + "d", "new"), call.Delete(p + "c")}) {
            if (!s.ok()) return s;
          }
          call.Scan(p, [&](const std::string& key, const std::string& value) {
            response->add_keys(key + "=" + value);
            return true;
          });
          return {};
        });
    Method<tp::WhoIsRequest, tp::WhoIsResponse>(
        "/rapport.testplugins.v1.WriterService/WhoIs",
        [](Call& call, const auto& request, auto* response) -> Status {
          auto teams = call.UserTeams(request.user_id());
          response->set_found(teams.has_value());
          if (teams) {
            for (const auto& t : *teams) response->add_teams(t);
          }
          return {};
        });
    Method<tp::GetKeyRequest, tp::GetKeyResponse>(
        "/rapport.testplugins.v1.WriterService/GetKey",
        [](Call& call, const auto& request, auto* response) -> Status {
          auto value = call.Get(request.key());
          response->set_found(value.has_value());
          if (value) response->set_value(*value);
          return {};
        });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_OPPORTUNITY, RAPPORT_OP_UPDATE, 100,
        [](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          rapport::v1::Opportunity after;
          after.ParseFromString(event.after().value());
          if (after.name().rfind("loop", 0) != 0) return {};
          rapport::v1::Opportunity patch;
          patch.set_id(after.id());
          patch.set_name(after.name() + "+");
          return call.UpdateRecord(RAPPORT_RESOURCE_OPPORTUNITY, patch, "name");
        });
    OnPreCommit<rapport::v1::Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::Customer*, rapport::v1::Customer*) -> Status {
          rapport::v1::Customer nested;
          nested.set_display_name("nested");
          Status s = call.CreateRecord(RAPPORT_RESOURCE_CUSTOMER, nested);
          if (s.code != RAPPORT_FAILED_PRECONDITION) {
            return Status::Internal("write_record inside a pre-commit hook was not refused: " +
                                    s.message);
          }
          return {};
        });
    return {};
  }
};

}  // namespace

RAPPORT_PLUGIN(Writer, "writer", "1.0.0")
