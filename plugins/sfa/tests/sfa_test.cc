// Fake-host unit tests of the SFA plugin: pipeline validation, enforcement
// on opportunity writes, stage history, tasks, teams, forecasts and line
// items with a fake ERP.
#include <memory>

#include "price_source.h"
#include "sfa_test_util.h"

namespace sfatest {
namespace {

// EXPECT_HAS(text, part): `text` contains `part`.
#define EXPECT_HAS(text, part)                                                   \
  do {                                                                           \
    const std::string expect_has_text = (text);                                  \
    EXPECT_NE(expect_has_text.find(part), std::string::npos) << expect_has_text; \
  } while (0)

class PipelineTest : public SfaFixture {};

TEST_F(PipelineTest, ValidPipelineIsStoredAtVersionOne) {
  sv1::Pipeline out;
  ASSERT_TRUE(Rpc("SetPipeline", SalesPipeline(), &out).ok());
  EXPECT_EQ(out.version(), 1);
  EXPECT_EQ(out.updated_by(), "minsu");
  sv1::ListPipelinesResponse list;
  ASSERT_TRUE(Rpc("ListPipelines", sv1::ListPipelinesRequest(), &list).ok());
  ASSERT_EQ(list.pipelines_size(), 1);
  EXPECT_EQ(list.pipelines(0).stages_size(), 5);
}

TEST_F(PipelineTest, EmptyPipelineIsRefused) {
  sv1::SetPipelineRequest r;
  r.mutable_pipeline()->set_name("empty");
  Status s = DefinePipeline(r);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "pipeline.stages: a pipeline needs at least one stage");
  r.mutable_pipeline()->set_name("");
  *r.mutable_pipeline()->add_stages() = MakeStage("a", 1, sv1::FORECAST_CATEGORY_PIPELINE);
  EXPECT_HAS(DefinePipeline(r).message, "pipeline.name");
}

TEST_F(PipelineTest, DuplicateStageNamesAreRefused) {
  auto r = SalesPipeline();
  r.mutable_pipeline()->mutable_stages(2)->set_name("qualify");
  Status s = DefinePipeline(r);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "pipeline.stages[2].name: duplicate stage name 'qualify' (also stages[0])");
}

TEST_F(PipelineTest, ProbabilitiesOutside0To100AreRefused) {
  for (int p : {-1, 101, 120}) {
    auto r = SalesPipeline();
    r.mutable_pipeline()->mutable_stages(2)->set_probability(p);
    Status s = DefinePipeline(r);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(s.message,
              "pipeline.stages[2].probability: must be 0..100, got " + std::to_string(p));
  }
}

TEST_F(PipelineTest, ExitCriteriaNamingUnknownFieldsAreRefused) {
  for (const char* field : {"budget", "attributes.", "amount.units", "stage"}) {
    auto r = SalesPipeline();
    r.mutable_pipeline()->mutable_stages(1)->add_exit_criteria(field);
    Status s = DefinePipeline(r);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << field;
    EXPECT_HAS(s.message,
               "pipeline.stages[1].exit_criteria[2]: unknown field '" + std::string(field) + "'");
  }
}

TEST_F(PipelineTest, MissingCategoryAndBadBackwardStagesAreRefused) {
  auto r = SalesPipeline();
  r.mutable_pipeline()->mutable_stages(3)->set_forecast_category(
      sv1::FORECAST_CATEGORY_UNSPECIFIED);
  EXPECT_EQ(DefinePipeline(r).message, "pipeline.stages[3].forecast_category: is required");
  r = SalesPipeline();
  r.mutable_pipeline()->mutable_stages(1)->add_backward_stages("negotiation");
  EXPECT_EQ(
      DefinePipeline(r).message,
      "pipeline.stages[1].backward_stages[1]: 'negotiation' is not a stage before 'proposal'");
}

TEST_F(PipelineTest, VersionsAreCheckedOptimistically) {
  ASSERT_TRUE(DefinePipeline(SalesPipeline()).ok());
  EXPECT_EQ(DefinePipeline(SalesPipeline()).code, RAPPORT_ALREADY_EXISTS);
  auto r = SalesPipeline();
  r.set_expected_version(7);
  EXPECT_EQ(DefinePipeline(r).code, RAPPORT_ABORTED);
  r.set_expected_version(1);
  sv1::Pipeline out;
  ASSERT_TRUE(Rpc("SetPipeline", r, &out).ok());
  EXPECT_EQ(out.version(), 2);
  sv1::GetPipelineRequest get;
  get.set_name("sales");
  get.set_version(1);
  ASSERT_TRUE(Rpc("GetPipeline", get, &out).ok());
  EXPECT_EQ(out.version(), 1);
}

TEST_F(PipelineTest, RemovedStageNeedsANamedSuccessor) {
  ASSERT_TRUE(DefinePipeline(SalesPipeline()).ok());
  Opportunity opp;
  opp.set_name("deal");
  opp.mutable_amount()->set_currency_code("KRW");
  opp.mutable_amount()->set_units(1000);
  opp.mutable_expected_close_date()->set_year(2026);
  opp.mutable_expected_close_date()->set_month(12);
  (*opp.mutable_attributes())["decision_maker"].set_string_value("CEO");
  opp.set_stage("negotiation");
  ASSERT_TRUE(Create(&opp).ok());

  auto r = SalesPipeline();
  r.set_expected_version(1);
  r.mutable_pipeline()->mutable_stages()->DeleteSubrange(2, 1);  // drop negotiation
  Status s = DefinePipeline(r);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message,
            "removed_stage_successors: stage 'negotiation' is removed; name the stage its "
            "opportunities move to");
  auto* m = r.add_removed_stage_successors();
  m->set_removed_stage("negotiation");
  m->set_successor_stage("nope");
  EXPECT_HAS(DefinePipeline(r).message, "removed_stage_successors[0].successor_stage");
  m->set_successor_stage("proposal");
  sv1::Pipeline out;
  ASSERT_TRUE(Rpc("SetPipeline", r, &out).ok());
  EXPECT_EQ(out.successors().at("negotiation"), "proposal");

  // The funnel folds the removed stage into its successor...
  sv1::GetFunnelRequest fr;
  fr.set_pipeline("sales");
  sv1::GetFunnelResponse funnel;
  ASSERT_TRUE(Rpc("GetFunnel", fr, &funnel).ok());
  EXPECT_EQ(funnel.stages(1).name(), "proposal");
  EXPECT_EQ(funnel.stages(1).count(), 1);
  // ... and so does the forecast (negotiation was commit, proposal is best case).
  sv1::GetForecastRequest fq;
  fq.set_period("2026-12");
  sv1::GetForecastResponse forecast;
  ASSERT_TRUE(Rpc("GetForecast", fq, &forecast).ok());
  ASSERT_EQ(forecast.rows_size(), 1);
  EXPECT_EQ(forecast.rows(0).commit_units(), 0);
  EXPECT_EQ(forecast.rows(0).best_case_units(), 1000);
  // The opportunity's next update moves it there, with a history entry.
  Opportunity stored;
  ASSERT_TRUE(Update(
                  opp.id(), [](Opportunity* o) { o->set_name("renamed"); }, &stored)
                  .ok());
  EXPECT_EQ(stored.stage(), "proposal");
  EXPECT_EQ(stored.probability(), 40);
  sv1::GetStageHistoryRequest hr;
  hr.set_opportunity_id(opp.id());
  sv1::GetStageHistoryResponse h;
  ASSERT_TRUE(Rpc("GetStageHistory", hr, &h).ok());
  ASSERT_EQ(h.changes_size(), 2);
  EXPECT_EQ(h.changes(1).from_stage(), "negotiation");
  EXPECT_EQ(h.changes(1).to_stage(), "proposal");
  ASSERT_TRUE(Rpc("GetFunnel", fr, &funnel).ok());
  EXPECT_EQ(funnel.stages(1).count(), 1);
  EXPECT_EQ(funnel.stages(1).completed_stays(), 1);  // the stay in negotiation, folded
}

class EnforcementTest : public SfaFixture {
 protected:
  void SetUp() override {
    SfaFixture::SetUp();
    ASSERT_TRUE(DefinePipeline(SalesPipeline()).ok());
  }
  Opportunity Qualified() {
    Opportunity opp;
    opp.set_name("ERP 도입");
    opp.mutable_amount()->set_currency_code("KRW");
    opp.mutable_amount()->set_units(50000000);
    EXPECT_TRUE(Create(&opp).ok());
    return opp;
  }
};

TEST_F(EnforcementTest, TheOnlyPipelineAndItsFirstStageAreDefaults) {
  Opportunity opp = Qualified();
  EXPECT_EQ(opp.pipeline(), "sales");
  EXPECT_EQ(opp.stage(), "qualify");
  EXPECT_EQ(opp.probability(), 10);
  EXPECT_EQ(opp.status(), rapport::v1::OPPORTUNITY_STATUS_OPEN);
}

TEST_F(EnforcementTest, WithSeveralPipelinesAnEmptyPipelineIsLeftAlone) {
  sv1::SetPipelineRequest other;
  other.mutable_pipeline()->set_name("renewals");
  *other.mutable_pipeline()->add_stages() = MakeStage("due", 50, sv1::FORECAST_CATEGORY_COMMIT);
  ASSERT_TRUE(DefinePipeline(other).ok());
  Opportunity opp;
  opp.set_name("unmanaged");
  opp.set_stage("whatever");
  ASSERT_TRUE(Create(&opp).ok());
  EXPECT_EQ(opp.pipeline(), "");
  EXPECT_EQ(opp.stage(), "whatever");
}

TEST_F(EnforcementTest, LegacyUnmanagedOpportunitiesCanStillBeEdited) {
  // Written before the module was on: no pipeline, a stage SFA does not know.
  Opportunity opp;
  opp.set_id("legacy1");
  opp.set_name("legacy");
  opp.set_customer_id("cust1");
  opp.set_stage("old-stage");
  opp.set_revision(1);
  opps_[opp.id()] = opp;
  // The tenant's only pipeline would be the default, but an edit that leaves
  // the legacy stage alone is not refused.
  Opportunity stored;
  ASSERT_TRUE(Update(
                  opp.id(), [](Opportunity* o) { o->set_name("edited"); }, &stored)
                  .ok());
  EXPECT_EQ(stored.pipeline(), "");
  // A new stage brings it into the process (pipeline defaulted).
  Status s = Update(opp.id(), [](Opportunity* o) { o->set_stage("nope"); });
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  ASSERT_TRUE(Update(
                  opp.id(), [](Opportunity* o) { o->set_stage("qualify"); }, &stored)
                  .ok());
  EXPECT_EQ(stored.pipeline(), "sales");
  EXPECT_EQ(stored.probability(), 10);
}

TEST_F(EnforcementTest, UnknownStageListsTheValidOnes) {
  Opportunity opp;
  opp.set_name("x");
  opp.set_stage("closing");
  Status s = Create(&opp);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message,
            "stage: unknown stage 'closing' (stages of 'sales': 'qualify', 'proposal', "
            "'negotiation', 'won', 'lost')");
  opp.set_pipeline("nope");
  EXPECT_EQ(Create(&opp).message, "pipeline: unknown pipeline 'nope' (pipelines: 'sales')");
}

TEST_F(EnforcementTest, AStageOfAnotherPipelineIsInvalid) {
  sv1::SetPipelineRequest other;
  other.mutable_pipeline()->set_name("renewals");
  *other.mutable_pipeline()->add_stages() = MakeStage("due", 50, sv1::FORECAST_CATEGORY_COMMIT);
  ASSERT_TRUE(DefinePipeline(other).ok());
  Opportunity opp;
  opp.set_name("x");
  opp.set_pipeline("sales");
  ASSERT_TRUE(Create(&opp).ok());
  Status s = Update(opp.id(), [](Opportunity* o) { o->set_stage("due"); });
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_HAS(s.message, "stage: 'due' is a stage of pipeline 'renewals', not of 'sales'");
  s = Update(opp.id(), [](Opportunity* o) {
    o->set_pipeline("renewals");
    o->set_stage("due");
  });
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "pipeline: an opportunity cannot move from pipeline 'sales' to 'renewals'");
}

TEST_F(EnforcementTest, UnmetExitCriteriaListExactlyTheMissingFields) {
  Opportunity opp;
  opp.set_name("x");
  ASSERT_TRUE(Create(&opp).ok());
  // qualify needs amount; proposal needs expected_close_date and the decision maker.
  Status s = Update(opp.id(), [](Opportunity* o) { o->set_stage("negotiation"); });
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message,
            "stage: moving from 'qualify' to 'negotiation' needs the exit criteria of 'qualify', "
            "'proposal'; missing: amount, expected_close_date, attributes.decision_maker");
  s = Update(opp.id(), [](Opportunity* o) {
    o->set_stage("negotiation");
    o->mutable_amount()->set_currency_code("KRW");
    o->mutable_expected_close_date()->set_year(2026);
    o->mutable_expected_close_date()->set_month(12);
  });
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_HAS(s.message, "missing: attributes.decision_maker");
  Opportunity stored;
  ASSERT_TRUE(Update(
                  opp.id(),
                  [](Opportunity* o) {
                    o->set_stage("proposal");
                    o->mutable_amount()->set_currency_code("KRW");
                  },
                  &stored)
                  .ok());
  EXPECT_EQ(stored.stage(), "proposal");
  // Moving to lost needs no exit criteria, only a close reason.
  s = Update(opp.id(), [](Opportunity* o) { o->set_stage("lost"); });
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message, "close_reason: is required to close the opportunity in stage 'lost'");
}

TEST_F(EnforcementTest, BackwardMovesNeedPermission) {
  Opportunity opp;
  opp.set_name("x");
  opp.mutable_amount()->set_currency_code("KRW");
  opp.mutable_expected_close_date()->set_year(2026);
  opp.mutable_expected_close_date()->set_month(12);
  (*opp.mutable_attributes())["decision_maker"].set_string_value("CFO");
  opp.set_stage("negotiation");
  ASSERT_TRUE(Create(&opp).ok());
  Status s = Update(opp.id(), [](Opportunity* o) { o->set_stage("qualify"); });
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message,
            "stage: moving back from 'negotiation' to 'qualify' is not allowed in pipeline 'sales' "
            "(allowed: 'proposal')");
  EXPECT_TRUE(Update(opp.id(), [](Opportunity* o) { o->set_stage("proposal"); }).ok());
  EXPECT_TRUE(Update(opp.id(), [](Opportunity* o) { o->set_stage("qualify"); }).ok());
}

TEST_F(EnforcementTest, ProbabilityDefaultsFromTheStageUnlessSetInTheChange) {
  Opportunity opp = Qualified();
  Opportunity stored;
  ASSERT_TRUE(Update(
                  opp.id(),
                  [](Opportunity* o) {
                    o->set_stage("proposal");
                    o->mutable_expected_close_date()->set_year(2026);
                    o->mutable_expected_close_date()->set_month(12);
                    (*o->mutable_attributes())["decision_maker"].set_string_value("CFO");
                  },
                  &stored)
                  .ok());
  EXPECT_EQ(stored.probability(), 40);
  ASSERT_TRUE(Update(
                  opp.id(),
                  [](Opportunity* o) {
                    o->set_stage("negotiation");
                    o->set_probability(55);
                  },
                  &stored)
                  .ok());
  EXPECT_EQ(stored.probability(), 55);
  ASSERT_TRUE(Update(
                  opp.id(), [](Opportunity* o) { o->set_name("same stage"); }, &stored)
                  .ok());
  EXPECT_EQ(stored.probability(), 55);
}

TEST_F(EnforcementTest, ClosingNeedsAReasonAndSetsTheStatus) {
  Opportunity opp = Qualified();
  Status s =
      Update(opp.id(), [](Opportunity* o) { o->set_status(rapport::v1::OPPORTUNITY_STATUS_WON); });
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_HAS(s.message, "status: follows the stage");
  Opportunity stored;
  ASSERT_TRUE(Update(
                  opp.id(),
                  [](Opportunity* o) {
                    o->set_stage("lost");
                    o->set_close_reason("budget cut");
                  },
                  &stored)
                  .ok());
  EXPECT_EQ(stored.status(), rapport::v1::OPPORTUNITY_STATUS_LOST);
  EXPECT_EQ(stored.probability(), 0);
}

TEST_F(EnforcementTest, StageHistoryIsWrittenWithTheUpdate) {
  Opportunity opp = Qualified();
  Advance(3 * kDay);
  host_.SetCaller("acme", "jiwoo");
  ASSERT_TRUE(Update(opp.id(), [](Opportunity* o) {
                o->set_stage("lost");
                o->set_close_reason("no budget");
              }).ok());
  EXPECT_TRUE(host_.keyspace().count("hist/" + opp.id() + "/000000000002"));
  sv1::GetStageHistoryRequest r;
  r.set_opportunity_id(opp.id());
  sv1::GetStageHistoryResponse h;
  ASSERT_TRUE(Rpc("GetStageHistory", r, &h).ok());
  ASSERT_EQ(h.changes_size(), 2);
  EXPECT_EQ(h.changes(0).from_stage(), "");
  EXPECT_EQ(h.changes(0).to_stage(), "qualify");
  EXPECT_EQ(h.changes(1).from_stage(), "qualify");
  EXPECT_EQ(h.changes(1).to_stage(), "lost");
  EXPECT_EQ(h.changes(1).changed_by(), "jiwoo");
  EXPECT_EQ(h.changes(1).time_in_previous_stage().seconds(), 3 * 86400);
  EXPECT_EQ(h.changes(1).revision(), 2);
}

TEST_F(EnforcementTest, ARejectedChangeWritesNoHistory) {
  Opportunity opp = Qualified();
  const size_t keys = host_.keyspace().size();
  EXPECT_FALSE(Update(opp.id(), [](Opportunity* o) { o->set_stage("won"); }).ok());
  EXPECT_EQ(host_.keyspace().size(), keys);
}

// ------------------------------------------------------------------ tasks

class TaskTest : public EnforcementTest {
 protected:
  sv1::CreateTaskRequest TaskFor(const std::string& opp_id, int64_t due) {
    sv1::CreateTaskRequest r;
    r.mutable_task()->set_opportunity_id(opp_id);
    r.mutable_task()->set_title("견적서 보내기");
    *r.mutable_task()->mutable_due_time() = Ts(due);
    return r;
  }
};

TEST_F(TaskTest, BadTimesAreRefused) {
  Opportunity opp = Qualified();
  sv1::Task t;
  auto r = TaskFor(opp.id(), now_ - 1000000);
  Status s = Rpc("CreateTask", r, &t);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_HAS(s.message, "task.due_time: 2026-11-01T23:59:59Z is before the task's creation");
  r.mutable_task()->clear_due_time();
  EXPECT_EQ(Rpc("CreateTask", r, &t).message, "task.due_time: is required");
  r.mutable_task()->mutable_due_time()->set_seconds(-5);
  EXPECT_EQ(Rpc("CreateTask", r, &t).message, "task.due_time: is before 1970");
  r = TaskFor(opp.id(), now_ + 4000 * kDay);
  EXPECT_HAS(Rpc("CreateTask", r, &t).message, "more than 10 years ahead");
}

TEST_F(TaskTest, UnknownAssigneesAndMissingLinksAreRefused) {
  Opportunity opp = Qualified();
  sv1::Task t;
  auto r = TaskFor(opp.id(), now_ + kDay);
  r.mutable_task()->set_assignee("ghost");
  EXPECT_EQ(Rpc("CreateTask", r, &t).message, "task.assignee: unknown user 'ghost'");
  r.mutable_task()->clear_assignee();
  r.mutable_task()->clear_opportunity_id();
  EXPECT_EQ(Rpc("CreateTask", r, &t).message,
            "task: link it to a customer_id or an opportunity_id (or both)");
  r.mutable_task()->set_opportunity_id("missing");
  EXPECT_EQ(Rpc("CreateTask", r, &t).code, RAPPORT_NOT_FOUND);
}

TEST_F(TaskTest, AgendaNextStepAndCompletionByInteraction) {
  Opportunity opp = Qualified();
  // now_ is 2026-11-02T00:00Z = 09:00 in Seoul.
  sv1::Task today, tomorrow, later;
  ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + 3600LL * 1000000), &today).ok());
  ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + kDay), &tomorrow).ok());
  ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + 20 * kDay), &later).ok());
  EXPECT_EQ(today.customer_id(), "cust1");
  EXPECT_EQ(today.assignee(), "minsu");

  sv1::GetNextStepRequest nr;
  nr.set_opportunity_id(opp.id());
  sv1::GetNextStepResponse next;
  ASSERT_TRUE(Rpc("GetNextStep", nr, &next).ok());
  EXPECT_EQ(next.task().id(), today.id());

  Advance(2 * 3600LL * 1000000);  // 11:00 in Seoul: "today" is now overdue
  sv1::GetAgendaRequest ar;
  sv1::GetAgendaResponse agenda;
  ASSERT_TRUE(Rpc("GetAgenda", ar, &agenda).ok());
  ASSERT_EQ(agenda.overdue_size(), 1);
  EXPECT_EQ(agenda.overdue(0).id(), today.id());
  EXPECT_EQ(agenda.today_size(), 0);
  ASSERT_EQ(agenda.next_seven_days_size(), 1);
  EXPECT_EQ(agenda.next_seven_days(0).id(), tomorrow.id());
  // In UTC the tomorrow task (00:00Z on the 3rd) is outside today too.
  ar.set_utc_offset_minutes(0);
  ASSERT_TRUE(Rpc("GetAgenda", ar, &agenda).ok());
  ar.set_utc_offset_minutes(900);
  EXPECT_EQ(Rpc("GetAgenda", ar, &agenda).code, RAPPORT_INVALID_ARGUMENT);

  // Logging a call completes the task.
  rapport::v1::Interaction call;
  call.set_id("int1");
  call.set_customer_id("cust1");
  call.set_opportunity_id(opp.id());
  (*call.mutable_attributes())["sfa_completes_task"].set_string_value(today.id());
  rapport::v1::ChangeEvent event;
  *event.mutable_commit_time() = Ts(now_);
  event.set_resource_id("int1");
  event.set_operation(rapport::v1::CHANGE_OPERATION_CREATE);
  event.mutable_after()->set_value(call.SerializeAsString());
  ASSERT_TRUE(
      host_.PostCommit(RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, event.SerializeAsString())
          .ok());
  sv1::GetTaskRequest gr;
  gr.set_id(today.id());
  sv1::Task done;
  ASSERT_TRUE(Rpc("GetTask", gr, &done).ok());
  EXPECT_EQ(done.status(), sv1::TASK_STATUS_DONE);
  EXPECT_EQ(done.completed_by_interaction(), "int1");
  ASSERT_TRUE(Rpc("GetNextStep", nr, &next).ok());
  EXPECT_EQ(next.task().id(), tomorrow.id());
}

TEST_F(TaskTest, UpdateChecksRevisionMaskAndTimes) {
  Opportunity opp = Qualified();
  sv1::Task t;
  ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + kDay), &t).ok());
  sv1::UpdateTaskRequest u;
  u.mutable_task()->set_id(t.id());
  u.mutable_task()->set_status(sv1::TASK_STATUS_CANCELLED);
  u.mutable_update_mask()->add_paths("status");
  u.set_expected_revision(5);
  sv1::Task out;
  EXPECT_EQ(Rpc("UpdateTask", u, &out).code, RAPPORT_ABORTED);
  u.set_expected_revision(1);
  u.mutable_update_mask()->add_paths("creator");
  EXPECT_HAS(Rpc("UpdateTask", u, &out).message, "update_mask: 'creator'");
  u.mutable_update_mask()->mutable_paths()->RemoveLast();
  u.mutable_update_mask()->add_paths("assignee");
  u.mutable_task()->set_assignee("nobody");
  EXPECT_EQ(Rpc("UpdateTask", u, &out).message, "task.assignee: unknown user 'nobody'");
  u.mutable_task()->set_assignee("jiwoo");
  ASSERT_TRUE(Rpc("UpdateTask", u, &out).ok());
  EXPECT_EQ(out.status(), sv1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(out.revision(), 2);
  // The cancelled task leaves the open-task indexes.
  for (const auto& [key, value] : host_.keyspace()) {
    EXPECT_FALSE(key.rfind("topn/", 0) == 0 || key.rfind("tonx/", 0) == 0) << key;
  }
}

TEST_F(TaskTest, TasksAreHiddenFromUsersWhoCannotSeeTheirRecords) {
  Opportunity opp = Qualified();
  auto r = TaskFor(opp.id(), now_ + kDay);
  r.mutable_task()->set_assignee("alice");
  sv1::Task t;
  ASSERT_TRUE(Rpc("CreateTask", r, &t).ok());
  // The fake host applies no access rules; a record it cannot parse reads as
  // not visible, like a record outside the caller's teams.
  host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, opp.id(), "\xff\xff");
  host_.PutRecord(RAPPORT_RESOURCE_CUSTOMER, "cust1", "\xff\xff");
  sv1::GetTaskRequest gr;
  gr.set_id(t.id());
  sv1::Task out;
  host_.SetCaller("acme", "jiwoo");
  EXPECT_EQ(Rpc("GetTask", gr, &out).code, RAPPORT_NOT_FOUND);
  host_.SetCaller("acme", "alice");  // the assignee
  EXPECT_TRUE(Rpc("GetTask", gr, &out).ok());
  host_.SetCaller("acme", "minsu");  // the creator
  EXPECT_TRUE(Rpc("GetTask", gr, &out).ok());
}

// ------------------------------------------------------------------ teams

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

// ------------------------------------------------------------------ forecast

TEST_F(EnforcementTest, ForecastPeriodsMustBeBoundedAndOrdered) {
  sv1::GetForecastRequest r;
  sv1::GetForecastResponse out;
  Status s = Rpc("GetForecast", r, &out);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "period: is required (a forecast needs a bounded period)");
  r.set_period("2026-Q4");
  r.set_end_period("2026-03");
  EXPECT_EQ(Rpc("GetForecast", r, &out).message,
            "end_period: '2026-03' is before period '2026-Q4'");
  r.set_end_period("2030-01");
  EXPECT_HAS(Rpc("GetForecast", r, &out).message, "longer than 36 months");
  r.set_end_period("");
  for (const char* bad : {"2026", "2026-13", "2026-Q5", "26-11", "2026/11", "Q4-2026"}) {
    r.set_period(bad);
    EXPECT_EQ(Rpc("GetForecast", r, &out).code, RAPPORT_INVALID_ARGUMENT) << bad;
  }
  r.set_period("2026-11");
  r.set_currency_code("won");
  EXPECT_EQ(Rpc("GetForecast", r, &out).message, "currency_code: 'won' is not an ISO 4217 code");
}

TEST_F(EnforcementTest, ForecastSnapshotAndAccuracy) {
  Opportunity opp;
  opp.set_name("big");
  opp.mutable_amount()->set_currency_code("KRW");
  opp.mutable_amount()->set_units(1000000);
  opp.mutable_expected_close_date()->set_year(2026);
  opp.mutable_expected_close_date()->set_month(11);
  (*opp.mutable_attributes())["decision_maker"].set_string_value("CEO");
  opp.set_stage("negotiation");
  ASSERT_TRUE(Create(&opp).ok());
  Opportunity usd = opp;
  usd.clear_id();
  usd.mutable_amount()->set_currency_code("USD");
  usd.mutable_amount()->set_units(5000);
  usd.set_owner("jiwoo");
  ASSERT_TRUE(Create(&usd).ok());

  sv1::GetForecastRequest fr;
  fr.set_period("2026-Q4");
  sv1::GetForecastResponse f;
  ASSERT_TRUE(Rpc("GetForecast", fr, &f).ok());
  ASSERT_EQ(f.rows_size(), 2);  // never summed across currencies
  EXPECT_EQ(f.rows(0).group(), "jiwoo");
  EXPECT_EQ(f.rows(0).currency_code(), "USD");
  EXPECT_EQ(f.rows(1).commit_units(), 1000000);
  EXPECT_EQ(f.rows(1).weighted_units(), 700000);
  fr.set_grouping(sv1::FORECAST_GROUPING_TEAM);
  ASSERT_TRUE(Rpc("GetForecast", fr, &f).ok());
  ASSERT_EQ(f.rows_size(), 4);  // sales and seoul, KRW and USD
  EXPECT_EQ(f.rows(0).group(), "sales");

  sv1::CreateForecastSnapshotRequest sr;
  sr.set_period("2026-Q4");
  sv1::ForecastSnapshot snap;
  ASSERT_TRUE(Rpc("CreateForecastSnapshot", sr, &snap).ok());
  ASSERT_TRUE(Update(opp.id(), [](Opportunity* o) {
                o->set_stage("won");
                o->set_close_reason("signed");
                o->mutable_amount()->set_units(800000);
              }).ok());
  sv1::GetForecastAccuracyRequest ar;
  ar.set_snapshot_id(snap.id());
  sv1::GetForecastAccuracyResponse acc;
  ASSERT_TRUE(Rpc("GetForecastAccuracy", ar, &acc).ok());
  ASSERT_EQ(acc.rows_size(), 2);
  EXPECT_EQ(acc.rows(0).group(), "jiwoo");
  EXPECT_EQ(acc.rows(1).forecast_commit_units(), 1000000);
  EXPECT_EQ(acc.rows(1).actual_closed_won_units(), 800000);
  EXPECT_EQ(acc.rows(1).commit_accuracy_basis_points(), 8000);
  EXPECT_FALSE(acc.period_closed());
  sv1::ListForecastSnapshotsRequest lr;
  lr.set_period("2026-Q4");
  sv1::ListForecastSnapshotsResponse list;
  ASSERT_TRUE(Rpc("ListForecastSnapshots", lr, &list).ok());
  EXPECT_EQ(list.snapshots_size(), 1);
}

TEST_F(EnforcementTest, StalledDealsAreOpenDealsWithoutActivity) {
  Opportunity a = Qualified();
  Advance(10 * kDay);
  Opportunity b = Qualified();
  Advance(5 * kDay);
  sv1::ListStalledDealsRequest r;
  r.set_pipeline("sales");
  r.set_days(7);
  sv1::ListStalledDealsResponse out;
  ASSERT_TRUE(Rpc("ListStalledDeals", r, &out).ok());
  ASSERT_EQ(out.deals_size(), 1);
  EXPECT_EQ(out.deals(0).opportunity_id(), a.id());
  // An interaction on `a` makes it active again.
  rapport::v1::Interaction call;
  call.set_id("int9");
  call.set_customer_id("cust1");
  call.set_opportunity_id(a.id());
  rapport::v1::ChangeEvent event;
  *event.mutable_commit_time() = Ts(now_);
  event.mutable_after()->set_value(call.SerializeAsString());
  ASSERT_TRUE(
      host_.PostCommit(RAPPORT_RESOURCE_INTERACTION, RAPPORT_OP_CREATE, event.SerializeAsString())
          .ok());
  out.Clear();
  ASSERT_TRUE(Rpc("ListStalledDeals", r, &out).ok());
  EXPECT_EQ(out.deals_size(), 0);
  r.set_days(0);
  EXPECT_EQ(Rpc("ListStalledDeals", r, &out).message, "days: must be 1..3650, got 0");
  (void)b;
}

// ------------------------------------------------------------------ line items

class FakeErp : public rapport::sfa::PriceSource {
 public:
  Status Lookup(const rapport::sdk::Call&, const std::string& code, int64_t quantity,
                const std::string&, rapport::sfa::PriceQuote* quote) override {
    ++lookups;
    if (code == "GPU-H100") {
      quote->unit_price.set_currency_code("KRW");
      quote->unit_price.set_units(45000000);
      quote->available = quantity <= 8;
      quote->note = "in stock: 8";
      return {};
    }
    return Status::NotFound("'" + code + "' is unknown to the ERP");
  }
  int lookups = 0;
};

class LineItemTest : public EnforcementTest {
 protected:
  void TearDown() override { rapport::sfa::InstallPriceSource(nullptr); }
  sv1::LineItem Item(const std::string& code, int64_t quantity) {
    sv1::LineItem item;
    item.set_product_code(code);
    item.set_quantity(quantity);
    return item;
  }
};

TEST_F(LineItemTest, PriceBookLinesSetTheOpportunityAmount) {
  sv1::SetPriceBookEntryRequest pb;
  pb.mutable_entry()->set_product_code("LIC-STD");
  pb.mutable_entry()->set_name("표준 라이선스");
  pb.mutable_entry()->mutable_unit_price()->set_currency_code("KRW");
  pb.mutable_entry()->mutable_unit_price()->set_units(1200000);
  pb.mutable_entry()->set_active(true);
  sv1::PriceBookEntry entry;
  ASSERT_TRUE(Rpc("SetPriceBookEntry", pb, &entry).ok());
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("LIC-STD", 10);
  r.mutable_items(0)->mutable_discount()->set_units(2000000);
  sv1::LineItems lines;
  ASSERT_TRUE(Rpc("SetLineItems", r, &lines).ok());
  EXPECT_EQ(lines.total().units(), 10000000);
  EXPECT_EQ(opps_[opp.id()].amount().units(), 10000000);
  EXPECT_EQ(last_mask_, "amount");
  EXPECT_EQ(lines.opportunity_revision(), 2);
}

TEST_F(LineItemTest, NegativeQuantitiesAndOtherCurrenciesAreRefused) {
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("X", -3);
  r.mutable_items(0)->mutable_unit_price()->set_currency_code("KRW");
  sv1::LineItems lines;
  EXPECT_EQ(Rpc("SetLineItems", r, &lines).message, "items[0].quantity: must be > 0, got -3");
  r.mutable_items(0)->set_quantity(1);
  *r.add_items() = Item("Y", 2);
  r.mutable_items(1)->mutable_unit_price()->set_currency_code("USD");
  r.mutable_items(1)->mutable_unit_price()->set_units(100);
  Status s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(
      s.message,
      "items[1].unit_price.currency_code: 'USD' differs from the opportunity's currency 'KRW'");
  r.mutable_items()->RemoveLast();
  *r.add_items() = Item("NOT-IN-BOOK", 1);
  EXPECT_EQ(Rpc("SetLineItems", r, &lines).message,
            "items[1].product_code: 'NOT-IN-BOOK' is not in the price book");
  EXPECT_EQ(writes_, 0);
}

TEST_F(LineItemTest, AFakeErpPricesAndChecksAvailability) {
  auto erp = std::make_shared<FakeErp>();
  rapport::sfa::InstallPriceSource(erp);
  Opportunity opp = Qualified();
  sv1::SetLineItemsRequest r;
  r.set_opportunity_id(opp.id());
  *r.add_items() = Item("GPU-H100", 10);
  sv1::LineItems lines;
  Status s = Rpc("SetLineItems", r, &lines);
  EXPECT_EQ(s.code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(s.message, "items[0].quantity: 10 of 'GPU-H100' is not available (in stock: 8)");
  r.mutable_items(0)->set_quantity(4);
  ASSERT_TRUE(Rpc("SetLineItems", r, &lines).ok());
  EXPECT_EQ(lines.items(0).unit_price().units(), 45000000);
  EXPECT_EQ(lines.items(0).availability_note(), "in stock: 8");
  EXPECT_EQ(opps_[opp.id()].amount().units(), 180000000);
  EXPECT_EQ(erp->lookups, 2);
  sv1::GetLineItemsRequest g;
  g.set_opportunity_id(opp.id());
  ASSERT_TRUE(Rpc("GetLineItems", g, &lines).ok());
  EXPECT_EQ(lines.items_size(), 1);
}

}  // namespace
}  // namespace sfatest
