// The SDK's fake host behaves like rapportd where a plugin can observe it
// (issue 13, item 6; issue 14, item 9). The "writer" test plugin runs here
// against the fake host with the same expectations plugin_platform_test
// checks against the real server: a failing method's keyspace writes are
// dropped, a Scan sees the call's own pending writes in key order, record
// writes are refused inside a commit, and validate hooks cannot write. Its
// KvScript method runs the keyspace scenarios of writer_script_cases.h
// (counters, ranged scans, refused writes and their reasons, reading the
// call's own writes), which plugin_platform_test runs against rapportd with
// the same expected answers. And the built "badmethod" plugin, which
// registers a method name the host must refuse, is refused by the fake
// host's Load with the reason rapportd gives. The built "query" plugin makes
// record_queries_test's core record queries against the fake host, with
// the answers rapportd gives where the fake host supports the query.
#include <dlfcn.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/sdk/fake_host.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"
#include "writer_script_cases.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::sdk::FakeHost;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
namespace tp = rapport::testplugins::v1;

class FakeHostParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.SetWriteRecordHandler([](rapport_resource, rapport_operation, const std::string& record,
                                   const std::string&, int64_t, std::string* stored, std::string*) {
      rapport::v1::Opportunity o;
      o.ParseFromString(record);
      o.set_revision(2);
      *stored = o.SerializeAsString();
      return RAPPORT_OK;
    });
    ASSERT_TRUE(host_.Load(rapport_plugin_entry()).ok());
  }
  template <typename Request, typename Response>
  rapport::sdk::Status Rpc(const std::string& method, const Request& r, Response* out) {
    return host_.CallMethod("/rapport.testplugins.v1.WriterService/" + method, r, out);
  }
  FakeHost host_;
};

TEST_F(FakeHostParityTest, AFailingMethodsKeyspaceWritesAreDropped) {
  tp::RenameRequest rename;
  rename.set_opportunity_id("o1");
  rename.set_name("Renamed by a plugin");
  tp::RenameResponse renamed;
  ASSERT_TRUE(Rpc("Rename", rename, &renamed).ok());
  EXPECT_EQ(host_.keyspace().at("renamed/o1"), "Renamed by a plugin");
  rename.set_name("Never stored");
  rename.set_fail_after_put(true);
  EXPECT_EQ(Rpc("Rename", rename, &renamed).code, RAPPORT_FAILED_PRECONDITION);
  EXPECT_EQ(host_.keyspace().at("renamed/o1"), "Renamed by a plugin");
}

TEST_F(FakeHostParityTest, AScanSeesTheCallsOwnPendingWritesOverTheStoredKeys) {
  tp::ScanOwnWritesRequest request;
  request.set_prefix("s/");
  request.set_setup(true);
  tp::ScanOwnWritesResponse out;
  ASSERT_TRUE(Rpc("ScanOwnWrites", request, &out).ok());
  request.set_setup(false);
  ASSERT_TRUE(Rpc("ScanOwnWrites", request, &out).ok());
  EXPECT_THAT(out.keys(), ElementsAre("s/a=old", "s/b=new", "s/d=new", "s/e=new"));
  EXPECT_EQ(host_.keyspace().count("s/c"), 0u);  // the delete was committed with the call
}

TEST_F(FakeHostParityTest, RecordWritesAreRefusedInsideACommit) {
  // writer's pre-commit hook rejects the create unless write_record is
  // refused with FAILED_PRECONDITION there.
  rapport::v1::Customer c;
  c.set_display_name("x");
  EXPECT_TRUE(host_
                  .PreCommit<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                                                    nullptr, &c)
                  .ok());
}

TEST_F(FakeHostParityTest, KeyspaceScriptsGiveTheAnswersRapportdGives) {
  // plugin_platform_test, WriterKeyspaceScriptsGiveTheSameAnswersAsTheFakeHost:
  // the same calls, the same answers (rapportd adds "module 'writer': ").
  for (const auto& scenario : rapport::testplugins::WriterScriptScenarios()) {
    SCOPED_TRACE(scenario.name);
    for (size_t i = 0; i < scenario.calls.size(); ++i) {
      SCOPED_TRACE("call " + std::to_string(i + 1));
      const auto& call = scenario.calls[i];
      tp::KvScriptResponse out;
      rapport::sdk::Status s =
          Rpc("KvScript", rapport::testplugins::ToRequest<tp::KvScriptRequest>(call), &out);
      EXPECT_EQ(s.code, call.code) << s.message;
      if (call.code == RAPPORT_OK) {
        EXPECT_THAT(out.results(), ElementsAreArray(call.results));
      } else {
        EXPECT_EQ(s.message, call.message);
      }
    }
  }
}

TEST_F(FakeHostParityTest, TheWriterServesItsMethods) {
  EXPECT_THAT(host_.methods(), ElementsAre("/rapport.testplugins.v1.WriterService/GetKey",
                                           "/rapport.testplugins.v1.WriterService/KvScript",
                                           "/rapport.testplugins.v1.WriterService/Rename",
                                           "/rapport.testplugins.v1.WriterService/ScanOwnWrites",
                                           "/rapport.testplugins.v1.WriterService/WhoIs"));
}

TEST(FakeHostParity, APluginThatRegistersABadMethodNameIsRefusedWithRapportdsReason) {
  // The built badmethod.so, as rapportd loads it (plugin_host_test and
  // plugin_platform_test expect the same reason in its refusal). Its Init
  // returns OK after the refusal.
  void* handle = dlopen(RAPPORT_TEST_PLUGIN_DIR "/badmethod.so", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto entry =
      reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle, RAPPORT_PLUGIN_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr);
  FakeHost host;
  rapport::sdk::Status s = host.Load(entry());
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "method '/other.v1.S/M': must start with \"/rapport.\"");
  // The good method it registered first is not served either.
  EXPECT_TRUE(host.methods().empty());
}

// The built "query" plugin (tests/core/plugin_host/query_plugin.cc), which
// record_queries_test runs in rapportd over the same five customers: where
// the fake host supports a query (filters of equalities, id order, search
// by a name's words), it gives the answers rapportd gives there.
class FakeHostQueryParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(RAPPORT_QUERY_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto entry =
        reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle_, RAPPORT_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr);
    ASSERT_TRUE(host_.Load(entry()).ok());
    // record_queries_test's customers, with ids in creation order as
    // rapportd's ULIDs are. Owners u1 and u2 are in the rep's scope, u3 is
    // not.
    int n = 0;
    for (const auto& [name, owner] :
         std::vector<std::pair<std::string, std::string>>{{"김민수", "u1"},
                                                          {"김서연", "u3"},
                                                          {"Acme Korea", "u2"},
                                                          {"Busan Steel", "u3"},
                                                          {"Choi Trading", "u1"}}) {
      rapport::v1::Customer c;
      c.set_id("01J00000000000000000000C0" + std::to_string(++n));
      c.set_display_name(name);
      c.set_owner(owner);
      host_.PutRecord(RAPPORT_RESOURCE_CUSTOMER, c.id(), c.SerializeAsString());
      ids_[name] = c.id();
    }
  }
  void AsAdmin() {
    host_.SetCaller("acme", "admin", "admin");
    host_.SetScope(std::nullopt);
  }
  void AsRep() {
    host_.SetCaller("acme", "u1", "rep");
    host_.SetScope(std::vector<std::string>{"u1", "u2"});
  }
  template <typename Request, typename Response>
  rapport::sdk::Status Rpc(const std::string& method, const Request& r, Response* out) {
    return host_.CallMethod("/rapport.query.v1.QueryService/" + method, r, out);
  }
  rapport::sdk::Status List(const std::string& filter, std::vector<std::string>* names,
                            const std::string& order_by = "", int32_t page_size = 0,
                            std::string* token = nullptr) {
    rapport::v1::ListCustomersRequest request;
    request.set_filter(filter);
    request.set_order_by(order_by);
    request.set_page_size(page_size);
    request.set_page_token(token ? *token : "");
    rapport::v1::ListCustomersResponse page;
    rapport::sdk::Status s = Rpc("ListCustomers", request, &page);
    names->clear();
    for (const auto& c : page.customers()) names->push_back(c.display_name());
    if (token) *token = page.next_page_token();
    return s;
  }
  std::vector<std::string> Names(const std::string& filter) {
    std::vector<std::string> names;
    rapport::sdk::Status s = List(filter, &names, "", 1000);
    EXPECT_TRUE(s.ok()) << s.message;
    return names;
  }
  rapport::sdk::Status Count(const std::string& filter, int64_t* n) {
    rapport::v1::ListCustomersRequest request;
    request.set_filter(filter);
    rapport::v1::Customer out;
    rapport::sdk::Status s = Rpc("Count", request, &out);
    *n = out.revision();
    return s;
  }
  int64_t Count(const std::string& filter) {
    int64_t n = -1;
    rapport::sdk::Status s = Count(filter, &n);
    EXPECT_TRUE(s.ok()) << s.message;
    return n;
  }
  std::string CanRead(const std::string& id) {
    rapport::v1::Customer request, out;
    request.set_id(id);
    rapport::sdk::Status s = Rpc("CanRead", request, &out);
    return s.ok() ? out.display_name() : s.message;
  }

  void* handle_ = nullptr;  // never closed: protobuf keeps the plugin's descriptors
  FakeHost host_;
  std::map<std::string, std::string> ids_;
};

TEST_F(FakeHostQueryParityTest, ListsAnswerAsRapportdDoesForTheSameCaller) {
  // record_queries_test, ListsAnswerAsThePublicApiDoesForTheSameCaller
  // (order_by "": rapportd's id order).
  AsAdmin();
  EXPECT_THAT(Names(""),
              ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u1\""), ElementsAre("김민수", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u3\""), ElementsAre("김서연", "Busan Steel"));
  AsRep();
  EXPECT_THAT(Names(""), ElementsAre("김민수", "Acme Korea", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u1\""), ElementsAre("김민수", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u3\""), ElementsAre());
}

TEST_F(FakeHostQueryParityTest, PagesResumeFromTheirTokenAndOpportunitiesListToo) {
  AsAdmin();
  std::vector<std::string> seen, names;
  std::string token;
  int pages = 0;
  do {
    rapport::sdk::Status s = List("", &names, "", 2, &token);
    ASSERT_TRUE(s.ok()) << s.message;
    seen.insert(seen.end(), names.begin(), names.end());
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));

  rapport::v1::ListOpportunitiesRequest request;
  rapport::v1::ListOpportunitiesResponse opportunities;
  ASSERT_TRUE(Rpc("ListOpportunities", request, &opportunities).ok());
  EXPECT_EQ(opportunities.opportunities_size(), 0);
}

TEST_F(FakeHostQueryParityTest, SearchCountAndCanReadStayInTheCallersScope) {
  rapport::v1::SearchCustomersRequest search;
  search.set_query("김");
  rapport::v1::SearchCustomersResponse found;
  AsAdmin();
  ASSERT_TRUE(Rpc("Search", search, &found).ok());
  EXPECT_EQ(found.customers_size(), 2);
  AsRep();
  ASSERT_TRUE(Rpc("Search", search, &found).ok());
  ASSERT_EQ(found.customers_size(), 1);
  EXPECT_EQ(found.customers(0).display_name(), "김민수");

  AsAdmin();
  EXPECT_EQ(Count(""), 5);
  EXPECT_EQ(Count("owner = \"u3\""), 2);
  EXPECT_EQ(CanRead(ids_["Busan Steel"]), "yes");
  AsRep();
  EXPECT_EQ(Count(""), 3);
  EXPECT_EQ(Count("owner = \"u3\""), 0);
  EXPECT_EQ(CanRead(ids_["Busan Steel"]), "no");           // u3's
  EXPECT_EQ(CanRead(ids_["Acme Korea"]), "yes");           // u2's
  EXPECT_EQ(CanRead("01J0000000000000000000000Z"), "no");  // no such customer
}

TEST_F(FakeHostQueryParityTest, BadQueriesAreInvalidArgumentNamingTheField) {
  // record_queries_test, BadQueriesGetThePublicApisErrorsNamingTheField:
  // the same codes and the same field first (the fake host's reasons for
  // what it does not support are its own).
  AsAdmin();
  std::vector<std::string> names;
  rapport::sdk::Status s = List("owner ==== \"u1\"", &names);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message.rfind("filter: ", 0), 0u) << s.message;
  s = List("", &names, "no_such_field");
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message.rfind("order_by: ", 0), 0u) << s.message;
  s = List("", &names, "", -1);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "page_size: must not be negative");
  std::string token = "not-a-token";
  s = List("", &names, "", 2, &token);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "page_token: is not a token this server issued");
  AsRep();
  int64_t n = 0;
  EXPECT_EQ(Count("nonsense(", &n).code, RAPPORT_INVALID_ARGUMENT);
  AsAdmin();
  EXPECT_EQ(CanRead("not-an-id"), "no");
}

}  // namespace
