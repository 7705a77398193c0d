// Fake-host unit tests of team selling (team_selling.cc).
#include "sfa_test_util.h"

namespace sfatest {
namespace {

TEST_F(EnforcementTest, TeamSplitsMustSumTo100AndUsersMustExist) {
  Opportunity opp = Qualified();
  sv1::SetOpportunityTeamRequest r;
  r.set_opportunity_id(opp.id());
  auto add = [&](const std::string& user, sv1::TeamRole role, int split) {
    auto* m = r.add_members();
    m->set_user_id(user);
    m->set_role(role);
    m->set_split_percent(split);
  };
  add("minsu", sv1::TEAM_ROLE_OWNER, 60);
  add("jiwoo", sv1::TEAM_ROLE_SALES_ENGINEER, 30);
  sv1::OpportunityTeam team;
  Status s = Rpc("SetOpportunityTeam", r, &team);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message,
            "members: split_percent sums to 90; splits must sum to exactly 100 (or all be 0 for no "
            "splits)");
  add("ghost", sv1::TEAM_ROLE_OTHER, 10);
  EXPECT_EQ(Rpc("SetOpportunityTeam", r, &team).message,
            "members[2].user_id: unknown user 'ghost'");
  r.mutable_members(2)->set_user_id("alice");
  r.mutable_members(1)->set_split_percent(130);
  EXPECT_EQ(Rpc("SetOpportunityTeam", r, &team).message,
            "members[1].split_percent: must be 0..100, got 130");
  r.mutable_members(1)->set_split_percent(30);
  ASSERT_TRUE(Rpc("SetOpportunityTeam", r, &team).ok());
  EXPECT_EQ(last_mask_, "collaborators");
  ASSERT_EQ(opps_[opp.id()].collaborators_size(), 2);
  EXPECT_EQ(opps_[opp.id()].collaborators(0), "jiwoo");
  EXPECT_EQ(opps_[opp.id()].collaborators(1), "alice");
  sv1::GetOpportunityTeamRequest g;
  g.set_opportunity_id(opp.id());
  ASSERT_TRUE(Rpc("GetOpportunityTeam", g, &team).ok());
  EXPECT_EQ(team.members_size(), 3);
  // All zero = no splits.
  for (auto& m : *r.mutable_members()) m.set_split_percent(0);
  EXPECT_TRUE(Rpc("SetOpportunityTeam", r, &team).ok());
}

}  // namespace
}  // namespace sfatest
