// The VOC module end to end: a real rapportd on 127.0.0.1 with
// plugins/voc's voc.so loaded, driven over gRPC by real clients. Capture
// from a phone number, routing and the SLA deadline, unmatched senders,
// the state machine, access, fair assignment, the calendar, and every bad
// input refused without writing anything.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/voc/v1/voc.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace voc = ::rapport::voc::v1;
using ::testing::HasSubstr;

// Unix seconds `seconds` ago.
int64_t SecondsAgo(int64_t seconds) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() -
         seconds;
}

class VocServerTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    const std::string plugins = dir_.Sub("plugins");
    std::filesystem::create_directories(plugins);
    for (const char* f : {"voc.so", "voc.manifest.json"}) {
      std::filesystem::copy_file(std::filesystem::path(RAPPORT_VOC_PLUGIN_DIR) / f,
                                 std::filesystem::path(plugins) / f);
    }
    services::ServerOptions options;
    options.plugins.plugin_dir = plugins;
    StartServer(options);
    modules_ = v1::ModuleService::NewStub(channel_);
    voc_ = voc::VocService::NewStub(channel_);
  }

  void Enable() {
    v1::SetRolloutRequest request;
    request.mutable_rule()->set_module("voc");
    request.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule out;
    grpc::Status s = modules_->SetRollout(Call().get(), request, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // 배송 (지연, 파손) and 요금 (환불); a rule sends delivery words to 배송/지연
  // at high priority; queue "delivery" (agent1, agent2, manager lead1) takes
  // 배송, "general" the rest; high-priority cases get 60 / 480 minutes.
  void Configure() {
    for (const char* team : {"cs", "busan", "sales"}) CreateTeam(team);
    agent1_ = CreateUser("agent1", {v1::ROLE_REP}, {"cs"});
    agent2_ = CreateUser("agent2", {v1::ROLE_REP}, {"cs"});
    lead1_ = CreateUser("lead1", {v1::ROLE_MANAGER}, {"cs"});
    outsider_ = CreateUser("agent9", {v1::ROLE_REP}, {"busan"});
    voc::UpdateSettingsRequest r;
    voc::Settings* s = r.mutable_settings();
    auto* delivery = s->add_taxonomy();
    delivery->set_name("배송");
    delivery->add_subcategories("지연");
    delivery->add_subcategories("파손");
    auto* billing = s->add_taxonomy();
    billing->set_name("요금");
    billing->add_subcategories("환불");
    auto* rule = s->add_category_rules();
    rule->set_name("delivery-late");
    rule->add_keywords_any("배송");
    rule->add_keywords_any("택배");
    rule->set_category("배송");
    rule->set_subcategory("지연");
    rule->set_priority(voc::PRIORITY_HIGH);
    auto* refund = s->add_category_rules();
    refund->set_name("refund");
    refund->set_regex("환불|refund");
    refund->set_category("요금");
    refund->set_subcategory("환불");
    auto* q = s->add_queues();
    q->set_name("delivery");
    q->add_members("agent1");
    q->add_members("agent2");
    q->set_escalation_manager("lead1");
    auto* general = s->add_queues();
    general->set_name("general");
    general->add_members("agent2");
    auto* route = s->add_routing_rules();
    route->set_name("delivery");
    route->add_categories("배송");
    route->set_queue("delivery");
    auto* high = s->add_sla_policies();
    high->set_name("high");
    high->add_priorities(voc::PRIORITY_HIGH);
    high->set_first_response_minutes(60);
    high->set_resolution_minutes(480);
    auto* normal = s->add_sla_policies();
    normal->set_name("normal");
    normal->set_first_response_minutes(240);
    normal->set_resolution_minutes(1440);
    for (const char* path :
         {"taxonomy", "category_rules", "queues", "routing_rules", "sla_policies"}) {
      r.mutable_update_mask()->add_paths(path);
    }
    voc::Settings out;
    grpc::Status status = voc_->UpdateSettings(Call().get(), r, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::Customer Customer(const std::string& name, const std::string& phone,
                        const std::string& owner_token = "") {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    if (!phone.empty()) r.mutable_customer()->add_phones(phone);
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call(owner_token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Capture(const voc::CaptureCaseRequest& r, voc::Case* out,
                       const std::string& token = "") {
    return voc_->CaptureCase(Call(token).get(), r, out);
  }
  voc::CaptureCaseRequest ByPhone(const std::string& phone, const std::string& text) {
    voc::CaptureCaseRequest r;
    r.set_phone(phone);
    r.set_text(text);
    return r;
  }
  int CaseCount() {
    voc::ListCasesRequest r;
    r.set_page_size(1000);
    voc::ListCasesResponse out;
    grpc::Status s = voc_->ListCases(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.cases_size();
  }
  grpc::Status Status(const std::string& id, voc::CaseStatus to, const std::string& reason,
                      voc::Case* out, const std::string& token = "") {
    voc::ChangeCaseStatusRequest r;
    r.set_case_id(id);
    r.set_status(to);
    r.set_reason(reason);
    return voc_->ChangeCaseStatus(Call(token).get(), r, out);
  }

  std::unique_ptr<v1::ModuleService::Stub> modules_;
  std::unique_ptr<voc::VocService::Stub> voc_;
  std::string agent1_, agent2_, lead1_, outsider_;
};

TEST_F(VocServerTest, OffUntilRolledOut) {
  voc::Case out;
  grpc::Status s = Capture(ByPhone("010-1234-5678", "배송이 3일째 안 와요"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

TEST_F(VocServerTest, RolledOutTeamByTeam) {
  // On for team cs only; everyone else is off, and their inbound
  // interactions are neither counted nor captured.
  for (const char* team : {"cs", "busan"}) CreateTeam(team);
  const std::string agent = CreateUser("agent1", {v1::ROLE_REP}, {"cs"});
  const std::string outsider = CreateUser("agent9", {v1::ROLE_REP}, {"busan"});
  v1::SetRolloutRequest rollout;
  rollout.mutable_rule()->set_module("voc");
  rollout.mutable_rule()->set_mode(v1::MODULE_MODE_ON);
  rollout.mutable_rule()->add_team_ids("cs");
  v1::RolloutRule rule;
  ASSERT_TRUE(modules_->SetRollout(Call().get(), rollout, &rule).ok());
  Customer("김민수", "010-1234-5678", agent);
  voc::Case c;
  grpc::Status s = Capture(ByPhone("010-1234-5678", "배송 문의"), &c, agent);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = Capture(ByPhone("010-1234-5678", "배송 문의"), &c, outsider);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The kill switch turns it off for everyone at once.
  rollout.mutable_rule()->set_kill_switch(true);
  rollout.set_expected_revision(rule.revision());
  ASSERT_TRUE(modules_->SetRollout(Call().get(), rollout, &rule).ok());
  s = Capture(ByPhone("010-1234-5678", "배송 문의"), &c, agent);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(VocServerTest, CaptureFromAPhoneNumberIsRoutedWithItsDeadline) {
  Enable();
  Configure();
  const v1::Customer kim = Customer("김민수", "010-1234-5678");
  voc::Case c;
  grpc::Status s = Capture(ByPhone("010 1234 5678", "배송이 3일째 안 와요"), &c);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(c.customer_id(), kim.id());
  EXPECT_EQ(c.channel(), "phone");
  EXPECT_EQ(c.subject(), "배송이 3일째 안 와요");
  EXPECT_EQ(c.category(), "배송");
  EXPECT_EQ(c.subcategory(), "지연");
  EXPECT_EQ(c.category_source(), voc::CATEGORY_SOURCE_RULE);
  EXPECT_EQ(c.priority(), voc::PRIORITY_HIGH);
  EXPECT_EQ(c.status(), voc::CASE_STATUS_NEW);
  EXPECT_EQ(c.queue(), "delivery");
  EXPECT_EQ(c.assignee(), "agent1");
  EXPECT_EQ(c.sla_policy(), "high");
  EXPECT_EQ(c.first_response().target_minutes(), 60);
  EXPECT_TRUE(c.first_response().has_due_time());
  EXPECT_TRUE(c.resolution().has_due_time());
  EXPECT_EQ(c.revision(), 1);

  // The log holds everything the clocks are computed from.
  voc::ListCaseEventsRequest er;
  er.set_case_id(c.id());
  voc::ListCaseEventsResponse events;
  ASSERT_TRUE(voc_->ListCaseEvents(Call().get(), er, &events).ok());
  std::vector<voc::CaseEvent::Kind> kinds;
  for (const auto& e : events.events()) kinds.push_back(e.kind());
  EXPECT_THAT(kinds, ::testing::ElementsAre(
                         voc::CaseEvent::KIND_CAPTURED, voc::CaseEvent::KIND_CATEGORIZED,
                         voc::CaseEvent::KIND_PRIORITY_CHANGED, voc::CaseEvent::KIND_ROUTED,
                         voc::CaseEvent::KIND_ASSIGNED, voc::CaseEvent::KIND_SLA_APPLIED));

  // The agent replies: the first-response clock stops and the case opens.
  voc::AddCaseMessageRequest reply;
  reply.set_case_id(c.id());
  reply.set_text("확인 후 연락드리겠습니다.");
  voc::Case replied;
  s = voc_->AddCaseMessage(Call(agent1_).get(), reply, &replied);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(replied.status(), voc::CASE_STATUS_OPEN);
  EXPECT_TRUE(replied.first_response().has_stop_time());
  EXPECT_FALSE(replied.first_response().breached());

  // Waiting for the customer pauses the clocks (a reason is required).
  voc::Case paused;
  ASSERT_TRUE(
      Status(c.id(), voc::CASE_STATUS_PENDING_CUSTOMER, "송장번호 확인 요청", &paused, agent1_)
          .ok());
  EXPECT_TRUE(paused.resolution().paused());
  EXPECT_FALSE(paused.resolution().has_due_time());
  // The customer answers: the case is worked again.
  voc::AddCaseMessageRequest answer;
  answer.set_case_id(c.id());
  answer.set_text("송장번호는 1234입니다");
  answer.set_from_customer(true);
  voc::Case resumed;
  ASSERT_TRUE(voc_->AddCaseMessage(Call(agent1_).get(), answer, &resumed).ok());
  EXPECT_EQ(resumed.status(), voc::CASE_STATUS_OPEN);
  EXPECT_TRUE(resumed.resolution().has_due_time());

  // Solved, rated, closed; a closed case never moves again.
  voc::Case solved, closed;
  ASSERT_TRUE(Status(c.id(), voc::CASE_STATUS_SOLVED, "", &solved, agent1_).ok());
  voc::RecordCsatRequest csat;
  csat.set_case_id(c.id());
  csat.set_rating(5);
  csat.set_comment("빠른 처리 감사합니다");
  voc::Case rated;
  ASSERT_TRUE(voc_->RecordCsat(Call().get(), csat, &rated).ok());
  EXPECT_EQ(rated.csat_rating(), 5);
  ASSERT_TRUE(Status(c.id(), voc::CASE_STATUS_CLOSED, "", &closed, agent1_).ok());
  s = Status(c.id(), voc::CASE_STATUS_PENDING_CUSTOMER, "다시", &closed, agent1_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("a closed case cannot move to pending_customer"));
}

TEST_F(VocServerTest, UnknownSendersWaitUnmatchedUntilLinked) {
  Enable();
  Configure();
  voc::Case c;
  ASSERT_TRUE(Capture(ByPhone("010-9999-0000", "환불 언제 되나요?"), &c).ok());
  EXPECT_TRUE(c.customer_id().empty());
  EXPECT_EQ(c.unmatched_reference(), "phone:+821099990000");
  EXPECT_EQ(c.queue(), "unmatched");
  EXPECT_EQ(c.category(), "요금");  // the regex rule
  // Matching can be required instead.
  voc::CaptureCaseRequest strict = ByPhone("010-9999-0000", "환불");
  strict.set_require_match(true);
  voc::Case none;
  grpc::Status s = Capture(strict, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("phone: no customer has +821099990000"));

  voc::ListCasesRequest unmatched;
  unmatched.set_unmatched(true);
  voc::ListCasesResponse listed;
  ASSERT_TRUE(voc_->ListCases(Call().get(), unmatched, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);

  const v1::Customer lee = Customer("이서연", "010-9999-0000");
  voc::LinkCaseRequest link;
  link.set_case_id(c.id());
  link.set_customer_id(lee.id());
  voc::Case linked;
  ASSERT_TRUE(voc_->LinkCase(Call().get(), link, &linked).ok());
  EXPECT_EQ(linked.customer_id(), lee.id());
  EXPECT_EQ(linked.queue(), "general");
  EXPECT_EQ(linked.assignee(), "agent2");
  s = voc_->LinkCase(Call().get(), link, &linked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Capturing by external id twice gives the same case.
  voc::CaptureCaseRequest logged = ByPhone("010-9999-0000", "상담 기록: 배송 문의");
  logged.set_external_id("cc-log-0001");
  voc::Case first, again;
  ASSERT_TRUE(Capture(logged, &first).ok());
  ASSERT_TRUE(Capture(logged, &again).ok());
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(first.customer_id(), lee.id());
}

TEST_F(VocServerTest, AgentsSeeTheirQueuesAndOwnersSeeTheirCustomers) {
  Enable();
  Configure();
  const std::string owner = CreateUser("rep_kim", {v1::ROLE_REP}, {"sales"});
  const v1::Customer kim = Customer("김민수", "010-1234-5678", owner);
  voc::Case c;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "택배가 파손되어 왔어요"), &c).ok());
  voc::GetCaseRequest get;
  get.set_id(c.id());
  voc::Case seen;
  EXPECT_TRUE(voc_->GetCase(Call(agent2_).get(), get, &seen).ok());
  grpc::Status s = voc_->GetCase(Call(outsider_).get(), get, &seen);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  voc::ListCasesRequest all;
  voc::ListCasesResponse listed;
  ASSERT_TRUE(voc_->ListCases(Call(outsider_).get(), all, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
  // The account owner in sales sees the customer's voice, and cannot work it.
  voc::ListCasesRequest mine;
  mine.set_customer_id(kim.id());
  ASSERT_TRUE(voc_->ListCases(Call(owner).get(), mine, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  voc::Case moved;
  s = Status(c.id(), voc::CASE_STATUS_OPEN, "", &moved, owner);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Escalation goes to the queue's manager.
  voc::AssignCaseRequest escalate;
  escalate.set_case_id(c.id());
  escalate.set_escalate(true);
  voc::Case escalated;
  ASSERT_TRUE(voc_->AssignCase(Call(agent1_).get(), escalate, &escalated).ok());
  EXPECT_EQ(escalated.assignee(), "lead1");
}

// The voice reaches sales: each case with a customer is one entry on the
// customer's timeline, owned by the customer's owner (who sees it in
// ListCustomerInteractions, as an outsider does not), kept up to date as
// agents who cannot read the owner's records work the case.
TEST_F(VocServerTest, CasesAppearOnTheirCustomersTimelineForTheAccountOwner) {
  Enable();
  Configure();
  const std::string owner = CreateUser("rep_kim", {v1::ROLE_REP}, {"sales"});
  const v1::Customer kim = Customer("김민수", "010-1234-5678", owner);
  // The tenant captures inbound notes automatically: a case's own entry
  // must not become another case.
  voc::UpdateSettingsRequest opt_in;
  opt_in.mutable_settings()->add_auto_capture_kinds("note");
  opt_in.mutable_update_mask()->add_paths("auto_capture_kinds");
  voc::Settings saved;
  ASSERT_TRUE(voc_->UpdateSettings(Call().get(), opt_in, &saved).ok());

  // The owner's view of the timeline, once it holds `count` entries whose
  // subjects contain `text`.
  auto timeline = [&](int count, const std::string& text) {
    v1::ListCustomerInteractionsRequest r;
    r.set_customer_id(kim.id());
    r.set_page_size(50);
    v1::ListInteractionsResponse out;
    for (int i = 0; i < 200; ++i) {
      out.Clear();
      grpc::Status s = interactions_->ListCustomerInteractions(Call(owner).get(), r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      int matching = 0;
      for (const auto& e : out.interactions())
        matching += e.subject().find(text) != std::string::npos;
      if (matching >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return out;
  };

  voc::Case c;
  ASSERT_TRUE(
      Capture(ByPhone("010-1234-5678", "택배가 파손되어 왔어요\n사진 첨부합니다"), &c).ok());
  v1::ListInteractionsResponse seen = timeline(1, "[VOC phone · 배송/지연 · high · new]");
  ASSERT_EQ(seen.interactions_size(), 1);
  const v1::Interaction entry = seen.interactions(0);
  EXPECT_EQ(entry.subject(), "[VOC phone · 배송/지연 · high · new] 택배가 파손되어 왔어요");
  EXPECT_EQ(entry.body(), "택배가 파손되어 왔어요\n사진 첨부합니다");
  EXPECT_EQ(entry.owner(), "rep_kim");
  EXPECT_EQ(entry.kind(), v1::INTERACTION_KIND_NOTE);
  EXPECT_EQ(entry.direction(), v1::INTERACTION_DIRECTION_INBOUND);
  EXPECT_EQ(entry.external_refs().at("voc"), c.id());
  EXPECT_THAT(entry.tags(), ::testing::ElementsAre("voc"));
  EXPECT_EQ(entry.occurred_at().seconds(), c.create_time().seconds());
  // An agent of another team sees neither the case nor the entry.
  v1::ListCustomerInteractionsRequest theirs;
  theirs.set_customer_id(kim.id());
  v1::ListInteractionsResponse outsider_view;
  grpc::Status s =
      interactions_->ListCustomerInteractions(Call(outsider_).get(), theirs, &outsider_view);
  EXPECT_TRUE(s.ok() ? outsider_view.interactions().empty()
                     : s.error_code() == grpc::StatusCode::NOT_FOUND)
      << s.error_message();

  // Worked by agent1 (cs), who may not read rep_kim's records: the entry
  // follows, and stays one entry.
  voc::Case moved;
  ASSERT_TRUE(Status(c.id(), voc::CASE_STATUS_OPEN, "", &moved, agent1_).ok());
  ASSERT_TRUE(Status(c.id(), voc::CASE_STATUS_SOLVED, "교환 발송", &moved, agent1_).ok());
  seen = timeline(1, "· high · solved]");
  ASSERT_EQ(seen.interactions_size(), 1);
  EXPECT_EQ(seen.interactions(0).id(), entry.id());
  EXPECT_EQ(seen.interactions(0).subject(),
            "[VOC phone · 배송/지연 · high · solved] 택배가 파손되어 왔어요");

  // The entry is not a customer's message: choosing it is refused.
  voc::CaptureFromInteractionRequest choose;
  choose.set_interaction_id(entry.id());
  voc::Case refused;
  s = voc_->CaptureFromInteraction(Call().get(), choose, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("interaction_id: interaction '" + entry.id() +
                                           "' is the timeline entry of case '" + c.id() + "'"));

  // An unknown sender's case reaches the timeline when it is linked.
  voc::Case unmatched;
  ASSERT_TRUE(Capture(ByPhone("010-9999-0000", "환불은 언제 되나요?"), &unmatched).ok());
  ASSERT_TRUE(unmatched.customer_id().empty());
  voc::LinkCaseRequest link;
  link.set_case_id(unmatched.id());
  link.set_customer_id(kim.id());
  voc::Case linked;
  ASSERT_TRUE(voc_->LinkCase(Call().get(), link, &linked).ok());
  seen = timeline(1, "[VOC phone · 요금/환불");
  ASSERT_EQ(seen.interactions_size(), 2);  // newest first
  EXPECT_EQ(seen.interactions(0).external_refs().at("voc"), unmatched.id());

  // A customer's own inbound note becomes a case (the opt-in above) and is
  // its own timeline entry; hooks run in commit order, so once it is a case
  // the entries before it have been seen, and none of them became one.
  v1::CreateInteractionRequest note;
  note.mutable_interaction()->set_customer_id(kim.id());
  note.mutable_interaction()->set_kind(v1::INTERACTION_KIND_NOTE);
  note.mutable_interaction()->set_direction(v1::INTERACTION_DIRECTION_INBOUND);
  note.mutable_interaction()->set_owner("rep_kim");
  note.mutable_interaction()->set_subject("배송 주소 변경");
  note.mutable_interaction()->set_body("배송 주소를 바꾸고 싶어요");
  v1::Interaction written;
  s = interactions_->CreateInteraction(Call().get(), note, &written);
  ASSERT_TRUE(s.ok()) << s.error_message();
  voc::ListCasesRequest all;
  all.set_customer_id(kim.id());
  voc::ListCasesResponse cases;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(voc_->ListCases(Call().get(), all, &cases).ok());
    if (cases.cases_size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(cases.cases_size(), 3);
  EXPECT_EQ(cases.cases(0).interaction_id(), written.id());
  seen = timeline(1, "배송 주소");
  EXPECT_EQ(seen.interactions_size(), 3);  // two entries and the note, no entry for its case
}

TEST_F(VocServerTest, RoundRobinIsFairOverAThousandCases) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  std::map<std::string, int> per_agent;
  for (int i = 0; i < 1000; ++i) {
    voc::Case c;
    grpc::Status s = Capture(ByPhone("010-1234-5678", "배송 문의 " + std::to_string(i)), &c);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++per_agent[c.assignee()];
  }
  ASSERT_EQ(per_agent.size(), 2u);
  EXPECT_LE(std::abs(per_agent["agent1"] - per_agent["agent2"]), 1);

  // Sixteen clients at once: turns come from a sequence outside the
  // captures' transactions, so none conflicts and the split stays even.
  std::atomic<int> failed{0};
  std::mutex mu;
  std::map<std::string, int> concurrent;
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      auto stub = voc::VocService::NewStub(channel_);
      for (int i = 0; i < 25; ++i) {
        voc::Case c;
        grpc::Status s = stub->CaptureCase(
            Call().get(),
            ByPhone("010-1234-5678", "배송 문의 " + std::to_string(t) + "-" + std::to_string(i)),
            &c);
        if (!s.ok()) {
          failed.fetch_add(1);
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        ++concurrent[c.assignee()];
      }
    });
  }
  for (auto& th : clients) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(concurrent["agent1"] + concurrent["agent2"], 400);
  EXPECT_LE(std::abs(concurrent["agent1"] - concurrent["agent2"]), 1);
}

TEST_F(VocServerTest, BadInputIsRefusedAndWritesNothing) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  voc::Case c;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "배송 지연"), &c).ok());
  const int cases = CaseCount();
  struct Bad {
    voc::CaptureCaseRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Bad> bad;
  bad.push_back(
      {ByPhone("010-1234-5678", ""), grpc::StatusCode::INVALID_ARGUMENT, "text: is required"});
  bad.push_back({ByPhone("010-1234-5678", " \n\t "), grpc::StatusCode::INVALID_ARGUMENT,
                 "text: is required"});
  bad.push_back({ByPhone("010-1234-5678", std::string(64 * 1024 + 1, 'x')),
                 grpc::StatusCode::INVALID_ARGUMENT, "text: 65537 bytes is over the limit"});
  bad.push_back({ByPhone("not a phone", "배송"), grpc::StatusCode::INVALID_ARGUMENT, "phone: "});
  voc::CaptureCaseRequest two = ByPhone("010-1234-5678", "배송");
  two.set_email("kim@example.kr");
  bad.push_back({two, grpc::StatusCode::INVALID_ARGUMENT, "give exactly one of"});
  voc::CaptureCaseRequest category = ByPhone("010-1234-5678", "배송");
  category.set_category("날씨");
  bad.push_back(
      {category, grpc::StatusCode::INVALID_ARGUMENT, "category: '날씨' is not in the taxonomy"});
  voc::CaptureCaseRequest channel = ByPhone("010-1234-5678", "배송");
  channel.set_channel("Kakao Talk");
  bad.push_back({channel, grpc::StatusCode::INVALID_ARGUMENT, "channel: 'Kakao Talk'"});
  voc::CaptureCaseRequest missing;
  missing.set_customer_id("01KA0000000000000000000000");
  missing.set_text("배송");
  bad.push_back({missing, grpc::StatusCode::NOT_FOUND, "customer_id: customer"});
  for (const Bad& b : bad) {
    voc::Case out;
    grpc::Status s = Capture(b.request, &out);
    EXPECT_EQ(s.error_code(), b.code) << b.message << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(b.message));
  }
  EXPECT_EQ(CaseCount(), cases);

  // A pause without a reason, a CSAT outside 1..5, a CSAT before solving.
  voc::Case out;
  grpc::Status s = Status(c.id(), voc::CASE_STATUS_ON_HOLD, " ", &out, agent1_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason: is required"));
  voc::RecordCsatRequest csat;
  csat.set_case_id(c.id());
  csat.set_rating(7);
  s = voc_->RecordCsat(Call().get(), csat, &out);
  EXPECT_THAT(s.error_message(), HasSubstr("rating: 7 is outside 1..5"));
  csat.set_rating(4);
  s = voc_->RecordCsat(Call().get(), csat, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  voc::GetCaseRequest get;
  get.set_id(c.id());
  ASSERT_TRUE(voc_->GetCase(Call().get(), get, &out).ok());
  EXPECT_EQ(out.revision(), 1);
  EXPECT_EQ(out.status(), voc::CASE_STATUS_NEW);

  // Settings: a zero SLA target, a category outside the taxonomy, a bad
  // regex, an unknown member; nothing changes.
  voc::Settings before;
  ASSERT_TRUE(voc_->GetSettings(Call().get(), voc::GetSettingsRequest(), &before).ok());
  auto refuse_settings = [&](std::function<void(voc::Settings*)> edit, const std::string& path,
                             const std::string& message) {
    voc::UpdateSettingsRequest r;
    *r.mutable_settings() = before;
    edit(r.mutable_settings());
    r.mutable_update_mask()->add_paths(path);
    voc::Settings out;
    grpc::Status st = voc_->UpdateSettings(Call().get(), r, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << message;
    EXPECT_THAT(st.error_message(), HasSubstr(message));
  };
  refuse_settings(
      [](voc::Settings* s) { s->mutable_sla_policies(0)->set_first_response_minutes(0); },
      "sla_policies", "settings.sla_policies[0].first_response_minutes: 0 is not a target");
  refuse_settings([](voc::Settings* s) { s->mutable_sla_policies(1)->set_resolution_minutes(-5); },
                  "sla_policies", "settings.sla_policies[1].resolution_minutes: -5");
  refuse_settings([](voc::Settings* s) { s->mutable_category_rules(0)->set_category("날씨"); },
                  "category_rules",
                  "settings.category_rules[0].category: '날씨 / 지연' is not in the taxonomy");
  refuse_settings([](voc::Settings* s) { s->mutable_category_rules(1)->set_regex("(unclosed"); },
                  "category_rules", "settings.category_rules[1].regex: does not compile");
  refuse_settings([](voc::Settings* s) { s->mutable_queues(0)->add_members("ghost"); }, "queues",
                  "settings.queues[0].members[2]: 'ghost' is not a user");
  voc::UpdateSettingsRequest as_agent;
  as_agent.mutable_update_mask()->add_paths("default_queue");
  voc::Settings ignored;
  EXPECT_EQ(voc_->UpdateSettings(Call(agent1_).get(), as_agent, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  voc::Settings after;
  ASSERT_TRUE(voc_->GetSettings(Call().get(), voc::GetSettingsRequest(), &after).ok());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());

  // The calendar: overlapping and inverted hours, a date that does not
  // parse, an unknown zone.
  voc::BusinessCalendar calendar;
  ASSERT_TRUE(voc_->GetCalendar(Call().get(), voc::GetCalendarRequest(), &calendar).ok());
  auto refuse_calendar = [&](std::function<void(voc::BusinessCalendar*)> edit,
                             const std::string& message) {
    voc::SetCalendarRequest r;
    *r.mutable_calendar() = calendar;
    edit(r.mutable_calendar());
    voc::SetCalendarResponse out;
    grpc::Status st = voc_->SetCalendar(Call().get(), r, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << message;
    EXPECT_THAT(st.error_message(), HasSubstr(message));
  };
  refuse_calendar(
      [](voc::BusinessCalendar* c) {
        auto* i = c->mutable_working_hours(0)->add_intervals();
        i->set_start_minute(600);
        i->set_end_minute(700);
      },
      "overlap");
  refuse_calendar(
      [](voc::BusinessCalendar* c) {
        c->mutable_working_hours(2)->mutable_intervals(0)->set_end_minute(60);
      },
      "ends (01:00) before it starts (09:00)");
  refuse_calendar([](voc::BusinessCalendar* c) { c->add_extra_holidays()->set_date("2026-13-01"); },
                  "calendar.extra_holidays[0].date: '2026-13-01' is not a date");
  refuse_calendar([](voc::BusinessCalendar* c) { c->set_time_zone("Asia/Pyongyang"); },
                  "calendar.time_zone: unknown time zone 'Asia/Pyongyang'");
  voc::BusinessCalendar unchanged;
  ASSERT_TRUE(voc_->GetCalendar(Call().get(), voc::GetCalendarRequest(), &unchanged).ok());
  EXPECT_EQ(unchanged.SerializeAsString(), calendar.SerializeAsString());
}

TEST_F(VocServerTest, EditingTheCalendarReportsMovedDeadlines) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  // Spoken on Saturday 2026-11-28 at 12:00 in Seoul (03:00Z), logged later.
  voc::CaptureCaseRequest logged = ByPhone("010-1234-5678", "배송 지연");
  logged.mutable_occurred_at()->set_seconds(1795834800);
  voc::Case c;
  ASSERT_TRUE(Capture(logged, &c).ok());
  // Office hours: the hour starts on Monday 09:00, due 10:00 (01:00Z).
  EXPECT_EQ(c.first_response().due_time().seconds(), 1795834800 + 2 * 86400 - 2 * 3600);
  voc::BusinessCalendar calendar;
  ASSERT_TRUE(voc_->GetCalendar(Call().get(), voc::GetCalendarRequest(), &calendar).ok());
  EXPECT_EQ(calendar.time_zone(), "Asia/Seoul");
  EXPECT_EQ(calendar.holiday_table_version(), "KR-2024-2030.1");
  // Around the clock, every day: the deadline moves to Saturday 13:00.
  voc::SetCalendarRequest r;
  r.mutable_calendar()->set_public_holidays("NONE");
  for (int day = 1; day <= 7; ++day) {
    auto* hours = r.mutable_calendar()->add_working_hours();
    hours->set_weekday(day);
    hours->add_intervals()->set_end_minute(1440);
  }
  voc::SetCalendarResponse response;
  grpc::Status s = voc_->SetCalendar(Call().get(), r, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.calendar().revision(), 1);
  bool first_response_moved = false;
  for (const auto& moved : response.moved()) {
    EXPECT_EQ(moved.case_id(), c.id());
    if (moved.clock() != "first_response") continue;
    first_response_moved = true;
    EXPECT_EQ(moved.old_due_time().seconds(), 1795834800 + 2 * 86400 - 2 * 3600);
    EXPECT_EQ(moved.new_due_time().seconds(), 1795834800 + 3600);
  }
  EXPECT_TRUE(first_response_moved);
  voc::GetCaseRequest get;
  get.set_id(c.id());
  voc::Case now;
  ASSERT_TRUE(voc_->GetCase(Call().get(), get, &now).ok());
  EXPECT_EQ(now.first_response().due_time().seconds(), 1795834800 + 3600);
  EXPECT_TRUE(now.first_response().breached());

  voc::ListHolidaysRequest holidays;
  holidays.set_from_date("2025-10-01");
  holidays.set_to_date("2025-10-31");
  voc::ListHolidaysResponse listed;
  ASSERT_TRUE(voc_->ListHolidays(Call().get(), holidays, &listed).ok());
  EXPECT_EQ(listed.holidays_size(), 0);  // NONE now
  holidays.set_to_date("2025-09-30");
  EXPECT_EQ(voc_->ListHolidays(Call().get(), holidays, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VocServerTest, TheClassifierFilesWhatNoRuleMatchesAndLearnsFromCorrections) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  voc::TrainClassifierRequest train;
  auto example = [&](const char* text, const char* category, const char* sub) {
    auto* e = train.add_examples();
    e->set_text(text);
    e->set_category(category);
    e->set_subcategory(sub);
  };
  for (const char* t : {"환불 언제 되나요", "반품했는데 돈이 안 들어와요", "결제 취소 부탁드립니다",
                        "카드 승인 취소가 안 됐어요", "반품 접수하고 돈 돌려받고 싶어요"}) {
    example(t, "요금", "환불");
  }
  for (const char* t :
       {"상자가 찌그러져서 왔어요", "물건이 깨져서 도착했어요", "포장이 뜯어져 있었어요",
        "유리컵이 깨져 있었어요", "상품이 부서진 채로 왔어요"}) {
    example(t, "배송", "파손");
  }
  voc::TrainClassifierResponse trained;
  grpc::Status s = voc_->TrainClassifier(Call().get(), train, &trained);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(trained.examples_trained(), 10);
  EXPECT_EQ(trained.documents(), 10);
  EXPECT_GT(trained.vocabulary(), 50);
  // Agents may not bulk-train; an example outside the taxonomy is refused.
  EXPECT_EQ(voc_->TrainClassifier(Call(agent1_).get(), train, &trained).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  voc::TrainClassifierRequest bad;
  bad.add_examples()->set_text("날씨가 좋네요");
  bad.mutable_examples(0)->set_category("날씨");
  s = voc_->TrainClassifier(Call().get(), bad, &trained);
  EXPECT_THAT(s.error_message(), HasSubstr("examples[0].category: '날씨' is not in the taxonomy"));

  voc::UpdateSettingsRequest settings;
  settings.mutable_settings()->set_classifier_min_examples(10);
  settings.mutable_settings()->set_classifier_threshold(0.9);
  settings.mutable_update_mask()->add_paths("classifier_min_examples");
  settings.mutable_update_mask()->add_paths("classifier_threshold");
  voc::Settings saved;
  ASSERT_TRUE(voc_->UpdateSettings(Call().get(), settings, &saved).ok());
  settings.mutable_settings()->set_classifier_threshold(1.5);
  EXPECT_THAT(voc_->UpdateSettings(Call().get(), settings, &saved).error_message(),
              HasSubstr("settings.classifier_threshold: 1.500000 is outside 0..1"));

  // No rule mentions these words; the classifier files it.
  voc::Case c;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "그릇이 깨져서 왔어요"), &c).ok());
  EXPECT_EQ(c.category_source(), voc::CATEGORY_SOURCE_CLASSIFIER);
  EXPECT_EQ(c.category(), "배송");
  EXPECT_EQ(c.subcategory(), "파손");
  EXPECT_GE(c.category_confidence(), 0.9);
  EXPECT_EQ(c.queue(), "delivery");  // routed by its category
  // Unsure: a suggestion only, and the case waits for a person.
  voc::Case unsure;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "문의드립니다"), &unsure).ok());
  EXPECT_EQ(unsure.category_source(), voc::CATEGORY_SOURCE_NONE);
  EXPECT_TRUE(unsure.category().empty());
  EXPECT_FALSE(unsure.suggested_category().empty());
  EXPECT_LT(unsure.category_confidence(), 0.9);

  // An agent's correction teaches it (one more document).
  voc::ClassifyCaseRequest fix;
  fix.set_case_id(unsure.id());
  fix.set_category("요금");
  fix.set_subcategory("환불");
  fix.mutable_update_mask()->add_paths("category");
  fix.mutable_update_mask()->add_paths("subcategory");
  voc::Case fixed;
  s = voc_->ClassifyCase(Call(agent2_).get(), fix, &fixed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(fixed.category_source(), voc::CATEGORY_SOURCE_AGENT);
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), voc::TrainClassifierRequest(), &trained).ok());
  EXPECT_EQ(trained.documents(), 11);
  // Corrected again: it replaces what the case taught, not adds to it.
  fix.set_category("배송");
  fix.set_subcategory("지연");
  ASSERT_TRUE(voc_->ClassifyCase(Call(agent2_).get(), fix, &fixed).ok());
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), voc::TrainClassifierRequest(), &trained).ok());
  EXPECT_EQ(trained.documents(), 11);
}

// Sentiment is inferred like the category: a per-tenant model over
// character n-grams, trained by TrainClassifier's sentiment examples and
// by agents' ClassifyCase, applied at or above the threshold once it knows
// classifier_min_examples texts.
TEST_F(VocServerTest, SentimentIsLearnedAndInferredWhenConfident) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  voc::Case before;
  ASSERT_TRUE(
      Capture(ByPhone("010-1234-5678", "정말 최악이에요. 너무 실망했습니다"), &before).ok());
  EXPECT_EQ(before.sentiment(), voc::SENTIMENT_UNSPECIFIED);  // an untrained model says nothing
  EXPECT_EQ(before.suggested_sentiment(), voc::SENTIMENT_UNSPECIFIED);

  const std::vector<std::pair<voc::Sentiment, std::vector<std::string>>> examples = {
      {voc::SENTIMENT_NEGATIVE,
       {"최악의 서비스입니다", "너무 실망했어요", "화가 나서 글을 남깁니다",
        "직원이 너무 불친절해요", "짜증나서 못 쓰겠어요", "다시는 이용하지 않겠습니다",
        "정말 실망스럽네요", "이런 서비스는 처음이에요 최악", "답답하고 화가 납니다",
        "불친절한 응대에 실망했습니다", "엉망이에요 너무 화나요", "정말 짜증나고 실망입니다"}},
      {voc::SENTIMENT_NEUTRAL,
       {"배송은 언제 되나요?", "영업시간이 궁금합니다", "주소 변경이 가능한가요?",
        "사용 방법을 알려주세요", "재고가 있는지 문의드립니다", "색상 옵션이 궁금해요",
        "결제 수단을 알려주실 수 있나요?", "매장 위치를 문의합니다", "사이즈 교환이 가능한가요?",
        "쿠폰 사용 기간이 궁금합니다", "주문 내역은 어디서 보나요?", "설치 일정을 문의드립니다"}},
      {voc::SENTIMENT_POSITIVE,
       {"친절하게 응대해 주셔서 감사합니다", "정말 만족합니다", "최고의 서비스예요",
        "빠른 배송 감사해요", "상담원분이 너무 친절했어요", "제품이 좋아서 만족해요",
        "덕분에 잘 해결됐어요 감사합니다", "항상 친절하셔서 좋아요", "기대 이상으로 만족스럽습니다",
        "정말 감사드립니다 최고예요", "친절한 설명 감사합니다", "아주 좋아요 만족합니다"}}};
  voc::TrainClassifierRequest train;
  for (const auto& [sentiment, texts] : examples) {
    for (const std::string& text : texts) {
      auto* e = train.add_examples();
      e->set_text(text);
      e->set_sentiment(sentiment);
    }
  }
  voc::TrainClassifierResponse trained;
  grpc::Status s = voc_->TrainClassifier(Call().get(), train, &trained);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(trained.sentiment_documents(), 36);
  EXPECT_EQ(trained.documents(), 0);  // sentiment-only examples leave the categories alone

  voc::Case angry, pleased, asking;
  ASSERT_TRUE(
      Capture(ByPhone("010-1234-5678", "정말 최악이에요. 너무 실망했고 화가 납니다"), &angry).ok());
  EXPECT_EQ(angry.sentiment(), voc::SENTIMENT_NEGATIVE);
  EXPECT_TRUE(angry.sentiment_inferred());
  EXPECT_GE(angry.sentiment_confidence(), 0.7);
  ASSERT_TRUE(
      Capture(ByPhone("010-1234-5678", "친절하게 도와주셔서 정말 감사합니다. 만족해요"), &pleased)
          .ok());
  EXPECT_EQ(pleased.sentiment(), voc::SENTIMENT_POSITIVE);
  ASSERT_TRUE(
      Capture(ByPhone("010-1234-5678", "배송 주소 변경이 가능한가요? 문의드립니다"), &asking).ok());
  EXPECT_EQ(asking.suggested_sentiment(), voc::SENTIMENT_NEUTRAL);

  // An agent's sentiment wins and teaches; a second correction replaces the
  // first. (No rule matched: the case is in "general", agent2's queue.)
  voc::ClassifyCaseRequest correct;
  correct.set_case_id(angry.id());
  correct.mutable_update_mask()->add_paths("sentiment");
  correct.set_sentiment(voc::SENTIMENT_NEUTRAL);
  voc::Case corrected;
  s = voc_->ClassifyCase(Call(agent2_).get(), correct, &corrected);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(corrected.sentiment(), voc::SENTIMENT_NEUTRAL);
  EXPECT_FALSE(corrected.sentiment_inferred());
  voc::TrainClassifierRequest none;
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), none, &trained).ok());
  EXPECT_EQ(trained.sentiment_documents(), 37);
  correct.set_sentiment(voc::SENTIMENT_NEGATIVE);
  ASSERT_TRUE(voc_->ClassifyCase(Call(agent2_).get(), correct, &corrected).ok());
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), none, &trained).ok());
  EXPECT_EQ(trained.sentiment_documents(), 37);
  // Cleared by the agent: the case no longer teaches anything.
  correct.set_sentiment(voc::SENTIMENT_UNSPECIFIED);
  ASSERT_TRUE(voc_->ClassifyCase(Call(agent2_).get(), correct, &corrected).ok());
  EXPECT_EQ(corrected.sentiment(), voc::SENTIMENT_UNSPECIFIED);
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), none, &trained).ok());
  EXPECT_EQ(trained.sentiment_documents(), 36);

  // Bad examples are refused and teach nothing.
  voc::TrainClassifierRequest bad;
  bad.add_examples()->set_text("라벨이 없는 문장");
  s = voc_->TrainClassifier(Call().get(), bad, &trained);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("examples[0]: give a category, a sentiment or both"));
  bad.mutable_examples(0)->set_sentiment(static_cast<voc::Sentiment>(9));
  s = voc_->TrainClassifier(Call().get(), bad, &trained);
  EXPECT_THAT(s.error_message(), HasSubstr("examples[0].sentiment: unknown value 9"));
  ASSERT_TRUE(voc_->TrainClassifier(Call().get(), none, &trained).ok());
  EXPECT_EQ(trained.sentiment_documents(), 36);
}

TEST_F(VocServerTest, ABreachFiresOnItsTimerAndActs) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  // Around the clock, so the test need not wait for office hours.
  voc::SetCalendarRequest calendar;
  for (int day = 1; day <= 7; ++day) {
    auto* hours = calendar.mutable_calendar()->add_working_hours();
    hours->set_weekday(day);
    hours->add_intervals()->set_end_minute(1440);
  }
  voc::SetCalendarResponse set;
  ASSERT_TRUE(voc_->SetCalendar(Call().get(), calendar, &set).ok());
  voc::Settings settings;
  ASSERT_TRUE(voc_->GetSettings(Call().get(), voc::GetSettingsRequest(), &settings).ok());
  voc::UpdateSettingsRequest update;
  *update.mutable_settings() = settings;
  voc::SlaPolicy* high = update.mutable_settings()->mutable_sla_policies(0);
  high->set_warning_percent(50);
  high->add_breach_actions(voc::SLA_ACTION_RAISE_PRIORITY);
  high->add_breach_actions(voc::SLA_ACTION_ESCALATE);
  update.mutable_update_mask()->add_paths("sla_policies");
  ASSERT_TRUE(voc_->UpdateSettings(Call().get(), update, &settings).ok());
  high->set_warning_percent(100);
  EXPECT_THAT(voc_->UpdateSettings(Call().get(), update, &settings).error_message(),
              HasSubstr("settings.sla_policies[0].warning_percent: 100 is outside 0..99"));

  // Spoken 90 minutes ago: the one-hour first response is already late.
  voc::CaptureCaseRequest late = ByPhone("010-1234-5678", "배송이 안 와요");
  late.mutable_occurred_at()->set_seconds(SecondsAgo(90 * 60));
  voc::Case c;
  ASSERT_TRUE(Capture(late, &c).ok());
  EXPECT_TRUE(c.first_response().breached());
  EXPECT_EQ(c.assignee(), "agent1");
  // The timer fires at once: logged, priority raised, escalated to the manager.
  voc::GetCaseRequest get;
  get.set_id(c.id());
  voc::Case now;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(voc_->GetCase(Call().get(), get, &now).ok());
    if (now.assignee() == "lead1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(now.assignee(), "lead1");
  EXPECT_EQ(now.priority(), voc::PRIORITY_URGENT);
  EXPECT_EQ(now.sla_policy(), "normal");  // URGENT matches the catch-all policy
  voc::ListCaseEventsRequest er;
  er.set_case_id(c.id());
  voc::ListCaseEventsResponse events;
  ASSERT_TRUE(voc_->ListCaseEvents(Call().get(), er, &events).ok());
  int warnings = 0, breaches = 0;
  for (const auto& e : events.events()) {
    if (e.kind() == voc::CaseEvent::KIND_SLA_BREACHED) {
      ++breaches;
      EXPECT_EQ(e.clock(), "first_response");
      EXPECT_EQ(e.sla_policy(), "high");
    }
    warnings += e.kind() == voc::CaseEvent::KIND_SLA_WARNING;
  }
  EXPECT_EQ(breaches, 1);  // once, not once per look
  EXPECT_EQ(warnings, 0);  // already breached when captured: no warning first

  // Spoken 40 minutes ago: past the warning point (30 of 60), not yet late.
  late.mutable_occurred_at()->set_seconds(late.occurred_at().seconds() + 50 * 60);
  late.set_text("배송 문의드려요");
  ASSERT_TRUE(Capture(late, &c).ok());
  EXPECT_FALSE(c.first_response().breached());
  er.set_case_id(c.id());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(voc_->ListCaseEvents(Call().get(), er, &events).ok());
    if (events.events().rbegin()->kind() == voc::CaseEvent::KIND_SLA_WARNING) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(events.events().rbegin()->kind(), voc::CaseEvent::KIND_SLA_WARNING);
  EXPECT_EQ(events.events().rbegin()->clock(), "first_response");
  get.set_id(c.id());
  ASSERT_TRUE(voc_->GetCase(Call().get(), get, &now).ok());
  EXPECT_EQ(now.priority(), voc::PRIORITY_HIGH);  // a warning has no actions here
  EXPECT_EQ(now.assignee(), "agent2");            // round robin's next
}

TEST_F(VocServerTest, InteractionsBecomeCasesByChoiceOrByRule) {
  Enable();
  Configure();
  const v1::Customer kim = Customer("김민수", "010-1234-5678");
  auto interaction = [&](v1::InteractionKind kind, v1::InteractionDirection direction,
                         const std::string& body) {
    v1::CreateInteractionRequest r;
    r.mutable_interaction()->set_customer_id(kim.id());
    r.mutable_interaction()->set_kind(kind);
    r.mutable_interaction()->set_direction(direction);
    r.mutable_interaction()->set_body(body);
    v1::Interaction out;
    grpc::Status s = interactions_->CreateInteraction(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  };
  const v1::Interaction call =
      interaction(v1::INTERACTION_KIND_CALL, v1::INTERACTION_DIRECTION_INBOUND, "택배가 안 왔어요");
  voc::CaptureFromInteractionRequest choose;
  choose.set_interaction_id(call.id());
  voc::Case c, again;
  grpc::Status s = voc_->CaptureFromInteraction(Call().get(), choose, &c);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(c.interaction_id(), call.id());
  EXPECT_EQ(c.customer_id(), kim.id());
  EXPECT_EQ(c.channel(), "phone");
  EXPECT_EQ(c.category(), "배송");
  ASSERT_TRUE(voc_->CaptureFromInteraction(Call().get(), choose, &again).ok());
  EXPECT_EQ(again.id(), c.id());  // once
  choose.set_interaction_id("01KA0000000000000000000000");
  EXPECT_EQ(voc_->CaptureFromInteraction(Call().get(), choose, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Opt in: inbound emails become cases by themselves.
  voc::UpdateSettingsRequest opt_in;
  opt_in.mutable_settings()->add_auto_capture_kinds("fax");
  opt_in.mutable_update_mask()->add_paths("auto_capture_kinds");
  voc::Settings saved;
  EXPECT_THAT(voc_->UpdateSettings(Call().get(), opt_in, &saved).error_message(),
              HasSubstr("settings.auto_capture_kinds[0]: 'fax' is not call, email"));
  opt_in.mutable_settings()->set_auto_capture_kinds(0, "email");
  ASSERT_TRUE(voc_->UpdateSettings(Call().get(), opt_in, &saved).ok());
  interaction(v1::INTERACTION_KIND_EMAIL, v1::INTERACTION_DIRECTION_OUTBOUND, "답장 드립니다");
  interaction(v1::INTERACTION_KIND_CALL, v1::INTERACTION_DIRECTION_INBOUND, "전화 문의");
  const v1::Interaction email =
      interaction(v1::INTERACTION_KIND_EMAIL, v1::INTERACTION_DIRECTION_INBOUND, "환불 요청합니다");
  voc::ListCasesRequest mine;
  mine.set_customer_id(kim.id());
  voc::ListCasesResponse listed;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(voc_->ListCases(Call().get(), mine, &listed).ok());
    if (listed.cases_size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(listed.cases_size(), 2);  // newest first: the email's
  EXPECT_EQ(listed.cases(0).interaction_id(), email.id());
  EXPECT_EQ(listed.cases(0).channel(), "email");
  EXPECT_EQ(listed.cases(0).category(), "요금");
  EXPECT_EQ(listed.cases(0).creator(), "admin");
}

TEST_F(VocServerTest, ReportsCountAsCasesChange) {
  Enable();
  Configure();
  const v1::Customer kim = Customer("김민수", "010-1234-5678", agent1_);  // agent1's customer
  // agent1 (team cs) logs an inbound call and captures two cases from it.
  v1::CreateInteractionRequest call_in;
  call_in.mutable_interaction()->set_customer_id(kim.id());
  call_in.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
  call_in.mutable_interaction()->set_direction(v1::INTERACTION_DIRECTION_INBOUND);
  call_in.mutable_interaction()->set_body("배송 문의 전화");
  v1::Interaction logged;
  ASSERT_TRUE(interactions_->CreateInteraction(Call(agent1_).get(), call_in, &logged).ok());
  voc::Case delivery, refund;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "배송이 안 와요"), &delivery, agent1_).ok());
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "환불해 주세요"), &refund, agent1_).ok());
  // One is answered at once, solved and rated 4.
  voc::AddCaseMessageRequest reply;
  reply.set_case_id(delivery.id());
  reply.set_text("확인했습니다");
  voc::Case out;
  ASSERT_TRUE(voc_->AddCaseMessage(Call(agent1_).get(), reply, &out).ok());
  // Paused right after the customer spoke (flagged by the audit), resumed
  // by the customer's answer.
  ASSERT_TRUE(
      Status(delivery.id(), voc::CASE_STATUS_PENDING_CUSTOMER, "주소 확인 요청", &out, agent1_)
          .ok());
  voc::AddCaseMessageRequest answer;
  answer.set_case_id(delivery.id());
  answer.set_text("주소는 서울시 중구입니다");
  answer.set_from_customer(true);
  ASSERT_TRUE(voc_->AddCaseMessage(Call(agent1_).get(), answer, &out).ok());
  EXPECT_EQ(out.status(), voc::CASE_STATUS_OPEN);
  ASSERT_TRUE(Status(delivery.id(), voc::CASE_STATUS_SOLVED, "", &out, agent1_).ok());
  voc::RecordCsatRequest csat;
  csat.set_case_id(delivery.id());
  csat.set_rating(2);
  ASSERT_TRUE(voc_->RecordCsat(Call().get(), csat, &out).ok());
  csat.set_rating(4);  // a second rating replaces the first
  ASSERT_TRUE(voc_->RecordCsat(Call().get(), csat, &out).ok());

  voc::Report report;
  grpc::Status s = voc_->GetReport(Call().get(), voc::GetReportRequest(), &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, int64_t> by_category, by_queue, by_age;
  for (const auto& c : report.open_by_category()) by_category[c.key()] = c.count();
  for (const auto& c : report.open_by_queue()) by_queue[c.key()] = c.count();
  for (const auto& c : report.open_by_age()) by_age[c.key()] = c.count();
  EXPECT_EQ(by_category, (std::map<std::string, int64_t>{{"요금", 1}}));
  EXPECT_EQ(by_queue, (std::map<std::string, int64_t>{{"general", 1}}));
  EXPECT_EQ(by_age["0-1d"], 1);
  ASSERT_EQ(report.sla_size(), 2);
  EXPECT_EQ(report.sla(0).clock(), "first_response");
  EXPECT_EQ(report.sla(0).met(), 1);
  EXPECT_EQ(report.sla(0).breached(), 0);
  EXPECT_DOUBLE_EQ(report.sla(0).attainment(), 1.0);
  EXPECT_EQ(report.sla(1).met(), 1);
  EXPECT_EQ(report.csat_responses(), 1);
  EXPECT_DOUBLE_EQ(report.csat_average(), 4.0);
  EXPECT_EQ(report.csat_distribution(3), 1);
  EXPECT_EQ(report.csat_distribution(1), 0);
  std::map<std::string, int64_t> this_week;
  for (const auto& t : report.categories_week_over_week()) this_week[t.category()] = t.this_week();
  EXPECT_EQ(this_week, (std::map<std::string, int64_t>{{"배송", 1}, {"요금", 1}}));
  ASSERT_EQ(report.capture_by_team_size(), 1);
  EXPECT_EQ(report.capture_by_team(0).team(), "cs");
  EXPECT_EQ(report.capture_by_team(0).cases(), 2);
  EXPECT_EQ(report.capture_by_team(0).inbound_interactions(), 1);
  EXPECT_DOUBLE_EQ(report.capture_by_team(0).capture_rate(), 2.0);
  ASSERT_EQ(report.pause_audit_size(), 1);
  EXPECT_EQ(report.pause_audit(0).agent(), "agent1");
  EXPECT_EQ(report.pause_audit(0).pauses(), 1);
  EXPECT_EQ(report.pause_audit(0).flagged(), 1);
  EXPECT_GE(report.pause_audit(0).paused_minutes(), 0);

  // Recategorised: the counters follow.
  voc::ClassifyCaseRequest fix;
  fix.set_case_id(refund.id());
  fix.set_category("배송");
  fix.mutable_update_mask()->add_paths("category");
  ASSERT_TRUE(voc_->ClassifyCase(Call(agent2_).get(), fix, &out).ok());
  ASSERT_TRUE(voc_->GetReport(Call().get(), voc::GetReportRequest(), &report).ok());
  ASSERT_EQ(report.open_by_category_size(), 1);
  EXPECT_EQ(report.open_by_category(0).key(), "배송");

  // Reps may not read reports; a bad range is refused.
  EXPECT_EQ(voc_->GetReport(Call(agent1_).get(), voc::GetReportRequest(), &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  voc::GetReportRequest bad;
  bad.set_from_date("2025-01-01");
  bad.set_to_date("2026-06-01");
  EXPECT_THAT(voc_->GetReport(Call().get(), bad, &report).error_message(),
              HasSubstr("to_date: a report covers at most 366 days"));
  bad.set_from_date("2026-02-30");
  EXPECT_THAT(voc_->GetReport(Call().get(), bad, &report).error_message(),
              HasSubstr("from_date: '2026-02-30' is not a date"));
}

TEST_F(VocServerTest, AShadowTeamSeesWhatTheModuleWouldDoWithoutAnyoneBeingAssigned) {
  Enable();
  Configure();
  CreateTeam("pilot");
  const std::string pilot = CreateUser("pilot1", {v1::ROLE_REP}, {"pilot"});
  Customer("김민수", "010-1234-5678", pilot);  // the pilot rep's customer
  voc::UpdateSettingsRequest shadow;
  shadow.mutable_settings()->add_shadow_teams("pilot");
  shadow.mutable_update_mask()->add_paths("shadow_teams");
  voc::Settings saved;
  ASSERT_TRUE(voc_->UpdateSettings(Call().get(), shadow, &saved).ok());

  // Spoken 90 minutes ago: a real case would be breached and escalated at once.
  voc::CaptureCaseRequest late = ByPhone("010-1234-5678", "배송이 안 와요");
  late.mutable_occurred_at()->set_seconds(SecondsAgo(90 * 60));
  voc::Case c;
  grpc::Status s = Capture(late, &c, pilot);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(c.shadow());
  EXPECT_EQ(c.category(), "배송");    // categorised
  EXPECT_EQ(c.queue(), "delivery");   // routed
  EXPECT_TRUE(c.assignee().empty());  // assigned to nobody
  EXPECT_EQ(c.shadow_assignee(), "agent1");
  EXPECT_EQ(c.sla_policy(), "high");  // its clocks run
  EXPECT_TRUE(c.first_response().has_due_time());
  // The queue's agents do not see it; admins and its creator do.
  voc::GetCaseRequest get;
  get.set_id(c.id());
  voc::Case seen;
  EXPECT_EQ(voc_->GetCase(Call(agent1_).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(voc_->GetCase(Call(pilot).get(), get, &seen).ok());
  voc::ListCasesRequest list;
  list.set_shadow_only(true);
  voc::ListCasesResponse listed;
  ASSERT_TRUE(voc_->ListCases(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  // Nobody is notified: no breach is logged, no escalation, no report entry.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  voc::ListCaseEventsRequest er;
  er.set_case_id(c.id());
  voc::ListCaseEventsResponse events;
  ASSERT_TRUE(voc_->ListCaseEvents(Call().get(), er, &events).ok());
  for (const auto& e : events.events()) {
    EXPECT_NE(e.kind(), voc::CaseEvent::KIND_SLA_BREACHED);
    EXPECT_NE(e.kind(), voc::CaseEvent::KIND_ASSIGNED);
  }
  voc::Report report;
  ASSERT_TRUE(voc_->GetReport(Call().get(), voc::GetReportRequest(), &report).ok());
  EXPECT_EQ(report.open_by_queue_size(), 0);
  // The same words from someone outside the shadow teams are a real case.
  voc::Case live;
  ASSERT_TRUE(Capture(ByPhone("010-1234-5678", "배송이 안 와요"), &live).ok());
  EXPECT_FALSE(live.shadow());
  EXPECT_EQ(live.assignee(), "agent1");  // the shadow case took no turn
}

TEST_F(VocServerTest, ACallCentreLogLoadsInBatchesOnceAndReportsItsBadLines) {
  Enable();
  Configure();
  Customer("김민수", "010-1234-5678");
  voc::BatchCaptureCasesRequest log;
  auto line = [&](const std::string& phone, const std::string& text, const std::string& id) {
    voc::CaptureCaseRequest* r = log.add_cases();
    r->set_phone(phone);
    r->set_text(text);
    r->set_external_id(id);
  };
  line("010-1234-5678", "택배가 안 와요", "cc-0001");
  line("010-1234-5678", "   ", "cc-0002");
  line("not a phone", "환불 문의", "cc-0003");
  line("010-9876-5432", "환불 문의", "cc-0004");  // nobody: unmatched
  voc::BatchCaptureCasesResponse first;
  grpc::Status s = voc_->BatchCaptureCases(Call().get(), log, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.captured(), 2);
  EXPECT_EQ(first.failed(), 2);
  ASSERT_EQ(first.results_size(), 4);
  EXPECT_EQ(first.results(0).code(), 0);
  EXPECT_EQ(first.results(0).case_().category(), "배송");
  EXPECT_EQ(first.results(1).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(first.results(1).error(), HasSubstr("cases[1].text: is required"));
  EXPECT_THAT(first.results(2).error(), HasSubstr("cases[2].phone: "));
  EXPECT_EQ(first.results(3).case_().queue(), "unmatched");
  EXPECT_EQ(CaseCount(), 2);
  // Loaded again: the same cases, nothing new.
  voc::BatchCaptureCasesResponse again;
  ASSERT_TRUE(voc_->BatchCaptureCases(Call().get(), log, &again).ok());
  EXPECT_EQ(again.results(0).case_().id(), first.results(0).case_().id());
  EXPECT_EQ(again.results(3).case_().id(), first.results(3).case_().id());
  EXPECT_EQ(CaseCount(), 2);
  // More than 500 lines in one call is refused whole.
  voc::BatchCaptureCasesRequest big;
  for (int i = 0; i < 501; ++i) *big.add_cases() = log.cases(0);
  s = voc_->BatchCaptureCases(Call().get(), big, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("cases: at most 500 per call (got 501)"));
  EXPECT_EQ(CaseCount(), 2);
}

}  // namespace
}  // namespace rapport
