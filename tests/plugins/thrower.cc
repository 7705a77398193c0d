// Test plugin "thrower": its validate hook throws; the SDK and the host turn
// that into a clean rejection naming the plugin. Its Start, Drain and Stop
// throw too (Stop a non-std exception): the SDK logs each through the host
// and the server starts and shuts down as usual (plugin_lifecycle_test).
#include <stdexcept>

#include "rapport/sdk/plugin.h"
#include "rapport/v1/interaction.pb.h"

namespace {

class Thrower : public rapport::sdk::Plugin {
 public:
  rapport::sdk::Status Init() override {
    OnValidate<rapport::v1::Interaction>(
        RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, 100,
        [](rapport::sdk::Call&, const rapport::v1::Interaction*, const rapport::v1::Interaction*)
            -> rapport::sdk::Status { throw std::runtime_error("boom"); });
    return {};
  }
  void Start() override { throw std::runtime_error("start boom"); }
  void Drain() override { throw std::runtime_error("drain boom"); }
  void Stop() override { throw 42; }
};

}  // namespace

RAPPORT_PLUGIN(Thrower, "thrower", "1.0.0")
