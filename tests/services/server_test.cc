// rapportd end to end: a real server on 127.0.0.1:0, real gRPC clients.
#include <filesystem>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/testing/server_fixture.h"

namespace rapport {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RapportdTest : public testing::ServerTest {
 protected:
  v1::Customer MustCreateCustomer(const std::string& name, const std::string& token = "") {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_display_name(name);
    v1::Customer out;
    grpc::Status status = customers_->CreateCustomer(Call(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
};

TEST_F(RapportdTest, CustomerCrudRoundTripOverGrpc) {
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_display_name("주식회사 한빛");
  create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
  create.mutable_customer()->add_phones("02-123-4567");
  (*create.mutable_customer()->mutable_external_refs())["erp"] = "ICC-0042";
  create.set_request_id("create-1");
  v1::Customer created;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &created).ok());
  EXPECT_THAT(created.phones(), ElementsAre("+8221234567"));

  v1::Customer retried;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &retried).ok());
  EXPECT_EQ(retried.id(), created.id());

  v1::GetCustomerRequest get;
  get.set_id(created.id());
  v1::Customer fetched;
  ASSERT_TRUE(customers_->GetCustomer(Call().get(), get, &fetched).ok());
  EXPECT_EQ(fetched.display_name(), "주식회사 한빛");

  v1::GetCustomerByExternalRefRequest by_ref;
  by_ref.set_system("erp");
  by_ref.set_external_id("ICC-0042");
  ASSERT_TRUE(customers_->GetCustomerByExternalRef(Call().get(), by_ref, &fetched).ok());
  EXPECT_EQ(fetched.id(), created.id());

  v1::UpdateCustomerRequest update;
  update.mutable_customer()->set_id(created.id());
  update.mutable_customer()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_CUSTOMER);
  update.mutable_update_mask()->add_paths("lifecycle_stage");
  update.set_expected_revision(1);
  v1::Customer updated;
  ASSERT_TRUE(customers_->UpdateCustomer(Call().get(), update, &updated).ok());
  EXPECT_EQ(updated.revision(), 2);
  grpc::Status stale = customers_->UpdateCustomer(Call().get(), update, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(stale.error_message(), HasSubstr("current revision is 2"));

  v1::ListCustomersRequest list;
  list.set_filter("lifecycle_stage = \"customer\"");
  v1::ListCustomersResponse listed;
  ASSERT_TRUE(customers_->ListCustomers(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.customers_size(), 1);

  v1::SearchCustomersRequest search;
  search.set_query("한빛");
  v1::SearchCustomersResponse found;
  ASSERT_TRUE(customers_->SearchCustomers(Call().get(), search, &found).ok());
  ASSERT_EQ(found.customers_size(), 1);

  v1::DeleteCustomerRequest del;
  del.set_id(created.id());
  google::protobuf::Empty empty;
  ASSERT_TRUE(customers_->DeleteCustomer(Call().get(), del, &empty).ok());
  EXPECT_EQ(customers_->GetCustomer(Call().get(), get, &fetched).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RapportdTest, InvalidArgumentCarriesBadRequestFieldViolations) {
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_display_name("");
  create.mutable_customer()->add_emails("not an email");
  v1::Customer out;
  grpc::Status status = customers_->CreateCustomer(Call().get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("customer.display_name", "customer.emails[0]"));

  v1::ListCustomersRequest list;
  list.set_filter("owner = \"u1\" AND");
  v1::ListCustomersResponse listed;
  status = customers_->ListCustomers(Call().get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter"));

  v1::UpdateCustomerRequest update;
  update.mutable_customer()->set_id(MustCreateCustomer("X").id());
  update.mutable_update_mask()->add_paths("colour");
  status = customers_->UpdateCustomer(Call().get(), update, &out);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("update_mask"));

  v1::GetCustomerRequest get;
  get.set_id("not-an-id");
  status = customers_->GetCustomer(Call().get(), get, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("id"));
}

TEST_F(RapportdTest, OpportunityAndInteractionBadInputNamesTheField) {
  v1::Customer customer = MustCreateCustomer("Buyer");
  v1::CreateOpportunityRequest create;
  create.mutable_opportunity()->set_customer_id(customer.id());
  create.mutable_opportunity()->set_name("Deal");
  create.mutable_opportunity()->mutable_amount()->set_currency_code("WON");
  create.mutable_opportunity()->mutable_amount()->set_units(100);
  v1::Opportunity opp;
  grpc::Status status = opportunities_->CreateOpportunity(Call().get(), create, &opp);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("opportunity.amount.currency_code"));

  v1::CreateInteractionRequest interaction;
  interaction.mutable_interaction()->set_customer_id(customer.id());
  v1::Interaction out;
  status = interactions_->CreateInteraction(Call().get(), interaction, &out);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("interaction.kind"));
  interaction.mutable_interaction()->set_kind(static_cast<v1::InteractionKind>(77));
  status = interactions_->CreateInteraction(Call().get(), interaction, &out);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("interaction.kind"));
}

TEST_F(RapportdTest, StageTotalsCountAndSumOneStageInOneCurrencyFromTheIndex) {
  v1::Customer customer = MustCreateCustomer("Buyer");
  auto create = [&](const std::string& stage, const std::string& currency, int64_t units) {
    v1::CreateOpportunityRequest r;
    r.mutable_opportunity()->set_customer_id(customer.id());
    r.mutable_opportunity()->set_name("Deal");
    r.mutable_opportunity()->set_pipeline("default");
    r.mutable_opportunity()->set_stage(stage);
    r.mutable_opportunity()->mutable_amount()->set_currency_code(currency);
    r.mutable_opportunity()->mutable_amount()->set_units(units);
    v1::Opportunity out;
    EXPECT_TRUE(opportunities_->CreateOpportunity(Call().get(), r, &out).ok());
    return out;
  };
  v1::Opportunity big = create("proposal", "KRW", 5'000'000'000);
  create("proposal", "KRW", 1'500'000);
  create("proposal", "USD", 12'345);        // another currency: never added to KRW
  create("negotiation", "KRW", 7'000'000);  // another stage
  auto total = [&](const std::string& pipeline, const std::string& stage,
                   const std::string& currency, v1::StageTotal* out) {
    v1::GetStageTotalRequest r;
    r.set_pipeline(pipeline);
    r.set_stage(stage);
    r.set_currency_code(currency);
    return opportunities_->GetStageTotal(Call().get(), r, out);
  };
  v1::StageTotal krw;
  ASSERT_TRUE(total("default", "proposal", "KRW", &krw).ok());
  EXPECT_EQ(krw.pipeline(), "default");
  EXPECT_EQ(krw.stage(), "proposal");
  EXPECT_EQ(krw.opportunity_count(), 2);
  EXPECT_EQ(krw.amount().currency_code(), "KRW");
  EXPECT_EQ(krw.amount().units(), 5'001'500'000);
  v1::StageTotal usd;
  ASSERT_TRUE(total("default", "proposal", "USD", &usd).ok());
  EXPECT_EQ(usd.opportunity_count(), 1);
  EXPECT_EQ(usd.amount().units(), 12'345);
  v1::StageTotal none;
  ASSERT_TRUE(total("default", "contracting", "KRW", &none).ok());
  EXPECT_EQ(none.opportunity_count(), 0);
  EXPECT_EQ(none.amount().units(), 0);

  // Moving a deal moves its amount; the index is written in the same batch.
  v1::UpdateOpportunityRequest move;
  move.mutable_opportunity()->set_id(big.id());
  move.mutable_opportunity()->set_stage("negotiation");
  move.mutable_update_mask()->add_paths("stage");
  v1::Opportunity moved;
  ASSERT_TRUE(opportunities_->UpdateOpportunity(Call().get(), move, &moved).ok());
  ASSERT_TRUE(total("default", "proposal", "KRW", &krw).ok());
  EXPECT_EQ(krw.opportunity_count(), 1);
  EXPECT_EQ(krw.amount().units(), 1'500'000);
  v1::StageTotal negotiation;
  ASSERT_TRUE(total("default", "negotiation", "KRW", &negotiation).ok());
  EXPECT_EQ(negotiation.opportunity_count(), 2);
  EXPECT_EQ(negotiation.amount().units(), 5'007'000'000);

  // Bad input names every offending field and changes nothing.
  v1::StageTotal out;
  grpc::Status status = total("", "", "", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("pipeline", "stage", "currency_code"));
  status = total("default", "proposal", "WON", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("currency_code"));
  EXPECT_EQ(
      opportunities_->GetStageTotal(Call("-").get(), v1::GetStageTotalRequest(), &out).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RapportdTest, OversizeMessagesAreResourceExhausted) {
  services::ServerOptions options;
  options.max_message_bytes = 64 * 1024;
  StartServer(options);
  v1::CreateInteractionRequest big;
  big.mutable_interaction()->set_body(std::string(100 * 1024, 'x'));
  v1::Interaction out;
  grpc::Status status = interactions_->CreateInteraction(Call().get(), big, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Issue 12.4: a request that does not parse (invalid UTF-8 in a string
// field) is INVALID_ARGUMENT naming the field, with or without a token;
// nothing is written, nothing raw reaches stderr, and the log line it makes
// is one parseable logfmt line, rate-limited.
TEST_F(RapportdTest, InvalidUtf8IsInvalidArgumentNamingTheFieldAndLoggedOnce) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  capture->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(capture);
  v1::CreateCustomerRequest bad;
  bad.mutable_customer()->set_display_name("ABC \xff\xfe Corp");
  v1::Customer out;
  for (const std::string& token : {std::string(), std::string("-")}) {
    for (int i = 0; i < 20; ++i) {
      grpc::Status status = customers_->CreateCustomer(Call(token).get(), bad, &out);
      ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      EXPECT_THAT(status.error_message(), HasSubstr("rapport.v1.Customer.display_name"));
      EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
    }
  }
  spdlog::set_default_logger(previous);
  v1::ListCustomersRequest list;
  v1::ListCustomersResponse listed;
  ASSERT_TRUE(customers_->ListCustomers(Call().get(), list, &listed).ok());
  EXPECT_EQ(listed.customers_size(), 0);
  // 40 refusals, at most 5 lines in the 10 s window; each one logfmt line.
  int refusals = 0;
  std::istringstream lines(log.str());
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find("[libprotobuf"), std::string::npos) << line;
    if (line.find("unparsable request refused") == std::string::npos) continue;
    ++refusals;
    EXPECT_THAT(line, HasSubstr("method=\"/rapport.v1.CustomerService/CreateCustomer\""));
  }
  EXPECT_GE(refusals, 1);
  EXPECT_LE(refusals, 5);
}

// Issue 12.12 (decided, docs/api.md "Idempotent creates"): a retry of a
// create whose record has since been deleted gets the first answer again:
// the create did happen. Nothing is re-created, the record stays deleted, and
// the deletion is in the change feed for whoever needs to know.
TEST_F(RapportdTest, RetryingACreateAfterItsRecordWasDeletedReturnsTheFirstAnswer) {
  v1::CreateCustomerRequest create;
  create.set_request_id("retry-after-delete");
  create.mutable_customer()->set_display_name("Deleted later");
  v1::Customer first;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &first).ok());
  v1::UpdateCustomerRequest rename;
  rename.mutable_customer()->set_id(first.id());
  rename.mutable_customer()->set_display_name("Renamed");
  rename.mutable_update_mask()->add_paths("display_name");
  v1::Customer renamed;
  ASSERT_TRUE(customers_->UpdateCustomer(Call().get(), rename, &renamed).ok());
  v1::Customer retried;
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &retried).ok());
  EXPECT_EQ(retried.display_name(), "Deleted later");  // the first answer, not the current record
  EXPECT_EQ(retried.revision(), first.revision());
  v1::DeleteCustomerRequest del;
  del.set_id(first.id());
  google::protobuf::Empty empty;
  ASSERT_TRUE(customers_->DeleteCustomer(Call().get(), del, &empty).ok());

  v1::Customer again;
  grpc::Status status = customers_->CreateCustomer(Call().get(), create, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.revision(), first.revision());
  EXPECT_EQ(again.display_name(), "Deleted later");
  v1::GetCustomerRequest get;
  get.set_id(first.id());
  v1::Customer out;
  EXPECT_EQ(customers_->GetCustomer(Call().get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListCustomersResponse listed;
  ASSERT_TRUE(customers_->ListCustomers(Call().get(), v1::ListCustomersRequest(), &listed).ok());
  EXPECT_EQ(listed.customers_size(), 0);
  // A different payload under the same request_id is still refused.
  create.mutable_customer()->set_display_name("Something else");
  EXPECT_THAT(ViolatedFields(customers_->CreateCustomer(Call().get(), create, &again)),
              ElementsAre("request_id"));
}

TEST_F(RapportdTest, MissingOrBadTokensAreUnauthenticated) {
  v1::GetCustomerRequest get;
  get.set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  v1::Customer out;
  EXPECT_EQ(customers_->GetCustomer(Call("-").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(customers_->GetCustomer(Call("not-a-token").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RapportdTest, TenantsAreSealedFromEachOther) {
  v1::Customer mine = MustCreateCustomer("Only the default tenant sees me");
  std::string globex = CreateTenant("globex");
  v1::GetCustomerRequest get;
  get.set_id(mine.id());
  v1::Customer out;
  EXPECT_EQ(customers_->GetCustomer(Call(globex).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListCustomersResponse listed;
  ASSERT_TRUE(
      customers_->ListCustomers(Call(globex).get(), v1::ListCustomersRequest(), &listed).ok());
  EXPECT_EQ(listed.customers_size(), 0);
}

TEST_F(RapportdTest, CustomerTimelineAndOpenOpportunities) {
  v1::Customer customer = MustCreateCustomer("Timeline Co");
  for (int i = 0; i < 3; ++i) {
    v1::CreateInteractionRequest r;
    r.mutable_interaction()->set_kind(v1::INTERACTION_KIND_MEETING);
    r.mutable_interaction()->set_customer_id(customer.id());
    r.mutable_interaction()->mutable_occurred_at()->set_seconds(1790000000 + i * 60);
    v1::Interaction out;
    ASSERT_TRUE(interactions_->CreateInteraction(Call().get(), r, &out).ok());
  }
  v1::ListCustomerInteractionsRequest timeline;
  timeline.set_customer_id(customer.id());
  v1::ListInteractionsResponse interactions;
  ASSERT_TRUE(interactions_->ListCustomerInteractions(Call().get(), timeline, &interactions).ok());
  ASSERT_EQ(interactions.interactions_size(), 3);
  EXPECT_EQ(interactions.interactions(0).occurred_at().seconds(), 1790000120);
  EXPECT_EQ(interactions.interactions(2).occurred_at().seconds(), 1790000000);

  for (auto status : {v1::OPPORTUNITY_STATUS_OPEN, v1::OPPORTUNITY_STATUS_LOST}) {
    v1::CreateOpportunityRequest r;
    r.mutable_opportunity()->set_customer_id(customer.id());
    r.mutable_opportunity()->set_name("Deal");
    r.mutable_opportunity()->set_status(status);
    v1::Opportunity out;
    ASSERT_TRUE(opportunities_->CreateOpportunity(Call().get(), r, &out).ok());
  }
  v1::ListCustomerOpportunitiesRequest open;
  open.set_customer_id(customer.id());
  open.set_filter("status = \"open\"");
  v1::ListOpportunitiesResponse opps;
  ASSERT_TRUE(opportunities_->ListCustomerOpportunities(Call().get(), open, &opps).ok());
  EXPECT_EQ(opps.opportunities_size(), 1);

  timeline.set_customer_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(
      interactions_->ListCustomerInteractions(Call().get(), timeline, &interactions).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(RapportdTest, BatchUpsertOverGrpcIsAtomic) {
  v1::BatchUpsertCustomersRequest batch;
  for (int i = 0; i < 3; ++i) {
    auto* c = batch.add_customers();
    c->set_display_name("Batch " + std::to_string(i));
    (*c->mutable_external_refs())["erp"] = "B" + std::to_string(i);
  }
  v1::BatchUpsertCustomersResponse response;
  ASSERT_TRUE(customers_->BatchUpsertCustomers(Call().get(), batch, &response).ok());
  EXPECT_THAT(response.results(), ElementsAre(v1::UPSERT_RESULT_CREATED, v1::UPSERT_RESULT_CREATED,
                                              v1::UPSERT_RESULT_CREATED));
  batch.mutable_customers(2)->add_phones("garbage");
  grpc::Status status = customers_->BatchUpsertCustomers(Call().get(), batch, &response);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("customers[2].phones[0]"));
}

TEST_F(RapportdTest, SchemaIsEnforcedOnEveryWrite) {
  v1::UpdateAttributeSchemaRequest update;
  update.mutable_schema()->set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
  auto* segment = update.mutable_schema()->add_attributes();
  segment->set_name("segment");
  segment->set_type(v1::ATTRIBUTE_TYPE_STRING);
  segment->add_allowed_values("enterprise");
  segment->set_required(true);
  segment->set_indexed(true);
  v1::AttributeSchema schema;
  ASSERT_TRUE(schemas_->UpdateAttributeSchema(Call().get(), update, &schema).ok());
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_display_name("Needs segment");
  v1::Customer out;
  EXPECT_THAT(ViolatedFields(customers_->CreateCustomer(Call().get(), create, &out)),
              ElementsAre("customer.attributes.segment"));
  (*create.mutable_customer()->mutable_attributes())["segment"].set_string_value("enterprise");
  ASSERT_TRUE(customers_->CreateCustomer(Call().get(), create, &out).ok());
  v1::ListCustomersRequest list;
  list.set_filter("attributes.segment = \"enterprise\"");
  v1::ListCustomersResponse listed;
  ASSERT_TRUE(customers_->ListCustomers(Call().get(), list, &listed).ok());
  EXPECT_EQ(listed.customers_size(), 1);
  v1::GetAttributeSchemaRequest get;
  EXPECT_THAT(ViolatedFields(schemas_->GetAttributeSchema(Call().get(), get, &schema)),
              ElementsAre("resource_type"));
}

TEST_F(RapportdTest, FsckRpcReportsAConsistentStore) {
  MustCreateCustomer("One");
  MustCreateCustomer("Two");
  v1::CheckConsistencyResponse report;
  ASSERT_TRUE(admin_->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &report).ok());
  EXPECT_TRUE(report.consistent());
  EXPECT_EQ(report.records_checked(), 2u);
  EXPECT_GT(report.index_entries_checked(), 0u);
  EXPECT_EQ(report.feed_events_checked(), 3u);  // the bootstrap tenant event + 2 creates
}

TEST_F(RapportdTest, HealthAndReflectionAreServed) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext ctx;
  ASSERT_TRUE(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Reflection's messages live inside libgrpc++_reflection without headers,
  // so speak to it with the generic stub and raw protobuf bytes:
  // ServerReflectionRequest{list_services: ""} is field 7, empty string.
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext rctx;
  auto call = generic.PrepareCall(
      &rctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  std::string request_bytes("\x3a\x00", 2);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  ASSERT_TRUE(step(4));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string reply_bytes;
  for (const auto& s : slices)
    reply_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(reply_bytes, HasSubstr("rapport.v1.CustomerService"));
  EXPECT_THAT(reply_bytes, HasSubstr("rapport.v1.OpportunityService"));
  grpc::Status finish;
  call->Finish(&finish, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(finish.ok()) << finish.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(RapportdTest, ShutdownLetsInFlightCallsFinish) {
  // Many concurrent writers; shutdown mid-stream; every acknowledged write
  // is readable after restart.
  std::atomic<bool> stop{false};
  std::vector<std::string> acked;
  std::mutex mu;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load() && i < 10000; ++i) {
        v1::CreateCustomerRequest r;
        r.mutable_customer()->set_display_name("W" + std::to_string(t) + "-" + std::to_string(i));
        v1::Customer out;
        if (customers_->CreateCustomer(Call().get(), r, &out).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(out.id());
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server_->Shutdown(absl::Seconds(5));
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_FALSE(acked.empty());
  StartServer();
  for (const auto& id : acked) {
    v1::GetCustomerRequest get;
    get.set_id(id);
    v1::Customer out;
    ASSERT_TRUE(customers_->GetCustomer(Call().get(), get, &out).ok()) << id;
  }
  v1::CheckConsistencyResponse report;
  ASSERT_TRUE(admin_->CheckConsistency(Call().get(), v1::CheckConsistencyRequest(), &report).ok());
  EXPECT_TRUE(report.consistent());
}

TEST_F(RapportdTest, AMemtableBudgetThatDoesNotFitTheBlockCacheIsRefusedAtStart) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir_.Sub("other");
  options.block_cache_bytes = 64 << 20;
  options.memtable_budget_bytes = 64 << 20;
  auto refused = services::RapportServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("--memtable-mib (64) must be smaller than"));
  EXPECT_FALSE(
      std::filesystem::exists(dir_.Sub("other") + "/admin.token"));  // refused before bootstrap
  options.memtable_budget_bytes = 0;                                 // no shared cap: allowed
  auto started = services::RapportServer::Start(options);
  EXPECT_TRUE(started.ok()) << started.status();
}

TEST_F(RapportdTest, PollerCountsThatContradictEachOtherAreRefusedBeforeTouchingTheDataDir) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir_.Sub("pollers");
  options.grpc_threads.min_pollers = 8;
  options.grpc_threads.max_pollers = 4;
  auto refused = services::RapportServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("--grpc-max-pollers (4) must be at least --grpc-min-pollers (8)"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("pollers")));  // nothing created
  options.grpc_threads.min_pollers = 0;
  options.grpc_threads.max_pollers = 4;
  EXPECT_EQ(services::RapportServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.grpc_threads.min_pollers = 2;
  auto started = services::RapportServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  // It serves with the chosen threading: a real call over the loopback.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel((*started)->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&call, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace rapport
