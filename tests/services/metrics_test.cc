// rapportd's Prometheus endpoint (services/metrics/): a real server with
// --metrics-listen on 127.0.0.1:0 and two test plugins (guard: validate and
// pre-commit hooks and a method; flaky: a post-commit hook that fails for
// some customers until dead-lettered), scraped over HTTP with libcurl.
// Checks that each family the operations guide lists is there and that
// the counters move with the calls made, and that no label names a user
// or a record.
#include <curl/curl.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "rapport/v1/modules.grpc.pb.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "test_plugins.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// GET http://127.0.0.1:port/path: (HTTP status, body).
std::pair<long, std::string> Get(int port, const std::string& path) {
  std::string body;
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return {status, body};
}

// The value of the sample `name` whose labels include every one of
// `labels` ("key=\"value\""); -1 when there is none, and a failure when
// there are several.
double Sample(const std::string& text, const std::string& name,
              const std::vector<std::string>& labels = {}) {
  double found = -1;
  int matches = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (line.substr(0, name_end) != name) continue;
    bool all = true;
    for (const std::string& label : labels) all = all && line.find(label) != std::string::npos;
    if (!all) continue;
    ++matches;
    found = std::stod(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_LE(matches, 1) << name << " has several samples with those labels";
  return found;
}

class MetricsTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    const std::string plugins = dir_.Sub("plugins");
    fs::create_directories(plugins);
    for (const char* name : {"guard", "flaky"}) {
      for (const char* ext : {".so", ".manifest.json"}) {
        fs::copy_file(fs::path(RAPPORT_TEST_PLUGIN_DIR) / (std::string(name) + ext),
                      fs::path(plugins) / (std::string(name) + ext));
      }
    }
    services::ServerOptions options;
    options.plugins.plugin_dir = plugins;
    options.plugins.dead_letter_after = 3;
    options.plugins.retry_base = absl::Milliseconds(5);
    options.metrics_address = "127.0.0.1:0";
    StartServer(options);
    for (const char* module : {"guard", "flaky"}) {
      v1::SetRolloutRequest request;
      request.mutable_rule()->set_module(module);
      request.mutable_rule()->set_default_mode(v1::MODULE_MODE_ON);
      v1::RolloutRule out;
      grpc::Status s =
          v1::ModuleService::NewStub(channel_)->SetRollout(Call().get(), request, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  std::string CreateCustomer(const std::string& name) {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.id();
  }

  std::string Scrape() {
    auto [status, body] = Get(server_->metrics_port(), "/metrics");
    EXPECT_EQ(status, 200);
    return body;
  }
};

TEST_F(MetricsTest, CountersMoveWithCallsCommitsHooksAndDeadLetters) {
  ASSERT_NE(server_->metrics_port(), 0);
  std::vector<std::string> ids;
  for (const char* name : {"김민수", "이영희", "Park Jisoo"}) ids.push_back(CreateCustomer(name));
  ids.push_back(CreateCustomer("will fail"));  // flaky's hook fails it to a dead letter
  // Bad input: refused, counted under its code.
  v1::CreateCustomerRequest bad;
  v1::Customer ignored;
  EXPECT_EQ(customers_->CreateCustomer(Call().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A plugin method, labelled with its module.
  testplugins::v1::CountRequest count;
  testplugins::v1::CountResponse counted;
  grpc::Status s =
      testplugins::v1::GuardService::NewStub(channel_)->Count(Call().get(), count, &counted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // A path no service has: counted under "unknown", not under its name.
  grpc::GenericStub generic(channel_);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;  // an empty message
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status unknown;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(&ctx, "/rapport.v1.NoSuchService/Nothing", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status st) {
                      std::lock_guard<std::mutex> lock(mu);
                      unknown = st;
                      done = true;
                      cv.notify_all();
                    });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // A named consumer that has seen only the first event.
  v1::AcknowledgeEventsRequest ack;
  ack.set_consumer("erp-sync");
  ack.set_sequence(1);
  v1::AcknowledgeEventsResponse acked;
  s = v1::EventService::NewStub(channel_)->AcknowledgeEvents(Call().get(), ack, &acked);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // flaky gives up on "will fail" after 3 attempts.
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text = Scrape();
    if (Sample(text, "rapport_module_dead_letters_total", {"module=\"flaky\""}) >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }

  const std::vector<std::string> create = {"grpc_service=\"rapport.v1.CustomerService\"",
                                           "grpc_method=\"CreateCustomer\"", "module=\"core\""};
  auto with = [](std::vector<std::string> labels, const std::string& more) {
    labels.push_back(more);
    return labels;
  };
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", with(create, "grpc_code=\"OK\"")), 4);
  EXPECT_EQ(
      Sample(text, "grpc_server_handled_total", with(create, "grpc_code=\"INVALID_ARGUMENT\"")), 1);
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_count", create), 5);
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_bucket", with(create, "le=\"+Inf\"")), 5);
  EXPECT_GT(Sample(text, "grpc_server_handling_seconds_sum", create), 0);
  EXPECT_EQ(Sample(text, "grpc_server_handled_total",
                   {"grpc_service=\"rapport.testplugins.v1.GuardService\"", "grpc_method=\"Count\"",
                    "module=\"guard\"", "grpc_code=\"OK\""}),
            1);
  EXPECT_EQ(Sample(text, "grpc_server_handled_total",
                   {"grpc_service=\"unknown\"", "grpc_code=\"UNIMPLEMENTED\""}),
            1);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("NoSuchService")));

  // Commits with feed events: four customers and two rollout rules at least
  // (the bootstrap's and the modules' own commits add more).
  EXPECT_GE(Sample(text, "rapport_commit_write_seconds_count"), 6);
  EXPECT_GE(Sample(text, "rapport_commit_lock_wait_seconds_count"), 6);
  EXPECT_GE(Sample(text, "rapport_feed_head_sequence"), 6);
  EXPECT_GT(Sample(text, "rapport_feed_consumer_lag_seconds", {"consumer=\"erp-sync\""}), 0);

  // Modules: guard's pre-commit hook ran once per customer, flaky's
  // post-commit hook failed three times on one of them.
  EXPECT_EQ(Sample(text, "rapport_module_info",
                   {"module=\"guard\"", "version=\"1.0.0\"", "state=\"loaded\""}),
            1);
  EXPECT_GE(Sample(text, "rapport_module_hook_calls_total", {"module=\"guard\""}), 4);
  EXPECT_GE(Sample(text, "rapport_module_hook_seconds_count",
                   {"module=\"guard\"", "hook=\"pre_commit\""}),
            4);
  EXPECT_GE(Sample(text, "rapport_module_hook_seconds_count",
                   {"module=\"flaky\"", "hook=\"post_commit\""}),
            6);
  EXPECT_EQ(Sample(text, "rapport_module_hook_failures_total", {"module=\"flaky\""}), 3);
  EXPECT_EQ(Sample(text, "rapport_module_dead_letters_total", {"module=\"flaky\""}), 1);
  EXPECT_GE(
      Sample(text, "rapport_module_gate_decisions_total", {"module=\"guard\"", "mode=\"on\""}), 5);
  EXPECT_GE(Sample(text, "rapport_module_feed_lag_seconds", {"module=\"flaky\""}), 0);  // present
  EXPECT_EQ(Sample(text, "rapport_module_calls_total", {"module=\"guard\""}), 0);
  EXPECT_EQ(Sample(text, "rapport_module_feed_lag_seconds", {"module=\"guard\""}), -1);

  // RocksDB and the process.
  EXPECT_EQ(Sample(text, "rapport_rocksdb_block_cache_capacity_bytes"), 128 << 20);
  EXPECT_GT(Sample(text, "rapport_rocksdb_memtable_bytes"), 0);
  EXPECT_GE(Sample(text, "rapport_rocksdb_block_cache_hits_total"), 0);
  EXPECT_EQ(Sample(text, "rapport_rocksdb_write_stopped"), 0);
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Sample(text, "process_threads"), 1);
  EXPECT_GT(Sample(text, "process_start_time_seconds"), 1.7e9);

  // Nothing names a user or a record.
  for (const std::string& id : ids) EXPECT_THAT(text, ::testing::Not(HasSubstr(id)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("admin")));

  // The next scrape has the next call.
  CreateCustomer("최지훈");
  text = Scrape();
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", with(create, "grpc_code=\"OK\"")), 5);
  EXPECT_EQ(Get(server_->metrics_port(), "/other").first, 404);

  // Every family the sample dashboard queries is one rapportd exports.
  std::ifstream in(std::string(RAPPORT_SOURCE_DIR) + "/docs/grafana/rapport-dashboard.json");
  const std::string dashboard((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(dashboard.empty());
  const std::regex name("\\b(?:rapport|grpc_server|process)_[a-z_]+");
  int queried = 0;
  for (auto it = std::sregex_iterator(dashboard.begin(), dashboard.end(), name);
       it != std::sregex_iterator(); ++it) {
    std::string family = it->str();
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      if (family.size() > strlen(suffix) &&
          family.compare(family.size() - strlen(suffix), std::string::npos, suffix) == 0) {
        family.resize(family.size() - strlen(suffix));
      }
    }
    ++queried;
    EXPECT_THAT(text, HasSubstr("# TYPE " + family + " ")) << "the dashboard queries " << family;
  }
  EXPECT_GT(queried, 20);
}

TEST(MetricsEndpointTest, AnAddressItCannotListenOnFailsTheStart) {
  testing::TempDir dir;
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir.Sub("first");
  options.metrics_address = "127.0.0.1:0";
  auto first = services::RapportServer::Start(options);
  ASSERT_TRUE(first.ok()) << first.status();
  // Its port is taken: the second server refuses to start, naming the flag.
  options.data_dir = dir.Sub("second");
  options.metrics_address = "127.0.0.1:" + std::to_string((*first)->metrics_port());
  auto second = services::RapportServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("--metrics-listen"));
  // Without the flag there is no endpoint.
  options.data_dir = dir.Sub("third");
  options.metrics_address = "";
  auto third = services::RapportServer::Start(options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ((*third)->metrics_port(), 0);
}

}  // namespace
}  // namespace rapport
