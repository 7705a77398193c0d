// File: plugins/sfa/team_selling.cc
//
// Team selling: an opportunity's team (members, roles, revenue splits). The
// team is stored in the keyspace (team/<opp>); its members other than the
// owner become the opportunity's collaborators through the core's write
// path, which is what gives them access to the deal.
#include <set>
#include <string>
#include <vector>

#include "handler_util.h"
#include "handlers.h"
#include "keyspace.h"
#include "util.h"

namespace rapport::sfa {

using rapport::v1::Opportunity;

Status SetOpportunityTeam(Call& call, const v1::SetOpportunityTeamRequest& request, int64_t now,
                          v1::OpportunityTeam* out) {
  auto opp = ReadOpportunity(call, request.opportunity_id());
  if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
  // Team members work the deal; forming the team is for its owner and the
  // people above them.
  if (call.user() != opp->owner() && !call.HasRole("admin") && !call.HasRole("manager") &&
      !call.HasRole("integration")) {
    return Status::PermissionDenied("only the opportunity's owner ('" + opp->owner() +
                                    "'), a manager or an admin may set its team");
  }
  if (request.members_size() > 50) return Status::Invalid("members: at most 50");
  std::set<std::string> seen;
  int sum = 0, owners = 0;
  std::vector<std::string> collaborators;
  for (int i = 0; i < request.members_size(); ++i) {
    const v1::TeamMember& m = request.members(i);
    const std::string at = "members[" + std::to_string(i) + "]";
    if (Status s = CheckUser(call, at + ".user_id", m.user_id()); !s.ok()) return s;
    if (!seen.insert(m.user_id()).second) {
      return Status::Invalid(at + ".user_id: '" + m.user_id() + "' is listed twice");
    }
    if (m.role() == v1::TEAM_ROLE_UNSPECIFIED || !v1::TeamRole_IsValid(m.role())) {
      return Status::Invalid(at + ".role: is required");
    }
    if (m.role() == v1::TEAM_ROLE_OWNER) {
      if (++owners > 1) return Status::Invalid(at + ".role: only one member can be the owner");
      if (m.user_id() != opp->owner()) {
        return Status::Invalid(at + ".role: '" + m.user_id() +
                               "' is not the opportunity's owner ('" + opp->owner() + "')");
      }
    }
    if (m.split_percent() < 0 || m.split_percent() > 100) {
      return Status::Invalid(at + ".split_percent: must be 0..100, got " +
                             std::to_string(m.split_percent()));
    }
    sum += m.split_percent();
    if (m.user_id() != opp->owner()) collaborators.push_back(m.user_id());
  }
  if (sum != 0 && sum != 100) {
    return Status::Invalid("members: split_percent sums to " + std::to_string(sum) +
                           "; splits must sum to exactly 100 (or all be 0 for no splits)");
  }
  Opportunity patch;
  patch.set_id(opp->id());
  for (const auto& c : collaborators) patch.add_collaborators(c);
  Opportunity stored;
  if (Status s =
          call.UpdateRecord<Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, patch, "collaborators",
                                         request.expected_revision(), &stored);
      !s.ok()) {
    return s;
  }
  v1::OpportunityTeam team;
  team.set_opportunity_id(opp->id());
  *team.mutable_members() = request.members();
  *team.mutable_update_time() = TimestampFromMicros(now);
  team.set_updated_by(call.user());
  if (Status s = Save(call, keys::Team(opp->id()), team); !s.ok()) return s;
  *out = std::move(team);
  return {};
}

Status GetOpportunityTeam(Call& call, const v1::GetOpportunityTeamRequest& request,
                          v1::OpportunityTeam* out) {
  return GetOfOpportunity(call, request.opportunity_id(), keys::Team, out);
}

}  // namespace rapport::sfa
