// Test plugin "crashy": misbehaves on demand, for the process isolation
// tests (process_isolation_test.cc); its manifest says "isolation":
// "process". A customer whose display name contains
//   segv-validate, abort-validate, loop-validate, leak-validate
//   segv-precommit, abort-precommit
//   segv-post-once   (crashes its post-commit hook the first time only: a
//                     marker file in the config's "dir" remembers it)
// makes that hook do it. Otherwise:
//   - the pre-commit hook adds 1 to "created" (with the customer, atomically);
//   - the post-commit hook adds 1 to "post/ID" (exactly once per event).
// Misbehave does the same in an RPC; ReadCounter and Count read the keyspace.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "test_plugins.pb.h"

namespace {

using rapport::sdk::Call;
using rapport::sdk::Status;
namespace tp = rapport::testplugins::v1;

// Does what `what` names; returns only for anything else.
void Misbehave(const std::string& what) {
  if (what == "segv") raise(SIGSEGV);
  if (what == "abort") std::abort();
  if (what == "loop") {
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
  }
  if (what == "leak") {
    // Keeps allocating and touching memory until the memory limit stops it.
    static std::vector<char*> kept;
    for (;;) {
      char* block = new char[8 << 20];
      std::memset(block, 1, 8 << 20);
      kept.push_back(block);
    }
  }
}

// The misbehaviour a display name asks of hook `kind`, or "".
std::string Asked(const std::string& name, const std::string& kind) {
  for (const char* what : {"segv", "abort", "loop", "leak"}) {
    if (name.find(std::string(what) + "-" + kind) != std::string::npos) return what;
  }
  return "";
}

class Crashy : public rapport::sdk::Plugin {
 public:
  Status Init() override {
    const std::string config = ConfigJson();
    // {"dir": "PATH"}, spaced or not: a tiny parse, enough for a test.
    auto key = config.find("\"dir\"");
    auto open = key == std::string::npos ? key : config.find('"', config.find(':', key));
    if (open != std::string::npos)
      dir_ = config.substr(open + 1, config.find('"', open + 1) - open - 1);
    OnValidate<rapport::v1::Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call&, const rapport::v1::Customer*, const rapport::v1::Customer* after) -> Status {
          Misbehave(Asked(after->display_name(), "validate"));
          return {};
        });
    OnPreCommit<rapport::v1::Customer>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [](Call& call, const rapport::v1::Customer*, rapport::v1::Customer* after) -> Status {
          // The write joins the record's batch; a crash after it must leave
          // neither.
          Status s = call.Increment("created", 1);
          if (!s.ok()) return s;
          Misbehave(Asked(after->display_name(), "precommit"));
          after->add_tags("crashy");
          return {};
        });
    OnPostCommit<rapport::v1::ChangeEvent>(
        RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, 100,
        [this](Call& call, const rapport::v1::ChangeEvent& event) -> Status {
          rapport::v1::Customer customer;
          customer.ParseFromString(event.after().value());
          Status s = call.Increment("post/" + customer.id(), 1);
          if (!s.ok()) return s;
          if (customer.display_name().find("segv-post-once") != std::string::npos &&
              !dir_.empty()) {
            const std::string marker = dir_ + "/crashed-" + customer.id();
            if (access(marker.c_str(), F_OK) != 0) {
              std::ofstream(marker) << "1";
              raise(SIGSEGV);
            }
          }
          return {};
        });
    Method<tp::MisbehaveRequest, tp::MisbehaveResponse>(
        "/rapport.testplugins.v1.CrashyService/Misbehave",
        [](Call& call, const auto& request, auto* response) -> Status {
          Status s = call.Increment("rpc_calls", 1);
          if (!s.ok()) return s;
          Misbehave(request.what());
          response->set_pid(getpid());
          return {};
        });
    Method<tp::ReadCounterRequest, tp::ReadCounterResponse>(
        "/rapport.testplugins.v1.CrashyService/ReadCounter",
        [](Call& call, const auto& request, auto* response) -> Status {
          auto v = call.Get(request.key());
          int64_t n = 0;
          if (v && Call::DecodeCounter(*v, &n)) {
            response->set_found(true);
            response->set_value(n);
          }
          return {};
        });
    return Method<tp::CountRequest, tp::CountResponse>(
        "/rapport.testplugins.v1.CrashyService/Count",
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
  std::string dir_;
};

}  // namespace

RAPPORT_PLUGIN(Crashy, "crashy", "1.0.0")
