// File: plugins/voc/validation.cc
#include "validation.h"

#include <set>

#include "rapport/sdk/keys.h"
#include "rapport/sdk/text.h"
#include "text_match.h"

namespace rapport::voc {
namespace {

// Minutes in a year: the longest SLA target accepted.
constexpr int64_t kMaxTargetMinutes = 366 * 24 * 60;

Status CheckName(const std::string& field, const std::string& name) {
  if (name.empty()) return Status::Invalid(field + ": is required");
  if (std::string problem = rapport::sdk::KeySafeNameError(name); !problem.empty()) {
    return Status::Invalid(field + ": " + problem);
  }
  return {};
}

Status CheckUserExists(const Call& call, const std::string& field, const std::string& user) {
  if (user.empty() || !call.UserTeams(user)) {
    return Status::Invalid(field + ": '" + user + "' is not a user of this tenant");
  }
  return {};
}

Status CheckPriorities(const std::string& field,
                       const google::protobuf::RepeatedField<int>& priorities) {
  for (int i = 0; i < priorities.size(); ++i) {
    if (!v1::Priority_IsValid(priorities[i]) || priorities[i] == v1::PRIORITY_UNSPECIFIED) {
      return Status::Invalid(field + "[" + std::to_string(i) + "]: unknown priority");
    }
  }
  return {};
}

Status CheckTaxonomy(const v1::Settings& settings) {
  std::set<std::string> names;
  for (int i = 0; i < settings.taxonomy_size(); ++i) {
    const v1::Category& c = settings.taxonomy(i);
    const std::string field = "settings.taxonomy[" + std::to_string(i) + "]";
    if (Status s = CheckName(field + ".name", c.name()); !s.ok()) return s;
    if (!names.insert(c.name()).second) {
      return Status::Invalid(field + ".name: '" + c.name() + "' is listed twice");
    }
    std::set<std::string> subs;
    for (int j = 0; j < c.subcategories_size(); ++j) {
      const std::string sub = field + ".subcategories[" + std::to_string(j) + "]";
      if (Status s = CheckName(sub, c.subcategories(j)); !s.ok()) return s;
      if (!subs.insert(c.subcategories(j)).second) {
        return Status::Invalid(sub + ": '" + c.subcategories(j) + "' is listed twice");
      }
    }
  }
  return {};
}

Status CheckCategoryRule(const std::string& field, const v1::CategoryRule& rule,
                         const v1::Settings& settings) {
  if (rule.name().empty()) return Status::Invalid(field + ".name: is required");
  if (rule.keywords_any().empty() && rule.regex().empty()) {
    return Status::Invalid(field + ": needs keywords_any or a regex");
  }
  for (int i = 0; i < rule.keywords_any_size(); ++i) {
    std::string folded;
    if (!FoldText(rule.keywords_any(i), &folded) || folded.empty()) {
      return Status::Invalid(field + ".keywords_any[" + std::to_string(i) +
                             "]: must be non-empty UTF-8 text");
    }
  }
  std::string error;
  if (!rule.regex().empty() && !RegexCompiles(rule.regex(), &error)) {
    return Status::Invalid(field + ".regex: does not compile: " + error);
  }
  if (!CheckCategory(settings, "", rule.category(), rule.subcategory()).ok()) {
    return Status::Invalid(field + ".category: '" + rule.category() +
                           (rule.subcategory().empty() ? "" : " / " + rule.subcategory()) +
                           "' is not in the taxonomy");
  }
  if (!v1::Priority_IsValid(rule.priority())) {
    return Status::Invalid(field + ".priority: unknown value");
  }
  return {};
}

Status CheckQueues(const Call& call, const v1::Settings& settings) {
  std::set<std::string> names;
  for (int i = 0; i < settings.queues_size(); ++i) {
    const v1::Queue& q = settings.queues(i);
    const std::string field = "settings.queues[" + std::to_string(i) + "]";
    if (Status s = CheckName(field + ".name", q.name()); !s.ok()) return s;
    if (!names.insert(q.name()).second) {
      return Status::Invalid(field + ".name: '" + q.name() + "' is listed twice");
    }
    if (!q.assignment().empty() && q.assignment() != "round_robin" &&
        q.assignment() != "least_open") {
      return Status::Invalid(field + ".assignment: '" + q.assignment() +
                             "' is not round_robin or least_open");
    }
    for (int j = 0; j < q.members_size(); ++j) {
      if (Status s =
              CheckUserExists(call, field + ".members[" + std::to_string(j) + "]", q.members(j));
          !s.ok()) {
        return s;
      }
    }
    for (int j = 0; j < q.unavailable_size(); ++j) {
      bool member = false;
      for (const std::string& m : q.members()) member = member || m == q.unavailable(j);
      if (!member) {
        return Status::Invalid(field + ".unavailable[" + std::to_string(j) + "]: '" +
                               q.unavailable(j) + "' is not a member of the queue");
      }
    }
    if (!q.escalation_manager().empty()) {
      if (Status s = CheckUserExists(call, field + ".escalation_manager", q.escalation_manager());
          !s.ok()) {
        return s;
      }
    }
  }
  return {};
}

Status CheckRouting(const v1::Settings& settings) {
  for (int i = 0; i < settings.routing_rules_size(); ++i) {
    const v1::RoutingRule& r = settings.routing_rules(i);
    const std::string field = "settings.routing_rules[" + std::to_string(i) + "]";
    if (r.name().empty()) return Status::Invalid(field + ".name: is required");
    bool known = false;
    for (const v1::Queue& q : settings.queues()) known = known || q.name() == r.queue();
    if (!known) {
      return Status::Invalid(field + ".queue: '" + r.queue() + "' is not a queue of the settings");
    }
    for (int j = 0; j < r.categories_size(); ++j) {
      if (Status s = CheckCategory(settings, field + ".categories[" + std::to_string(j) + "]",
                                   r.categories(j), "");
          !s.ok()) {
        return s;
      }
    }
    for (int j = 0; j < r.channels_size(); ++j) {
      if (Status s = CheckChannel(field + ".channels[" + std::to_string(j) + "]", r.channels(j));
          !s.ok()) {
        return s;
      }
    }
    if (!v1::Priority_IsValid(r.min_priority())) {
      return Status::Invalid(field + ".min_priority: unknown value");
    }
  }
  return {};
}

Status CheckSlaPolicies(const v1::Settings& settings) {
  std::set<std::string> names;
  for (int i = 0; i < settings.sla_policies_size(); ++i) {
    const v1::SlaPolicy& p = settings.sla_policies(i);
    const std::string field = "settings.sla_policies[" + std::to_string(i) + "]";
    if (p.name().empty()) return Status::Invalid(field + ".name: is required");
    if (!names.insert(p.name()).second) {
      return Status::Invalid(field + ".name: '" + p.name() + "' is listed twice");
    }
    for (auto [target, name] : {std::pair{p.first_response_minutes(), "first_response_minutes"},
                                std::pair{p.resolution_minutes(), "resolution_minutes"}}) {
      if (target <= 0 || target > kMaxTargetMinutes) {
        return Status::Invalid(field + "." + name + ": " + std::to_string(target) +
                               " is not a target (1.." + std::to_string(kMaxTargetMinutes) +
                               " business minutes)");
      }
    }
    if (Status s = CheckPriorities(field + ".priorities", p.priorities()); !s.ok()) return s;
    if (p.warning_percent() < 0 || p.warning_percent() > 99) {
      return Status::Invalid(field + ".warning_percent: " + std::to_string(p.warning_percent()) +
                             " is outside 0..99");
    }
    for (const auto* actions : {&p.warning_actions(), &p.breach_actions()}) {
      for (int a : *actions) {
        if (!v1::SlaAction_IsValid(a) || a == v1::SLA_ACTION_UNSPECIFIED) {
          return Status::Invalid(
              field + (actions == &p.warning_actions() ? ".warning_actions" : ".breach_actions") +
              ": unknown action " + std::to_string(a));
        }
      }
    }
    for (int j = 0; j < p.categories_size(); ++j) {
      if (Status s = CheckCategory(settings, field + ".categories[" + std::to_string(j) + "]",
                                   p.categories(j), "");
          !s.ok()) {
        return s;
      }
    }
  }
  return {};
}

}  // namespace

Status CheckText(const std::string& field, const std::string& text) {
  if (text.size() > rapport::sdk::kMaxBodyBytes) {
    return Status::Invalid(field + ": " + std::to_string(text.size()) +
                           " bytes is over the limit of 65536");
  }
  std::string folded;
  if (!FoldText(text, &folded)) return Status::Invalid(field + ": is not valid UTF-8");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::Invalid(field + ": is required (it is empty or only spaces)");
  }
  return {};
}

Status CheckChannel(const std::string& field, const std::string& channel) {
  if (channel.empty() || channel.size() > 32) {
    return Status::Invalid(field + ": '" + channel + "' is not a channel ([a-z0-9_], 1..32)");
  }
  for (char c : channel) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return Status::Invalid(field + ": '" + channel + "' is not a channel ([a-z0-9_], 1..32)");
    }
  }
  return {};
}

Status CheckCategory(const v1::Settings& settings, const std::string& field,
                     const std::string& category, const std::string& subcategory) {
  for (const v1::Category& c : settings.taxonomy()) {
    if (c.name() != category) continue;
    if (subcategory.empty()) return {};
    for (const std::string& s : c.subcategories()) {
      if (s == subcategory) return {};
    }
    return Status::Invalid(field + ": '" + subcategory + "' is not a subcategory of '" + category +
                           "'");
  }
  return Status::Invalid(field + ": '" + category + "' is not in the taxonomy");
}

Status CheckSettings(const Call& call, const v1::Settings& settings) {
  if (Status s = CheckTaxonomy(settings); !s.ok()) return s;
  for (int i = 0; i < settings.category_rules_size(); ++i) {
    if (Status s = CheckCategoryRule("settings.category_rules[" + std::to_string(i) + "]",
                                     settings.category_rules(i), settings);
        !s.ok()) {
      return s;
    }
  }
  if (Status s = CheckQueues(call, settings); !s.ok()) return s;
  if (Status s = CheckRouting(settings); !s.ok()) return s;
  if (Status s = CheckName("settings.default_queue", settings.default_queue()); !s.ok()) return s;
  if (Status s = CheckSlaPolicies(settings); !s.ok()) return s;
  if (settings.classifier_threshold() < 0 || settings.classifier_threshold() > 1) {
    return Status::Invalid("settings.classifier_threshold: " +
                           std::to_string(settings.classifier_threshold()) + " is outside 0..1");
  }
  if (settings.classifier_min_examples() < 0) {
    return Status::Invalid("settings.classifier_min_examples: must not be negative");
  }
  if (settings.pause_audit_minutes() < 0 || settings.pause_audit_minutes() > 24 * 60) {
    return Status::Invalid("settings.pause_audit_minutes: " +
                           std::to_string(settings.pause_audit_minutes()) + " is outside 0..1440");
  }
  for (int i = 0; i < settings.shadow_teams_size(); ++i) {
    if (Status s =
            CheckName("settings.shadow_teams[" + std::to_string(i) + "]", settings.shadow_teams(i));
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < settings.auto_capture_kinds_size(); ++i) {
    const std::string& kind = settings.auto_capture_kinds(i);
    if (kind != "call" && kind != "email" && kind != "visit" && kind != "meeting" &&
        kind != "note") {
      return Status::Invalid("settings.auto_capture_kinds[" + std::to_string(i) + "]: '" + kind +
                             "' is not call, email, visit, meeting or note");
    }
  }
  for (const auto& [user, channel] : settings.user_channels()) {
    if (Status s = CheckChannel("settings.user_channels[" + user + "]", channel); !s.ok()) return s;
  }
  return {};
}

}  // namespace rapport::voc
