// rapportctl against a real rapportd process.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/rapportd_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::testing::HasSubstr;

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Result RunCtl(const std::string& args) {
  std::string command = std::string(RAPPORTCTL_PATH) + " " + args + " 2>&1";
  Result r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class RapportctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::RapportdProcess>(RAPPORTD_PATH, dir_.Sub("data"));
    ASSERT_FALSE(server_->address().empty());
    base_ =
        "--server " + server_->address() + " --token-file " + dir_.Sub("data") + "/admin.token ";
  }
  testing::TempDir dir_;
  std::unique_ptr<testing::RapportdProcess> server_;
  std::string base_;
};

std::string IdFrom(const std::string& json) {
  auto at = json.find("\"id\": \"");
  return at == std::string::npos ? "" : json.substr(at + 7, 26);
}

// Output for people (issue 19, part 5): times in the display zone as ISO
// 8601, money with its currency's digits, enums without prefixes, and no
// protobuf text format; -o json is unchanged.
TEST_F(RapportctlTest, PrintsRecordsForPeople) {
  Result created = RunCtl(base_ + "customers create --display-name '김민수' --phone 010-1234-5678");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_THAT(created.out, HasSubstr("display_name: 김민수\n"));
  EXPECT_THAT(created.out, HasSubstr("lifecycle_stage: lead\n"));
  EXPECT_THAT(created.out, HasSubstr("phones: +821012345678\n"));
  EXPECT_THAT(created.out,
              ::testing::ContainsRegex("create_time: 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T"
                                       "[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\+09:00\n"));
  EXPECT_THAT(created.out, ::testing::Not(HasSubstr("seconds")));
  EXPECT_THAT(created.out, ::testing::Not(HasSubstr("\"")));
  const std::string printed = "\n" + created.out;
  const size_t at = printed.find("\nid: ");
  ASSERT_NE(at, std::string::npos) << created.out;
  const std::string id = printed.substr(at + 5, 26);

  Result opp = RunCtl(
      base_ + "opportunities create --json '{\"customer_id\":\"" + id +
      "\",\"name\":\"첫 거래\",\"amount\":{\"currency_code\":\"KRW\",\"units\":\"1500000\"}}'");
  ASSERT_EQ(opp.exit_code, 0) << opp.out;
  EXPECT_THAT(opp.out, HasSubstr("amount: KRW 1,500,000\n"));
  EXPECT_THAT(opp.out, HasSubstr("status: open\n"));
  Result usd = RunCtl(
      base_ + "opportunities create --json '{\"customer_id\":\"" + id +
      "\",\"name\":\"USD deal\",\"amount\":{\"currency_code\":\"USD\",\"units\":\"123450\"}}'");
  EXPECT_THAT(usd.out, HasSubstr("amount: USD 1,234.50\n"));
  Result rows = RunCtl(base_ + "opportunities list --all");
  EXPECT_THAT(rows.out, HasSubstr("\tKRW 1,500,000\topen\t"));

  // Another zone on request; an unknown one is a usage error.
  Result utc = RunCtl(base_ + "--time-zone UTC customers get " + id);
  EXPECT_THAT(utc.out, ::testing::ContainsRegex("create_time: [-0-9]+T[:0-9]+\\+00:00\n"));
  Result mars = RunCtl(base_ + "--time-zone Mars/Olympus customers get " + id);
  EXPECT_EQ(mars.exit_code, 2);
  EXPECT_THAT(mars.out, HasSubstr("--time-zone: unknown time zone 'Mars/Olympus'"));

  // whoami: nested messages indented, lists on one line, no braces.
  Result whoami = RunCtl(base_ + "whoami");
  EXPECT_EQ(whoami.exit_code, 0) << whoami.out;
  EXPECT_THAT(whoami.out, HasSubstr("tenant: default\nuser:\n  id: admin\n"));
  EXPECT_THAT(whoami.out, HasSubstr("  roles: admin\n"));
  EXPECT_THAT(whoami.out, ::testing::Not(HasSubstr("{")));
  // JSON for scripts, unchanged: UTC times, enum names, quoted strings.
  Result json = RunCtl(base_ + "-o json customers get " + id);
  EXPECT_THAT(json.out, HasSubstr("\"lifecycle_stage\": \"LIFECYCLE_STAGE_LEAD\""));
  EXPECT_THAT(json.out, ::testing::ContainsRegex("\"create_time\": \"[-0-9]+T[:.0-9]+Z\""));
}

TEST_F(RapportctlTest, CreateGetListSearchAndFsck) {
  Result created = RunCtl(base_ +
                          "-o json customers create --display-name '김민수' "
                          "--email Minsu@Example.kr --phone 010-1234-5678 --ref erp:ICC-0042");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_THAT(created.out, HasSubstr("+821012345678"));
  std::string id = IdFrom(created.out);
  ASSERT_EQ(id.size(), 26u) << created.out;

  Result got = RunCtl(base_ + "customers get " + id);
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_THAT(got.out, HasSubstr("김민수"));
  Result by_ref = RunCtl(base_ + "customers by-ref erp ICC-0042");
  EXPECT_THAT(by_ref.out, HasSubstr(id));
  Result listed = RunCtl(base_ + "customers list --filter 'lifecycle_stage = \"lead\"' --all");
  EXPECT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_THAT(listed.out, HasSubstr(id));
  Result found = RunCtl(base_ + "customers search 민수");
  EXPECT_THAT(found.out, HasSubstr(id));

  Result opp = RunCtl(
      base_ + "opportunities create --json '{\"customer_id\":\"" + id +
      "\",\"name\":\"첫 거래\",\"amount\":{\"currency_code\":\"KRW\",\"units\":\"1500000\"}}'");
  EXPECT_EQ(opp.exit_code, 0) << opp.out;
  Result refused = RunCtl(base_ + "customers delete " + id);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.out, HasSubstr("FAILED_PRECONDITION"));

  Result fsck = RunCtl(base_ + "fsck");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
  EXPECT_THAT(fsck.out, HasSubstr("consistent: 2 records"));
  EXPECT_EQ(RunCtl("--server " + server_->address() + " health").exit_code, 0);
}

TEST_F(RapportctlTest, ErrorsQuoteTheServersFieldViolations) {
  Result bad = RunCtl(base_ + "customers create --display-name '' --email 'not-an-email'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.out, HasSubstr("  customer.display_name: "));
  EXPECT_THAT(bad.out, HasSubstr("  customer.emails[0]: "));
  Result bad_filter = RunCtl(base_ + "customers list --filter 'owner ='");
  EXPECT_EQ(bad_filter.exit_code, 1);
  EXPECT_THAT(bad_filter.out, HasSubstr("  filter: "));
  Result bad_json = RunCtl(base_ + "interactions create --json '{nope'");
  EXPECT_EQ(bad_json.exit_code, 2);
  EXPECT_THAT(bad_json.out, HasSubstr("--json is not a valid Interaction"));
}

TEST_F(RapportctlTest, UsageAndConnectionErrorsHaveTheirOwnExitCodes) {
  Result no_token = RunCtl("--token-file /nonexistent customers list");
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_THAT(no_token.out, HasSubstr("no API token"));
  Result unknown = RunCtl(base_ + "customers frobnicate");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.exit_code, 1);
  Result unreachable = RunCtl("--server 127.0.0.1:1 --token-file " + dir_.Sub("data") +
                              "/admin.token --timeout 2 customers list");
  EXPECT_EQ(unreachable.exit_code, 3);
  EXPECT_THAT(unreachable.out, HasSubstr("cannot reach rapportd"));
  Result help = RunCtl("customers create --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--display-name"));
}

TEST_F(RapportctlTest, ManagesTeamsUsersAndTokens) {
  ASSERT_EQ(RunCtl(base_ + "teams create seoul-sales").exit_code, 0);
  Result user = RunCtl(base_ + "users create ana --role rep --team seoul-sales");
  ASSERT_EQ(user.exit_code, 0) << user.out;
  Result bad_team = RunCtl(base_ + "users create bo --role rep --team nowhere");
  EXPECT_EQ(bad_team.exit_code, 1);
  EXPECT_THAT(bad_team.out, HasSubstr("  user.team_ids[0]: no team 'nowhere'"));
  Result token = RunCtl(base_ + "-o json tokens create --user ana --name laptop --purpose demo");
  ASSERT_EQ(token.exit_code, 0) << token.out;
  auto at = token.out.find("\"secret\": \"");
  ASSERT_NE(at, std::string::npos) << token.out;
  std::string secret = token.out.substr(at + 11, token.out.find('"', at + 11) - at - 11);
  std::string file = dir_.Sub("ana.token");
  FILE* f = fopen(file.c_str(), "w");
  fputs(secret.c_str(), f);
  fclose(f);
  Result whoami = RunCtl("--server " + server_->address() + " --token-file " + file + " whoami");
  EXPECT_EQ(whoami.exit_code, 0) << whoami.out;
  EXPECT_THAT(whoami.out, HasSubstr("id: ana\n"));
  Result listed = RunCtl(base_ + "tokens list --user ana");
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_THAT(listed.out, HasSubstr("laptop"));
  EXPECT_EQ(listed.out.find(secret.substr(31)), std::string::npos) << "secrets are never listed";
  Result denied =
      RunCtl("--server " + server_->address() + " --token-file " + file + " users list");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.out, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(RapportctlTest, ImportsAndExportsCsvWithProgressAndAMapping) {
  std::string csv = dir_.Sub("erp.csv");
  FILE* f = fopen(csv.c_str(), "w");
  fputs(
      "거래처코드,거래처명,이메일,비고\nC-1,한빛,a@hanbit.kr,x\nC-2,Acme,b@acme.kr,y\nC-3,Broken,"
      "not-an-email,z\n",
      f);
  fclose(f);
  std::string mapping = dir_.Sub("mapping.json");
  f = fopen(mapping.c_str(), "w");
  fputs(
      "{\"columns\": {\"거래처코드\": \"external_refs.erp\", \"거래처명\": \"display_name\", "
      "\"이메일\": \"emails\", \"비고\": \"-\"}}",
      f);
  fclose(f);
  Result imported = RunCtl(base_ + "import " + csv + " --type customer --mapping " + mapping);
  EXPECT_EQ(imported.exit_code, 1) << imported.out;        // one row failed
  EXPECT_THAT(imported.out, HasSubstr("import: 3 rows"));  // plain progress when not a terminal
  EXPECT_THAT(imported.out, HasSubstr("rows 3: created 2, updated 0, unchanged 0, failed 1"));
  EXPECT_THAT(imported.out, HasSubstr("line 4 emails[0]: 'not-an-email' has no '@'"));
  Result again = RunCtl(base_ + "import " + csv + " --type customer --mapping " + mapping);
  EXPECT_THAT(again.out, HasSubstr("created 0, updated 0, unchanged 2, failed 1"));
  Result unmapped = RunCtl(base_ + "import " + csv + " --type customer");
  EXPECT_EQ(unmapped.exit_code, 2);
  EXPECT_THAT(unmapped.out, HasSubstr("unknown columns"));

  Result exported = RunCtl(base_ + "export --type customer --format csv");
  EXPECT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_THAT(exported.out, HasSubstr("id,kind,display_name"));
  EXPECT_THAT(exported.out, HasSubstr("erp:C-1"));
  EXPECT_THAT(exported.out, HasSubstr("export: 2 records"));  // plain progress, then done
}

// rapportctl call: any unary method, resolved through server reflection
// (issue 13, item 5). Core services first; the SFA module's below.
TEST_F(RapportctlTest, CallsACoreMethodFoundByReflection) {
  Result caller = RunCtl(base_ + "call rapport.v1.IdentityService/GetCaller");
  EXPECT_EQ(caller.exit_code, 0) << caller.out;
  EXPECT_THAT(caller.out, HasSubstr("\"tenant\": \"default\""));  // JSON by default
  EXPECT_THAT(caller.out, HasSubstr("\"operator\": true"));
  Result text = RunCtl(base_ + "-o table call rapport.v1.IdentityService/GetCaller");
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("tenant: default\n"));  // -o table: text format

  // A write with a request, in the proto's JSON form, then read back.
  Result created = RunCtl(
      base_ +
      R"(call rapport.v1.CustomerService/CreateCustomer --json '{"customer": {"displayName": "콜 테스트", "emails": ["call@example.kr"]}}')");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  const std::string id = IdFrom(created.out);
  ASSERT_EQ(id.size(), 26u) << created.out;
  Result got = RunCtl(base_ + "call /rapport.v1.CustomerService/GetCustomer --json '{\"id\": \"" +
                      id + "\"}'");
  EXPECT_EQ(got.exit_code, 0) << got.out;
  EXPECT_THAT(got.out, HasSubstr("\"display_name\": \"콜 테스트\""));
  EXPECT_THAT(RunCtl(base_ + "customers get " + id).out, HasSubstr("call@example.kr"));

  // The server's refusals go through the same Fail as every command.
  Result refused =
      RunCtl(base_ + "call rapport.v1.CustomerService/GetCustomer --json '{\"id\": \"nope\"}'");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(refused.out, HasSubstr("\n  id: "));
}

TEST_F(RapportctlTest, CallNamesWhatItCannotCall) {
  Result method = RunCtl(base_ + "call rapport.v1.IdentityService/Frobnicate");
  EXPECT_EQ(method.exit_code, 2) << method.out;
  EXPECT_THAT(method.out, HasSubstr("rapport.v1.IdentityService has no method 'Frobnicate'"));
  EXPECT_THAT(method.out, HasSubstr("(methods: GetCaller, CreateTenant"));
  Result service = RunCtl(base_ + "call rapport.nope.v1.NothingService/Get");
  EXPECT_EQ(service.exit_code, 2) << service.out;
  EXPECT_THAT(service.out, HasSubstr("no service 'rapport.nope.v1.NothingService'"));
  EXPECT_THAT(service.out, HasSubstr("rapport.v1.CustomerService"));
  // Without the SFA module loaded, its alias has nothing to call.
  Result sfa = RunCtl(base_ + "sfa GetFunnel");
  EXPECT_EQ(sfa.exit_code, 2) << sfa.out;
  EXPECT_THAT(sfa.out, HasSubstr("no service 'rapport.sfa.v1.SalesService'"));
  Result unnamed = RunCtl(base_ + "call GetCaller");
  EXPECT_EQ(unnamed.exit_code, 2) << unnamed.out;
  EXPECT_THAT(unnamed.out, HasSubstr("SERVICE/METHOD"));

  // Streaming methods are refused before anything is sent.
  Result server_streaming = RunCtl(base_ + "call rapport.v1.EventService/Subscribe");
  EXPECT_EQ(server_streaming.exit_code, 2) << server_streaming.out;
  EXPECT_THAT(server_streaming.out,
              HasSubstr("rapport.v1.EventService/Subscribe streams (responses); call takes "
                        "unary methods only"));
  Result client_streaming = RunCtl(base_ + "call rapport.v1.DataService/Import");
  EXPECT_EQ(client_streaming.exit_code, 2) << client_streaming.out;
  EXPECT_THAT(client_streaming.out, HasSubstr("streams (requests)"));

  // Malformed --json: the request type, and the field where protobuf names it.
  Result unknown_field = RunCtl(
      base_ + "call rapport.v1.CustomerService/GetCustomer --json '{\"identifier\": \"x\"}'");
  EXPECT_EQ(unknown_field.exit_code, 2) << unknown_field.out;
  EXPECT_THAT(unknown_field.out, HasSubstr("--json is not a valid GetCustomerRequest"));
  EXPECT_THAT(unknown_field.out, HasSubstr("identifier"));
  Result wrong_type =
      RunCtl(base_ + "call rapport.v1.CustomerService/GetCustomer --json '{\"id\": [1]}'");
  EXPECT_EQ(wrong_type.exit_code, 2) << wrong_type.out;
  EXPECT_THAT(wrong_type.out, HasSubstr("GetCustomerRequest: id: "));
  Result truncated =
      RunCtl(base_ + "call rapport.v1.CustomerService/GetCustomer --json '{\"id\": '");
  EXPECT_EQ(truncated.exit_code, 2) << truncated.out;
  EXPECT_THAT(truncated.out, HasSubstr("--json is not a valid GetCustomerRequest"));

  Result unreachable = RunCtl("--server 127.0.0.1:1 --token-file " + dir_.Sub("data") +
                              "/admin.token --timeout 2 call rapport.v1.IdentityService/GetCaller");
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.out;
  EXPECT_THAT(unreachable.out, HasSubstr("cannot reach rapportd"));
}

// rapportctl knows no module by its protos: it links none (the SFA API's
// compiled descriptor would carry its file name).
TEST(RapportctlBinaryTest, LinksNoModuleProtos) {
  std::ifstream binary(RAPPORTCTL_PATH, std::ios::binary);
  ASSERT_TRUE(binary) << RAPPORTCTL_PATH;
  std::stringstream bytes;
  bytes << binary.rdbuf();
  EXPECT_EQ(bytes.str().find("rapport/sfa/v1/sfa.proto"), std::string::npos);
}

// A rapportd whose plugin directory holds NAME.so and NAME.manifest.json from
// `from`; returns the rapportctl arguments that reach it as its admin ("" if
// it did not start).
std::string StartWithPlugin(const testing::TempDir& dir, const std::string& from,
                            const std::string& name,
                            std::unique_ptr<testing::RapportdProcess>* server) {
  std::filesystem::create_directories(dir.Sub("plugins"));
  for (const std::string& f : {name + ".so", name + ".manifest.json"}) {
    std::filesystem::copy_file(from + "/" + f, dir.Sub("plugins") + "/" + f);
  }
  *server = std::make_unique<testing::RapportdProcess>(
      RAPPORTD_PATH, dir.Sub("data"), std::vector<std::string>{"--plugin-dir", dir.Sub("plugins")});
  if ((*server)->address().empty()) return "";
  return "--server " + (*server)->address() + " --token-file " + dir.Sub("data") + "/admin.token ";
}

TEST(RapportctlModulesTest, ListsEnablesRollsOutAndExplainsModules) {
  testing::TempDir dir;
  std::unique_ptr<testing::RapportdProcess> server;
  const std::string base = StartWithPlugin(dir, RAPPORT_TEST_PLUGIN_DIR, "guard", &server);
  ASSERT_FALSE(base.empty());
  Result list = RunCtl(base + "modules list");
  EXPECT_EQ(list.exit_code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr("guard\t1.0.0\tloaded"));
  Result check = RunCtl(base + "modules check guard");
  EXPECT_THAT(check.out, HasSubstr("mode: off\n"));
  EXPECT_EQ(RunCtl(base + "modules enable guard").exit_code, 0);
  check = RunCtl(base + "modules check guard");
  EXPECT_THAT(check.out, HasSubstr("mode: on\n"));
  EXPECT_THAT(check.out, HasSubstr("default for the tenant"));
  Result bad = RunCtl(base + "modules rollout guard --percentage 150");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.out, HasSubstr("  rule.percentage: must be 0..100"));
  EXPECT_EQ(RunCtl(base + "modules rollout guard --kill-switch").exit_code, 0);
  EXPECT_THAT(RunCtl(base + "modules check guard").out, HasSubstr("kill switch"));
  Result unknown = RunCtl(base + "modules enable nosuch");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.out, HasSubstr("NOT_FOUND"));
  Result history = RunCtl(base + "modules history guard");
  EXPECT_EQ(history.exit_code, 0);
  EXPECT_THAT(history.out, HasSubstr("module/guard"));
}

// Issue 12.7: a server that answers UNAVAILABLE (here a plugin hook whose
// downstream is down) is not reported as an unreachable server.
TEST(RapportctlModulesTest, AnUnavailableAnswerIsNotAnUnreachableServer) {
  testing::TempDir dir;
  std::unique_ptr<testing::RapportdProcess> server;
  const std::string base = StartWithPlugin(dir, RAPPORT_TEST_PLUGIN_DIR, "guard", &server);
  ASSERT_FALSE(base.empty());
  ASSERT_EQ(RunCtl(base + "modules enable guard").exit_code, 0);
  Result refused = RunCtl(base + "customers create --display-name downstream-down");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(refused.out, HasSubstr("downstream down"));
  EXPECT_THAT(refused.out, ::testing::Not(HasSubstr("cannot reach")));
  // Nothing was written.
  Result list = RunCtl(base + "-o json customers list");
  EXPECT_EQ(list.exit_code, 0) << list.out;
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("downstream-down")));
  // And a server that is really gone still is.
  server.reset();
  Result gone = RunCtl(base + "--timeout 2 customers list");
  EXPECT_EQ(gone.exit_code, 3) << gone.out;
  EXPECT_THAT(gone.out, HasSubstr("cannot reach rapportd"));
}

TEST(RapportctlSfaTest, DrivesTheSalesProcessThroughTheSfaModule) {
  testing::TempDir dir;
  std::unique_ptr<testing::RapportdProcess> server;
  const std::string base = StartWithPlugin(dir, RAPPORT_SFA_PLUGIN_DIR, "sfa", &server);
  ASSERT_FALSE(base.empty());
  Result off = RunCtl(base + "sfa ListPipelines");
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_THAT(off.out, HasSubstr("module 'sfa' is off for tenant 'default'"));
  ASSERT_EQ(RunCtl(base + "modules enable sfa").exit_code, 0);
  Result pipeline =
      RunCtl(base + R"(sfa SetPipeline --json '{"pipeline": {"name": "new-business", "stages": [
      {"name": "lead", "probability": 10, "forecastCategory": "FORECAST_CATEGORY_PIPELINE",
       "exitCriteria": ["amount"]},
      {"name": "won", "probability": 100, "forecastCategory": "FORECAST_CATEGORY_CLOSED_WON"}]}}')");
  ASSERT_EQ(pipeline.exit_code, 0) << pipeline.out;
  EXPECT_THAT(pipeline.out, HasSubstr("\"version\": \"1\""));
  Result dup = RunCtl(base + R"(sfa SetPipeline --json '{"pipeline": {"name": "x", "stages": [
      {"name": "a", "probability": 10, "forecastCategory": "FORECAST_CATEGORY_PIPELINE"},
      {"name": "a", "probability": 20, "forecastCategory": "FORECAST_CATEGORY_PIPELINE"}]}}')");
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(dup.out, HasSubstr("stages[1]"));

  std::string customer =
      IdFrom(RunCtl(base + "-o json customers create --display-name '주식회사 한빛'").out);
  Result opp = RunCtl(base + "-o json opportunities create --json '{\"customer_id\":\"" + customer +
                      "\",\"name\":\"한빛 ERP 연동\"}'");
  ASSERT_EQ(opp.exit_code, 0) << opp.out;
  EXPECT_THAT(opp.out, HasSubstr("\"stage\": \"lead\""));
  const std::string id = IdFrom(opp.out);
  Result blocked =
      RunCtl(base + "opportunities update " + id + " --json '{\"stage\":\"won\"}' --mask stage");
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.out, HasSubstr("missing: amount"));
  Result won = RunCtl(base + "opportunities update " + id +
                      " --json '{\"stage\":\"won\",\"close_reason\":\"signed\","
                      "\"amount\":{\"currency_code\":\"KRW\",\"units\":\"50000000\"}}' --mask "
                      "stage,close_reason,amount");
  EXPECT_EQ(won.exit_code, 0) << won.out;
  Result history =
      RunCtl(base + "sfa GetStageHistory --json '{\"opportunityId\": \"" + id + "\"}'");
  EXPECT_THAT(history.out, HasSubstr("\"from_stage\": \"lead\""));
  EXPECT_THAT(history.out, HasSubstr("\"to_stage\": \"won\""));
  Result unknown = RunCtl(base + "sfa Frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.out, HasSubstr("methods: SetPipeline, GetPipeline"));
  Result bad_json = RunCtl(base + "sfa GetFunnel --json '{\"pipeline\": 7'");
  EXPECT_EQ(bad_json.exit_code, 2);
  EXPECT_THAT(bad_json.out, HasSubstr("--json is not a valid GetFunnelRequest"));
}

// The SFA module's API through `call`, the general form the alias maps to.
TEST(RapportctlSfaTest, CallsTheSfaModuleThroughReflection) {
  testing::TempDir dir;
  std::unique_ptr<testing::RapportdProcess> server;
  const std::string base = StartWithPlugin(dir, RAPPORT_SFA_PLUGIN_DIR, "sfa", &server);
  ASSERT_FALSE(base.empty());
  const std::string sales = "call rapport.sfa.v1.SalesService/";
  Result off = RunCtl(base + sales + "GetFunnel --json '{\"pipeline\": \"default\"}'");
  EXPECT_EQ(off.exit_code, 1) << off.out;
  EXPECT_THAT(off.out, HasSubstr("module 'sfa' is off for tenant 'default'"));
  ASSERT_EQ(RunCtl(base + "modules enable sfa").exit_code, 0);
  Result pipeline =
      RunCtl(base + sales + R"(SetPipeline --json '{"pipeline": {"name": "default", "stages": [
      {"name": "lead", "probability": 10, "forecastCategory": "FORECAST_CATEGORY_PIPELINE"},
      {"name": "won", "probability": 100, "forecastCategory": "FORECAST_CATEGORY_CLOSED_WON"}]}}')");
  ASSERT_EQ(pipeline.exit_code, 0) << pipeline.out;
  std::string customer =
      IdFrom(RunCtl(base + "-o json customers create --display-name '주식회사 한빛'").out);
  Result opp = RunCtl(base + "opportunities create --json '{\"customer_id\":\"" + customer +
                      "\",\"name\":\"한빛 ERP 연동\"}'");
  ASSERT_EQ(opp.exit_code, 0) << opp.out;
  Result funnel = RunCtl(base + sales + "GetFunnel --json '{\"pipeline\": \"default\"}'");
  EXPECT_EQ(funnel.exit_code, 0) << funnel.out;
  EXPECT_THAT(funnel.out, HasSubstr("\"pipeline\": \"default\""));
  EXPECT_THAT(funnel.out, HasSubstr("\"name\": \"lead\""));
  // The alias answers the same.
  Result alias = RunCtl(base + "sfa GetFunnel --json '{\"pipeline\": \"default\"}'");
  EXPECT_EQ(alias.exit_code, 0) << alias.out;
  EXPECT_EQ(alias.out, funnel.out);
  Result bad = RunCtl(base + sales + "GetFunnel --json '{\"pipe\": \"default\"}'");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("--json is not a valid GetFunnelRequest: pipe"));
}

}  // namespace
}  // namespace rapport
