// rapportctl modules: what is loaded, and who has it (rapport.v1.ModuleService).
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tools/rapportctl/commands.h"
#include "tools/rapportctl/progress.h"

namespace rapport::ctl {
namespace {

using google::protobuf::Message;

struct ModuleArgs {
  std::string module, user, mode, default_mode;
  std::vector<std::string> teams, users;
  int percentage = -1;
  bool kill_switch = false;
  int wait_seconds = 0;
};

v1::ModuleMode ModeFromName(const std::string& name) {
  if (name == "on") return v1::MODULE_MODE_ON;
  if (name == "shadow") return v1::MODULE_MODE_SHADOW;
  return v1::MODULE_MODE_OFF;
}

int ModulesMain(const std::string& verb, const ModuleArgs& mo, CLI::App* sub) {
  auto stub = v1::ModuleService::NewStub(channel);
  grpc::Status s;
  std::unique_ptr<Message> out;
  if (verb == "list") {
    auto r = std::make_unique<v1::ListModulesResponse>();
    s = stub->ListModules(Call().get(), v1::ListModulesRequest(), r.get());
    if (s.ok() && g.output == "table") {
      for (const auto& m : r->modules()) {
        // Isolation: "in process", or "process" with its restarts and
        // whether the child is down now.
        std::string isolation = m.isolation() == "process" ? "process" : "in process";
        if (m.isolation() == "process" && m.state() == "loaded") {
          absl::StrAppend(&isolation, ", ", m.restarts(),
                          m.restarts() == 1 ? " restart" : " restarts",
                          m.process_up() ? "" : ", down");
        }
        std::cout << m.name() << "\t" << m.version() << "\t" << m.state() << "\t" << isolation
                  << "\t" << m.last_error() << "\n";
      }
      return 0;
    }
    out = std::move(r);
  } else if (verb == "show") {
    v1::ListModulesResponse all;
    s = stub->ListModules(Call().get(), v1::ListModulesRequest(), &all);
    if (!s.ok()) return Fail(s);
    for (const auto& m : all.modules()) {
      if (m.name() == mo.module) PrintRecord(m);
    }
    v1::GetRolloutRequest r;
    r.set_module(mo.module);
    auto rule = std::make_unique<v1::RolloutRule>();
    s = stub->GetRollout(Call().get(), r, rule.get());
    out = std::move(rule);
  } else if (verb == "enable" || verb == "disable" || verb == "shadow" || verb == "rollout") {
    v1::GetRolloutRequest get;
    get.set_module(mo.module);
    v1::RolloutRule rule;
    s = stub->GetRollout(Call().get(), get, &rule);
    if (!s.ok()) return Fail(s);
    if (verb == "enable" || verb == "disable" || verb == "shadow") {
      // The whole tenant: targeted users, teams and cohort included.
      v1::ModuleMode mode = verb == "enable"   ? v1::MODULE_MODE_ON
                            : verb == "shadow" ? v1::MODULE_MODE_SHADOW
                                               : v1::MODULE_MODE_OFF;
      rule.set_default_mode(mode);
      rule.set_mode(mode);
      rule.set_kill_switch(false);
    } else {
      if (!mo.mode.empty()) rule.set_mode(ModeFromName(mo.mode));
      if (rule.mode() == v1::MODULE_MODE_UNSPECIFIED) rule.set_mode(v1::MODULE_MODE_ON);
      if (mo.percentage >= 0 || sub->count("--percentage")) rule.set_percentage(mo.percentage);
      if (sub->count("--team")) {
        rule.clear_team_ids();
        for (const auto& t : mo.teams) rule.add_team_ids(t);
      }
      if (sub->count("--user")) {
        rule.clear_user_ids();
        for (const auto& u : mo.users) rule.add_user_ids(u);
      }
      if (!mo.default_mode.empty()) rule.set_default_mode(ModeFromName(mo.default_mode));
      if (sub->count("--kill-switch") || sub->count("--no-kill-switch"))
        rule.set_kill_switch(mo.kill_switch);
    }
    v1::SetRolloutRequest set;
    *set.mutable_rule() = rule;
    set.set_expected_revision(rule.revision());
    auto result = std::make_unique<v1::RolloutRule>();
    s = stub->SetRollout(Call().get(), set, result.get());
    out = std::move(result);
  } else if (verb == "check") {
    v1::CheckModuleRequest r;
    r.set_module(mo.module);
    r.set_user_id(mo.user);
    auto result = std::make_unique<v1::CheckModuleResponse>();
    s = stub->CheckModule(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "dead-letters") {
    v1::ListDeadLettersRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ListDeadLettersResponse>();
    s = stub->ListDeadLetters(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "replay") {
    v1::ReplayDeadLettersRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ReplayDeadLettersResponse>();
    s = stub->ReplayDeadLetters(Call().get(), r, result.get());
    out = std::move(result);
  } else if (verb == "backfill" || verb == "backfill-status") {
    auto result = std::make_unique<v1::BackfillStatus>();
    if (verb == "backfill") {
      v1::BackfillModuleRequest r;
      r.set_module(mo.module);
      s = stub->BackfillModule(Call().get(), r, result.get());
    }
    // --wait: until it is done or failed (bounded by --wait-seconds).
    const bool wait = verb == "backfill" && mo.wait_seconds > 0;
    Progress progress("backfill", "records");
    for (int i = 0; s.ok() && (verb == "backfill-status" || wait) && i < mo.wait_seconds * 5 + 1;
         ++i) {
      v1::GetBackfillRequest r;
      r.set_module(mo.module);
      s = stub->GetBackfill(Call().get(), r, result.get());
      if (!s.ok() || verb == "backfill-status" ||
          result->state() == v1::BackfillStatus::STATE_DONE ||
          result->state() == v1::BackfillStatus::STATE_FAILED) {
        if (wait && s.ok()) progress.Finish(static_cast<uint64_t>(result->records()));
        break;
      }
      // The total is not known ahead: records handed over so far, and the rate.
      if (wait) progress.Update(static_cast<uint64_t>(result->records()));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (wait && (!s.ok() || (result->state() != v1::BackfillStatus::STATE_DONE &&
                             result->state() != v1::BackfillStatus::STATE_FAILED))) {
      progress.Abandon();  // an error, or --wait-seconds ran out
    }
    out = std::move(result);
  } else if (verb == "history") {
    v1::ListRolloutHistoryRequest r;
    r.set_module(mo.module);
    auto result = std::make_unique<v1::ListRolloutHistoryResponse>();
    s = stub->ListRolloutHistory(Call().get(), r, result.get());
    out = std::move(result);
  }
  if (!s.ok()) return Fail(s);
  PrintRecord(*out);
  return 0;
}

}  // namespace

void AddModulesCommands(CLI::App& app, Command* chosen) {
  auto args = std::make_shared<ModuleArgs>();
  ModuleArgs& mo = *args;
  auto* modules = app.add_subcommand("modules", "plugins: what is loaded, and who has them");
  modules->require_subcommand(1);
  std::map<std::string, CLI::App*> module_cmds;
  for (const auto& [verb, help] : std::vector<std::pair<std::string, std::string>>{
           {"list", "loaded and refused modules"},
           {"show", "one module and its rollout rule"},
           {"enable", "on for the whole tenant"},
           {"disable", "off for the whole tenant"},
           {"shadow", "shadow for the whole tenant (hooks run, nothing enforced)"},
           {"rollout", "staged rollout: teams, users, percentage, kill switch"},
           {"check", "is the module on for a user, and why"},
           {"dead-letters", "post-commit events that failed every retry"},
           {"replay", "run the dead letters again"},
           {"backfill", "hand the module every existing record again (its backfill)"},
           {"backfill-status", "the module's last backfill in your tenant"},
           {"history", "rollout changes (from the feed)"}}) {
    auto* sub = modules->add_subcommand(verb, help);
    if (verb != "list") sub->add_option("module", mo.module, "module name")->required();
    module_cmds[verb] = sub;
  }
  auto* rollout = module_cmds["rollout"];
  rollout->add_option("--percentage", mo.percentage, "percentage of users (0-100)");
  rollout->add_option("--team", mo.teams, "targeted team (repeatable)");
  rollout->add_option("--user", mo.users, "targeted user (repeatable)");
  rollout
      ->add_option("--mode", mo.mode,
                   "mode for the targeted (on or shadow; default: unchanged, else on)")
      ->check(CLI::IsMember({"on", "shadow"}));
  rollout->add_option("--default", mo.default_mode, "mode for everyone else")
      ->check(CLI::IsMember({"on", "shadow", "off"}));
  rollout->add_flag("--kill-switch,!--no-kill-switch", mo.kill_switch, "off for everyone at once");
  module_cmds["check"]->add_option("--user", mo.user, "user to check (default: you)");
  module_cmds["backfill"]
      ->add_option("--wait-seconds", mo.wait_seconds,
                   "wait up to this long for it to finish (0: return once queued)")
      ->check(CLI::Range(0, 86400));
  for (const auto& [verb, sub] : module_cmds) {
    OnParsed(sub, chosen, [args, verb = verb, sub = sub] { return ModulesMain(verb, *args, sub); });
  }
}

}  // namespace rapport::ctl
