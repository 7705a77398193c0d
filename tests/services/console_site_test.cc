// The web console's files on the HTTP listener (services/connect/
// console_site.h): a real server with --http-listen on 127.0.0.1:0 and
// --console-dir pointing at a small stand-in of vite's output, fetched with
// a real HTTP client. The browser test (tests/console/) drives the real
// bundle; this one pins the serving rules: the redirect, the security and
// cache headers, 404s that say what is missing, no way out of the directory,
// the API still answering beside it, and the refusals at start.
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class ConsoleSiteTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    console_ = dir_.Sub("console");
    Write(fs::path(console_) / "index.html", "<!doctype html><title>Rapport console</title>");
    Write(fs::path(console_) / "assets" / "index-3f2a.js", "console.log('rapport')");
    // A secret beside the console directory: nothing may reach it.
    Write(fs::path(dir_.Sub("secret.txt")), "do not serve");
    services::ServerOptions options;
    options.http_address = "127.0.0.1:0";
    options.http_threads = 4;
    options.console_dir = console_;
    StartServer(options);
    ASSERT_GT(server_->http_port(), 0);
  }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_read_timeout(10, 0);
    return client.Get(path.c_str());
  }

  std::string console_;
};

TEST_F(ConsoleSiteTest, ServesTheConsoleWithItsPolicy) {
  auto bare = Get("/console");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(bare->get_header_value("Location"), "/console/");

  auto index = Get("/console/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_THAT(index->body, HasSubstr("Rapport console"));
  EXPECT_THAT(index->get_header_value("Content-Type"), HasSubstr("text/html"));
  const std::string policy = index->get_header_value("Content-Security-Policy");
  EXPECT_THAT(policy, HasSubstr("default-src 'none'"));
  EXPECT_THAT(policy, HasSubstr("script-src 'self'"));
  EXPECT_THAT(policy, HasSubstr("connect-src 'self'"));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(policy, Not(HasSubstr("unsafe")));
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(index->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(index->get_header_value("Cache-Control"), "no-cache");

  // HEAD answers carry the same policy (a browser may cache either).
  {
    httplib::Client client("127.0.0.1", server_->http_port());
    auto head = client.Head("/console/");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_THAT(head->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
    EXPECT_EQ(head->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(head->get_header_value("Cache-Control"), "no-cache");
  }

  auto bundle = Get("/console/assets/index-3f2a.js");
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->status, 200);
  EXPECT_EQ(bundle->body, "console.log('rapport')");
  EXPECT_THAT(bundle->get_header_value("Content-Type"), HasSubstr("javascript"));
  EXPECT_THAT(bundle->get_header_value("Cache-Control"), HasSubstr("immutable"));
  EXPECT_THAT(bundle->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
}

TEST_F(ConsoleSiteTest, MissingFilesAndEscapesAre404) {
  auto missing = Get("/console/assets/nope.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("no such console file: /console/assets/nope.js"));
  EXPECT_EQ(missing->get_header_value("X-Content-Type-Options"), "nosniff");

  for (const char* path :
       {"/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/assets/../../secret.txt",
        "/console/..%2fsecret.txt", "/console/../data/admin.token"}) {
    auto escaped = Get(path);
    ASSERT_TRUE(escaped) << path;
    EXPECT_NE(escaped->status, 200) << path;
    EXPECT_THAT(escaped->body, Not(HasSubstr("do not serve"))) << path;
    EXPECT_THAT(escaped->body, Not(HasSubstr(admin_token_))) << path;
  }
}

TEST_F(ConsoleSiteTest, TheApiAnswersBesideIt) {
  httplib::Client client("127.0.0.1", server_->http_port());
  client.set_read_timeout(10, 0);
  auto result =
      client.Post("/rapport.v1.IdentityService/GetCaller",
                  {{"Authorization", "Bearer " + admin_token_}}, "{}", "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  // A GET of an API path is still the API's refusal, not a console file.
  auto get = Get("/rapport.v1.IdentityService/GetCaller");
  ASSERT_TRUE(get);
  EXPECT_NE(get->status, 200);
  EXPECT_THAT(get->body, Not(HasSubstr("Rapport console")));
}

TEST_F(ConsoleSiteTest, RefusedAtStartWhenItCannotBeServed) {
  server_.reset();
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir_.Sub("data");
  options.http_address = "127.0.0.1:0";

  options.console_dir = dir_.Sub("never-built");  // no index.html
  fs::create_directories(options.console_dir);
  auto unbuilt = services::RapportServer::Start(options);
  ASSERT_FALSE(unbuilt.ok());
  EXPECT_EQ(unbuilt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unbuilt.status().message(), HasSubstr("--console-dir"));
  EXPECT_THAT(unbuilt.status().message(), HasSubstr("no index.html"));

  options.console_dir = dir_.Sub("no-such-dir");
  auto absent = services::RapportServer::Start(options);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(absent.status().message(), HasSubstr("--console-dir"));

  options.console_dir = console_;
  options.http_address.clear();
  auto no_http = services::RapportServer::Start(options);
  ASSERT_FALSE(no_http.ok());
  EXPECT_EQ(no_http.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_http.status().message(), HasSubstr("--http-listen"));

  // Without --console-dir the HTTP listener says so at /console/.
  options.console_dir.clear();
  options.http_address = "127.0.0.1:0";
  StartServer(options);
  auto off = Get("/console/");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 404);
  EXPECT_THAT(off->body, HasSubstr("without --console-dir"));
}

}  // namespace
}  // namespace rapport
