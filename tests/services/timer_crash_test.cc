// Durable timers survive SIGKILL of the real rapportd binary: 100,000 timers
// of the test plugin "timer" (tests/core/plugin_host/timer_plugin.cc) are
// scheduled, rapportd is killed when about half have fired, and restarted on
// the same data directory. Every timer then fires, and its effects (the
// "fired" counter and the "fired/<key>" marker, written in one batch with the
// timer's removal) apply exactly once: the counter is exactly 100,000, every
// marker exists, no dead letter was written, and no timer, due entry or
// pending count is left in the store.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/store/database.h"
#include "core/store/keyspace.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr char kService[] = "/rapport.timer.v1.TimerService/";
constexpr int64_t kTimers = 100'000;
constexpr int64_t kChunk = 2'000;
// Timer n is due kLead after scheduling starts plus n * kStep: the last one
// kLead + 3 s after it (scheduling takes about 3 s on 2 cores, so firing
// overlaps its end). One ScheduleMany call's cost grows with the square of
// its timers (the host looks through the call's pending writes for each),
// so the chunks stay small.
constexpr int64_t kLeadMicros = 2'000'000;
constexpr int64_t kStepMicros = 30;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Key(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fired/t/%08lld", static_cast<long long>(n));
  return buf;
}

// The bootstrap admin's gRPC client of one rapportd.
class Client {
 public:
  Client(const std::string& address, std::string token)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        token_(std::move(token)),
        modules_(v1::ModuleService::NewStub(channel_)) {}

  std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }

  // The timer plugin's method `method` (a generic unary call: the plugin's
  // service has no generated stub), rapport.v1.Customer both ways.
  grpc::Status Timer(const std::string& method, const v1::Customer& request, v1::Customer* response,
                     int seconds = 10) {
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    auto ctx = Context(seconds);
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request_bytes(&slice, 1), response_bytes;
    auto call = stub.PrepareUnaryCall(ctx.get(), kService + method, request_bytes, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response_bytes, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (!status.ok()) return status;
    std::vector<grpc::Slice> slices;
    std::string out;
    if (response_bytes.Dump(&slices).ok()) {
      for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    if (!response->ParseFromString(out)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "unparsable response");
    }
    return status;
  }

  // The "fired" counter (-1 if the call fails or there is none yet).
  int64_t Fired() {
    v1::Customer request, response;
    request.set_display_name("fired");
    grpc::Status s = Timer("Get", request, &response);
    return s.ok() ? response.revision() : -1;
  }

  v1::ModuleService::Stub* modules() { return modules_.get(); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
  std::unique_ptr<v1::ModuleService::Stub> modules_;
};

std::string ReadToken(const std::string& data_dir) {
  std::ifstream file(data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

// Entries of the meta family under `prefix`.
int64_t CountMeta(store::Database* db, const std::string& prefix) {
  int64_t n = 0;
  auto it = db->NewIterator(db->meta());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  return n;
}

TEST(TimerCrashTest, EveryTimerFiresOnceInEffectAcrossSigkill) {
  testing::TempDir dir;
  const std::string data = dir.Sub("data");
  const std::string plugins = dir.Sub("plugins");
  fs::create_directories(plugins);
  for (const char* file : {"timer.so", "timer.manifest.json"}) {
    fs::copy_file(fs::path(RAPPORT_TIMER_PLUGIN_DIR) / file, fs::path(plugins) / file);
  }
  const std::vector<std::string> flags = {"--plugin-dir", plugins};
  const auto test_start = SteadyClock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(SteadyClock::now() - test_start).count();
  };

  int64_t fired_at_kill = 0;
  {
    testing::RapportdProcess server(RAPPORTD_PATH, data, flags, dir.Sub("rapportd-1.log"));
    ASSERT_FALSE(server.address().empty()) << "rapportd did not start";
    const std::string token = ReadToken(data);
    ASSERT_FALSE(token.empty());
    Client client(server.address(), token);

    // Switch the module on for the whole tenant.
    v1::SetRolloutRequest rollout;
    rollout.mutable_rule()->set_module("timer");
    rollout.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
    v1::RolloutRule rule;
    grpc::Status s = client.modules()->SetRollout(client.Context().get(), rollout, &rule);
    ASSERT_TRUE(s.ok()) << s.error_message();

    // 100,000 timers "t/<n>", in chunks, one numbering and one spread (a
    // chunk scheduled late, on a slow machine, is shifted to stay ahead).
    const int64_t start = NowMicros() + kLeadMicros;
    for (int64_t first = 0; first < kTimers; first += kChunk) {
      const int64_t chunk_start = std::max(start, NowMicros() + 100'000 - first * kStepMicros);
      v1::Customer request, response;
      request.set_display_name("t");
      request.set_revision(kChunk);
      request.add_tags(std::to_string(kStepMicros));
      request.add_tags(std::to_string(chunk_start));
      request.add_tags(std::to_string(first));
      s = client.Timer("ScheduleMany", request, &response, 60);
      ASSERT_TRUE(s.ok()) << "chunk at " << first << ": " << s.error_message();
    }
    std::printf("scheduled %lld timers in %.2f s\n", static_cast<long long>(kTimers), elapsed());

    // Kill once about half have fired.
    const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    while (SteadyClock::now() < deadline && (fired_at_kill = client.Fired()) < kTimers / 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(fired_at_kill, kTimers / 2) << "timers did not fire within 60 s";
    const int status = server.KillAndWait(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    std::printf("SIGKILL at %.2f s with at least %lld fired\n", elapsed(),
                static_cast<long long>(fired_at_kill));
  }

  int64_t fired_after_restart = 0;
  {
    testing::RapportdProcess server(RAPPORTD_PATH, data, flags, dir.Sub("rapportd-2.log"));
    ASSERT_FALSE(server.address().empty()) << "rapportd did not restart";
    Client client(server.address(), ReadToken(data));

    // Every timer fires (bounded).
    int64_t fired = 0;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
    while (SteadyClock::now() < deadline && (fired = client.Fired()) < kTimers) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(fired, kTimers) << "not all timers fired within 120 s of the restart";
    std::printf("all fired at %.2f s\n", elapsed());
    // ... and none again.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(client.Fired(), kTimers) << "a timer's effects applied twice";

    // Every marker, exactly the expected keys, paged.
    v1::Customer request, response;
    request.set_display_name("fired/");
    grpc::Status s = client.Timer("Count", request, &response, 30);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.revision(), kTimers);
    int64_t next = 0;
    std::string after;
    bool same = true;
    for (;;) {
      v1::Customer page_request, page;
      page_request.set_display_name("fired/");
      page_request.set_owner(after);
      page_request.set_revision(10'000);
      s = client.Timer("Count", page_request, &page, 30);
      ASSERT_TRUE(s.ok()) << s.error_message();
      if (page.tags_size() == 0) break;
      for (const std::string& key : page.tags()) {
        if (same && key != Key(next)) {
          ADD_FAILURE() << "marker " << next << ": expected " << Key(next) << ", found " << key;
          same = false;
        }
        ++next;
      }
      after = page.tags(page.tags_size() - 1);
    }
    EXPECT_EQ(next, kTimers) << "markers found";

    // No dead letters; this run fired the rest (the kill came mid-way).
    v1::ListDeadLettersRequest letters_request;
    letters_request.set_module("timer");
    v1::ListDeadLettersResponse letters;
    s = client.modules()->ListDeadLetters(client.Context().get(), letters_request, &letters);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(letters.dead_letters_size(), 0);
    v1::ListModulesResponse modules;
    s = client.modules()->ListModules(client.Context().get(), v1::ListModulesRequest(), &modules);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& m : modules.modules()) {
      if (m.name() != "timer") continue;
      fired_after_restart = m.metrics().at("timers_fired");
      EXPECT_EQ(m.metrics().at("timer_failures"), 0);
    }
    EXPECT_GT(fired_after_restart, 0) << "nothing was left to fire after the restart";
    EXPECT_LE(fired_after_restart, kTimers - fired_at_kill);
    std::printf("fired after the restart: %lld\n", static_cast<long long>(fired_after_restart));
    EXPECT_EQ(server.TerminateAndWait(std::chrono::seconds(30)), 0) << "graceful stop";
  }

  // Nothing of the timers is left in the store.
  store::DatabaseOptions options;
  options.path = data;
  auto db = store::Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  using store::MetaPrefix;
  EXPECT_EQ(CountMeta(db->get(), store::Meta(MetaPrefix::kTimer).String("timer").Release()), 0)
      << "timers left";
  EXPECT_EQ(CountMeta(db->get(), store::TimerDuePrefix("timer")), 0) << "due entries left";
  const std::string counts = store::Meta(MetaPrefix::kTimerCount).String("timer").Release();
  auto it = (*db)->NewIterator((*db)->meta());
  int tenants = 0;
  for (it->Seek(counts); it->Valid() && it->key().starts_with(counts); it->Next()) {
    ++tenants;
    int64_t pending = -1;
    ASSERT_EQ(it->value().size(), sizeof pending);
    std::memcpy(&pending, it->value().data(), sizeof pending);  // little-endian, kv_add
    EXPECT_EQ(pending, 0) << "pending timers counted";
  }
  EXPECT_EQ(tenants, 1);
  std::printf("done in %.2f s\n", elapsed());
}

}  // namespace
}  // namespace rapport
