// A rep cannot read another team's records through any read path (issue 22:
// a second guard, independent of access_test's role matrix). Through the
// real server on 127.0.0.1, a rep of team "north" tries every way in to a
// customer, an opportunity and an interaction owned by a rep of team
// "south": Get, get by external ref, upsert (and import) by external ref,
// list (with and without filters that pick the hidden records), search by
// name, email and phone, find-duplicates, and export. Each query is run by
// the admin too, who must find the hidden records, so a query that found
// nothing for anyone cannot pass for isolation; and the rep must find their
// own and their teammate's records, so a server that hides everything
// cannot either.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A well-formed id no record has.
const std::string kUnusedId = "01KBQ0000000000000000000ZZ";

class TeamIsolationTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    data_ = v1::DataService::NewStub(channel_);
    CreateTeam("north");
    CreateTeam("south");
    north_ = CreateUser("nora", {v1::ROLE_REP}, {"north"});
    mate_ = CreateUser("nick", {v1::ROLE_REP}, {"north"});
    south_ = CreateUser("sam", {v1::ROLE_REP}, {"south"});
    own_ = NewCustomer(north_, "Hanbit North", "nora@north.kr", "010-4444-0101", "N-1");
    mates_ = NewCustomer(mate_, "Hanbit Mate", "nick@north.kr", "010-4444-0202", "M-1");
    hidden_ = NewCustomer(south_, "Hanbit South", "sam@south.kr", "010-7777-0303", "S-1");
    ASSERT_EQ(hidden_.owner(), "sam");
    v1::CreateOpportunityRequest o;
    o.mutable_opportunity()->set_customer_id(hidden_.id());
    o.mutable_opportunity()->set_name("Southern deal");
    (*o.mutable_opportunity()->mutable_external_refs())["erp"] = "SO-1";
    ASSERT_TRUE(opportunities_->CreateOpportunity(Call(south_).get(), o, &hidden_deal_).ok());
    v1::CreateInteractionRequest i;
    i.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
    i.mutable_interaction()->set_customer_id(hidden_.id());
    i.mutable_interaction()->set_subject("Southern call");
    (*i.mutable_interaction()->mutable_external_refs())["erp"] = "SI-1";
    ASSERT_TRUE(interactions_->CreateInteraction(Call(south_).get(), i, &hidden_note_).ok());
  }

  v1::Customer NewCustomer(const std::string& token, const std::string& name,
                           const std::string& email, const std::string& phone,
                           const std::string& erp) {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    r.mutable_customer()->add_emails(email);
    r.mutable_customer()->add_phones(phone);
    (*r.mutable_customer()->mutable_external_refs())["erp"] = erp;
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Nothing in an answer to the north rep may name the hidden records.
  void ExpectNoTrace(const std::string& text) {
    for (const std::string& secret :
         {hidden_.id(), hidden_deal_.id(), hidden_note_.id(), std::string("Hanbit South"),
          std::string("sam@south.kr"), std::string("Southern")}) {
      EXPECT_THAT(text, Not(HasSubstr(secret)));
    }
  }

  // `hidden` (a call naming a hidden record) answers exactly as `absent`
  // (the same call naming kUnusedId), apart from the id the caller sent.
  void ExpectSameAsAbsent(const grpc::Status& hidden, const grpc::Status& absent) {
    EXPECT_EQ(hidden.error_code(), absent.error_code());
    std::string normalised = hidden.error_message();
    if (size_t at = normalised.find(hidden_.id()); at != std::string::npos) {
      normalised.replace(at, hidden_.id().size(), kUnusedId);
    }
    EXPECT_EQ(normalised, absent.error_message());
  }

  int ListCustomerOpportunitiesAsAdmin(const std::string& customer_id) {
    v1::ListCustomerOpportunitiesRequest r;
    r.set_customer_id(customer_id);
    v1::ListOpportunitiesResponse out;
    EXPECT_TRUE(opportunities_->ListCustomerOpportunities(Call().get(), r, &out).ok());
    return out.opportunities_size();
  }

  std::set<std::string> ListCustomerIds(const std::string& token, const std::string& filter) {
    std::set<std::string> ids;
    v1::ListCustomersRequest r;
    r.set_filter(filter);
    r.set_page_size(1);  // page through, so every page is checked
    for (int pages = 0; pages < 100; ++pages) {
      v1::ListCustomersResponse out;
      grpc::Status s = customers_->ListCustomers(Call(token).get(), r, &out);
      EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
      if (!s.ok()) break;
      for (const auto& c : out.customers()) ids.insert(c.id());
      if (out.next_page_token().empty()) break;
      r.set_page_token(out.next_page_token());
    }
    return ids;
  }

  std::set<std::string> SearchIds(const std::string& token, const std::string& query) {
    v1::SearchCustomersRequest r;
    r.set_query(query);
    v1::SearchCustomersResponse out;
    grpc::Status s = customers_->SearchCustomers(Call(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << query << ": " << s.error_message();
    std::set<std::string> ids;
    for (const auto& c : out.customers()) ids.insert(c.id());
    return ids;
  }

  std::set<std::string> ExportIds(const std::string& token, const std::string& filter = "") {
    v1::ExportRequest r;
    r.set_filter(filter);
    auto ctx = Call(token);
    auto reader = data_->Export(ctx.get(), r);
    std::set<std::string> ids;
    v1::ExportResponse row;
    while (reader->Read(&row)) {
      if (row.has_customer()) ids.insert(row.customer().id());
      if (row.has_opportunity()) ids.insert(row.opportunity().id());
      if (row.has_interaction()) ids.insert(row.interaction().id());
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ids;
  }

  v1::Customer AdminGet(const std::string& id) {
    v1::GetCustomerRequest get;
    get.set_id(id);
    v1::Customer out;
    EXPECT_TRUE(customers_->GetCustomer(Call().get(), get, &out).ok());
    return out;
  }

  std::unique_ptr<v1::DataService::Stub> data_;
  std::string north_, mate_, south_;
  v1::Customer own_, mates_, hidden_;
  v1::Opportunity hidden_deal_;
  v1::Interaction hidden_note_;
};

TEST_F(TeamIsolationTest, GetAndGetByExternalRefAnswerNotFoundAsForAnAbsentRecord) {
  v1::GetCustomerRequest get;
  v1::Customer customer;
  get.set_id(own_.id());
  EXPECT_TRUE(customers_->GetCustomer(Call(north_).get(), get, &customer).ok());
  get.set_id(mates_.id());
  EXPECT_TRUE(customers_->GetCustomer(Call(north_).get(), get, &customer).ok());
  get.set_id(hidden_.id());
  grpc::Status hidden = customers_->GetCustomer(Call(north_).get(), get, &customer);
  EXPECT_EQ(hidden.error_code(), grpc::StatusCode::NOT_FOUND);
  // Word for word what an id nobody uses gets, apart from the id.
  get.set_id(kUnusedId);
  ExpectSameAsAbsent(hidden, customers_->GetCustomer(Call(north_).get(), get, &customer));

  v1::GetOpportunityRequest get_deal;
  get_deal.set_id(hidden_deal_.id());
  v1::Opportunity deal;
  EXPECT_EQ(opportunities_->GetOpportunity(Call(north_).get(), get_deal, &deal).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetInteractionRequest get_note;
  get_note.set_id(hidden_note_.id());
  v1::Interaction note;
  EXPECT_EQ(interactions_->GetInteraction(Call(north_).get(), get_note, &note).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::GetCustomerByExternalRefRequest by_ref;
  by_ref.set_system("erp");
  by_ref.set_external_id("N-1");
  EXPECT_TRUE(customers_->GetCustomerByExternalRef(Call(north_).get(), by_ref, &customer).ok());
  by_ref.set_external_id("S-1");
  EXPECT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), by_ref, &customer).ok());
  grpc::Status s = customers_->GetCustomerByExternalRef(Call(north_).get(), by_ref, &customer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNoTrace(s.error_message());

  v1::GetOpportunityByExternalRefRequest deal_ref;
  deal_ref.set_system("erp");
  deal_ref.set_external_id("SO-1");
  EXPECT_TRUE(opportunities_->GetOpportunityByExternalRef(Call().get(), deal_ref, &deal).ok());
  s = opportunities_->GetOpportunityByExternalRef(Call(north_).get(), deal_ref, &deal);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNoTrace(s.error_message());
  v1::GetInteractionByExternalRefRequest note_ref;
  note_ref.set_system("erp");
  note_ref.set_external_id("SI-1");
  EXPECT_TRUE(interactions_->GetInteractionByExternalRef(Call().get(), note_ref, &note).ok());
  s = interactions_->GetInteractionByExternalRef(Call(north_).get(), note_ref, &note);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNoTrace(s.error_message());
}

TEST_F(TeamIsolationTest, UpsertAndImportByExternalRefNeitherReadNorOverwriteIt) {
  // The rep's own record is matched and updated by its external ref.
  v1::BatchUpsertCustomersRequest mine;
  auto* c = mine.add_customers();
  c->set_display_name("Hanbit North (renamed)");
  (*c->mutable_external_refs())["erp"] = "N-1";
  v1::BatchUpsertCustomersResponse out;
  ASSERT_TRUE(customers_->BatchUpsertCustomers(Call(north_).get(), mine, &out).ok());
  ASSERT_EQ(out.customers_size(), 1);
  EXPECT_EQ(out.customers(0).id(), own_.id());
  EXPECT_EQ(out.results(0), v1::UPSERT_RESULT_UPDATED);

  // The hidden one's external ref: no match is made, nothing about it is
  // returned, and it is unchanged.
  v1::BatchUpsertCustomersRequest theirs;
  c = theirs.add_customers();
  c->set_display_name("Taken over");
  (*c->mutable_external_refs())["erp"] = "S-1";
  out.Clear();
  grpc::Status s = customers_->BatchUpsertCustomers(Call(north_).get(), theirs, &out);
  EXPECT_FALSE(s.ok()) << "the upsert went through: " << out.DebugString();
  EXPECT_EQ(out.customers_size(), 0);
  ExpectNoTrace(s.error_message());
  // By id, too.
  v1::BatchUpsertCustomersRequest by_id;
  c = by_id.add_customers();
  c->set_id(hidden_.id());
  c->set_display_name("Taken over");
  s = customers_->BatchUpsertCustomers(Call(north_).get(), by_id, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(out.customers_size(), 0);

  // Import is the same upsert, row by row.
  v1::ImportSummary summary;
  {
    auto ctx = Call(north_);
    auto writer = data_->Import(ctx.get(), &summary);
    v1::ImportRequest header;
    header.mutable_header()->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    ASSERT_TRUE(writer->Write(header));
    v1::ImportRequest row;
    row.mutable_row()->set_line(2);
    row.mutable_row()->mutable_customer()->set_display_name("Imported over");
    (*row.mutable_row()->mutable_customer()->mutable_external_refs())["erp"] = "S-1";
    ASSERT_TRUE(writer->Write(row));
    writer->WritesDone();
    s = writer->Finish();
  }
  if (s.ok()) {
    EXPECT_EQ(summary.updated(), 0u) << summary.DebugString();
    EXPECT_EQ(summary.created(), 0u) << summary.DebugString();
    EXPECT_EQ(summary.failed(), 1u) << summary.DebugString();
  }
  ExpectNoTrace(s.error_message());
  ExpectNoTrace(summary.DebugString());

  v1::Customer after = AdminGet(hidden_.id());
  EXPECT_EQ(after.display_name(), "Hanbit South");
  EXPECT_EQ(after.revision(), hidden_.revision());
  EXPECT_EQ(after.owner(), "sam");
}

TEST_F(TeamIsolationTest, ListingsLeaveItOutWhateverTheFilter) {
  const std::set<std::string> visible = {own_.id(), mates_.id()};
  EXPECT_EQ(ListCustomerIds(north_, ""), visible);
  EXPECT_EQ(ListCustomerIds(north_, "owner = \"sam\""), std::set<std::string>());
  EXPECT_EQ(ListCustomerIds(north_, "external_refs.erp = \"S-1\""), std::set<std::string>());
  EXPECT_EQ(ListCustomerIds(north_, "emails = \"sam@south.kr\""), std::set<std::string>());
  EXPECT_EQ(ListCustomerIds(north_, "display_name = \"Hanbit South\""), std::set<std::string>());
  // The same filters find it for the admin.
  for (const char* filter : {"owner = \"sam\"", "external_refs.erp = \"S-1\"",
                             "emails = \"sam@south.kr\"", "display_name = \"Hanbit South\""}) {
    EXPECT_EQ(ListCustomerIds(admin_token_, filter), std::set<std::string>{hidden_.id()}) << filter;
  }
  EXPECT_EQ(ListCustomerIds(admin_token_, "").size(), 3u);

  v1::ListOpportunitiesRequest deals;
  v1::ListOpportunitiesResponse listed;
  ASSERT_TRUE(opportunities_->ListOpportunities(Call().get(), deals, &listed).ok());
  EXPECT_EQ(listed.opportunities_size(), 1);
  ASSERT_TRUE(opportunities_->ListOpportunities(Call(north_).get(), deals, &listed).ok());
  EXPECT_EQ(listed.opportunities_size(), 0);
  // A hidden customer's opportunities and timeline: the answer for a
  // customer id nobody uses.
  auto deals_of = [&](const std::string& customer_id) {
    v1::ListCustomerOpportunitiesRequest r;
    r.set_customer_id(customer_id);
    listed.Clear();
    grpc::Status s = opportunities_->ListCustomerOpportunities(Call(north_).get(), r, &listed);
    EXPECT_EQ(listed.opportunities_size(), 0);
    return s;
  };
  ASSERT_EQ(ListCustomerOpportunitiesAsAdmin(hidden_.id()), 1);
  ExpectSameAsAbsent(deals_of(hidden_.id()), deals_of(kUnusedId));

  v1::ListInteractionsRequest notes;
  v1::ListInteractionsResponse noted;
  ASSERT_TRUE(interactions_->ListInteractions(Call().get(), notes, &noted).ok());
  EXPECT_EQ(noted.interactions_size(), 1);
  ASSERT_TRUE(interactions_->ListInteractions(Call(north_).get(), notes, &noted).ok());
  EXPECT_EQ(noted.interactions_size(), 0);
  auto timeline_of = [&](const std::string& customer_id, const std::string& token) {
    v1::ListCustomerInteractionsRequest r;
    r.set_customer_id(customer_id);
    noted.Clear();
    grpc::Status s = interactions_->ListCustomerInteractions(Call(token).get(), r, &noted);
    return std::make_pair(s, noted.interactions_size());
  };
  ASSERT_EQ(timeline_of(hidden_.id(), admin_token_).second, 1);
  auto hidden = timeline_of(hidden_.id(), north_);
  auto absent = timeline_of(kUnusedId, north_);
  EXPECT_EQ(hidden.second, 0);
  ExpectSameAsAbsent(hidden.first, absent.first);
}

TEST_F(TeamIsolationTest, SearchAndFindDuplicatesLeaveItOut) {
  const std::set<std::string> all = {own_.id(), mates_.id(), hidden_.id()};
  EXPECT_EQ(SearchIds(admin_token_, "Hanbit"), all);
  EXPECT_EQ(SearchIds(north_, "Hanbit"), (std::set<std::string>{own_.id(), mates_.id()}));
  EXPECT_EQ(SearchIds(admin_token_, "South"), std::set<std::string>{hidden_.id()});
  EXPECT_EQ(SearchIds(north_, "South"), std::set<std::string>());
  EXPECT_EQ(SearchIds(admin_token_, "sam@south"), std::set<std::string>{hidden_.id()});
  EXPECT_EQ(SearchIds(north_, "sam@south"), std::set<std::string>());
  EXPECT_EQ(SearchIds(admin_token_, "010-7777"), std::set<std::string>{hidden_.id()});
  EXPECT_EQ(SearchIds(north_, "010-7777"), std::set<std::string>());
  EXPECT_EQ(SearchIds(north_, "010-4444"), (std::set<std::string>{own_.id(), mates_.id()}));

  v1::FindDuplicatesRequest dup;
  dup.mutable_customer()->set_display_name("Someone");
  dup.mutable_customer()->add_emails("sam@south.kr");
  v1::FindDuplicatesResponse matches;
  ASSERT_TRUE(data_->FindDuplicates(Call().get(), dup, &matches).ok());
  ASSERT_EQ(matches.matches_size(), 1);
  EXPECT_EQ(matches.matches(0).id(), hidden_.id());
  ASSERT_TRUE(data_->FindDuplicates(Call(north_).get(), dup, &matches).ok());
  EXPECT_EQ(matches.matches_size(), 0) << matches.DebugString();
}

TEST_F(TeamIsolationTest, ExportLeavesItOut) {
  const std::set<std::string> everything = ExportIds(admin_token_);
  EXPECT_TRUE(everything.count(hidden_.id()));
  EXPECT_TRUE(everything.count(hidden_deal_.id()));
  EXPECT_TRUE(everything.count(hidden_note_.id()));
  EXPECT_EQ(ExportIds(north_), (std::set<std::string>{own_.id(), mates_.id()}));
  EXPECT_EQ(ExportIds(north_, "owner = \"sam\""), std::set<std::string>());
  EXPECT_FALSE(ExportIds(admin_token_, "owner = \"sam\"").empty());
}

}  // namespace
}  // namespace rapport
