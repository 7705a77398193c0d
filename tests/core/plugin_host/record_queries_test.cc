// Core record queries as the caller (SDK 1.2: ListRecords, SearchCustomers,
// CountRecords, CanRead) through the real plugin host and the test plugin
// "query" (query_plugin.cc beside this file): a plugin's answers are the
// public API's answers for the same caller, in scope, pages, order and
// errors.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/access_scope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tests/core/plugin_host/one_plugin_host.h"

namespace rapport::plugin_host {
namespace {

using records::ResourceType;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kService[] = "/rapport.query.v1.QueryService/";

class RecordQueriesTest : public OnePluginHostTest {
 protected:
  RecordQueriesTest() : OnePluginHostTest("query", RAPPORT_QUERY_PLUGIN_DIR) {}

  void SetUp() override {
    OnePluginHostTest::SetUp();
    Load();
    // Owners u1 and u2 are in the rep's scope, u3 is not.
    for (const auto& [name, owner] :
         std::vector<std::pair<std::string, std::string>>{{"김민수", "u1"},
                                                          {"김서연", "u3"},
                                                          {"Acme Korea", "u2"},
                                                          {"Busan Steel", "u3"},
                                                          {"Choi Trading", "u1"}}) {
      v1::Customer c;
      c.set_display_name(name);
      c.set_owner(owner);
      auto created = records_->Create(Admin(), ResourceType::kCustomer, c, "");
      ASSERT_TRUE(created.ok()) << created.status();
      ids_[name] = static_cast<const v1::Customer&>(**created).id();
    }
  }

  // A rep who reads the records of u1 and u2.
  static RequestContext Rep() {
    RequestContext ctx = Admin();
    ctx.principal = "acme/u1";
    ctx.roles = {"rep"};
    auto scope = std::make_shared<AccessScope>();
    scope->all = false;
    scope->owners = {"u1", "u2"};
    scope->owner_set = {"u1", "u2"};
    ctx.scope = std::move(scope);
    return ctx;
  }

  absl::StatusOr<v1::ListCustomersResponse> List(const RequestContext& ctx,
                                                 const std::string& filter,
                                                 const std::string& order_by = "",
                                                 int32_t page_size = 0,
                                                 const std::string& token = "") {
    v1::ListCustomersRequest request;
    request.set_filter(filter);
    request.set_order_by(order_by);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return Invoke<v1::ListCustomersResponse>(ctx, absl::StrCat(kService, "ListCustomers"), request);
  }
  // The record store's own answer (what the public API returns).
  std::vector<std::string> Direct(const RequestContext& ctx, const std::string& filter,
                                  const std::string& order_by = "") {
    records::ListRequest request;
    request.filter = filter;
    request.order_by = order_by;
    request.page_size = 1000;
    auto page = records_->List(ctx, ResourceType::kCustomer, request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const auto& r : page->records) {
        names.push_back(static_cast<const v1::Customer&>(*r).display_name());
      }
    }
    return names;
  }
  static std::vector<std::string> Names(const v1::ListCustomersResponse& page) {
    std::vector<std::string> names;
    for (const auto& c : page.customers()) names.push_back(c.display_name());
    return names;
  }
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const std::string& filter) {
    v1::ListCustomersRequest request;
    request.set_filter(filter);
    auto got = Invoke<v1::Customer>(ctx, absl::StrCat(kService, "Count"), request);
    if (!got.ok()) return got.status();
    return got->revision();
  }
  std::string CanRead(const RequestContext& ctx, const std::string& id) {
    v1::Customer request;
    request.set_id(id);
    auto got = Invoke<v1::Customer>(ctx, absl::StrCat(kService, "CanRead"), request);
    return got.ok() ? got->display_name() : got.status().ToString();
  }

  std::map<std::string, std::string> ids_;
};

TEST_F(RecordQueriesTest, ListsAnswerAsThePublicApiDoesForTheSameCaller) {
  for (const RequestContext& ctx : {Admin(), Rep()}) {
    for (const auto& [filter, order_by] :
         std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                          {"", "display_name"},
                                                          {"owner = \"u1\"", ""},
                                                          {"owner = \"u3\"", ""},
                                                          {"", "create_time desc"}}) {
      auto page = List(ctx, filter, order_by, 1000);
      ASSERT_TRUE(page.ok()) << page.status();
      EXPECT_THAT(Names(*page), ElementsAreArray(Direct(ctx, filter, order_by)))
          << "filter " << filter << " order_by " << order_by;
    }
  }
  auto rep = List(Rep(), "", "display_name", 1000);
  ASSERT_TRUE(rep.ok());
  EXPECT_THAT(Names(*rep), ElementsAre("Acme Korea", "Choi Trading", "김민수"));
  auto outside = List(Rep(), "owner = \"u3\"");
  ASSERT_TRUE(outside.ok());
  EXPECT_THAT(outside->customers(), IsEmpty());
}

TEST_F(RecordQueriesTest, PagesResumeFromTheirTokenAndOpportunitiesListToo) {
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = List(Admin(), "", "display_name", 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& name : Names(*page)) seen.push_back(name);
    token = page->next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAreArray(Direct(Admin(), "", "display_name")));

  v1::ListOpportunitiesRequest request;
  auto opportunities = Invoke<v1::ListOpportunitiesResponse>(
      Admin(), absl::StrCat(kService, "ListOpportunities"), request);
  ASSERT_TRUE(opportunities.ok()) << opportunities.status();
  EXPECT_THAT(opportunities->opportunities(), IsEmpty());
}

TEST_F(RecordQueriesTest, SearchCountAndCanReadStayInTheCallersScope) {
  v1::SearchCustomersRequest search;
  search.set_query("김");
  auto admin =
      Invoke<v1::SearchCustomersResponse>(Admin(), absl::StrCat(kService, "Search"), search);
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->customers_size(), 2);
  auto rep = Invoke<v1::SearchCustomersResponse>(Rep(), absl::StrCat(kService, "Search"), search);
  ASSERT_TRUE(rep.ok()) << rep.status();
  ASSERT_EQ(rep->customers_size(), 1);
  EXPECT_EQ(rep->customers(0).display_name(), "김민수");

  EXPECT_EQ(Count(Admin(), "").value_or(-1), 5);
  EXPECT_EQ(Count(Rep(), "").value_or(-1), 3);
  EXPECT_EQ(Count(Admin(), "owner = \"u3\"").value_or(-1), 2);
  EXPECT_EQ(Count(Rep(), "owner = \"u3\"").value_or(-1), 0);

  EXPECT_EQ(CanRead(Admin(), ids_["Busan Steel"]), "yes");
  EXPECT_EQ(CanRead(Rep(), ids_["Busan Steel"]), "no");           // u3's
  EXPECT_EQ(CanRead(Rep(), ids_["Acme Korea"]), "yes");           // u2's
  EXPECT_EQ(CanRead(Rep(), "01J0000000000000000000000Z"), "no");  // no such customer
}

TEST_F(RecordQueriesTest, BadQueriesGetThePublicApisErrorsNamingTheField) {
  auto bad_filter = List(Admin(), "owner ==== \"u1\"");
  EXPECT_EQ(bad_filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_filter.status().message(), HasSubstr("module 'query'"));
  EXPECT_THAT(bad_filter.status().message(), HasSubstr("filter"));

  auto bad_order = List(Admin(), "", "no_such_field");
  EXPECT_EQ(bad_order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_order.status().message(), HasSubstr("order_by"));

  auto bad_size = List(Admin(), "", "", -1);
  EXPECT_EQ(bad_size.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_size.status().message(), HasSubstr("page_size"));

  auto bad_token = List(Admin(), "", "", 2, "not-a-token");
  EXPECT_EQ(bad_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_token.status().message(), HasSubstr("page_token"));

  // Every message is the record store's own, behind the module's name.
  records::ListRequest direct;
  direct.filter = "owner ==== \"u1\"";
  auto store = records_->List(Admin(), ResourceType::kCustomer, direct);
  EXPECT_EQ(bad_filter.status().message(),
            absl::StrCat("module 'query': ", std::string(store.status().message())));

  auto bad_count = Count(Rep(), "nonsense(");
  EXPECT_EQ(bad_count.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanRead(Admin(), "not-an-id"), "no");
}

TEST_F(RecordQueriesTest, AnUnindexedScanIsRefusedAsInThePublicApi) {
  // Over the store's unindexed-scan limit (1000 customers by default) the
  // planner refuses a filter no index serves (address.locality has none); the plugin
  // gets the same refusal.
  for (int i = 0; i < 1000; ++i) {
    v1::Customer c;
    c.set_display_name(absl::StrCat("Filler ", i));
    c.set_owner("u1");
    ASSERT_TRUE(records_->Create(Admin(), ResourceType::kCustomer, c, "").ok());
  }
  records::ListRequest direct;
  direct.filter = "address.locality = \"Busan\"";
  auto store = records_->List(Admin(), ResourceType::kCustomer, direct);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  auto plugin = List(Admin(), direct.filter);
  EXPECT_EQ(plugin.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plugin.status().message(),
            absl::StrCat("module 'query': ", std::string(store.status().message())));
  EXPECT_EQ(Count(Admin(), direct.filter).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rapport::plugin_host
