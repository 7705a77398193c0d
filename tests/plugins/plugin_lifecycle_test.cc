// A plugin whose Start, Drain and Stop throw, in the real rapportd binary:
// the SDK logs each exception through the host (level error, the plugin's
// name, the phase and what()), the server serves after Start threw, and
// SIGTERM still ends in "stopped cleanly" with exit code 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The index of the first line containing every one of `parts`, or -1.
int Find(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < lines.size(); ++i) {
    bool all = true;
    for (const auto& p : parts) all = all && lines[i].find(p) != std::string::npos;
    if (all) return static_cast<int>(i);
  }
  return -1;
}

TEST(PluginLifecycleTest, ExceptionsFromStartDrainAndStopAreLoggedAndShutdownIsClean) {
  testing::TempDir dir;
  const std::string plugins = dir.Sub("plugins");
  fs::create_directories(plugins);
  for (const char* f : {"thrower.so", "thrower.manifest.json"}) {
    fs::copy_file(fs::path(RAPPORT_TEST_PLUGIN_DIR) / f, fs::path(plugins) / f);
  }
  const std::string log = dir.Sub("rapportd.log");
  testing::RapportdProcess server(RAPPORTD_PATH, dir.Sub("data"),
                                  {"--plugin-dir", plugins, "--shutdown-grace", "2"}, log);
  ASSERT_FALSE(server.address().empty()) << "rapportd did not start";

  // Start threw, and the server serves anyway.
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = health->Check(&context, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  const int status = server.TerminateAndWait(std::chrono::seconds(60));
  std::stringstream all;
  for (const auto& line : Lines(log)) all << line << "\n";
  ASSERT_NE(status, -1) << "rapportd did not stop within 60 s; its log:\n" << all.str();
  ASSERT_TRUE(WIFEXITED(status)) << "rapportd ended abnormally (status " << status << "):\n"
                                 << all.str();
  EXPECT_EQ(WEXITSTATUS(status), 0) << all.str();

  const auto lines = Lines(log);
  const int loaded = Find(lines, {"plugin loaded", "name=thrower"});
  const int start = Find(lines, {"level=error", "plugin=thrower", "start threw: start boom"});
  const int drain = Find(lines, {"level=error", "plugin=thrower", "drain threw: drain boom"});
  const int stop =
      Find(lines, {"level=error", "plugin=thrower", "stop threw: a non-std exception"});
  const int stopped = Find(lines, {"stopped cleanly"});
  EXPECT_NE(loaded, -1) << all.str();
  EXPECT_NE(start, -1) << all.str();
  EXPECT_NE(drain, -1) << all.str();
  EXPECT_NE(stop, -1) << all.str();
  EXPECT_NE(stopped, -1) << all.str();
  // In order: loaded, started, drained, stopped, and then the server's own
  // last line.
  EXPECT_LT(loaded, start) << all.str();
  EXPECT_LT(start, drain) << all.str();
  EXPECT_LT(drain, stop) << all.str();
  EXPECT_LT(stop, stopped) << all.str();
}

}  // namespace
}  // namespace rapport
