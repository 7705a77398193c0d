// Fake-host unit tests of tasks (tasks.cc): times, links, the agenda, the
// next step, completion by an interaction, updates and visibility.
#include "rapport/sdk/ids.h"
#include "sfa_test_util.h"

namespace sfatest {
namespace {

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
  // A record the plugin cannot parse reads as not visible, as a record
  // outside the caller's scope does (the fake host's SetScope hides records
  // the same way; here the caller reads everything).
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

// Task ids are ULIDs from the SDK's monotonic generator (rapport/sdk/ids.h):
// 1,000 tasks created at the same faked time still get strictly increasing
// ids carrying that time, so tasg/ listings keep creation order. SFA's own
// generator drew the 80 random bits afresh each time.
TEST_F(TaskTest, IdsStrictlyIncreaseWithinAMillisecond) {
  Opportunity opp = Qualified();
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    sv1::Task t;
    ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + kDay), &t).ok());
    ASSERT_EQ(t.id().size(), 26u);
    ASSERT_LT(previous, t.id()) << "task " << i;
    previous = t.id();
  }
  // The first 10 characters are the time: now_ in milliseconds.
  auto bytes = rapport::sdk::UlidFromString(previous);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(rapport::sdk::UlidTimeMs(*bytes), now_ / 1000);
}

// Pages hold `page_size` tasks the caller may see (closed ones only with
// include_closed); the token is the last id looked at.
TEST_F(TaskTest, ListingsArePagedOverVisibleTasks) {
  Opportunity opp = Qualified();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    sv1::Task t;
    ASSERT_TRUE(Rpc("CreateTask", TaskFor(opp.id(), now_ + kDay), &t).ok());
    ids.push_back(t.id());
  }
  sv1::UpdateTaskRequest u;  // the second task is done
  u.mutable_task()->set_id(ids[1]);
  u.mutable_task()->set_status(sv1::TASK_STATUS_DONE);
  u.mutable_update_mask()->add_paths("status");
  sv1::Task done;
  ASSERT_TRUE(Rpc("UpdateTask", u, &done).ok());

  sv1::ListTasksRequest r;
  r.set_opportunity_id(opp.id());
  r.set_page_size(2);
  sv1::ListTasksResponse page;
  ASSERT_TRUE(Rpc("ListTasks", r, &page).ok());
  ASSERT_EQ(page.tasks_size(), 2);
  EXPECT_EQ(page.tasks(0).id(), ids[0]);
  EXPECT_EQ(page.tasks(1).id(), ids[2]);  // the done one is skipped
  EXPECT_EQ(page.next_page_token(), ids[2]);
  r.set_page_token(page.next_page_token());
  page.Clear();
  ASSERT_TRUE(Rpc("ListTasks", r, &page).ok());
  ASSERT_EQ(page.tasks_size(), 2);
  EXPECT_EQ(page.tasks(0).id(), ids[3]);
  EXPECT_EQ(page.tasks(1).id(), ids[4]);
  EXPECT_EQ(page.next_page_token(), "");

  r.clear_page_token();
  r.set_include_closed(true);
  r.set_page_size(0);  // the default, 50
  page.Clear();
  ASSERT_TRUE(Rpc("ListTasks", r, &page).ok());
  EXPECT_EQ(page.tasks_size(), 5);
  r.clear_opportunity_id();
  EXPECT_EQ(Rpc("ListTasks", r, &page).message,
            "exactly one of assignee, opportunity_id and customer_id is required");
}

}  // namespace
}  // namespace sfatest
