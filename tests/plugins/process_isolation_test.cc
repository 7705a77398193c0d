// Plugins out of process ("isolation": "process"): the "crashy" test plugin
// runs in a rapport-plugin-runner child of the real rapportd binary and
// segfaults, aborts, loops forever or leaks in its validate, pre-commit and
// post-commit hooks and in an RPC, under concurrent writes. rapportd keeps
// serving; writes the module's hooks would see are refused (UNAVAILABLE or
// DEADLINE_EXCEEDED, naming the module) while it is down, and nothing is
// half-written; post-commit hooks resume from their cursor with no event
// lost or applied twice; fsck is clean; the child is restarted each time and
// `modules list` counts the restarts.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "test_plugins.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
namespace tp = ::rapport::testplugins::v1;
using ::testing::HasSubstr;

// A rapportd with the crashy plugin (optionally with its manifest replaced)
// and a client for it.
class Server {
 public:
  explicit Server(testing::TempDir& dir, const std::string& manifest = "",
                  std::vector<std::string> extra_flags = {}) {
    const std::string plugins = dir.Sub("plugins");
    fs::create_directories(plugins);
    fs::create_directories(dir.Sub("markers"));
    fs::copy_file(fs::path(RAPPORT_ISOLATION_PLUGIN_DIR) / "crashy.so",
                  fs::path(plugins) / "crashy.so", fs::copy_options::overwrite_existing);
    if (manifest.empty()) {
      fs::copy_file(fs::path(RAPPORT_ISOLATION_PLUGIN_DIR) / "crashy.manifest.json",
                    fs::path(plugins) / "crashy.manifest.json",
                    fs::copy_options::overwrite_existing);
    } else {
      std::ofstream(fs::path(plugins) / "crashy.manifest.json") << manifest;
    }
    std::ofstream(dir.Sub("config.json"))
        << "{\"crashy\": {\"dir\": \"" << dir.Sub("markers") << "\"}}";
    std::vector<std::string> flags = {
        "--plugin-dir",        plugins, "--plugin-config",         dir.Sub("config.json"),
        "--dead-letter-after", "3",     "--plugin-restart-max-ms", "400"};
    for (auto& f : extra_flags) flags.push_back(f);
    process_ = std::make_unique<testing::RapportdProcess>(RAPPORTD_PATH, dir.Sub("data"), flags,
                                                          dir.Sub("rapportd.log"));
    if (process_->address().empty()) return;
    std::getline(std::ifstream(dir.Sub("data") + "/admin.token"), token_);
    auto channel = grpc::CreateChannel(process_->address(), grpc::InsecureChannelCredentials());
    customers = v1::CustomerService::NewStub(channel);
    modules = v1::ModuleService::NewStub(channel);
    admin = v1::AdminService::NewStub(channel);
    crashy = tp::CrashyService::NewStub(channel);
  }

  bool started() const { return !process_->address().empty(); }
  testing::RapportdProcess& process() { return *process_; }

  std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }

  grpc::Status Enable() {
    v1::SetRolloutRequest on;
    on.mutable_rule()->set_module("crashy");
    on.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule rule;
    return modules->SetRollout(Context().get(), on, &rule);
  }

  grpc::Status Create(const std::string& name, v1::Customer* out = nullptr) {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_PERSON);
    request.mutable_customer()->set_display_name(name);
    v1::Customer ignored;
    return customers->CreateCustomer(Context().get(), request, out ? out : &ignored);
  }

  v1::Module Module() {
    v1::ListModulesResponse list;
    EXPECT_TRUE(modules->ListModules(Context().get(), v1::ListModulesRequest(), &list).ok());
    for (const auto& m : list.modules())
      if (m.name() == "crashy") return m;
    return v1::Module();
  }

  // Waits (up to 20 s) until the child has been restarted more than
  // `restarts` times and is up.
  bool AwaitRestart(int64_t restarts) {
    for (int i = 0; i < 400; ++i) {
      v1::Module m = Module();
      if (m.restarts() > restarts && m.process_up()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // The counter `key` of the plugin's keyspace (-1 when missing).
  int64_t Counter(const std::string& key) {
    tp::ReadCounterRequest request;
    request.set_key(key);
    tp::ReadCounterResponse response;
    grpc::Status s = crashy->ReadCounter(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.found() ? response.value() : -1;
  }

  std::vector<v1::Customer> AllCustomers() {
    std::vector<v1::Customer> all;
    v1::ListCustomersRequest request;
    request.set_page_size(1000);
    for (;;) {
      v1::ListCustomersResponse page;
      grpc::Status s = customers->ListCustomers(Context().get(), request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const auto& c : page.customers()) all.push_back(c);
      if (!s.ok() || page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return all;
  }

  bool Consistent() {
    v1::CheckConsistencyResponse report;
    grpc::Status s =
        admin->CheckConsistency(Context(120).get(), v1::CheckConsistencyRequest(), &report);
    return s.ok() && report.consistent();
  }

  int64_t ChildPid() {
    tp::MisbehaveRequest request;
    request.set_what("ok");
    tp::MisbehaveResponse response;
    if (!crashy->Misbehave(Context().get(), request, &response).ok()) return -1;
    return response.pid();
  }

  std::unique_ptr<v1::CustomerService::Stub> customers;
  std::unique_ptr<v1::ModuleService::Stub> modules;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<tp::CrashyService::Stub> crashy;

 private:
  std::unique_ptr<testing::RapportdProcess> process_;
  std::string token_;
};

bool Alive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

TEST(ProcessIsolationTest, ListedAsProcessIsolated) {
  testing::TempDir dir;
  Server server(dir);
  ASSERT_TRUE(server.started());
  v1::Module m = server.Module();
  EXPECT_EQ(m.state(), "loaded") << m.last_error();
  EXPECT_EQ(m.isolation(), "process");
  EXPECT_EQ(m.restarts(), 0);
  EXPECT_TRUE(m.process_up());
  ASSERT_TRUE(server.Enable().ok());
  const int64_t child = server.ChildPid();
  ASSERT_GT(child, 0);
  EXPECT_TRUE(Alive(child));
  EXPECT_NE(child, getpid());
  // A normal write runs every hook in the child.
  v1::Customer c;
  ASSERT_TRUE(server.Create("평범한 고객", &c).ok());
  EXPECT_THAT(c.tags(), ::testing::Contains("crashy"));  // the pre-commit hook's change
  EXPECT_EQ(server.Counter("created"), 1);
  // Stopping rapportd ends the child.
  EXPECT_EQ(server.process().TerminateAndWait(std::chrono::seconds(20)), 0);
  for (int i = 0; i < 100 && Alive(child); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(Alive(child));
}

// Validate and pre-commit hooks and the RPC, each way of dying: the call fails naming the
// module, nothing of it is written, rapportd serves on, and the child is
// back for the next call.
TEST(ProcessIsolationTest, EveryCrashFailsClosedAndTheChildComesBack) {
  testing::TempDir dir;
  Server server(dir);
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.Enable().ok());
  ASSERT_TRUE(server.Create("before").ok());
  int64_t restarts = 0;
  struct Case {
    std::string name;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"segv-validate", grpc::StatusCode::UNAVAILABLE},
      {"abort-validate", grpc::StatusCode::UNAVAILABLE},
      {"leak-validate", grpc::StatusCode::UNAVAILABLE},
      {"loop-validate", grpc::StatusCode::DEADLINE_EXCEEDED},
      {"segv-precommit", grpc::StatusCode::UNAVAILABLE},
      {"abort-precommit", grpc::StatusCode::UNAVAILABLE},
      {"leak-precommit", grpc::StatusCode::UNAVAILABLE},
      {"loop-precommit", grpc::StatusCode::DEADLINE_EXCEEDED},
  };
  int refused_while_down = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const int64_t pid = server.ChildPid();
    ASSERT_GT(pid, 0);
    grpc::Status s = server.Create("고객 " + c.name);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("module 'crashy'"));
    // While the child is down the module's hooks fail closed. The restart
    // waits 100 ms, then 200, then 400 (this server's --plugin-restart-max-ms)
    // each time, so only on a stalled machine can the restart win the race;
    // then the write went through the new child, which is up.
    grpc::Status down = server.Create("while down");
    if (down.ok()) {
      EXPECT_NE(server.ChildPid(), pid) << "a write while down was not refused";
      EXPECT_TRUE(server.Module().process_up());
    } else {
      ++refused_while_down;
      EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
      EXPECT_THAT(down.error_message(), HasSubstr("module 'crashy'"));
    }
    ASSERT_TRUE(server.AwaitRestart(restarts));
    restarts = server.Module().restarts();
    EXPECT_NE(server.ChildPid(), pid);
    EXPECT_FALSE(Alive(pid));
    grpc::Status after = server.Create("after a crash");
    EXPECT_TRUE(after.ok()) << after.error_message();
  }
  // The refusal itself was seen (a stall of 100-400 ms on every one of the
  // eight would be needed to miss it).
  EXPECT_GE(refused_while_down, 1);
  // Nothing of a failed write was kept: each stored customer went through
  // the pre-commit hook exactly once, and no misbehaving one is stored.
  const auto all = server.AllCustomers();
  for (const auto& c : all) EXPECT_THAT(c.display_name(), ::testing::Not(HasSubstr("고객")));
  EXPECT_EQ(server.Counter("created"), static_cast<int64_t>(all.size()));

  // The RPC: the same four ways.
  const int64_t calls_before = server.Counter("rpc_calls");
  for (const char* what : {"segv", "abort", "leak", "loop"}) {
    SCOPED_TRACE(what);
    tp::MisbehaveRequest request;
    request.set_what(what);
    tp::MisbehaveResponse response;
    grpc::Status s = server.crashy->Misbehave(server.Context().get(), request, &response);
    EXPECT_EQ(s.error_code(), std::string(what) == "loop" ? grpc::StatusCode::DEADLINE_EXCEEDED
                                                          : grpc::StatusCode::UNAVAILABLE)
        << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("module 'crashy'"));
    ASSERT_TRUE(server.AwaitRestart(restarts));
    restarts = server.Module().restarts();
  }
  // The four failed calls' increments were dropped; the ChildPid calls
  // (Misbehave "ok") count.
  ASSERT_GT(calls_before, 0);
  const int64_t pid = server.ChildPid();
  EXPECT_GT(pid, 0);
  EXPECT_EQ(server.Counter("rpc_calls"), calls_before + 1);
  EXPECT_EQ(server.Module().restarts(), restarts);
  EXPECT_TRUE(server.Consistent());
}

// Concurrent writers while the child crashes in its post-commit hook (once
// per marked customer) and is SIGKILLed from outside: every created
// customer's event reaches the hook exactly once, none is dead-lettered,
// and no write that was acknowledged is missing.
TEST(ProcessIsolationTest, PostCommitHooksResumeWithNoEventLostOrRepeated) {
  testing::TempDir dir;
  Server server(dir);
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.Enable().ok());
  constexpr int kWriters = 4, kEach = 30;
  std::atomic<int> refused{0};
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const bool crash = i % 10 == 5;
        // Refused while the child is down (the write did not happen): a
        // client retries, as it would.
        for (int attempt = 0; attempt < 500; ++attempt) {
          v1::Customer c;
          grpc::Status s =
              server.Create(absl::StrCat("writer ", w, "-", i, crash ? " segv-post-once" : ""), &c);
          if (s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged.insert(c.id());
            break;
          }
          EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  // And a kill from outside, mid-load.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t pid = server.ChildPid();
  if (pid > 0) kill(static_cast<pid_t>(pid), SIGKILL);
  for (auto& t : writers) t.join();
  // The post-commit hooks catch up: one "post/ID" per stored customer,
  // each exactly 1.
  const auto all = server.AllCustomers();
  ASSERT_EQ(all.size(), acknowledged.size());
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * kEach));
  for (const auto& c : all) EXPECT_TRUE(acknowledged.count(c.id())) << c.id();
  bool caught_up = false;
  for (int i = 0; i < 600 && !caught_up; ++i) {
    tp::CountRequest request;
    request.set_prefix("post/");
    tp::CountResponse count;
    if (server.crashy->Count(server.Context().get(), request, &count).ok() &&
        count.count() == static_cast<int64_t>(all.size())) {
      caught_up = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_TRUE(caught_up);
  for (const auto& c : all) EXPECT_EQ(server.Counter("post/" + c.id()), 1) << c.display_name();
  EXPECT_EQ(server.Counter("created"), static_cast<int64_t>(all.size()));
  v1::ListDeadLettersRequest letters_request;
  letters_request.set_module("crashy");
  v1::ListDeadLettersResponse letters;
  ASSERT_TRUE(
      server.modules->ListDeadLetters(server.Context().get(), letters_request, &letters).ok());
  EXPECT_EQ(letters.dead_letters_size(), 0);
  // Each marked customer crashed the hook once.
  EXPECT_GE(server.Module().restarts(), kWriters * kEach / 10);
  EXPECT_TRUE(server.Consistent());
  std::printf("post-commit: %zu customers, %d writes refused while down, %lld restarts\n",
              all.size(), refused.load(), static_cast<long long>(server.Module().restarts()));
}

// Bad manifests and a missing runner: the plugin is refused, with the
// reason, and rapportd runs without it.
TEST(ProcessIsolationTest, RefusesBadIsolationSettings) {
  struct Case {
    std::string manifest;
    std::string error;
  };
  const std::string head = R"({"name": "crashy", "version": "1.0.0", "abi_major": 1, )";
  const std::vector<Case> cases = {
      {head + R"("isolation": "sandbox"})", "\"isolation\" must be \"in_process\""},
      {head + R"("isolation": "process", "timeout_ms": 0})", "\"timeout_ms\" must be"},
      {head + R"("isolation": "process", "timeout_ms": 1.5})", "\"timeout_ms\" must be"},
      {head + R"("isolation": "process", "memory_limit_mib": 8})", "\"memory_limit_mib\" must be"},
      {head + R"("timeout_ms": 100})", "apply only with \"isolation\": \"process\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.manifest);
    testing::TempDir dir;
    Server server(dir, c.manifest);
    ASSERT_TRUE(server.started());
    v1::Module m = server.Module();
    EXPECT_EQ(m.state(), "refused");
    EXPECT_THAT(m.last_error(), HasSubstr(c.error));
  }
  testing::TempDir dir;
  Server server(dir, "", {"--plugin-runner", dir.Sub("no-such-runner")});
  ASSERT_TRUE(server.started());
  v1::Module m = server.Module();
  EXPECT_EQ(m.state(), "refused");
  EXPECT_THAT(m.last_error(), HasSubstr("no-such-runner"));
  EXPECT_TRUE(server.Create("served without it").ok());
}

}  // namespace
}  // namespace rapport
