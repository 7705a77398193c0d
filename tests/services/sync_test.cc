// Living beside the ERP, through the real server: Subscribe, import,
// export, duplicates and merge.
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/testing/server_fixture.h"
#include "tools/common/import_export.h"

namespace rapport {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SyncTest : public testing::ServerTest {
 protected:
  void SetUp() override { Start(); }
  void Start(services::ServerOptions options = {}) {
    StartServer(options);
    events_ = v1::EventService::NewStub(channel_);
    data_ = v1::DataService::NewStub(channel_);
  }

  v1::Customer Create(const std::string& name, const std::string& origin = "",
                      const std::string& token = "") {
    v1::CreateCustomerRequest r;
    r.mutable_customer()->set_display_name(name);
    auto ctx = Call(token);
    if (!origin.empty()) ctx->AddMetadata("x-rapport-origin", origin);
    v1::Customer out;
    grpc::Status s = customers_->CreateCustomer(ctx.get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Events after `after` until the stream has delivered everything up to
  // the head at call time (or max_events).
  std::vector<v1::ChangeEvent> Drain(v1::SubscribeRequest request, grpc::Status* status = nullptr) {
    const uint64_t head = server_->store()->feed()->last_sequence();
    auto ctx = Call();
    auto reader = events_->Subscribe(ctx.get(), request);
    std::vector<v1::ChangeEvent> out;
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      if (response.has_event()) out.push_back(response.event());
      uint64_t seen = response.has_event() ? response.event().sequence() : response.head_sequence();
      if (seen >= head || (request.max_events() && out.size() >= request.max_events())) {
        ctx->TryCancel();
        break;
      }
    }
    grpc::Status finished = reader->Finish();
    if (status) *status = finished;
    return out;
  }

  v1::ImportSummary ImportCsv(const std::string& csv,
                              v1::ResourceType type = v1::RESOURCE_TYPE_CUSTOMER,
                              v1::DuplicatePolicy policy = v1::DUPLICATE_POLICY_ALLOW,
                              absl::Status* error = nullptr, const std::string& token = "") {
    std::string path = dir_.Sub("import.csv");
    std::ofstream(path, std::ios::binary) << csv;
    tools::ImportOptions options;
    options.type = type;
    options.path = path;
    options.duplicate_policy = policy;
    v1::AttributeSchema schema;
    auto ctx = Call(token);
    // Bulk work gets a bulk deadline (the fixture's 10 s is for single calls).
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    auto summary = tools::ImportFile(*data_, std::move(ctx), schema, options);
    if (error) *error = summary.status();
    EXPECT_TRUE(error || summary.ok()) << summary.status();
    return summary.ok() ? *summary : v1::ImportSummary();
  }

  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::DataService::Stub> data_;
};

TEST_F(SyncTest, SubscribeResumesAcrossARestartWithNoGapAndNoLoss) {
  for (int i = 0; i < 150; ++i) Create("Before " + std::to_string(i));
  v1::SubscribeRequest first;
  first.set_max_events(100);
  std::vector<v1::ChangeEvent> received = Drain(first);
  ASSERT_EQ(received.size(), 100u);
  const uint64_t acked = received.back().sequence();
  StartServer();  // restart on the same data directory
  events_ = v1::EventService::NewStub(channel_);
  for (int i = 0; i < 50; ++i) Create("After " + std::to_string(i));
  v1::SubscribeRequest resume;
  resume.set_after_sequence(acked);
  for (auto& e : Drain(resume)) received.push_back(e);
  // Compare with the whole feed.
  v1::SubscribeRequest all;
  std::vector<v1::ChangeEvent> full = Drain(all);
  ASSERT_EQ(received.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(received[i].sequence(), full[i].sequence());
    EXPECT_EQ(received[i].resource_id(), full[i].resource_id());
  }
  for (size_t i = 1; i < received.size(); ++i)
    EXPECT_LT(received[i - 1].sequence(), received[i].sequence());
  EXPECT_GE(full.size(), 201u);  // bootstrap event + 200 creates
}

TEST_F(SyncTest, OriginAndTypeFiltersAndServerSideCursors) {
  Create("From the CRM");
  Create("From the ERP", "erp-bridge");
  v1::SubscribeRequest request;
  request.add_exclude_origins("erp-bridge");
  request.add_resource_types(v1::RESOURCE_TYPE_CUSTOMER);
  auto events = Drain(request);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].after().type_url(), "type.googleapis.com/rapport.v1.Customer");
  EXPECT_EQ(events[0].principal(), "default/admin");

  v1::AcknowledgeEventsRequest ack;
  ack.set_consumer("erp-bridge");
  ack.set_sequence(events[0].sequence());
  v1::AcknowledgeEventsResponse acked;
  ASSERT_TRUE(events_->AcknowledgeEvents(Call().get(), ack, &acked).ok());
  v1::SubscribeRequest by_consumer;
  by_consumer.set_consumer("erp-bridge");
  auto rest = Drain(by_consumer);
  ASSERT_FALSE(rest.empty());
  EXPECT_GT(rest[0].sequence(), events[0].sequence());
  ack.set_consumer("Bad Name");
  EXPECT_EQ(events_->AcknowledgeEvents(Call().get(), ack, &acked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ack.set_consumer("erp-bridge");
  ack.set_sequence(1u << 30);
  EXPECT_EQ(events_->AcknowledgeEvents(Call().get(), ack, &acked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SyncTest, ASequenceBeyondTheHeadOrPastRetentionIsOutOfRange) {
  v1::SubscribeRequest beyond;
  beyond.set_after_sequence(1000000);
  grpc::Status status;
  Drain(beyond, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("beyond the head"));

  services::ServerOptions options;
  options.retention.max_events_per_tenant = 10;
  options.prune_interval = absl::Milliseconds(50);
  Start(options);
  for (int i = 0; i < 30; ++i) Create("Churn " + std::to_string(i));
  v1::GetFeedInfoResponse info;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(events_->GetFeedInfo(Call().get(), v1::GetFeedInfoRequest(), &info).ok());
    if (info.oldest_sequence() > 20) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(info.oldest_sequence(), 20u);
  v1::SubscribeRequest old;
  old.set_after_sequence(1);
  Drain(old, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("oldest available sequence is ", info.oldest_sequence())));
  v1::SubscribeRequest fine;
  fine.set_after_sequence(info.oldest_sequence() - 1);
  EXPECT_EQ(Drain(fine).front().sequence(), info.oldest_sequence());
  v1::CheckConsistencyResponse report;
  ASSERT_TRUE(admin_->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &report).ok());
  EXPECT_TRUE(report.consistent()) << report.DebugString();
}

TEST_F(SyncTest, AConsumerThatNeverReadsDoesNotBlockWriters) {
  auto ctx = Call();
  v1::SubscribeRequest request;
  auto reader = events_->Subscribe(ctx.get(), request);  // never read
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        v1::CreateCustomerRequest r;
        r.mutable_customer()->set_display_name(absl::StrCat("Busy ", t, "-", i));
        r.mutable_customer()->mutable_address()->add_lines(std::string(180, 'x'));
        v1::Customer out;
        auto c = Call();
        c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (customers_->CreateCustomer(c.get(), r, &out).ok()) ++ok;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(ok.load(), 2000);
  ctx->TryCancel();
  reader->Finish();
}

TEST_F(SyncTest, RestrictedRolesCannotReadTheFeed) {
  std::string rep = CreateUser("rep", {v1::ROLE_REP}, {});
  auto ctx = Call(rep);
  auto reader = events_->Subscribe(ctx.get(), v1::SubscribeRequest());
  v1::SubscribeResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

std::string BigCsv(int rows) {
  std::string csv = "display_name,emails,external_refs.erp,tags\n";
  for (int i = 0; i < rows; ++i) {
    absl::StrAppend(&csv, "고객 ", i, ",c", i, "@example.kr,ERP-", i, ",", i % 2 ? "b2b" : "b2c",
                    "\n");
  }
  return csv;
}

TEST_F(SyncTest, ImportOfOneHundredThousandRowsThenARerunChangesNothing) {
  constexpr int kRows = 100000;
  v1::ImportSummary first = ImportCsv(BigCsv(kRows));
  EXPECT_EQ(first.rows(), static_cast<uint64_t>(kRows));
  EXPECT_EQ(first.created(), static_cast<uint64_t>(kRows)) << first.DebugString().substr(0, 2000);
  EXPECT_EQ(first.failed(), 0u);
  v1::ImportSummary again = ImportCsv(BigCsv(kRows));
  EXPECT_EQ(again.unchanged(), static_cast<uint64_t>(kRows));
  EXPECT_EQ(again.created() + again.updated() + again.failed(), 0u);
  v1::GetCustomerByExternalRefRequest by_ref;
  by_ref.set_system("erp");
  by_ref.set_external_id("ERP-99999");
  v1::Customer c;
  ASSERT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), by_ref, &c).ok());
  EXPECT_EQ(c.display_name(), "고객 99999");
}

TEST_F(SyncTest, BadCsvRowsAreReportedByLineAndTheRestImported) {
  std::string csv =
      "\xEF\xBB\xBF"  // BOM
      "display_name,emails,external_refs.erp\n"
      "\"Kim, Minsu\",kim@example.kr,E-1\n"                 // 2: comma inside quotes
      "\"Line\nbreak \"\"quoted\"\"\",lb@example.kr,E-2\n"  // 3-4: embedded newline and quotes
      "Ragged row,only-two-fields\n"                        // 5
      "\xB1\xE8\xB9\xCE\xBC\xF6,euckr@example.kr,E-3\n"     // 6: 김민수 in EUC-KR
      "Bad email,not-an-email,E-4\n"                        // 7
      "Dup one,d1@example.kr,E-5\n"                         // 8
      "Dup two,d2@example.kr,E-5\n"                         // 9: same external ref
      "Good,good@example.kr,E-6\n";                         // 10
  v1::ImportSummary s = ImportCsv(csv);
  EXPECT_EQ(s.rows(), 8u);
  EXPECT_EQ(s.created(), 4u) << s.DebugString();
  EXPECT_EQ(s.failed(), 4u);
  std::map<uint64_t, std::string> errors;
  for (const auto& e : s.errors()) errors[e.line()] = e.field() + " " + e.message();
  EXPECT_THAT(errors[5], HasSubstr("has 2 fields; the header has 3"));
  EXPECT_THAT(errors[6], HasSubstr("not valid UTF-8"));
  EXPECT_THAT(errors[7], HasSubstr("emails[0]"));
  EXPECT_THAT(errors[9], HasSubstr("line 8"));
  v1::GetCustomerByExternalRefRequest by_ref;
  by_ref.set_system("erp");
  by_ref.set_external_id("E-2");
  v1::Customer c;
  ASSERT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), by_ref, &c).ok());
  EXPECT_EQ(c.display_name(), "Line break \"quoted\"");  // NFC + whitespace collapsed

  absl::Status error;
  ImportCsv("display_name,favourite_colour\nKim,blue\n", v1::RESOURCE_TYPE_CUSTOMER,
            v1::DUPLICATE_POLICY_ALLOW, &error);
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(error.message()), HasSubstr("favourite_colour"));
  EXPECT_THAT(std::string(error.message()), HasSubstr("nothing was imported"));

  v1::ImportSummary orphans =
      ImportCsv("customer_ref,kind,subject\nerp:NOPE,call,hello\nerp:E-1,call,hi\n",
                v1::RESOURCE_TYPE_INTERACTION);
  EXPECT_EQ(orphans.created(), 1u);
  ASSERT_EQ(orphans.errors_size(), 1);
  EXPECT_EQ(orphans.errors(0).line(), 2u);
  EXPECT_EQ(orphans.errors(0).field(), "customer_ref");
}

TEST_F(SyncTest, ExportThenImportIntoAnEmptyTenantReproducesIt) {
  // Source: customers, an opportunity and interactions referencing both.
  v1::Customer acme = Create("Acme");
  v1::Customer kim = Create("김민수");
  v1::CreateOpportunityRequest o;
  o.mutable_opportunity()->set_customer_id(acme.id());
  o.mutable_opportunity()->set_name("큰 거래");
  o.mutable_opportunity()->mutable_amount()->set_currency_code("KRW");
  o.mutable_opportunity()->mutable_amount()->set_units(150000000);
  v1::Opportunity opp;
  ASSERT_TRUE(opportunities_->CreateOpportunity(Call().get(), o, &opp).ok());
  for (int i = 0; i < 3; ++i) {
    v1::CreateInteractionRequest r;
    r.mutable_interaction()->set_kind(v1::INTERACTION_KIND_CALL);
    r.mutable_interaction()->set_customer_id(acme.id());
    r.mutable_interaction()->set_opportunity_id(opp.id());
    r.mutable_interaction()->set_body(std::string(300, 'n'));
    v1::Interaction out;
    ASSERT_TRUE(interactions_->CreateInteraction(Call().get(), r, &out).ok());
  }
  std::string target = CreateTenant("restore");
  auto data = v1::DataService::NewStub(channel_);
  for (auto type :
       {v1::RESOURCE_TYPE_CUSTOMER, v1::RESOURCE_TYPE_OPPORTUNITY, v1::RESOURCE_TYPE_INTERACTION}) {
    v1::ExportRequest request;
    request.add_resource_types(type);
    std::ostringstream jsonl;
    auto exported = tools::ExportTo(*data, Call(), request, v1::AttributeSchema(), "jsonl", jsonl);
    ASSERT_TRUE(exported.ok()) << exported.status();
    std::string path = dir_.Sub("export.jsonl");
    std::ofstream(path) << jsonl.str();
    tools::ImportOptions options;
    options.type = type;
    options.path = path;
    options.preserve_ids = true;
    auto summary = tools::ImportFile(*data, Call(target), v1::AttributeSchema(), options);
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->failed(), 0u) << summary->DebugString();
    EXPECT_EQ(summary->created(), *exported);
  }
  // Record by record, ignoring the bookkeeping fields.
  for (auto type :
       {v1::RESOURCE_TYPE_CUSTOMER, v1::RESOURCE_TYPE_OPPORTUNITY, v1::RESOURCE_TYPE_INTERACTION}) {
    v1::ExportRequest request;
    request.add_resource_types(type);
    std::vector<v1::ExportResponse> source, copy;
    for (auto* into : {&source, &copy}) {
      auto ctx = into == &source ? Call() : Call(target);
      auto reader = data->Export(ctx.get(), request);
      v1::ExportResponse r;
      while (reader->Read(&r)) {
        google::protobuf::Message* m =
            r.has_customer() ? static_cast<google::protobuf::Message*>(r.mutable_customer())
            : r.has_interaction()
                ? static_cast<google::protobuf::Message*>(r.mutable_interaction())
                : static_cast<google::protobuf::Message*>(r.mutable_opportunity());
        for (const char* f : {"create_time", "update_time", "revision"}) {
          m->GetReflection()->ClearField(m, m->GetDescriptor()->FindFieldByName(f));
        }
        into->push_back(r);
      }
      ASSERT_TRUE(reader->Finish().ok());
    }
    ASSERT_EQ(source.size(), copy.size());
    ASSERT_FALSE(source.empty());
    for (size_t i = 0; i < source.size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(source[i], copy[i]))
          << source[i].DebugString() << " vs " << copy[i].DebugString();
    }
  }
}

TEST_F(SyncTest, DuplicatesAreFoundFlaggedOrBlocked) {
  v1::CreateCustomerRequest first;
  first.mutable_customer()->set_display_name("Park");
  first.mutable_customer()->add_emails("Park@Example.KR");
  first.mutable_customer()->add_phones("010-1234-5678");
  v1::Customer park;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), first, &park).ok());
  v1::CreateCustomerRequest org;
  org.mutable_customer()->set_display_name("(주)한빛소프트");
  org.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
  v1::Customer hanbit;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), org, &hanbit).ok());

  v1::FindDuplicatesRequest find;
  find.mutable_customer()->set_display_name("Someone");
  find.mutable_customer()->add_emails("park@example.kr");
  find.mutable_customer()->add_phones("+82 10 1234 5678");
  v1::FindDuplicatesResponse found;
  ASSERT_TRUE(data_->FindDuplicates(Call().get(), find, &found).ok());
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(found.matches(0).id(), park.id());
  EXPECT_THAT(found.matches(0).reasons(), ElementsAre("email", "phone"));

  v1::CreateCustomerRequest blocked;
  blocked.mutable_customer()->set_display_name("주식회사 한빛소프트");
  blocked.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
  blocked.set_duplicate_policy(v1::DUPLICATE_POLICY_BLOCK);
  v1::Customer out;
  grpc::Status s = customers_->CreateCustomer(Call().get(), blocked, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr(hanbit.id()));
  blocked.set_duplicate_policy(v1::DUPLICATE_POLICY_ALLOW);
  EXPECT_TRUE(customers_->CreateCustomer(Call().get(), blocked, &out).ok());

  v1::ImportSummary flagged = ImportCsv("display_name,emails\nP2,park@example.kr\n");
  EXPECT_EQ(flagged.created(), 1u);
  ASSERT_EQ(flagged.duplicates_size(), 1);
  EXPECT_THAT(flagged.duplicates(0).matching_ids(), Contains(park.id()));
  v1::ImportSummary refused = ImportCsv("display_name,phones\nP3,01012345678\n",
                                        v1::RESOURCE_TYPE_CUSTOMER, v1::DUPLICATE_POLICY_BLOCK);
  EXPECT_EQ(refused.failed(), 1u);
  EXPECT_EQ(refused.created(), 0u);
}

TEST_F(SyncTest, MergeRepointsEverythingKeepsBothRefsAndIsInTheFeed) {
  v1::CreateCustomerRequest a, b;
  a.mutable_customer()->set_display_name("Kim (CRM)");
  a.mutable_customer()->add_emails("kim@example.kr");
  (*a.mutable_customer()->mutable_external_refs())["crm"] = "C-1";
  b.mutable_customer()->set_display_name("Kim (ERP)");
  b.mutable_customer()->add_phones("010-2222-3333");
  (*b.mutable_customer()->mutable_external_refs())["erp"] = "ICC-0042";
  v1::Customer survivor, merged;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), a, &survivor).ok());
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), b, &merged).ok());
  v1::CreateOpportunityRequest o;
  o.mutable_opportunity()->set_customer_id(merged.id());
  o.mutable_opportunity()->set_name("Deal");
  v1::Opportunity opp;
  ASSERT_TRUE(opportunities_->CreateOpportunity(Call().get(), o, &opp).ok());
  v1::CreateInteractionRequest i;
  i.mutable_interaction()->set_kind(v1::INTERACTION_KIND_VISIT);
  i.mutable_interaction()->set_customer_id(merged.id());
  i.mutable_interaction()->set_opportunity_id(opp.id());
  v1::Interaction visit;
  ASSERT_TRUE(interactions_->CreateInteraction(Call().get(), i, &visit).ok());
  const uint64_t before = server_->store()->feed()->last_sequence();

  v1::MergeCustomersRequest merge;
  merge.set_survivor_id(survivor.id());
  merge.set_merged_id(merged.id());
  v1::Customer result;
  grpc::Status s = data_->MergeCustomers(Call().get(), merge, &result);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(result.external_refs().at("crm"), "C-1");
  EXPECT_EQ(result.external_refs().at("erp"), "ICC-0042");
  EXPECT_THAT(result.phones(), ElementsAre("+821022223333"));
  v1::GetCustomerRequest get;
  get.set_id(merged.id());
  v1::Customer gone;
  EXPECT_EQ(customers_->GetCustomer(Call().get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetOpportunityRequest get_opp;
  get_opp.set_id(opp.id());
  ASSERT_TRUE(opportunities_->GetOpportunity(Call().get(), get_opp, &opp).ok());
  EXPECT_EQ(opp.customer_id(), survivor.id());
  v1::GetInteractionRequest get_visit;
  get_visit.set_id(visit.id());
  ASSERT_TRUE(interactions_->GetInteraction(Call().get(), get_visit, &visit).ok());
  EXPECT_EQ(visit.customer_id(), survivor.id());
  v1::GetCustomerByExternalRefRequest by_ref;
  by_ref.set_system("erp");
  by_ref.set_external_id("ICC-0042");
  v1::Customer via_erp;
  ASSERT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), by_ref, &via_erp).ok());
  EXPECT_EQ(via_erp.id(), survivor.id());
  EXPECT_EQ(server_->store()->feed()->last_sequence(),
            before + 4);  // delete, 2 re-points, survivor update
  v1::CheckConsistencyResponse report;
  ASSERT_TRUE(admin_->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &report).ok());
  EXPECT_TRUE(report.consistent()) << report.DebugString();

  merge.set_merged_id(survivor.id());
  EXPECT_EQ(data_->MergeCustomers(Call().get(), merge, &result).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::CreateCustomerRequest c;
  c.mutable_customer()->set_display_name("Other ERP twin");
  (*c.mutable_customer()->mutable_external_refs())["erp"] = "ICC-9999";
  v1::Customer twin;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), c, &twin).ok());
  merge.set_merged_id(twin.id());
  EXPECT_EQ(data_->MergeCustomers(Call().get(), merge, &result).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace rapport
