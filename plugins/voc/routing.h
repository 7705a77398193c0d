// File: plugins/voc/routing.h
//
// Where a case goes: categorisation by the tenant's rules (text_match.h),
// the queue by ordered routing rules, and the assignee inside the queue by
// round robin or least open cases among its available members.
#ifndef RAPPORT_PLUGINS_VOC_ROUTING_H_
#define RAPPORT_PLUGINS_VOC_ROUTING_H_

#include <string>
#include <vector>

#include "case_store.h"
#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Call;
using rapport::sdk::Status;

// The first category rule matching the case's text and channel, or null.
const v1::CategoryRule* MatchCategoryRule(const v1::Settings& settings, const std::string& text,
                                          const std::string& channel);

// The queue of the first routing rule whose conditions all hold, else the
// default queue. `customer_tags` are the case's customer's tags.
std::string ChooseQueue(const v1::Settings& settings, const v1::Case& c,
                        const std::vector<std::string>& customer_tags);

// Picks a member of `queue` (its available members, by the queue's
// assignment) and, when `count`, counts the pick (round robin's turn); ""
// when the queue is unknown or has nobody available.
Status PickAssignee(const Call& call, const v1::Settings& settings, const std::string& queue,
                    std::string* assignee, bool count = true);

// The first SLA policy that applies to the case, or null.
const v1::SlaPolicy* MatchSlaPolicy(const v1::Settings& settings, const v1::Case& c);

// Sends the case to its queue (unmatched cases to "unmatched") and picks
// its assignee, appending KIND_ROUTED and KIND_ASSIGNED to its log. A
// shadow case only records whom it would assign (shadow_assignee).
Status Route(const Call& call, const v1::Settings& settings,
             const std::vector<std::string>& customer_tags, int64_t now, CaseRecord* record);

// Appends KIND_SLA_APPLIED when the policy that applies differs from the
// one the case has (a new case, a new priority or category).
void ApplySlaPolicy(const Call& call, const v1::Settings& settings, int64_t now,
                    CaseRecord* record);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_ROUTING_H_
