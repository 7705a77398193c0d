// The SFA module end to end: plugins/sfa's sfa.so loaded by the real server,
// driven through the gRPC API only (core services + rapport.sfa.v1).
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "rapport/sfa/v1/sfa.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tests/plugins/sfa_server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
namespace sfa = rapport::sfa::v1;
using sfa_testing::Krw;
using sfa_testing::SfaServerTest;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST_F(SfaServerTest, TheWholeProcessFromPipelineToWonDeal) {
  EnableForTenant();
  DeclareAttributes();
  DefinePipeline();
  v1::Customer hanbit = NewCustomer("주식회사 한빛");

  // Created with the fewest fields: the first stage and its probability are filled in.
  v1::Opportunity deal;
  deal.set_customer_id(hanbit.id());
  deal.set_name("한빛 ERP 연동");
  deal.set_pipeline("new-business");
  v1::Opportunity opp;
  ASSERT_TRUE(CreateOpportunity(deal, &opp).ok());
  EXPECT_EQ(opp.stage(), "lead");
  EXPECT_EQ(opp.probability(), 10);

  // An unknown stage lists the valid ones.
  grpc::Status s = MoveTo(opp.id(), "closing", &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("'lead', 'qualify', 'proposal', 'negotiation', 'won', 'lost'"));

  ASSERT_TRUE(MoveTo(opp.id(), "qualify", &opp).ok());
  EXPECT_EQ(opp.probability(), 20);
  // Leaving qualify needs exactly amount and expected_close_date.
  s = MoveTo(opp.id(), "proposal", &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("amount"));
  EXPECT_THAT(s.error_message(), HasSubstr("expected_close_date"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("decision_maker")));

  v1::Opportunity patch;
  patch.set_id(opp.id());
  *patch.mutable_amount() = Krw(50'000'000);
  patch.mutable_expected_close_date()->set_year(2026);
  patch.mutable_expected_close_date()->set_month(12);
  patch.mutable_expected_close_date()->set_day(15);
  patch.set_stage("proposal");
  ASSERT_TRUE(Update(patch, {"amount", "expected_close_date", "stage"}, &opp).ok());
  EXPECT_EQ(opp.probability(), 50);
  // A set probability wins over the stage's default.
  v1::Opportunity dm;
  dm.set_id(opp.id());
  (*dm.mutable_attributes())["decision_maker"].set_string_value("김민수 이사");
  dm.set_stage("negotiation");
  dm.set_probability(70);
  ASSERT_TRUE(Update(dm, {"attributes", "stage", "probability"}, &opp).ok());
  EXPECT_EQ(opp.probability(), 70);
  // Backward moves: negotiation -> proposal is allowed, -> lead is not.
  s = MoveTo(opp.id(), "lead", &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("lead"));

  // Won needs a close reason, then the status follows the stage.
  s = MoveTo(opp.id(), "won", &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("close_reason"));
  v1::Opportunity win;
  win.set_id(opp.id());
  win.set_stage("won");
  win.set_close_reason("ERP 연동 요구 충족");
  ASSERT_TRUE(Update(win, {"stage", "close_reason"}, &opp).ok());
  EXPECT_EQ(opp.status(), v1::OPPORTUNITY_STATUS_WON);
  EXPECT_EQ(opp.probability(), 100);

  // A deal entered straight into a closed stage takes its status from it.
  v1::Opportunity closed;
  closed.set_customer_id(hanbit.id());
  closed.set_name("이미 계약된 건");
  closed.set_stage("won");
  closed.set_close_reason("계약 완료");
  // ...once what every earlier stage asks for is known.
  *closed.mutable_amount() = Krw(7'000'000);
  closed.mutable_expected_close_date()->set_year(2026);
  closed.mutable_expected_close_date()->set_month(11);
  closed.mutable_expected_close_date()->set_day(1);
  (*closed.mutable_attributes())["decision_maker"].set_string_value("대표이사");
  v1::Opportunity entered;
  s = CreateOpportunity(closed, &entered);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(entered.status(), v1::OPPORTUNITY_STATUS_WON);
  closed.set_stage("lead");
  closed.set_status(v1::OPPORTUNITY_STATUS_LOST);  // a status the stage contradicts
  s = CreateOpportunity(closed, &entered);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("status: follows the stage"));

  // Stage history, written with each update.
  sfa::GetStageHistoryRequest hr;
  hr.set_opportunity_id(opp.id());
  sfa::GetStageHistoryResponse history;
  ASSERT_TRUE(sales_->GetStageHistory(Call().get(), hr, &history).ok());
  std::vector<std::string> path;
  for (const auto& c : history.changes()) path.push_back(c.from_stage() + ">" + c.to_stage());
  EXPECT_THAT(path, ::testing::ElementsAre(">lead", "lead>qualify", "qualify>proposal",
                                           "proposal>negotiation", "negotiation>won"));

  // The funnel and the forecast follow from the feed.
  ASSERT_TRUE(Eventually([&] {
    const sfa::GetFunnelResponse f = Funnel();
    const sfa::FunnelStage* won = StageOf(f, "won");
    return won && won->count() == 2;
  }));
  const sfa::GetFunnelResponse funnel = Funnel();
  const sfa::FunnelStage* won = StageOf(funnel, "won");
  ASSERT_NE(won, nullptr);
  int64_t krw = -1;
  for (const auto& t : won->totals())
    if (t.currency_code() == "KRW") krw = t.amount_units();
  EXPECT_EQ(krw, 57'000'000);
  sfa::GetForecastRequest fr;
  fr.set_period("2026-Q4");
  fr.set_grouping(sfa::FORECAST_GROUPING_OWNER);
  sfa::GetForecastResponse forecast;
  ASSERT_TRUE(sales_->GetForecast(Call().get(), fr, &forecast).ok());
  ASSERT_EQ(forecast.rows_size(), 1);
  EXPECT_EQ(forecast.rows(0).closed_won_units(), 57'000'000);
  EXPECT_EQ(forecast.rows(0).won_count(), 2);
  EXPECT_EQ(forecast.rows(0).currency_code(), "KRW");
  fr.set_period("2027-Q1");
  fr.set_end_period("2026-Q4");  // reversed
  EXPECT_EQ(sales_->GetForecast(Call().get(), fr, &forecast).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SfaServerTest, TasksNextStepsAndCompletionByLoggingAnInteraction) {
  EnableForTenant();
  DeclareAttributes();
  DefinePipeline();
  v1::Customer c = NewCustomer("Acme Korea");
  v1::Opportunity deal, opp;
  deal.set_customer_id(c.id());
  deal.set_name("Renewal");
  ASSERT_TRUE(CreateOpportunity(deal, &opp).ok());
  EXPECT_EQ(opp.pipeline(), "new-business");  // the tenant's only pipeline

  auto due_in = [](absl::Duration d) {
    google::protobuf::Timestamp t;
    t.set_seconds(absl::ToUnixSeconds(absl::Now() + d));
    return t;
  };
  sfa::CreateTaskRequest tr;
  tr.mutable_task()->set_opportunity_id(opp.id());
  tr.mutable_task()->set_title("Send the quote");
  tr.mutable_task()->set_assignee("admin");
  *tr.mutable_task()->mutable_due_time() = due_in(absl::Hours(30));
  sfa::Task task;
  grpc::Status s = sales_->CreateTask(Call().get(), tr, &task);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(task.status(), sfa::TASK_STATUS_OPEN);

  // Bad input: unknown assignee, no due time, nothing linked.
  sfa::CreateTaskRequest bad = tr;
  bad.mutable_task()->set_assignee("ghost");
  s = sales_->CreateTask(Call().get(), bad, &task);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("assignee"));
  bad = tr;
  bad.mutable_task()->clear_due_time();
  EXPECT_EQ(sales_->CreateTask(Call().get(), bad, &task).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad = tr;
  bad.mutable_task()->clear_opportunity_id();
  EXPECT_EQ(sales_->CreateTask(Call().get(), bad, &task).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  sfa::GetNextStepRequest nr;
  nr.set_opportunity_id(opp.id());
  sfa::GetNextStepResponse next;
  ASSERT_TRUE(sales_->GetNextStep(Call().get(), nr, &next).ok());
  EXPECT_EQ(next.task().title(), "Send the quote");
  const std::string task_id = next.task().id();

  // Logging the call completes the task named in sfa_completes_task.
  v1::CreateInteractionRequest ir;
  ir.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
  ir.mutable_interaction()->set_customer_id(c.id());
  ir.mutable_interaction()->set_opportunity_id(opp.id());
  ir.mutable_interaction()->set_subject("견적서 발송 완료");
  (*ir.mutable_interaction()->mutable_attributes())["sfa_completes_task"].set_string_value(task_id);
  v1::Interaction logged;
  s = interactions_->CreateInteraction(Call().get(), ir, &logged);
  ASSERT_TRUE(s.ok()) << s.error_message();
  sfa::GetTaskRequest gt;
  gt.set_id(task_id);
  ASSERT_TRUE(Eventually([&] {
    sfa::Task t;
    return sales_->GetTask(Call().get(), gt, &t).ok() && t.status() == sfa::TASK_STATUS_DONE;
  }));
  sfa::Task done;
  ASSERT_TRUE(sales_->GetTask(Call().get(), gt, &done).ok());
  EXPECT_EQ(done.completed_by_interaction(), logged.id());

  // Access follows the linked records: a rep outside the deal's owner's teams
  // does not see its tasks, one it is assigned to does.
  CreateTeam("busan");
  const std::string outsider = CreateUser("rep_busan", {v1::ROLE_REP}, {"busan"});
  sfa::Task hidden;
  EXPECT_EQ(sales_->GetTask(Call(outsider).get(), gt, &hidden).error_code(),
            grpc::StatusCode::NOT_FOUND);
  sfa::ListTasksRequest lt;
  lt.set_opportunity_id(opp.id());
  lt.set_include_closed(true);
  sfa::ListTasksResponse listed;
  grpc::Status ls = sales_->ListTasks(Call(outsider).get(), lt, &listed);
  EXPECT_TRUE(!ls.ok() || listed.tasks_size() == 0)
      << "an outsider listed " << listed.tasks_size() << " tasks";
  tr.mutable_task()->set_assignee("rep_busan");
  tr.mutable_task()->set_title("Visit the Busan plant");
  sfa::Task assigned;
  ASSERT_TRUE(sales_->CreateTask(Call().get(), tr, &assigned).ok());
  gt.set_id(assigned.id());
  EXPECT_TRUE(sales_->GetTask(Call(outsider).get(), gt, &hidden).ok());
  EXPECT_EQ(hidden.title(), "Visit the Busan plant");
}

TEST_F(SfaServerTest, TeamSellingSplitsAndAccessThroughTheIdentityRules) {
  EnableForTenant();
  DefinePipeline();
  CreateTeam("seoul");
  CreateTeam("busan");
  const std::string owner = CreateUser("rep_seoul", {v1::ROLE_REP}, {"seoul"});
  const std::string engineer = CreateUser("se_busan", {v1::ROLE_REP}, {"busan"});
  v1::Customer c = NewCustomer("Hanbit", owner);
  v1::Opportunity deal, opp;
  deal.set_customer_id(c.id());
  deal.set_name("Team deal");
  ASSERT_TRUE(CreateOpportunity(deal, &opp, owner).ok());
  v1::GetOpportunityRequest get;
  get.set_id(opp.id());
  v1::Opportunity seen;
  EXPECT_EQ(opportunities_->GetOpportunity(Call(engineer).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);

  sfa::SetOpportunityTeamRequest team;
  team.set_opportunity_id(opp.id());
  auto member = [&](const std::string& user, sfa::TeamRole role, int split) {
    auto* m = team.add_members();
    m->set_user_id(user);
    m->set_role(role);
    m->set_split_percent(split);
  };
  member("rep_seoul", sfa::TEAM_ROLE_OWNER, 60);
  member("se_busan", sfa::TEAM_ROLE_SALES_ENGINEER, 30);
  sfa::OpportunityTeam out;
  grpc::Status s = sales_->SetOpportunityTeam(Call(owner).get(), team, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("100"));
  team.mutable_members(1)->set_split_percent(40);
  s = sales_->SetOpportunityTeam(Call(owner).get(), team, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The sales engineer now reads and works the deal through the core API...
  ASSERT_TRUE(opportunities_->GetOpportunity(Call(engineer).get(), get, &seen).ok());
  EXPECT_THAT(seen.collaborators(), UnorderedElementsAre("se_busan"));  // the owner needs no grant
  EXPECT_TRUE(MoveTo(opp.id(), "qualify", &seen, engineer).ok());
  // ...but cannot re-form the team or take the whole split.
  team.mutable_members(0)->set_split_percent(0);
  team.mutable_members(1)->set_split_percent(100);
  s = sales_->SetOpportunityTeam(Call(engineer).get(), team, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("only the opportunity's owner"));
  sfa::GetOpportunityTeamRequest gt;
  gt.set_opportunity_id(opp.id());
  ASSERT_TRUE(sales_->GetOpportunityTeam(Call(engineer).get(), gt, &out).ok());
  ASSERT_EQ(out.members_size(), 2);
  EXPECT_EQ(out.members(1).split_percent(), 40);
  // Bad input: an unknown member.
  team.mutable_members(1)->set_user_id("ghost");
  s = sales_->SetOpportunityTeam(Call(owner).get(), team, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("members[1].user_id"));
}

TEST_F(SfaServerTest, EnforcementFollowsTheRolloutRuleAndShadowModeOnlyRecords) {
  CreateTeam("seoul");
  CreateTeam("busan");
  const std::string seoul = CreateUser("rep_seoul", {v1::ROLE_REP}, {"seoul"});
  const std::string busan = CreateUser("rep_busan", {v1::ROLE_REP}, {"busan"});
  v1::RolloutRule rule;
  rule.add_team_ids("seoul");
  rule.add_user_ids("admin");
  rule.set_mode(v1::MODULE_MODE_ON);
  rule.set_default_mode(v1::MODULE_MODE_OFF);
  ASSERT_TRUE(Rollout(rule).ok());
  // Pipelines are defined by someone the module is on for.
  sfa::SetPipelineRequest pr;
  pr.mutable_pipeline()->set_name("new-business");
  for (const char* n : {"lead", "won"}) {
    auto* st = pr.mutable_pipeline()->add_stages();
    st->set_name(n);
    st->set_probability(std::string(n) == "won" ? 100 : 10);
    st->set_forecast_category(std::string(n) == "won" ? sfa::FORECAST_CATEGORY_CLOSED_WON
                                                      : sfa::FORECAST_CATEGORY_PIPELINE);
  }
  sfa::Pipeline pipeline;
  grpc::Status s =
      sales_->SetPipeline(Call(seoul).get(), pr, &pipeline);  // a rep: not theirs to define
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("admin"));
  s = sales_->SetPipeline(Call(busan).get(), pr, &pipeline);  // module off for them
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("module 'sfa' is off for tenant 'default'"));
  ASSERT_TRUE(sales_->SetPipeline(Call().get(), pr, &pipeline).ok());

  auto attempt = [&](const std::string& token) {
    v1::Customer c = NewCustomer("Customer", token);
    v1::Opportunity deal, out;
    deal.set_customer_id(c.id());
    deal.set_name("Off-process deal");
    deal.set_pipeline("new-business");
    deal.set_stage("closing");
    return CreateOpportunity(deal, &out, token);
  };
  EXPECT_EQ(attempt(seoul).error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // on: enforced
  EXPECT_TRUE(attempt(busan).ok());                                            // off: untouched

  rule.set_default_mode(v1::MODULE_MODE_SHADOW);
  ASSERT_TRUE(Rollout(rule).ok());
  EXPECT_TRUE(attempt(busan).ok());  // shadow: accepted, and recorded
  v1::ListShadowRecordsRequest lr;
  lr.set_module("sfa");
  v1::ListShadowRecordsResponse shadow;
  ASSERT_TRUE(modules_->ListShadowRecords(Call().get(), lr, &shadow).ok());
  std::vector<std::string> outcomes;
  for (const auto& r : shadow.records()) outcomes.push_back(r.outcome());
  EXPECT_THAT(outcomes, ::testing::Contains(
                            ::testing::AllOf(HasSubstr("would reject"), HasSubstr("closing"))));
  // Not an exact count: post-commit hooks are gated when the event is
  // dispatched, so the earlier busan create (made while the module was off)
  // may also be recorded as shadow if it is dispatched after the change.
  for (const auto& o : outcomes) {
    EXPECT_THAT(
        o, ::testing::AnyOf(HasSubstr("would reject"), HasSubstr("would run its post-commit hook"),
                            HasSubstr("would change")));
  }
}

TEST_F(SfaServerTest, ForecastSnapshotsAndAccuracyOnceThePeriodCloses) {
  EnableForTenant();
  DeclareAttributes();
  DefinePipeline();
  v1::Customer c = NewCustomer("Snapshot Co");
  v1::Opportunity deal, opp;
  deal.set_customer_id(c.id());
  deal.set_name("Q4 deal");
  *deal.mutable_amount() = Krw(10'000'000);
  deal.mutable_expected_close_date()->set_year(2026);
  deal.mutable_expected_close_date()->set_month(11);
  deal.mutable_expected_close_date()->set_day(30);
  (*deal.mutable_attributes())["decision_maker"].set_string_value("CFO");
  deal.set_stage("negotiation");
  ASSERT_TRUE(CreateOpportunity(deal, &opp).ok());
  sfa::GetForecastRequest fr;
  fr.set_period("2026-11");
  fr.set_grouping(sfa::FORECAST_GROUPING_OWNER);
  ASSERT_TRUE(Eventually([&] {
    sfa::GetForecastResponse f;
    return sales_->GetForecast(Call().get(), fr, &f).ok() && f.rows_size() == 1 &&
           f.rows(0).commit_units() == 10'000'000;
  }));
  sfa::CreateForecastSnapshotRequest sr;
  sr.set_period("2026-11");
  sr.set_grouping(sfa::FORECAST_GROUPING_OWNER);
  sfa::ForecastSnapshot snapshot;
  ASSERT_TRUE(sales_->CreateForecastSnapshot(Call().get(), sr, &snapshot).ok());
  ASSERT_EQ(snapshot.rows_size(), 1);
  EXPECT_EQ(snapshot.rows(0).commit_units(), 10'000'000);

  v1::Opportunity win;
  win.set_id(opp.id());
  win.set_stage("won");
  win.set_close_reason("signed");
  *win.mutable_amount() = Krw(8'000'000);
  ASSERT_TRUE(Update(win, {"stage", "close_reason", "amount"}, &opp).ok());
  sfa::GetForecastAccuracyRequest ar;
  ar.set_snapshot_id(snapshot.id());
  sfa::GetForecastAccuracyResponse accuracy;
  ASSERT_TRUE(Eventually([&] {
    return sales_->GetForecastAccuracy(Call().get(), ar, &accuracy).ok() &&
           accuracy.rows_size() == 1 && accuracy.rows(0).actual_closed_won_units() == 8'000'000;
  }));
  EXPECT_EQ(accuracy.rows(0).forecast_commit_units(), 10'000'000);
  EXPECT_EQ(accuracy.rows(0).commit_accuracy_basis_points(), 8000);
  sfa::ListForecastSnapshotsRequest ls;
  ls.set_period("2026-11");
  sfa::ListForecastSnapshotsResponse listed;
  ASSERT_TRUE(sales_->ListForecastSnapshots(Call().get(), ls, &listed).ok());
  EXPECT_EQ(listed.snapshots_size(), 1);
  ar.set_snapshot_id("no-such-snapshot");
  EXPECT_EQ(sales_->GetForecastAccuracy(Call().get(), ar, &accuracy).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A rep sees their own row only, and takes no snapshots.
  CreateTeam("seoul");
  const std::string rep = CreateUser("rep_seoul", {v1::ROLE_REP}, {"seoul"});
  v1::Customer mine = NewCustomer("Rep's customer", rep);
  deal.set_customer_id(mine.id());
  deal.set_name("Rep's deal");
  deal.clear_owner();
  ASSERT_TRUE(CreateOpportunity(deal, &opp, rep).ok());
  ASSERT_TRUE(Eventually([&] {
    sfa::GetForecastResponse f;
    return sales_->GetForecast(Call().get(), fr, &f).ok() &&
           f.rows_size() == 2;  // the admin sees both
  }));
  sfa::GetForecastResponse own;
  ASSERT_TRUE(sales_->GetForecast(Call(rep).get(), fr, &own).ok());
  ASSERT_EQ(own.rows_size(), 1);
  EXPECT_EQ(own.rows(0).group(), "rep_seoul");
  EXPECT_EQ(sales_->CreateForecastSnapshot(Call(rep).get(), sr, &snapshot).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  fr.set_grouping(sfa::FORECAST_GROUPING_TEAM);  // a team's row sums deals the rep cannot see
  EXPECT_EQ(sales_->GetForecast(Call(rep).get(), fr, &own).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ar.set_snapshot_id(snapshot.id());
  EXPECT_EQ(sales_->GetForecastAccuracy(Call(rep).get(), ar, &accuracy).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Issue 12.2: the funnel a rep gets counts only what the rep may read,
// as GetStageTotal does (the real host's Call::Scope, ABI 1.2).
TEST_F(SfaServerTest, TheFunnelAnswersWithinTheCallersScope) {
  EnableForTenant();
  DeclareAttributes();
  DefinePipeline();
  CreateTeam("a");
  CreateTeam("b");
  const std::string rep_a = CreateUser("rep_a", {v1::ROLE_REP}, {"a"});
  const std::string rep_b = CreateUser("rep_b", {v1::ROLE_REP}, {"b"});
  const std::string boss_a = CreateUser("boss_a", {v1::ROLE_MANAGER}, {"a"});
  auto deal = [&](const std::string& token, int64_t units) {
    v1::Customer c = NewCustomer("Customer", token);
    v1::Opportunity o, out;
    o.set_customer_id(c.id());
    o.set_name("deal");
    o.set_pipeline("new-business");
    o.set_stage("negotiation");
    *o.mutable_amount() = Krw(units);
    o.mutable_expected_close_date()->set_year(2027);
    o.mutable_expected_close_date()->set_month(3);
    o.mutable_expected_close_date()->set_day(1);
    (*o.mutable_attributes())["decision_maker"].set_string_value("CFO");
    grpc::Status s = CreateOpportunity(o, &out, token);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  deal(rep_a, 1'000);
  deal(rep_b, 777'000'000);
  sfa::GetFunnelResponse funnel;
  ASSERT_TRUE(Eventually([&] {
    funnel = Funnel();
    const sfa::FunnelStage* n = StageOf(funnel, "negotiation");
    return n && n->count() == 2;
  }));
  const sfa::FunnelStage* all = StageOf(funnel, "negotiation");
  ASSERT_EQ(all->totals_size(), 1);
  EXPECT_EQ(all->totals(0).amount_units(), 777'001'000);
  for (const std::string& token : {rep_a, boss_a}) {
    sfa::GetFunnelRequest r;
    r.set_pipeline("new-business");
    sfa::GetFunnelResponse mine;
    ASSERT_TRUE(sales_->GetFunnel(Call(token).get(), r, &mine).ok());
    const sfa::FunnelStage* n = StageOf(mine, "negotiation");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->count(), 1);
    ASSERT_EQ(n->totals_size(), 1);
    EXPECT_EQ(n->totals(0).amount_units(), 1'000);
    // The same answer as the core's stage total for that caller.
    v1::GetStageTotalRequest t;
    t.set_pipeline("new-business");
    t.set_stage("negotiation");
    t.set_currency_code("KRW");
    v1::StageTotal total;
    ASSERT_TRUE(opportunities_->GetStageTotal(Call(token).get(), t, &total).ok());
    EXPECT_EQ(total.opportunity_count(), n->count());
    EXPECT_EQ(total.amount().units(), n->totals(0).amount_units());
  }
  // A manager's forecast holds their subtree's owners only.
  sfa::GetForecastRequest fr;
  fr.set_period("2027-03");
  sfa::GetForecastResponse forecast;
  ASSERT_TRUE(sales_->GetForecast(Call(boss_a).get(), fr, &forecast).ok());
  ASSERT_EQ(forecast.rows_size(), 1);
  EXPECT_EQ(forecast.rows(0).group(), "rep_a");
}

TEST_F(SfaServerTest, LineItemsFromThePriceBookSetTheOpportunityAmount) {
  EnableForTenant();
  DefinePipeline();
  CreateTeam("seoul");
  const std::string rep = CreateUser("rep_seoul", {v1::ROLE_REP}, {"seoul"});
  sfa::SetPriceBookEntryRequest entry;
  entry.mutable_entry()->set_product_code("ERP-LINK");
  entry.mutable_entry()->set_name("ERP 연동 모듈 (연간)");
  *entry.mutable_entry()->mutable_unit_price() = Krw(12'000'000);
  entry.mutable_entry()->set_active(true);
  sfa::PriceBookEntry stored;
  grpc::Status s =
      sales_->SetPriceBookEntry(Call(rep).get(), entry, &stored);  // reps don't set prices
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(sales_->SetPriceBookEntry(Call().get(), entry, &stored).ok());

  v1::Customer c = NewCustomer("Hanbit", rep);
  v1::Opportunity deal, opp;
  deal.set_customer_id(c.id());
  deal.set_name("ERP link, 3 years");
  *deal.mutable_amount() = Krw(1);
  ASSERT_TRUE(CreateOpportunity(deal, &opp, rep).ok());

  sfa::SetLineItemsRequest lines;
  lines.set_opportunity_id(opp.id());
  auto* item = lines.add_items();
  item->set_product_code("ERP-LINK");
  item->set_quantity(3);
  *item->mutable_discount() = Krw(6'000'000);
  sfa::LineItems out;
  s = sales_->SetLineItems(Call(rep).get(), lines, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.total().units(), 30'000'000);  // 3 x 12,000,000 - 6,000,000
  v1::GetOpportunityRequest get;
  get.set_id(opp.id());
  v1::Opportunity current;
  ASSERT_TRUE(opportunities_->GetOpportunity(Call(rep).get(), get, &current).ok());
  EXPECT_EQ(current.amount().units(), 30'000'000);  // the amount follows the lines
  EXPECT_EQ(current.amount().currency_code(), "KRW");

  // Bad lines change nothing: a negative quantity, another currency.
  item->set_quantity(-1);
  s = sales_->SetLineItems(Call(rep).get(), lines, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("items[0].quantity"));
  item->set_quantity(1);
  item->mutable_unit_price()->set_currency_code("USD");
  item->mutable_unit_price()->set_units(100);
  item->clear_discount();
  s = sales_->SetLineItems(Call(rep).get(), lines, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("items[0].unit_price.currency_code"));
  ASSERT_TRUE(opportunities_->GetOpportunity(Call(rep).get(), get, &current).ok());
  EXPECT_EQ(current.amount().units(), 30'000'000);
  // Someone who cannot see the deal cannot price it.
  CreateTeam("busan");
  const std::string outsider = CreateUser("rep_busan", {v1::ROLE_REP}, {"busan"});
  EXPECT_EQ(sales_->SetLineItems(Call(outsider).get(), lines, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// SDK 1.2 keyspace transactions: SFA's read-modify-writes raced from 8
// threads. Before them, two calls that read the same version both wrote
// (last writer wins).
TEST_F(SfaServerTest, RacingPipelineAndTaskUpdatesFromEightThreadsLoseNothing) {
  EnableForTenant();
  DeclareAttributes();
  const sfa::Pipeline first = DefinePipeline();
  ASSERT_EQ(first.version(), 1);
  constexpr int kThreads = 8;

  // Eight replacements of version 1: exactly one may win.
  std::atomic<int> won{0}, aborted{0};
  std::vector<std::string> other_errors;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      sfa::SetPipelineRequest request;
      *request.mutable_pipeline() = first;
      request.mutable_pipeline()->set_display_name("version by thread " + std::to_string(t));
      request.set_expected_version(1);
      sfa::Pipeline out;
      grpc::Status s = sales_->SetPipeline(Call().get(), request, &out);
      if (s.ok()) {
        ++won;
      } else if (s.error_code() == grpc::StatusCode::ABORTED) {
        ++aborted;
      } else {
        std::lock_guard<std::mutex> lock(mu);
        other_errors.push_back(s.error_message());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(other_errors, ::testing::IsEmpty());
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), kThreads - 1);
  sfa::GetPipelineRequest get;
  get.set_name(first.name());
  sfa::Pipeline now;
  ASSERT_TRUE(sales_->GetPipeline(Call().get(), get, &now).ok());
  EXPECT_EQ(now.version(), 2);

  // Eight threads updating one task without expected_revision: every
  // update that succeeds is applied on top of the one before, so the
  // revision counts them all.
  v1::Customer c = NewCustomer("Race Co");
  sfa::CreateTaskRequest tr;
  tr.mutable_task()->set_customer_id(c.id());
  tr.mutable_task()->set_title("Call back");
  tr.mutable_task()->set_assignee("admin");
  tr.mutable_task()->mutable_due_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 86400);
  sfa::Task task;
  grpc::Status s = sales_->CreateTask(Call().get(), tr, &task);
  ASSERT_TRUE(s.ok()) << s.error_message();
  constexpr int kEach = 10;
  std::atomic<int> updated{0};
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        sfa::UpdateTaskRequest request;
        request.mutable_task()->set_id(task.id());
        request.mutable_task()->set_title("title " + std::to_string(t) + "/" + std::to_string(i));
        request.mutable_update_mask()->add_paths("title");
        sfa::Task out;
        grpc::Status s = sales_->UpdateTask(Call().get(), request, &out);
        if (s.ok()) {
          ++updated;
        } else {
          // Only the bounded retry may give up, and it says so.
          EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_GT(updated.load(), 0);
  sfa::GetTaskRequest gt;
  gt.set_id(task.id());
  sfa::Task final_task;
  ASSERT_TRUE(sales_->GetTask(Call().get(), gt, &final_task).ok());
  EXPECT_EQ(final_task.revision(), task.revision() + updated.load());
  std::cout << "task updates applied: " << updated.load() << " of " << kThreads * kEach << "\n";
}

}  // namespace
}  // namespace rapport
