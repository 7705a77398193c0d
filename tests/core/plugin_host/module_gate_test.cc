// The module gate on its own (core/plugin_host/module_gate.h), on a real
// RocksDB in a temp directory: the order of evaluation (kill switch >
// targeted users > targeted teams > percentage cohort > default), the
// stable cohort hash, rule validation, revisions, dependencies, the change
// feed, and rule changes taking effect on the next Evaluate.
#include "core/plugin_host/module_gate.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/common/clock.h"
#include "core/common/status_util.h"
#include "core/feed/change_feed.h"
#include "core/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/event.pb.h"
#include "tests/testing/temp_dir.h"

namespace rapport::plugin_host {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint32_t kTenant = 1;

class ModuleGateTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    gate_.reset();
    feed_.reset();
    db_.reset();
    store::DatabaseOptions options;
    options.path = dir_.Sub("db");
    auto db = store::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto feed = feed::ChangeFeed::Open(db_.get(), &Clock::Real());
    ASSERT_TRUE(feed.ok()) << feed.status();
    feed_ = std::move(*feed);
    gate_ = std::make_unique<ModuleGate>(
        db_.get(), feed_.get(), [this](const std::string& module) { return requires_[module]; },
        [this](const std::string& module) {
          std::vector<std::string> out;
          for (const auto& [name, deps] : requires_) {
            for (const auto& d : deps)
              if (d == module) out.push_back(name);
          }
          return out;
        },
        &clock_);
  }

  static RequestContext Admin(uint32_t tenant = kTenant) {
    RequestContext ctx;
    ctx.tenant = tenant;
    ctx.tenant_name = tenant == kTenant ? "acme" : "other";
    ctx.principal = "acme/admin";
    ctx.user_id = "admin";
    return ctx;
  }

  v1::RolloutRule Set(v1::RolloutRule rule, uint32_t tenant = kTenant) {
    auto set = gate_->SetRule(Admin(tenant), rule, 0);
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : v1::RolloutRule();
  }

  static v1::RolloutRule Rule(const std::string& module, v1::ModuleMode default_mode) {
    v1::RolloutRule rule;
    rule.set_module(module);
    rule.set_default_mode(default_mode);
    return rule;
  }

  v1::ModuleMode ModeFor(const std::string& user, const std::vector<std::string>& teams = {},
                         const std::string& module = "crm") {
    return gate_->Evaluate(kTenant, module, user, teams).mode;
  }

  // The field violations of a refused SetRule, as field -> description.
  std::map<std::string, std::string> Violations(const v1::RolloutRule& rule) {
    auto set = gate_->SetRule(Admin(), rule, 0);
    EXPECT_FALSE(set.ok()) << "accepted: " << rule.ShortDebugString();
    std::map<std::string, std::string> out;
    if (set.ok()) return out;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    for (const auto& v : FieldViolations(set.status())) out[v.field] = v.description;
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1800000000) + absl::Nanoseconds(250)};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<feed::ChangeFeed> feed_;
  std::unique_ptr<ModuleGate> gate_;
  std::map<std::string, std::vector<std::string>> requires_;
};

// --- Evaluation order.

TEST_F(ModuleGateTest, WithoutARuleAModuleIsOff) {
  GateDecision d = gate_->Evaluate(kTenant, "crm", "u1", {"sales"});
  EXPECT_EQ(d.mode, v1::MODULE_MODE_OFF);
  EXPECT_EQ(d.reason, "default for the tenant (off)");
  auto rule = gate_->GetRule(kTenant, "crm");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->module(), "crm");
  EXPECT_EQ(rule->revision(), 0);
  // An unspecified default mode is off too.
  Set(Rule("crm", v1::MODULE_MODE_UNSPECIFIED));
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);
}

TEST_F(ModuleGateTest, TheDefaultAppliesToEveryoneNotTargeted) {
  Set(Rule("crm", v1::MODULE_MODE_ON));
  GateDecision d = gate_->Evaluate(kTenant, "crm", "u1", {});
  EXPECT_EQ(d.mode, v1::MODULE_MODE_ON);
  EXPECT_EQ(d.reason, "default for the tenant (on)");
  // Also for calls without a user (internal calls, feed events of the core).
  EXPECT_EQ(ModeFor(""), v1::MODULE_MODE_ON);
  Set(Rule("crm", v1::MODULE_MODE_SHADOW));
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_SHADOW);
}

TEST_F(ModuleGateTest, TheKillSwitchBeatsEverything) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_ON);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.add_user_ids("pilot");
  rule.add_team_ids("sales");
  rule.set_percentage(100);
  rule.set_kill_switch(true);
  Set(rule);
  for (const char* user : {"pilot", "u1", ""}) {
    GateDecision d = gate_->Evaluate(kTenant, "crm", user, {"sales"});
    EXPECT_EQ(d.mode, v1::MODULE_MODE_OFF) << user;
    EXPECT_EQ(d.reason, "the kill switch is on");
  }
}

TEST_F(ModuleGateTest, TargetedUsersGetTheRuleModeWhateverTheDefault) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.add_user_ids("pilot");
  Set(rule);
  GateDecision pilot = gate_->Evaluate(kTenant, "crm", "pilot", {});
  EXPECT_EQ(pilot.mode, v1::MODULE_MODE_ON);
  EXPECT_EQ(pilot.reason, "user 'pilot' is targeted (on)");
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);
  // Targeting can exclude too: the targeted mode wins over an "on" default.
  rule.set_default_mode(v1::MODULE_MODE_ON);
  rule.set_mode(v1::MODULE_MODE_OFF);
  Set(rule);
  EXPECT_EQ(ModeFor("pilot"), v1::MODULE_MODE_OFF);
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_ON);
  // An unspecified targeted mode is off.
  rule.set_mode(v1::MODULE_MODE_UNSPECIFIED);
  Set(rule);
  EXPECT_EQ(ModeFor("pilot"), v1::MODULE_MODE_OFF);
}

TEST_F(ModuleGateTest, TargetedTeamsMatchAnyOfTheCallersTeamsIncludingAncestors) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_SHADOW);
  rule.add_team_ids("sales");
  Set(rule);
  // The caller's teams come with their ancestors: a member of sales/seoul.
  GateDecision d = gate_->Evaluate(kTenant, "crm", "u1", {"sales-seoul", "sales"});
  EXPECT_EQ(d.mode, v1::MODULE_MODE_SHADOW);
  EXPECT_EQ(d.reason, "team 'sales' is targeted (shadow)");
  EXPECT_EQ(ModeFor("u2", {"support"}), v1::MODULE_MODE_OFF);
  EXPECT_EQ(ModeFor("u3", {}), v1::MODULE_MODE_OFF);
  // A targeted user is named before their team.
  rule.add_user_ids("u1");
  Set(rule);
  EXPECT_EQ(gate_->Evaluate(kTenant, "crm", "u1", {"sales"}).reason,
            "user 'u1' is targeted (shadow)");
}

TEST_F(ModuleGateTest, TargetingBeatsThePercentageCohort) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.set_percentage(100);
  rule.add_team_ids("sales");
  Set(rule);
  EXPECT_THAT(gate_->Evaluate(kTenant, "crm", "u1", {"sales"}).reason, HasSubstr("team 'sales'"));
  EXPECT_THAT(gate_->Evaluate(kTenant, "crm", "u1", {}).reason,
              HasSubstr("user is in the 100% cohort"));
}

TEST_F(ModuleGateTest, ThePercentageCohortIsAStableHashOfModuleAndUser) {
  for (const char* user : {"u1", "kim", "someone@example.com"}) {
    int bucket = ModuleGate::Bucket("crm", user);
    EXPECT_GE(bucket, 0);
    EXPECT_LT(bucket, 100);
    EXPECT_EQ(ModuleGate::Bucket("crm", user), bucket);
  }
  // Another module draws its own cohort, and (module, user) pairs do not
  // alias by concatenation.
  int same = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string user = "u" + std::to_string(i);
    same += ModuleGate::Bucket("crm", user) == ModuleGate::Bucket("voc", user);
  }
  EXPECT_LT(same, 20);
  EXPECT_NE(ModuleGate::Bucket("ab", "c") * 1000 + ModuleGate::Bucket("ab", "cd"),
            ModuleGate::Bucket("a", "bc") * 1000 + ModuleGate::Bucket("a", "bcd"));
}

TEST_F(ModuleGateTest, APercentageSelectsRoughlyThatShareOfTenThousandUsers) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.set_percentage(30);
  Set(rule);
  std::vector<bool> on_at_30;
  int on = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string user = "user-" + std::to_string(i);
    GateDecision d = gate_->Evaluate(kTenant, "crm", user, {});
    bool is_on = d.mode == v1::MODULE_MODE_ON;
    on_at_30.push_back(is_on);
    on += is_on;
    EXPECT_EQ(is_on, ModuleGate::Bucket("crm", user) < 30) << user;
  }
  // Binomial(10000, 0.3): sd ~46; five of them either side.
  EXPECT_GT(on, 2770);
  EXPECT_LT(on, 3230);
  // Widening the rollout keeps everyone who already had it.
  rule.set_percentage(50);
  Set(rule);
  int on_at_50 = 0;
  for (int i = 0; i < 10000; ++i) {
    bool is_on = ModeFor("user-" + std::to_string(i)) == v1::MODULE_MODE_ON;
    on_at_50 += is_on;
    if (on_at_30[i]) {
      EXPECT_TRUE(is_on) << "user-" << i << " lost the module at 50%";
    }
  }
  EXPECT_GT(on_at_50, 4770);
  EXPECT_LT(on_at_50, 5230);
}

TEST_F(ModuleGateTest, ZeroAndHundredPercentAreNobodyAndEverybody) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.set_percentage(0);
  Set(rule);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(ModeFor("u" + std::to_string(i)), v1::MODULE_MODE_OFF);
  rule.set_percentage(100);
  Set(rule);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(ModeFor("u" + std::to_string(i)), v1::MODULE_MODE_ON);
  // A call without a user is in no cohort: the default applies.
  EXPECT_EQ(ModeFor(""), v1::MODULE_MODE_OFF);
}

// --- Rules: validation, revisions, persistence, the feed.

TEST_F(ModuleGateTest, InvalidRulesAreRefusedNamingEachField) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_ON);
  rule.set_percentage(101);
  auto v = Violations(rule);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v["rule.percentage"], "must be 0..100, got 101");
  rule.set_percentage(-1);
  EXPECT_EQ(Violations(rule)["rule.percentage"], "must be 0..100, got -1");
  rule.set_percentage(10);
  rule.set_mode(static_cast<v1::ModuleMode>(42));
  rule.set_default_mode(static_cast<v1::ModuleMode>(-3));
  v = Violations(rule);
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v["rule.mode"], "unknown mode");
  EXPECT_EQ(v["rule.default_mode"], "unknown mode");
  v1::RolloutRule crowded = Rule("crm", v1::MODULE_MODE_ON);
  for (int i = 0; i <= 10000; ++i) crowded.add_user_ids("u" + std::to_string(i));
  EXPECT_THAT(Violations(crowded)["rule"], HasSubstr("at most 10,000 users"));
  v1::RolloutRule teams = Rule("crm", v1::MODULE_MODE_ON);
  for (int i = 0; i <= 1000; ++i) teams.add_team_ids("t" + std::to_string(i));
  EXPECT_THAT(Violations(teams)["rule"], HasSubstr("1,000 teams"));
  // Nothing was stored.
  auto stored = gate_->GetRule(kTenant, "crm");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->revision(), 0);
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);
}

TEST_F(ModuleGateTest, EachChangeBumpsTheRevisionAndAStaleRevisionIsRefused) {
  v1::RolloutRule first = Set(Rule("crm", v1::MODULE_MODE_SHADOW));
  EXPECT_EQ(first.revision(), 1);
  EXPECT_EQ(first.updated_by(), "acme/admin");
  // Stamped by the gate's clock, not the machine's.
  EXPECT_EQ(first.update_time().seconds(), 1800000000);
  EXPECT_EQ(first.update_time().nanos(), 250);
  clock_.Advance(absl::Seconds(90));
  auto second = gate_->SetRule(Admin(), Rule("crm", v1::MODULE_MODE_ON), 1);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->revision(), 2);
  EXPECT_EQ(second->update_time().seconds(), 1800000090);
  EXPECT_EQ(second->update_time().nanos(), 250);
  auto stale = gate_->SetRule(Admin(), Rule("crm", v1::MODULE_MODE_OFF), 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("current revision is 2"));
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_ON);
  // A revision the caller sends in the rule itself is not trusted.
  v1::RolloutRule forged = Rule("crm", v1::MODULE_MODE_OFF);
  forged.set_revision(99);
  EXPECT_EQ(Set(forged).revision(), 3);
}

TEST_F(ModuleGateTest, ARuleChangeIsVisibleOnTheNextEvaluate) {
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);  // cached: no rule
  Set(Rule("crm", v1::MODULE_MODE_ON));
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_ON);
  v1::RolloutRule kill = Rule("crm", v1::MODULE_MODE_ON);
  kill.set_kill_switch(true);
  Set(kill);
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);
}

TEST_F(ModuleGateTest, RulesAreStoredAndReadBackAfterReopening) {
  v1::RolloutRule rule = Rule("crm", v1::MODULE_MODE_OFF);
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.add_user_ids("pilot");
  Set(rule);
  Open();
  EXPECT_EQ(ModeFor("pilot"), v1::MODULE_MODE_ON);
  EXPECT_EQ(ModeFor("u1"), v1::MODULE_MODE_OFF);
  auto stored = gate_->GetRule(kTenant, "crm");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->revision(), 1);
  EXPECT_EQ(stored->user_ids_size(), 1);
}

TEST_F(ModuleGateTest, RulesArePerTenantAndPerModule) {
  Set(Rule("crm", v1::MODULE_MODE_ON), /*tenant=*/2);
  EXPECT_EQ(gate_->Evaluate(2, "crm", "u1", {}).mode, v1::MODULE_MODE_ON);
  EXPECT_EQ(gate_->Evaluate(kTenant, "crm", "u1", {}).mode, v1::MODULE_MODE_OFF);
  EXPECT_EQ(gate_->Evaluate(2, "voc", "u1", {}).mode, v1::MODULE_MODE_OFF);
  // The RequestContext overload reads the tenant, user and teams from it.
  RequestContext ctx = Admin(2);
  ctx.user_id = "u9";
  EXPECT_EQ(gate_->Evaluate(ctx, "crm").mode, v1::MODULE_MODE_ON);
}

TEST_F(ModuleGateTest, EveryChangeIsRecordedInTheTenantsFeed) {
  Set(Rule("crm", v1::MODULE_MODE_SHADOW));
  Set(Rule("crm", v1::MODULE_MODE_ON));
  auto events = feed_->Read(kTenant, 0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  const v1::ChangeEvent& created = (*events)[0];
  EXPECT_EQ(created.subject(), "module/crm");
  EXPECT_EQ(created.operation(), v1::CHANGE_OPERATION_CREATE);
  EXPECT_EQ(created.principal(), "acme/admin");
  const v1::ChangeEvent& updated = (*events)[1];
  EXPECT_EQ(updated.operation(), v1::CHANGE_OPERATION_UPDATE);
  EXPECT_GT(updated.sequence(), created.sequence());
  v1::RolloutRule before, after;
  ASSERT_TRUE(updated.before().UnpackTo(&before));
  ASSERT_TRUE(updated.after().UnpackTo(&after));
  EXPECT_EQ(before.default_mode(), v1::MODULE_MODE_SHADOW);
  EXPECT_EQ(after.default_mode(), v1::MODULE_MODE_ON);
  EXPECT_EQ(after.revision(), 2);
  // Another tenant's feed has none of it; a refused change adds nothing.
  auto other = feed_->Read(2, 0, 10);
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, IsEmpty());
  v1::RolloutRule bad = Rule("crm", v1::MODULE_MODE_ON);
  bad.set_percentage(500);
  EXPECT_FALSE(gate_->SetRule(Admin(), bad, 0).ok());
  EXPECT_EQ(feed_->Read(kTenant, 0, 10)->size(), 2u);
}

// --- Dependencies between modules.

TEST_F(ModuleGateTest, AModuleCannotBeOnWhileAModuleItRequiresIsEntirelyOff) {
  requires_["second"] = {"guard"};
  auto refused = gate_->SetRule(Admin(), Rule("second", v1::MODULE_MODE_ON), 0);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "module 'second' requires module 'guard', which is off for tenant 'acme'; enable it "
            "first");
  // Shadow counts as on; so does a rule that targets only a pilot.
  EXPECT_FALSE(gate_->SetRule(Admin(), Rule("second", v1::MODULE_MODE_SHADOW), 0).ok());
  v1::RolloutRule pilot = Rule("guard", v1::MODULE_MODE_OFF);
  pilot.set_mode(v1::MODULE_MODE_ON);
  pilot.add_user_ids("pilot");
  Set(pilot);
  EXPECT_TRUE(gate_->SetRule(Admin(), Rule("second", v1::MODULE_MODE_ON), 0).ok());
  // Switching the dependent off needs nothing.
  EXPECT_TRUE(gate_->SetRule(Admin(), Rule("second", v1::MODULE_MODE_OFF), 0).ok());
}

TEST_F(ModuleGateTest, ARequiredModuleCannotBeSwitchedOffUnderADependentThatIsOn) {
  requires_["second"] = {"guard"};
  Set(Rule("guard", v1::MODULE_MODE_ON));
  Set(Rule("second", v1::MODULE_MODE_ON));
  auto refused = gate_->SetRule(Admin(), Rule("guard", v1::MODULE_MODE_OFF), 0);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "module 'second' requires module 'guard' and is on for tenant 'acme'; switch it off "
            "first");
  v1::RolloutRule killed = Rule("guard", v1::MODULE_MODE_ON);
  killed.set_kill_switch(true);
  EXPECT_FALSE(gate_->SetRule(Admin(), killed, 0).ok());
  EXPECT_EQ(ModeFor("u1", {}, "guard"), v1::MODULE_MODE_ON);
  // In the right order it works.
  Set(Rule("second", v1::MODULE_MODE_OFF));
  Set(Rule("guard", v1::MODULE_MODE_OFF));
  EXPECT_EQ(ModeFor("u1", {}, "guard"), v1::MODULE_MODE_OFF);
  // Another tenant's dependents do not hold this tenant's module on.
  Set(Rule("guard", v1::MODULE_MODE_ON), 2);
  Set(Rule("second", v1::MODULE_MODE_ON), 2);
  EXPECT_TRUE(gate_->SetRule(Admin(), Rule("guard", v1::MODULE_MODE_ON), 0).ok());
  EXPECT_TRUE(gate_->SetRule(Admin(), Rule("guard", v1::MODULE_MODE_OFF), 0).ok());
}

}  // namespace
}  // namespace rapport::plugin_host
