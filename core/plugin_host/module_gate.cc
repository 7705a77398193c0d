#include "core/plugin_host/module_gate.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "rocksdb/write_batch.h"

namespace rapport::plugin_host {
namespace {

std::string CacheKey(uint32_t tenant, const std::string& module) {
  return absl::StrCat(tenant, "/", module);
}

v1::ModuleMode Effective(v1::ModuleMode m) {
  return m == v1::MODULE_MODE_UNSPECIFIED ? v1::MODULE_MODE_OFF : m;
}

const char* ModeName(v1::ModuleMode m) {
  switch (Effective(m)) {
    case v1::MODULE_MODE_ON:
      return "on";
    case v1::MODULE_MODE_SHADOW:
      return "shadow";
    default:
      return "off";
  }
}

}  // namespace

ModuleGate::ModuleGate(store::Database* db, feed::ChangeFeed* feed,
                       std::function<std::vector<std::string>(const std::string&)> dependencies,
                       std::function<std::vector<std::string>(const std::string&)> dependents,
                       const Clock* clock)
    : db_(db),
      feed_(feed),
      clock_(clock),
      dependencies_(std::move(dependencies)),
      dependents_(std::move(dependents)) {}

int ModuleGate::Bucket(const std::string& module, const std::string& user_id) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::string input = absl::StrCat(module, "\x1f", user_id);
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  uint32_t v = (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
               (uint32_t{digest[2]} << 8) | digest[3];
  return static_cast<int>(v % 100);
}

absl::StatusOr<v1::RolloutRule> ModuleGate::GetRule(uint32_t tenant, const std::string& module) {
  const std::string cache_key = CacheKey(tenant, module);
  {
    std::shared_lock lock(mu_);
    if (auto it = cache_.find(cache_key); it != cache_.end()) return it->second;
  }
  v1::RolloutRule rule;
  rule.set_module(module);
  auto value = db_->Get(db_->meta(), store::RolloutRuleKey(tenant, module));
  if (value.ok()) {
    if (!rule.ParseFromString(*value)) return absl::DataLossError("corrupt rollout rule");
  } else if (!absl::IsNotFound(value.status())) {
    return value.status();
  }
  // try_emplace, not assignment: SetRule stores the committed rule in the
  // cache itself, and a read that raced it must not put the older rule back
  // (a kill switch would otherwise be undone until restart).
  std::unique_lock lock(mu_);
  return cache_.try_emplace(cache_key, std::move(rule)).first->second;
}

GateDecision ModuleGate::Evaluate(uint32_t tenant, const std::string& module,
                                  const std::string& user_id,
                                  const std::vector<std::string>& teams) {
  GateDecision decision = Decide(tenant, module, user_id, teams);
  const size_t mode = static_cast<size_t>(decision.mode) < 4 ? decision.mode : 0;
  {
    std::shared_lock<std::shared_mutex> lock(decisions_mu_);
    auto it = decisions_.find(module);
    if (it != decisions_.end()) {
      it->second[mode].fetch_add(1, std::memory_order_relaxed);
      return decision;
    }
  }
  std::unique_lock<std::shared_mutex> lock(decisions_mu_);
  decisions_[module][mode].fetch_add(1, std::memory_order_relaxed);
  return decision;
}

std::map<std::string, std::array<int64_t, 4>> ModuleGate::Decisions() const {
  std::map<std::string, std::array<int64_t, 4>> out;
  std::shared_lock<std::shared_mutex> lock(decisions_mu_);
  for (const auto& [module, counts] : decisions_) {
    auto& row = out[module];
    for (size_t i = 0; i < counts.size(); ++i) row[i] = counts[i].load(std::memory_order_relaxed);
  }
  return out;
}

GateDecision ModuleGate::Decide(uint32_t tenant, const std::string& module,
                                const std::string& user_id, const std::vector<std::string>& teams) {
  auto rule = GetRule(tenant, module);
  if (!rule.ok())
    return {v1::MODULE_MODE_OFF, absl::StrCat("rule unreadable: ", rule.status().message())};
  if (rule->kill_switch()) return {v1::MODULE_MODE_OFF, "the kill switch is on"};
  if (!user_id.empty() && std::find(rule->user_ids().begin(), rule->user_ids().end(), user_id) !=
                              rule->user_ids().end()) {
    return {Effective(rule->mode()),
            absl::StrCat("user '", user_id, "' is targeted (", ModeName(rule->mode()), ")")};
  }
  for (const auto& team : teams) {
    if (std::find(rule->team_ids().begin(), rule->team_ids().end(), team) !=
        rule->team_ids().end()) {
      return {Effective(rule->mode()),
              absl::StrCat("team '", team, "' is targeted (", ModeName(rule->mode()), ")")};
    }
  }
  if (!user_id.empty() && rule->percentage() > 0) {
    int bucket = Bucket(module, user_id);
    if (bucket < rule->percentage()) {
      return {Effective(rule->mode()),
              absl::StrCat("user is in the ", rule->percentage(), "% cohort (bucket ", bucket, ", ",
                           ModeName(rule->mode()), ")")};
    }
  }
  return {Effective(rule->default_mode()),
          absl::StrCat("default for the tenant (", ModeName(rule->default_mode()), ")")};
}

bool ModuleGate::AnyoneOn(const v1::RolloutRule& rule) {
  if (rule.kill_switch()) return false;
  bool targeted = rule.user_ids_size() > 0 || rule.team_ids_size() > 0 || rule.percentage() > 0;
  return (targeted && Effective(rule.mode()) != v1::MODULE_MODE_OFF) ||
         Effective(rule.default_mode()) != v1::MODULE_MODE_OFF;
}

bool ModuleGate::AnyoneLive(const v1::RolloutRule& rule) {
  if (rule.kill_switch()) return false;
  bool targeted = rule.user_ids_size() > 0 || rule.team_ids_size() > 0 || rule.percentage() > 0;
  return (targeted && Effective(rule.mode()) == v1::MODULE_MODE_ON) ||
         Effective(rule.default_mode()) == v1::MODULE_MODE_ON;
}

absl::StatusOr<v1::RolloutRule> ModuleGate::SetRule(const RequestContext& ctx, v1::RolloutRule rule,
                                                    int64_t expected_revision) {
  std::vector<FieldViolation> violations;
  if (rule.percentage() < 0 || rule.percentage() > 100) {
    violations.push_back(
        {"rule.percentage", absl::StrCat("must be 0..100, got ", rule.percentage())});
  }
  if (!v1::ModuleMode_IsValid(rule.mode())) violations.push_back({"rule.mode", "unknown mode"});
  if (!v1::ModuleMode_IsValid(rule.default_mode()))
    violations.push_back({"rule.default_mode", "unknown mode"});
  if (rule.user_ids_size() > 10000 || rule.team_ids_size() > 1000) {
    violations.push_back({"rule", "at most 10,000 users and 1,000 teams"});
  }
  if (!violations.empty()) return InvalidFields(violations);
  std::lock_guard<std::mutex> lock(write_mu_);
  RAPPORT_ASSIGN_OR_RETURN(v1::RolloutRule current, GetRule(ctx.tenant, rule.module()));
  if (expected_revision != 0 && expected_revision != current.revision()) {
    return absl::AbortedError(absl::StrCat(
        "the rollout rule changed concurrently; current revision is ", current.revision()));
  }
  if (AnyoneOn(rule)) {
    for (const std::string& dependency : dependencies_(rule.module())) {
      RAPPORT_ASSIGN_OR_RETURN(v1::RolloutRule dep, GetRule(ctx.tenant, dependency));
      if (!AnyoneOn(dep)) {
        return absl::FailedPreconditionError(
            absl::StrCat("module '", rule.module(), "' requires module '", dependency,
                         "', which is off for tenant '", ctx.tenant_name, "'; enable it first"));
      }
    }
  }
  if (!AnyoneOn(rule) && dependents_) {
    for (const std::string& dependent : dependents_(rule.module())) {
      RAPPORT_ASSIGN_OR_RETURN(v1::RolloutRule dep, GetRule(ctx.tenant, dependent));
      if (AnyoneOn(dep)) {
        return absl::FailedPreconditionError(
            absl::StrCat("module '", dependent, "' requires module '", rule.module(),
                         "' and is on for tenant '", ctx.tenant_name, "'; switch it off first"));
      }
    }
  }
  rule.set_revision(current.revision() + 1);
  rule.set_updated_by(ctx.principal);
  const int64_t now_ns = absl::ToUnixNanos(clock_->Now());
  rule.mutable_update_time()->set_seconds(now_ns / 1000000000);
  rule.mutable_update_time()->set_nanos(static_cast<int32_t>(now_ns % 1000000000));
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), store::RolloutRuleKey(ctx.tenant, rule.module()),
            rule.SerializeAsString());
  v1::ChangeEvent event;
  event.set_operation(current.revision() == 0 ? v1::CHANGE_OPERATION_CREATE
                                              : v1::CHANGE_OPERATION_UPDATE);
  event.set_subject(absl::StrCat("module/", rule.module()));
  event.mutable_before()->PackFrom(current);
  event.mutable_after()->PackFrom(rule);
  RAPPORT_RETURN_IF_ERROR(feed_->CommitWithEvent(ctx, &batch, std::move(event)));
  std::unique_lock cache_lock(mu_);
  cache_[CacheKey(ctx.tenant, rule.module())] = rule;
  return rule;
}

}  // namespace rapport::plugin_host
