// VOC's SLA timers survive SIGKILL of the real rapportd binary: cases whose
// one-minute first-response target runs out a second or two after capture
// are captured, rapportd is killed with SIGKILL while their breach timers are
// due or firing, and restarted on the same data directory. Every case then
// logs its breach, and exactly once (the log entry commits in one batch with
// the timer's removal), and its escalation happened once.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/identity.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/voc/v1/voc.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
namespace voc = ::rapport::voc::v1;

constexpr int kCases = 300;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(VocCrashTest, BreachTimersFireExactlyOnceAcrossSigkill) {
  testing::TempDir dir;
  const std::string data = dir.Sub("data"), plugins = dir.Sub("plugins");
  fs::create_directories(plugins);
  for (const char* f : {"voc.so", "voc.manifest.json"}) {
    fs::copy_file(fs::path(RAPPORT_VOC_PLUGIN_DIR) / f, fs::path(plugins) / f);
  }
  const std::vector<std::string> flags = {"--plugin-dir", plugins};
  std::vector<std::string> ids;
  std::string token;
  {
    testing::RapportdProcess server(RAPPORTD_PATH, data, flags, dir.Sub("first.log"));
    ASSERT_FALSE(server.address().empty());
    std::getline(std::ifstream(data + "/admin.token"), token);
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    auto modules = v1::ModuleService::NewStub(channel);
    auto vocs = voc::VocService::NewStub(channel);
    v1::SetRolloutRequest on;
    on.mutable_rule()->set_module("voc");
    on.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule rule;
    ASSERT_TRUE(modules->SetRollout(Context(token).get(), on, &rule).ok());
    voc::SetCalendarRequest calendar;  // around the clock
    for (int day = 1; day <= 7; ++day) {
      auto* hours = calendar.mutable_calendar()->add_working_hours();
      hours->set_weekday(day);
      hours->add_intervals()->set_end_minute(1440);
    }
    voc::SetCalendarResponse set;
    ASSERT_TRUE(vocs->SetCalendar(Context(token).get(), calendar, &set).ok());
    voc::UpdateSettingsRequest settings;
    auto* queue = settings.mutable_settings()->add_queues();
    queue->set_name("general");
    queue->add_members("admin");
    queue->set_escalation_manager("admin");
    auto* policy = settings.mutable_settings()->add_sla_policies();
    policy->set_name("fast");
    policy->set_first_response_minutes(1);
    policy->set_resolution_minutes(600);
    policy->add_breach_actions(voc::SLA_ACTION_RAISE_PRIORITY);
    settings.mutable_update_mask()->add_paths("queues");
    settings.mutable_update_mask()->add_paths("sla_policies");
    voc::Settings saved;
    grpc::Status s = vocs->UpdateSettings(Context(token).get(), settings, &saved);
    ASSERT_TRUE(s.ok()) << s.error_message();
    auto customers = v1::CustomerService::NewStub(channel);
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_display_name("김민수");
    create.mutable_customer()->add_phones("010-1234-5678");
    v1::Customer customer;
    ASSERT_TRUE(customers->CreateCustomer(Context(token).get(), create, &customer).ok());
    // Spoken 59 s ago: each breach is due about a second after capture.
    for (int i = 0; i < kCases; ++i) {
      voc::CaptureCaseRequest r;
      r.set_customer_id(customer.id());
      r.set_text("배송 문의 " + std::to_string(i));
      r.mutable_occurred_at()->set_seconds(NowSeconds() - 59);
      voc::Case c;
      s = vocs->CaptureCase(Context(token).get(), r, &c);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ASSERT_EQ(c.priority(), voc::PRIORITY_NORMAL);
      ids.push_back(c.id());
    }
    // Killed while the breach timers are due and firing.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    server.KillAndWait(SIGKILL);
  }
  testing::RapportdProcess server(RAPPORTD_PATH, data, flags, dir.Sub("second.log"));
  ASSERT_FALSE(server.address().empty());
  auto vocs = voc::VocService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  std::map<int, int> breaches_per_case;  // breaches logged -> cases
  for (int attempt = 0; attempt < 300; ++attempt) {
    breaches_per_case.clear();
    for (const std::string& id : ids) {
      voc::ListCaseEventsRequest r;
      r.set_case_id(id);
      voc::ListCaseEventsResponse events;
      ASSERT_TRUE(vocs->ListCaseEvents(Context(token).get(), r, &events).ok());
      int breaches = 0;
      for (const auto& e : events.events())
        breaches += e.kind() == voc::CaseEvent::KIND_SLA_BREACHED;
      ++breaches_per_case[breaches];
    }
    if (breaches_per_case[1] == kCases) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(breaches_per_case[1], kCases)
      << "cases with 0 breaches: " << breaches_per_case[0]
      << ", with 2 or more: " << kCases - breaches_per_case[0] - breaches_per_case[1];
  // The action ran once per case: one priority step, NORMAL to HIGH.
  for (const std::string& id : ids) {
    voc::GetCaseRequest r;
    r.set_id(id);
    voc::Case c;
    ASSERT_TRUE(vocs->GetCase(Context(token).get(), r, &c).ok());
    EXPECT_EQ(c.priority(), voc::PRIORITY_HIGH) << id;
  }
}

}  // namespace
}  // namespace rapport
