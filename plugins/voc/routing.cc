// File: plugins/voc/routing.cc
#include "routing.h"

#include <algorithm>

#include "case_store.h"
#include "keyspace.h"
#include "text_match.h"

namespace rapport::voc {
namespace {

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

const v1::CategoryRule* MatchCategoryRule(const v1::Settings& settings, const std::string& text,
                                          const std::string& channel) {
  std::string folded;
  if (!FoldText(text, &folded)) return nullptr;
  for (const v1::CategoryRule& rule : settings.category_rules()) {
    if (RuleMatches(rule, folded, channel)) return &rule;
  }
  return nullptr;
}

std::string ChooseQueue(const v1::Settings& settings, const v1::Case& c,
                        const std::vector<std::string>& customer_tags) {
  for (const v1::RoutingRule& rule : settings.routing_rules()) {
    if (!rule.categories().empty() && !Contains(rule.categories(), c.category())) continue;
    if (!rule.channels().empty() && !Contains(rule.channels(), c.channel())) continue;
    if (!rule.customer_tags().empty()) {
      bool any = false;
      for (const std::string& tag : customer_tags) any = any || Contains(rule.customer_tags(), tag);
      if (!any) continue;
    }
    if (rule.min_priority() != v1::PRIORITY_UNSPECIFIED && c.priority() < rule.min_priority()) {
      continue;
    }
    return rule.queue();
  }
  return settings.default_queue();
}

Status PickAssignee(const Call& call, const v1::Settings& settings, const std::string& queue,
                    std::string* assignee, bool count) {
  assignee->clear();
  const v1::Queue* q = FindQueue(settings, queue);
  if (q == nullptr) return {};
  std::vector<std::string> available;
  for (const std::string& m : q->members()) {
    if (!Contains(q->unavailable(), m)) available.push_back(m);
  }
  if (available.empty()) return {};
  if (q->assignment() == "least_open") {
    int64_t best = 0;
    for (const std::string& m : available) {
      int64_t open = 0;
      if (Status s = ReadCounter(call, keys::OpenCount(m), &open); !s.ok()) return s;
      if (assignee->empty() || open < best) {
        *assignee = m;
        best = open;
      }
    }
    return {};
  }
  // Round robin: the queue's sequence hands out turns. It is taken outside
  // the capture's transaction, so concurrent captures never conflict on it
  // (a capture that fails after taking a turn skips that member once). A
  // shadow case only looks at whose turn is next.
  int64_t turn = 0;
  if (count) {
    if (Status s = call.NextSequence(keys::RoundRobin(queue), &turn); !s.ok()) return s;
    --turn;
  } else if (Status s = ReadCounter(call, keys::RoundRobin(queue), &turn); !s.ok()) {
    return s;
  }
  *assignee = available[static_cast<size_t>(turn) % available.size()];
  return {};
}

const v1::SlaPolicy* MatchSlaPolicy(const v1::Settings& settings, const v1::Case& c) {
  for (const v1::SlaPolicy& p : settings.sla_policies()) {
    if (!p.priorities().empty() && std::find(p.priorities().begin(), p.priorities().end(),
                                             c.priority()) == p.priorities().end()) {
      continue;
    }
    if (!p.categories().empty() && !Contains(p.categories(), c.category())) continue;
    return &p;
  }
  return nullptr;
}

Status Route(const Call& call, const v1::Settings& settings,
             const std::vector<std::string>& customer_tags, int64_t now, CaseRecord* record) {
  v1::Case& c = record->current;
  const std::string queue = c.customer_id().empty() ? std::string(kUnmatchedQueue)
                                                    : ChooseQueue(settings, c, customer_tags);
  std::string assignee;
  if (Status s = PickAssignee(call, settings, queue, &assignee, !c.shadow()); !s.ok()) return s;
  if (queue != c.queue()) {
    c.set_queue(queue);
    AddEvent(call, record, v1::CaseEvent::KIND_ROUTED, now)->set_queue(queue);
  }
  if (c.shadow()) {
    c.set_shadow_assignee(assignee);
    return {};
  }
  if (assignee != c.assignee()) {
    c.set_assignee(assignee);
    AddEvent(call, record, v1::CaseEvent::KIND_ASSIGNED, now)->set_assignee(assignee);
  }
  return {};
}

void ApplySlaPolicy(const Call& call, const v1::Settings& settings, int64_t now,
                    CaseRecord* record) {
  v1::Case& c = record->current;
  const v1::SlaPolicy* policy = MatchSlaPolicy(settings, c);
  const std::string name = policy ? policy->name() : "";
  if (record->before && name == c.sla_policy()) return;
  if (!record->before && policy == nullptr) return;
  c.set_sla_policy(name);
  v1::CaseEvent* e = AddEvent(call, record, v1::CaseEvent::KIND_SLA_APPLIED, now);
  e->set_sla_policy(name);
  if (policy) {
    e->set_first_response_minutes(policy->first_response_minutes());
    e->set_resolution_minutes(policy->resolution_minutes());
  }
}

}  // namespace rapport::voc
