// File: core/plugin_host/module_gate.h
//
// The one gate every plugin RPC and hook invocation passes: is module M on
// for this caller? Per tenant, a RolloutRule (rapport.v1.RolloutRule) kept in
// the meta family (the rollout rule key of core/store/keyspace.h),
// evaluated in order: kill switch -> targeted users and teams -> percentage
// of users by a stable hash of (module, user) -> default. Rules change
// through SetRule (recorded in the change feed) and take effect on the next
// request. Thread-safe.
#ifndef RAPPORT_CORE_PLUGIN_HOST_MODULE_GATE_H_
#define RAPPORT_CORE_PLUGIN_HOST_MODULE_GATE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/feed/change_feed.h"
#include "core/store/database.h"
#include "rapport/v1/modules.pb.h"

namespace rapport::plugin_host {

struct GateDecision {
  v1::ModuleMode mode = v1::MODULE_MODE_OFF;
  std::string reason;
};

class ModuleGate {
 public:
  // `dependencies(module)` lists the modules it requires (from manifests).
  // `dependents(module)` lists the loaded modules that require it. `clock`
  // stamps rule changes (update_time); it must outlive the gate.
  ModuleGate(store::Database* db, feed::ChangeFeed* feed,
             std::function<std::vector<std::string>(const std::string&)> dependencies,
             std::function<std::vector<std::string>(const std::string&)> dependents,
             const Clock* clock = &Clock::Real());

  // The decision for `user_id` (member of `teams`, ancestors included).
  GateDecision Evaluate(uint32_t tenant, const std::string& module, const std::string& user_id,
                        const std::vector<std::string>& teams);
  GateDecision Evaluate(const RequestContext& ctx, const std::string& module) {
    return Evaluate(ctx.tenant, module, ctx.user_id, ctx.teams);
  }

  absl::StatusOr<v1::RolloutRule> GetRule(uint32_t tenant, const std::string& module);
  // Validates (percentage 0..100, modes), refuses to switch a module on while
  // a module it requires is entirely off, or entirely off while a module that
  // requires it is on (naming it), bumps the revision and records the change
  // in the feed.
  absl::StatusOr<v1::RolloutRule> SetRule(const RequestContext& ctx, v1::RolloutRule rule,
                                          int64_t expected_revision);

  // Whether `rule` has the module on (or shadow) for anyone: not killed,
  // and a default, a target or a percentage that is not off.
  static bool AnyoneOn(const v1::RolloutRule& rule);
  // Whether `rule` has the module on (not shadow) for anyone, not killed.
  static bool AnyoneLive(const v1::RolloutRule& rule);

  // The stable cohort position of `user_id` for `module`, 0..99.
  static int Bucket(const std::string& module, const std::string& user_id);

  // Decisions since start by module and mode (indexed by v1::ModuleMode:
  // [1] off, [2] shadow, [3] on), for /metrics.
  std::map<std::string, std::array<int64_t, 4>> Decisions() const;

 private:
  GateDecision Decide(uint32_t tenant, const std::string& module, const std::string& user_id,
                      const std::vector<std::string>& teams);

  store::Database* db_;
  feed::ChangeFeed* feed_;
  const Clock* clock_;
  std::function<std::vector<std::string>(const std::string&)> dependencies_;
  std::function<std::vector<std::string>(const std::string&)> dependents_;
  std::mutex write_mu_;
  std::shared_mutex mu_;
  absl::flat_hash_map<std::string, v1::RolloutRule> cache_;  // tenant/module -> rule
  // Evaluate's decisions by module, then mode; a module's entry is added
  // once and never removed (std::map: its counters stay where they are).
  mutable std::shared_mutex decisions_mu_;
  std::map<std::string, std::array<std::atomic<int64_t>, 4>> decisions_;
};

}  // namespace rapport::plugin_host

#endif  // RAPPORT_CORE_PLUGIN_HOST_MODULE_GATE_H_
