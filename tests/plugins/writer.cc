// Test plugin "writer" (ABI 1.1 and 1.2): writes core records from an RPC
// and from a post-commit hook, looks users up, and drives the keyspace.
//   - Rename: sets an opportunity's name through write_record (as the
//     caller); with fail_after_put it puts a key and fails instead.
//   - A post-commit hook on opportunity updates appends "+" to names that
//     start with "loop", so each of its writes triggers it again: only the
//     host's hook depth limit ends the chain.
//   - A pre-commit hook on customer creates tries write_record and rejects
//     the create unless the host refuses it.
//   - KvScript runs keyspace operations (put, delete, increment, get,
//     counter, scan with options) in one call and reports each one's result
//     with the host's reasons, so that fake_host_parity_test and
//     plugin_platform_test can hold both hosts to the same answers
//     (writer_script_cases.h).
#include <cstdint>
#include <optional>
#include <string>

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
    Method<tp::KvScriptRequest, tp::KvScriptResponse>(
        "/rapport.testplugins.v1.WriterService/KvScript",
        [](Call& call, const auto& request, auto* response) -> Status {
          for (const auto& op : request.ops()) {
            Status s = RunOp(call, op, response->add_results());
            if (!s.ok() && request.stop_on_error()) return s;
          }
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

 private:
  // Bytes outside printable ASCII as \xNN, so counters show in a scan.
  static std::string Escaped(const std::string& bytes) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char ch : bytes) {
      if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
        out.push_back(static_cast<char>(ch));
      } else {
        out += {'\\', 'x', kHex[ch >> 4], kHex[ch & 15]};
      }
    }
    return out;
  }
  // One KvScript operation, its result written to `result`
  // (test_plugins.proto, KvScriptResponse).
  static Status RunOp(Call& call, const tp::KvOp& op, std::string* result) {
    Status s;
    std::string out = "ok";
    if (op.op() == "put") {
      s = call.Put(op.key(), op.value());
    } else if (op.op() == "delete") {
      s = call.Delete(op.key());
    } else if (op.op() == "increment") {
      s = call.Increment(op.key(), op.delta());
    } else if (op.op() == "get" || op.op() == "counter") {
      std::optional<std::string> value;
      s = call.Read(op.key(), &value);
      int64_t n = 0;
      if (!value) {
        out = "missing";
      } else if (op.op() == "get") {
        out = "value " + Escaped(*value);
      } else if (Call::DecodeCounter(*value, &n)) {
        out = "counter " + std::to_string(n);
      } else {
        out = "not a counter: " + Escaped(*value);
      }
    } else if (op.op() == "scan") {
      Call::ScanOptions options;
      options.start_after = op.value();
      options.limit = static_cast<uint32_t>(op.delta());
      options.reverse = op.reverse();
      out = "keys";
      s = call.Scan(op.key(), options, [&](const std::string& key, const std::string& value) {
        out += (out == "keys" ? " " : ",") + Escaped(key) + "=" + Escaped(value);
        return true;
      });
    } else {
      s = Status::Invalid("unknown op '" + op.op() + "'");
    }
    *result = s.ok() ? out : "error " + std::to_string(s.code) + ": " + s.message;
    return s;
  }
};

}  // namespace

RAPPORT_PLUGIN(Writer, "writer", "1.0.0")
