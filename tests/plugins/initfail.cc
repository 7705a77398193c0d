// Test plugin "initfail": refuses to start.
#include "rapport/sdk/plugin.h"

namespace {
class InitFail : public rapport::sdk::Plugin {
 public:
  rapport::sdk::Status Init() override {
    return rapport::sdk::Status::FailedPrecondition("no licence key");
  }
};
}  // namespace

RAPPORT_PLUGIN(InitFail, "initfail", "1.0.0")
