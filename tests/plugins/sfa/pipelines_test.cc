// Fake-host unit tests of the sales process (pipelines.cc, process.cc):
// pipeline validation and versions, enforcement on opportunity writes, stage
// history.
#include "sfa_test_util.h"

namespace sfatest {
namespace {

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

}  // namespace
}  // namespace sfatest
