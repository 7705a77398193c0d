// rapportd's log is one logfmt event per line (issue 12, item 5): every
// line of a real rapportd's stderr parses as key=value pairs, even when the
// values quote JSON, span lines or hold control characters: a manifest error
// quoting "abi_major", a strict-JSON error, a plugin's exception messages,
// and a refused request.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.grpc.pb.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Parses one logfmt line strictly: key=value pairs separated by single
// spaces; a key is [a-z_]+; a value is bare (no space, quote, '=' or
// control character) or double-quoted with \" \\ \n \r \t \xNN escapes.
// nullopt if the line is not exactly that.
std::optional<std::map<std::string, std::string>> ParseLogfmt(const std::string& line) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    size_t key_start = i;
    while (i < line.size() && (std::islower(static_cast<unsigned char>(line[i])) || line[i] == '_'))
      ++i;
    if (i == key_start || i >= line.size() || line[i] != '=') return std::nullopt;
    std::string key = line.substr(key_start, i - key_start);
    ++i;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
        if (c != '\\') {
          value.push_back(c);
          continue;
        }
        if (i >= line.size()) return std::nullopt;
        char e = line[i++];
        switch (e) {
          case '"':
          case '\\':
            value.push_back(e);
            break;
          case 'n':
            value.push_back('\n');
            break;
          case 'r':
            value.push_back('\r');
            break;
          case 't':
            value.push_back('\t');
            break;
          case 'x':
            if (i + 2 > line.size()) return std::nullopt;
            value.push_back(static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16)));
            i += 2;
            break;
          default:
            return std::nullopt;
        }
      }
      if (!closed) return std::nullopt;
    } else {
      while (i < line.size() && line[i] != ' ') {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (c < 0x20 || c == '"' || c == '=') return std::nullopt;
        value.push_back(line[i++]);
      }
    }
    if (out.count(key)) return std::nullopt;
    out[key] = value;
    if (i < line.size()) {
      if (line[i] != ' ' || i + 1 == line.size()) return std::nullopt;
      ++i;
    }
  }
  return out;
}

TEST(LogfmtParserTest, AcceptsOnlyWellFormedLines) {
  auto ok = ParseLogfmt(R"(ts=1 level=info msg="a \"b\"\nc" n=3)");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)["msg"], "a \"b\"\nc");
  EXPECT_FALSE(ParseLogfmt(R"(msg="unterminated)").has_value());
  EXPECT_FALSE(ParseLogfmt(R"(msg="a" "b")").has_value());
  EXPECT_FALSE(ParseLogfmt(R"(msg="quote " inside")").has_value());
  EXPECT_FALSE(ParseLogfmt("continued line of a message").has_value());
}

void Copy(const std::string& from_dir, const std::string& from, const std::string& to_dir,
          const std::string& to) {
  fs::copy_file(fs::path(from_dir) / from, fs::path(to_dir) / to);
}

TEST(LogFormatTest, EveryLineOfARealServersLogIsOneLogfmtEvent) {
  testing::TempDir dir;
  const std::string plugins = dir.Sub("plugins");
  fs::create_directories(plugins);
  // A plugin whose Start, Drain and Stop throw (messages logged by the SDK).
  Copy(RAPPORT_TEST_PLUGIN_DIR, "thrower.so", plugins, "thrower.so");
  Copy(RAPPORT_TEST_PLUGIN_DIR, "thrower.manifest.json", plugins, "thrower.manifest.json");
  // A manifest whose error quotes "abi_major", and one that is not JSON
  // (the parser's message names where), each beside a binary.
  Copy(RAPPORT_TEST_PLUGIN_DIR, "guard.so", plugins, "badabi.so");
  std::ofstream(plugins + "/badabi.manifest.json")
      << "{\"name\": \"badabi\", \"version\": \"1.0.0\", \"abi_major\": \"one\"}\n";
  Copy(RAPPORT_TEST_PLUGIN_DIR, "guard.so", plugins, "notjson.so");
  std::ofstream(plugins + "/notjson.manifest.json")
      << "{\n  \"name\": \"notjson\",\n  abi_major: 1\n}\n";
  const std::string log = dir.Sub("rapportd.log");
  testing::RapportdProcess server(RAPPORTD_PATH, dir.Sub("data"),
                                  {"--plugin-dir", plugins, "--shutdown-grace", "2"}, log);
  ASSERT_FALSE(server.address().empty()) << "rapportd did not start";
  // A refused request: a string field that is not UTF-8 (no token needed).
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto customers = v1::CustomerService::NewStub(channel);
  v1::CreateCustomerRequest bad;
  bad.mutable_customer()->set_display_name("\"quoted\"\n\xff");
  v1::Customer out;
  grpc::ClientContext ctx;
  EXPECT_EQ(customers->CreateCustomer(&ctx, bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const int status = server.TerminateAndWait(std::chrono::seconds(60));
  ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  std::ifstream in(log);
  std::vector<std::map<std::string, std::string>> events;
  for (std::string line; std::getline(in, line);) {
    auto event = ParseLogfmt(line);
    ASSERT_TRUE(event.has_value()) << "not one logfmt event: " << line;
    EXPECT_TRUE(event->count("ts") && event->count("level") && event->count("msg")) << line;
    events.push_back(*event);
  }
  auto find = [&](const std::string& key, const std::string& part) -> const std::string* {
    for (const auto& e : events) {
      auto it = e.find(key);
      if (it != e.end() && it->second.find(part) != std::string::npos) return &it->second;
    }
    return nullptr;
  };
  const std::string* abi = find("error", "\"abi_major\" must be a positive integer");
  ASSERT_NE(abi, nullptr) << "the manifest refusal, its quotes intact";
  const std::string* json = find("error", "notjson.manifest.json");
  ASSERT_NE(json, nullptr);
  EXPECT_THAT(*json, HasSubstr("line 3"));
  EXPECT_NE(find("msg", "drain threw: drain boom"), nullptr);
  EXPECT_NE(find("msg", "unparsable request refused"), nullptr);
  EXPECT_NE(find("msg", "stopped cleanly"), nullptr);
}

}  // namespace
}  // namespace rapport
