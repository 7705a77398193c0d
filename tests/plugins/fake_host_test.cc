// The "guard" test plugin unit-tested with the SDK's fake host: no server,
// no RocksDB, the plugin's real entry point and hooks.
#include "rapport/sdk/fake_host.h"

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "test_plugins.pb.h"

extern "C" const rapport_plugin_info* rapport_plugin_entry(void);

namespace {

using rapport::sdk::FakeHost;

TEST(FakeHostTest, GuardRejectsLargeAmountsTagsCustomersAndCounts) {
  FakeHost host(R"({"max_units": 100})");
  ASSERT_TRUE(host.Load(rapport_plugin_entry()).ok());
  EXPECT_EQ(host.methods().size(), 1u);

  rapport::v1::Opportunity big;
  big.mutable_amount()->set_currency_code("KRW");
  big.mutable_amount()->set_units(101);
  auto rejected = host.Validate<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY,
                                                          RAPPORT_OP_CREATE, nullptr, &big);
  EXPECT_EQ(rejected.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(rejected.message, "amount.units 101 is above the approval limit 100");
  big.mutable_amount()->set_units(100);
  EXPECT_TRUE(host.Validate<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY,
                                                      RAPPORT_OP_UPDATE, &big, &big)
                  .ok());

  rapport::v1::Customer customer;
  customer.set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  customer.set_display_name("김민수");
  ASSERT_TRUE(host.PreCommit<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                                                    nullptr, &customer)
                  .ok());
  ASSERT_EQ(customer.tags_size(), 1);
  EXPECT_EQ(customer.tags(0), "guarded");
  EXPECT_EQ(host.keyspace().at("seen/01ARZ3NDEKTSV4RRFFQ69G5FAV"), "김민수");
  EXPECT_EQ(host.metric("customers_guarded"), 1);

  rapport::testplugins::v1::CountRequest request;
  request.set_prefix("seen/");
  rapport::testplugins::v1::CountResponse response;
  ASSERT_TRUE(
      host.CallMethod("/rapport.testplugins.v1.GuardService/Count", request, &response).ok());
  EXPECT_EQ(response.count(), 1);
  EXPECT_EQ(host.CallMethod("/rapport.testplugins.v1.GuardService/Nope", request, &response).code,
            12);
}

// A plugin written against the C table directly, to try the registrations
// the host must refuse; each answer is kept with host_last_error's reason.
namespace registrations {

const rapport_host_api* host = nullptr;
rapport_host_ctx* ctx = nullptr;
std::vector<std::pair<int, std::string>> answers;
bool fail_init = false;

int NoMethod(void*, rapport_call*, rapport_bytes, rapport_buffer*, rapport_buffer*) { return 0; }
int NoHook(void*, rapport_call*, rapport_bytes, rapport_bytes, rapport_buffer*, rapport_buffer*) {
  return 0;
}
void Keep(int rc) { answers.emplace_back(rc, host->host_last_error(ctx)); }

int Init(const rapport_host_api* h, rapport_host_ctx* c, rapport_plugin_state**,
         rapport_buffer* error) {
  host = h;
  ctx = c;
  answers.clear();
  const auto kind = RAPPORT_HOOK_VALIDATE;
  const auto resource = RAPPORT_RESOURCE_CUSTOMER;
  const auto op = RAPPORT_OP_CREATE;
  Keep(h->register_method(c, "/rapport.reg.v1.S/M", NoMethod, nullptr));
  Keep(h->register_method(c, "/rapport.reg.v1.S/M", NoMethod, nullptr));
  Keep(h->register_method(c, "/rapport.v1.S/M", NoMethod, nullptr));
  Keep(h->register_method(c, nullptr, NoMethod, nullptr));
  Keep(h->register_hook(c, static_cast<rapport_hook_kind>(7), resource, op, 0, NoHook, nullptr));
  Keep(h->register_hook(c, kind, static_cast<rapport_resource>(9), op, 0, NoHook, nullptr));
  Keep(h->register_hook(c, kind, resource, static_cast<rapport_operation>(0), 0, NoHook, nullptr));
  Keep(h->register_hook(c, kind, resource, op, 0, nullptr, nullptr));
  const uint8_t junk[] = {'j', 'u', 'n', 'k'};
  Keep(h->register_descriptors(c, rapport_bytes{junk, sizeof(junk)}));
  const uint8_t one_empty_file[] = {0x0a, 0x00};  // FileDescriptorSet{file: [{}]}
  Keep(h->register_descriptors(c, rapport_bytes{one_empty_file, sizeof(one_empty_file)}));
  Keep(h->register_hook(c, kind, resource, op, 0, NoHook, nullptr));
  if (fail_init) {
    h->buffer_set(error, "init's own error", 16);
    return RAPPORT_UNAVAILABLE;
  }
  return RAPPORT_OK;
}

const rapport_plugin_info kInfo = {sizeof(rapport_plugin_info),
                                   RAPPORT_PLUGIN_ABI_MAJOR,
                                   RAPPORT_PLUGIN_ABI_MINOR,
                                   "reg",
                                   "1.0.0",
                                   "test",
                                   Init,
                                   nullptr,
                                   nullptr,
                                   nullptr};

}  // namespace registrations

TEST(FakeHostTest, RegistrationsAreRefusedWithRapportdsCodesAndReasons) {
  registrations::fail_init = false;
  FakeHost host;
  rapport::sdk::Status load = host.Load(&registrations::kInfo);
  using Answer = std::pair<int, std::string>;
  EXPECT_EQ(
      registrations::answers,
      (std::vector<Answer>{
          {RAPPORT_OK, ""},
          {RAPPORT_ALREADY_EXISTS,
           "method '/rapport.reg.v1.S/M' is already served by module 'reg'"},
          {RAPPORT_INVALID_ARGUMENT, "method '/rapport.v1.S/M': package rapport.v1 is the core's"},
          {RAPPORT_INVALID_ARGUMENT, "method: no name or no function"},
          {RAPPORT_INVALID_ARGUMENT, "hook: unknown kind 7"},
          {RAPPORT_INVALID_ARGUMENT, "hook: unknown resource 9"},
          {RAPPORT_INVALID_ARGUMENT, "hook: unknown operation 0"},
          {RAPPORT_INVALID_ARGUMENT, "hook: no function"},
          {RAPPORT_INVALID_ARGUMENT,
           "descriptors: not a serialized google.protobuf.FileDescriptorSet with a file"},
          {RAPPORT_OK, ""},
          {RAPPORT_OK, ""},
      }));
  // Init returned OK, but the first refusal refuses the load, and the
  // plugin keeps nothing it registered.
  EXPECT_EQ(load.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(load.message, "method '/rapport.reg.v1.S/M' is already served by module 'reg'");
  EXPECT_TRUE(host.methods().empty());
  // After init, nothing registers.
  auto* h = registrations::host;
  auto* c = registrations::ctx;
  EXPECT_EQ(h->register_method(c, "/rapport.reg.v1.S/N", registrations::NoMethod, nullptr),
            RAPPORT_FAILED_PRECONDITION);
  EXPECT_STREQ(h->host_last_error(c), "methods are registered during init only");
  EXPECT_EQ(h->register_hook(c, RAPPORT_HOOK_VALIDATE, RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE,
                             0, registrations::NoHook, nullptr),
            RAPPORT_FAILED_PRECONDITION);
  EXPECT_STREQ(h->host_last_error(c), "hooks are registered during init only");
  const uint8_t one_empty_file[] = {0x0a, 0x00};
  EXPECT_EQ(h->register_descriptors(c, rapport_bytes{one_empty_file, 2}),
            RAPPORT_FAILED_PRECONDITION);
  EXPECT_STREQ(h->host_last_error(c), "descriptors are registered during init only");
}

TEST(FakeHostTest, AFailingInitIsRefusedWithItsOwnError) {
  registrations::fail_init = true;
  FakeHost host;
  rapport::sdk::Status load = host.Load(&registrations::kInfo);
  registrations::fail_init = false;
  EXPECT_EQ(load.code, RAPPORT_UNAVAILABLE);
  EXPECT_EQ(load.message, "init's own error");
}

// Core record queries (list_records, search_customers, count_records,
// can_read) and get_record, through the SDK's Call, from a method of a
// plugin written against the C table: `queries::run` is the method's body.
namespace queries {

std::function<void(rapport_call*)> run;

int Run(void*, rapport_call* call, rapport_bytes, rapport_buffer*, rapport_buffer*) {
  run(call);
  return RAPPORT_OK;
}
int Hook(void*, rapport_call* call, rapport_bytes, rapport_bytes, rapport_buffer*,
         rapport_buffer*) {
  run(call);
  return RAPPORT_OK;
}
int Init(const rapport_host_api* h, rapport_host_ctx* c, rapport_plugin_state**, rapport_buffer*) {
  rapport::sdk::internal::Host() = h;  // what the SDK's own entry point does
  rapport::sdk::internal::HostCtx() = c;
  int rc = h->register_hook(c, RAPPORT_HOOK_POST_COMMIT, RAPPORT_RESOURCE_CUSTOMER,
                            RAPPORT_OP_CREATE, 0, Hook, nullptr);
  if (rc != RAPPORT_OK) return rc;
  return h->register_method(c, "/rapport.rq.v1.S/Run", Run, nullptr);
}
const rapport_plugin_info kInfo = {sizeof(rapport_plugin_info),
                                   RAPPORT_PLUGIN_ABI_MAJOR,
                                   RAPPORT_PLUGIN_ABI_MINOR,
                                   "rq",
                                   "1.0.0",
                                   "test",
                                   Init,
                                   nullptr,
                                   nullptr,
                                   nullptr};

}  // namespace queries

using rapport::sdk::Call;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeHostQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.Load(&queries::kInfo).ok());
    // Ids in creation order, as rapportd's ULIDs are.
    Customer("c1", "김민수", "u1");
    Customer("c2", "김서연", "u3");
    Customer("c3", "Acme Korea", "u2");
    Customer("c4", "Busan Steel", "u3");
    Customer("c5", "Choi Trading", "u1");
    rapport::v1::Opportunity o;
    o.set_id("o1");
    o.set_customer_id("c1");
    o.set_name("Renewal");
    o.set_stage("won");
    o.set_owner("u1");
    host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, "o1", o.SerializeAsString());
    o.set_id("o2");
    o.set_stage("open");
    o.set_owner("u3");
    host_.PutRecord(RAPPORT_RESOURCE_OPPORTUNITY, "o2", o.SerializeAsString());
  }
  void Customer(const std::string& id, const std::string& name, const std::string& owner) {
    rapport::v1::Customer c;
    c.set_id(id);
    c.set_display_name(name);
    c.set_owner(owner);
    host_.PutRecord(RAPPORT_RESOURCE_CUSTOMER, id, c.SerializeAsString());
  }
  // A rep who reads the records of u1 and u2.
  void AsRep() {
    host_.SetCaller("acme", "u1", "rep");
    host_.SetScope(std::vector<std::string>{"u1", "u2"});
  }
  // Runs `body` as the body of a method call.
  void InCall(const std::function<void(const Call&, rapport_call*)>& body) {
    bool ran = false;
    queries::run = [&](rapport_call* c) {
      body(Call(c), c);
      ran = true;
    };
    rapport::v1::Customer unused;
    ASSERT_TRUE(host_.CallMethod("/rapport.rq.v1.S/Run", unused, &unused).ok());
    EXPECT_TRUE(ran);
  }
  rapport::sdk::Status List(const std::string& filter, std::vector<std::string>* names,
                            int32_t page_size = 0, std::string* token = nullptr,
                            const std::string& order_by = "") {
    rapport::sdk::Status s;
    InCall([&](const Call& call, rapport_call*) {
      Call::ListOptions options;
      options.filter = filter;
      options.order_by = order_by;
      options.page_size = page_size;
      options.page_token = token ? *token : "";
      rapport::v1::ListCustomersResponse page;
      s = call.ListRecords(RAPPORT_RESOURCE_CUSTOMER, options, &page);
      names->clear();
      for (const auto& c : page.customers()) names->push_back(c.display_name());
      if (token) *token = page.next_page_token();
    });
    return s;
  }
  std::vector<std::string> Names(const std::string& filter) {
    std::vector<std::string> names;
    rapport::sdk::Status s = List(filter, &names);
    EXPECT_TRUE(s.ok()) << s.message;
    return names;
  }
  int64_t Count(rapport_resource resource, const std::string& filter) {
    int64_t n = -1;
    InCall([&](const Call& call, rapport_call*) {
      rapport::sdk::Status s = call.CountRecords(resource, filter, &n);
      EXPECT_TRUE(s.ok()) << s.message;
    });
    return n;
  }
  rapport::sdk::Status Search(const std::string& query, std::vector<std::string>* names,
                              int32_t page_size = 0, std::string* token = nullptr) {
    rapport::sdk::Status s;
    InCall([&](const Call& call, rapport_call*) {
      rapport::v1::SearchCustomersResponse page;
      s = call.SearchCustomers(query, page_size, token ? *token : "", &page);
      names->clear();
      for (const auto& c : page.customers()) names->push_back(c.display_name());
      if (token) *token = page.next_page_token();
    });
    return s;
  }

  FakeHost host_;
};

TEST_F(FakeHostQueriesTest, ListsEveryRecordOrThoseMatchingEqualitiesInIdOrder) {
  EXPECT_THAT(Names(""),
              ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));
  EXPECT_THAT(Names("  "),
              ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u1\""), ElementsAre("김민수", "Choi Trading"));
  EXPECT_THAT(Names("owner=\"u3\" AND display_name = \"Busan Steel\""), ElementsAre("Busan Steel"));
  EXPECT_THAT(Names("owner = \"u3\" AND owner = \"u1\""), ElementsAre());
  EXPECT_THAT(Names("organization_id = \"\""),
              ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"nobody\""), ElementsAre());
  Customer("c6", "Say \"hi\" \\o/", "u2");
  EXPECT_THAT(Names("display_name = \"Say \\\"hi\\\" \\\\o/\""), ElementsAre("Say \"hi\" \\o/"));

  // Opportunities list as ListOpportunitiesResponse, on their own fields.
  InCall([&](const Call& call, rapport_call*) {
    Call::ListOptions options;
    options.filter = "stage = \"won\" AND customer_id = \"c1\"";
    rapport::v1::ListOpportunitiesResponse page;
    ASSERT_TRUE(call.ListRecords(RAPPORT_RESOURCE_OPPORTUNITY, options, &page).ok());
    ASSERT_EQ(page.opportunities_size(), 1);
    EXPECT_EQ(page.opportunities(0).id(), "o1");
    rapport::v1::ListInteractionsResponse none;
    ASSERT_TRUE(call.ListRecords(RAPPORT_RESOURCE_INTERACTION, {}, &none).ok());
    EXPECT_THAT(none.interactions(), ElementsAre());
  });
}

TEST_F(FakeHostQueriesTest, FiltersCompareEachTopLevelStringFieldAtItsProtoNumber) {
  // Every field of the fake host's table, set through the generated code
  // (so at the number the protos give it), is found by a filter on it.
  using C = rapport::v1::Customer;
  using O = rapport::v1::Opportunity;
  using I = rapport::v1::Interaction;
  auto bytes = [](auto message, auto set) {
    set(&message);
    return message.SerializeAsString();
  };
  struct Case {
    rapport_resource resource;
    std::string field;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {RAPPORT_RESOURCE_CUSTOMER, "id", bytes(C(), [](C* m) { m->set_id("v"); })},
      {RAPPORT_RESOURCE_CUSTOMER, "display_name",
       bytes(C(), [](C* m) { m->set_display_name("v"); })},
      {RAPPORT_RESOURCE_CUSTOMER, "organization_id",
       bytes(C(), [](C* m) { m->set_organization_id("v"); })},
      {RAPPORT_RESOURCE_CUSTOMER, "owner", bytes(C(), [](C* m) { m->set_owner("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "id", bytes(O(), [](O* m) { m->set_id("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "customer_id",
       bytes(O(), [](O* m) { m->set_customer_id("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "name", bytes(O(), [](O* m) { m->set_name("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "pipeline", bytes(O(), [](O* m) { m->set_pipeline("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "stage", bytes(O(), [](O* m) { m->set_stage("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "owner", bytes(O(), [](O* m) { m->set_owner("v"); })},
      {RAPPORT_RESOURCE_OPPORTUNITY, "close_reason",
       bytes(O(), [](O* m) { m->set_close_reason("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "id", bytes(I(), [](I* m) { m->set_id("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "customer_id",
       bytes(I(), [](I* m) { m->set_customer_id("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "opportunity_id",
       bytes(I(), [](I* m) { m->set_opportunity_id("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "owner", bytes(I(), [](I* m) { m->set_owner("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "subject", bytes(I(), [](I* m) { m->set_subject("v"); })},
      {RAPPORT_RESOURCE_INTERACTION, "body", bytes(I(), [](I* m) { m->set_body("v"); })},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    host_.PutRecord(c.resource, "zz", c.bytes);
    EXPECT_EQ(Count(c.resource, c.field + " = \"v\""), 1);
    host_.RemoveRecord(c.resource, "zz");
  }
}

TEST_F(FakeHostQueriesTest, PagesResumeFromTheirOpaqueTokens) {
  std::vector<std::string> seen, names;
  std::string token;
  int pages = 0;
  do {
    rapport::sdk::Status s = List("", &names, 2, &token);
    ASSERT_TRUE(s.ok()) << s.message;
    seen.insert(seen.end(), names.begin(), names.end());
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("김민수", "김서연", "Acme Korea", "Busan Steel", "Choi Trading"));

  // No token after a full last page when nothing else matches.
  token.clear();
  ASSERT_TRUE(List("owner = \"u1\"", &names, 2, &token).ok());
  EXPECT_THAT(names, ElementsAre("김민수", "Choi Trading"));
  EXPECT_EQ(token, "");
  // A filtered query pages over its matches only.
  ASSERT_TRUE(List("owner = \"u3\"", &names, 1, &token).ok());
  EXPECT_THAT(names, ElementsAre("김서연"));
  ASSERT_FALSE(token.empty());
  std::string first_token = token;
  ASSERT_TRUE(List("owner = \"u3\"", &names, 1, &token).ok());
  EXPECT_THAT(names, ElementsAre("Busan Steel"));
  EXPECT_EQ(token, "");

  // A token belongs to its query.
  token = first_token;
  rapport::sdk::Status other = List("owner = \"u1\"", &names, 1, &token);
  EXPECT_EQ(other.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(other.message,
            "page_token: was issued for a different query; pass the same filter and order_by as "
            "the first page, or start again without a token");

  // Page sizes: 0 is 50, more than 1000 is 1000 (as in rapportd).
  for (int i = 0; i < 1100; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "f%05d", i);
    Customer(id, "Filler", "u9");
  }
  std::string more;
  ASSERT_TRUE(List("owner = \"u9\"", &names, 0, &more).ok());
  EXPECT_EQ(names.size(), 50u);
  EXPECT_FALSE(more.empty());
  more.clear();
  ASSERT_TRUE(List("owner = \"u9\"", &names, 5000, &more).ok());
  EXPECT_EQ(names.size(), 1000u);
  ASSERT_TRUE(List("owner = \"u9\"", &names, 5000, &more).ok());
  EXPECT_EQ(names.size(), 100u);
  EXPECT_EQ(more, "");
}

TEST_F(FakeHostQueriesTest, TheScopeHidesRecordsFromEveryQuery) {
  AsRep();
  EXPECT_THAT(Names(""), ElementsAre("김민수", "Acme Korea", "Choi Trading"));
  EXPECT_THAT(Names("owner = \"u3\""), ElementsAre());
  EXPECT_EQ(Count(RAPPORT_RESOURCE_CUSTOMER, ""), 3);
  EXPECT_EQ(Count(RAPPORT_RESOURCE_CUSTOMER, "owner = \"u3\""), 0);
  EXPECT_EQ(Count(RAPPORT_RESOURCE_OPPORTUNITY, ""), 1);  // o1 (u1); o2 is u3's
  std::vector<std::string> names;
  ASSERT_TRUE(Search("김", &names).ok());
  EXPECT_THAT(names, ElementsAre("김민수"));
  InCall([&](const Call& call, rapport_call*) {
    EXPECT_TRUE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "c3"));   // u2's
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "c4"));  // u3's
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_OPPORTUNITY, "o2"));
    // get_record applies the scope too: outside it is as absent.
    EXPECT_TRUE(call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, "c3"));
    EXPECT_FALSE(call.GetRecord<rapport::v1::Customer>(RAPPORT_RESOURCE_CUSTOMER, "c4"));
    EXPECT_FALSE(call.GetRecord<rapport::v1::Opportunity>(RAPPORT_RESOURCE_OPPORTUNITY, "o2"));
  });
  // Pages skip what the caller cannot read.
  std::string token;
  ASSERT_TRUE(List("", &names, 2, &token).ok());
  EXPECT_THAT(names, ElementsAre("김민수", "Acme Korea"));
  ASSERT_TRUE(List("", &names, 2, &token).ok());
  EXPECT_THAT(names, ElementsAre("Choi Trading"));
  EXPECT_EQ(token, "");

  // Post-commit hooks read every record, as in rapportd.
  bool ran = false;
  queries::run = [&](rapport_call* c) {
    Call call(c);
    EXPECT_TRUE(call.Scope().all);
    EXPECT_TRUE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "c4"));
    int64_t n = 0;
    EXPECT_TRUE(call.CountRecords(RAPPORT_RESOURCE_CUSTOMER, "", &n).ok());
    EXPECT_EQ(n, 5);
    ran = true;
  };
  ASSERT_TRUE(host_.PostCommit(RAPPORT_RESOURCE_CUSTOMER, RAPPORT_OP_CREATE, "").ok());
  EXPECT_TRUE(ran);
  InCall([&](const Call& call, rapport_call*) {
    EXPECT_FALSE(call.Scope().all);
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "c4"));
  });

  // Bytes that are not a message have no owner: only a caller who reads
  // everything gets them from get_record; queries report them.
  host_.PutRecord(RAPPORT_RESOURCE_CUSTOMER, "bad", "\xff\xff");
  InCall([&](const Call& call, rapport_call*) {
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "bad"));
  });
  host_.SetScope(std::nullopt);
  InCall([&](const Call& call, rapport_call* c) {
    EXPECT_TRUE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "bad"));
    int64_t n = 0;
    rapport::sdk::Status s = call.CountRecords(RAPPORT_RESOURCE_CUSTOMER, "", &n);
    EXPECT_EQ(s.code, 15);  // DATA_LOSS, as rapportd answers an undecodable record
    EXPECT_THAT(s.message, HasSubstr("undecodable customer 'bad'"));
    (void)c;
  });
}

TEST_F(FakeHostQueriesTest, SearchMatchesAPrefixOfAnyWordOfTheDisplayName) {
  std::vector<std::string> names;
  ASSERT_TRUE(Search("김", &names).ok());
  EXPECT_THAT(names, ElementsAre("김민수", "김서연"));
  ASSERT_TRUE(Search("  Kor ", &names).ok());
  EXPECT_THAT(names, ElementsAre("Acme Korea"));
  ASSERT_TRUE(Search("Acme Ko", &names).ok());
  EXPECT_THAT(names, ElementsAre("Acme Korea"));
  ASSERT_TRUE(Search("orea", &names).ok());  // not from the start of a word
  EXPECT_THAT(names, ElementsAre());
  ASSERT_TRUE(Search("acme", &names).ok());  // case-sensitive (rapportd folds case)
  EXPECT_THAT(names, ElementsAre());
  std::string token;
  ASSERT_TRUE(Search("김", &names, 1, &token).ok());
  EXPECT_THAT(names, ElementsAre("김민수"));
  ASSERT_TRUE(Search("김", &names, 1, &token).ok());
  EXPECT_THAT(names, ElementsAre("김서연"));
  EXPECT_EQ(token, "");

  rapport::sdk::Status s = Search(" ", &names);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "query: is required: a name, email or phone prefix");
  s = Search("a\tb", &names);
  EXPECT_EQ(s.message, "query: must not contain control characters");
  s = Search(std::string(201, 'a'), &names);
  EXPECT_EQ(s.message, "query: must be at most 200 bytes of UTF-8");
  for (const char* unsupported : {"minsu@acme.kr", "010-1234"}) {
    s = Search(unsupported, &names);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_THAT(s.message, HasSubstr("query: the fake host does not support"));
  }
}

TEST_F(FakeHostQueriesTest, CountAndCanRead) {
  EXPECT_EQ(Count(RAPPORT_RESOURCE_CUSTOMER, ""), 5);
  EXPECT_EQ(Count(RAPPORT_RESOURCE_CUSTOMER, "owner = \"u3\""), 2);
  EXPECT_EQ(Count(RAPPORT_RESOURCE_OPPORTUNITY, "stage = \"open\""), 1);
  EXPECT_EQ(Count(RAPPORT_RESOURCE_INTERACTION, ""), 0);
  InCall([&](const Call& call, rapport_call* c) {
    EXPECT_TRUE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "c4"));
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "o1"));  // another resource's id
    EXPECT_FALSE(call.CanRead(RAPPORT_RESOURCE_CUSTOMER, "nope"));
    // The C function: 1, 0, or a negative code.
    const rapport_host_api* h = rapport::sdk::internal::Host();
    EXPECT_EQ(h->can_read(c, RAPPORT_RESOURCE_CUSTOMER, "c4"), 1);
    EXPECT_EQ(h->can_read(c, RAPPORT_RESOURCE_CUSTOMER, "nope"), 0);
    EXPECT_EQ(h->can_read(c, RAPPORT_RESOURCE_CUSTOMER, nullptr), -RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(h->can_read(c, RAPPORT_RESOURCE_CUSTOMER, ""), -RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(h->can_read(c, static_cast<rapport_resource>(9), "c4"), -RAPPORT_INVALID_ARGUMENT);
  });
}

TEST_F(FakeHostQueriesTest, WhatTheFakeHostDoesNotSupportIsInvalidArgumentSayingSo) {
  std::vector<std::string> names;
  for (const char* filter :
       {"owner ==== \"u1\"", "owner != \"u1\"", "owner = \"u1\" OR owner = \"u2\"",
        "owner = \"u1\" and display_name = \"x\"", "owner = 'u1'", "owner = \"u1",
        "display_name = \"a\\nb\"", "(owner = \"u1\")", "nonsense(", "owner = \"u1\" AND"}) {
    SCOPED_TRACE(filter);
    rapport::sdk::Status s = List(filter, &names);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(s.message, std::string("filter: the fake host does not support the filter '") +
                             filter +
                             "': it supports \"\" (every record) and field = \"value\" equalities "
                             "joined by AND on the customer's top-level string fields (id, "
                             "display_name, organization_id, owner)");
  }
  rapport::sdk::Status s = List("lifecycle_stage = \"LEAD\"", &names);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_THAT(s.message,
              HasSubstr("filter: the fake host does not support filtering on 'lifecycle_stage'"));
  s = List("address.locality = \"Busan\"", &names);
  EXPECT_THAT(s.message,
              HasSubstr("filter: the fake host does not support filtering on 'address.locality'"));

  s = List("", &names, 0, nullptr, "display_name");
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message,
            "order_by: the fake host does not support 'display_name': it lists in id order only "
            "(order_by \"\")");

  s = List("", &names, -1);
  EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message, "page_size: must not be negative");

  for (const char* bad : {"not-a-token", "fake:0123456789abcdef:zz", "fake:"}) {
    std::string token = bad;
    s = List("", &names, 2, &token);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT) << bad;
    EXPECT_EQ(s.message, "page_token: is not a token this server issued") << bad;
  }

  InCall([&](const Call& call, rapport_call* c) {
    int64_t n = 0;
    rapport::sdk::Status count = call.CountRecords(RAPPORT_RESOURCE_CUSTOMER, "nonsense(", &n);
    EXPECT_EQ(count.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_THAT(count.message, HasSubstr("filter: the fake host does not support"));
    count = call.CountRecords(static_cast<rapport_resource>(9), "", &n);
    EXPECT_EQ(count.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(count.message, "resource: unknown resource 9");
    rapport::v1::ListCustomersResponse page;
    rapport::sdk::Status list =
        call.ListRecords(static_cast<rapport_resource>(0), Call::ListOptions{}, &page);
    EXPECT_EQ(list.message, "resource: unknown resource 0");
    std::string error;
    rapport_buffer eb{&error, [](void* user, const void* d, size_t size) {
                        static_cast<std::string*>(user)->assign(static_cast<const char*>(d), size);
                      }};
    EXPECT_EQ(rapport::sdk::internal::Host()->count_records(c, RAPPORT_RESOURCE_CUSTOMER, "",
                                                            nullptr, &eb),
              RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(error, "count: no output");
  });
}

}  // namespace

// ABI 1.3 in the fake host: contacts as the core stores them (approximated
// without libphonenumber) and sequences taken outside the call's writes.
TEST_F(FakeHostQueriesTest, NormalizesContactsAndHandsOutSequenceNumbers) {
  InCall([&](const Call& call, rapport_call*) {
    std::string out;
    ASSERT_TRUE(call.NormalizeContact("phone", "010-1234-5678", &out).ok());
    EXPECT_EQ(out, "+821012345678");
    ASSERT_TRUE(call.NormalizeContact("phone", "+1 (415) 555-2671", &out).ok());
    EXPECT_EQ(out, "+14155552671");
    ASSERT_TRUE(call.NormalizeContact("email", "  Kim@Example.KR ", &out).ok());
    EXPECT_EQ(out, "kim@example.kr");
    EXPECT_EQ(call.NormalizeContact("phone", "call me", &out).code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_EQ(call.NormalizeContact("email", "kim", &out).code, RAPPORT_INVALID_ARGUMENT);
    rapport::sdk::Status s = call.NormalizeContact("fax", "1", &out);
    EXPECT_EQ(s.code, RAPPORT_INVALID_ARGUMENT);
    EXPECT_NE(s.message.find("kind: 'fax'"), std::string::npos) << s.message;
    int64_t n = 0;
    ASSERT_TRUE(call.NextSequence("turn", &n).ok());
    EXPECT_EQ(n, 1);
    ASSERT_TRUE(call.NextSequence("turn", &n).ok());
    EXPECT_EQ(n, 2);
    EXPECT_EQ(call.NextSequence("", &n).code, RAPPORT_INVALID_ARGUMENT);
  });
  // Taken at once: the number is in the store whatever the call did after.
  int64_t stored = 0;
  ASSERT_TRUE(Call::DecodeCounter(host_.keyspace().at("turn"), &stored));
  EXPECT_EQ(stored, 2);
}
