// The record store against a real RocksDB in a temp directory.
#include "core/records/record_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "core/common/status_util.h"
#include "core/query/filter.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/validation/text.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "tests/testing/temp_dir.h"

namespace rapport::records {
namespace {

using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(RecordStoreOptions options = {}) {
    store_.reset();
    db_.reset();
    store::DatabaseOptions db_options;
    db_options.path = dir_.Sub("db");
    auto db = store::Database::Open(db_options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = RecordStore::Open(db_.get(), &Clock::Real(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  RequestContext Ctx(uint32_t tenant = 1) {
    RequestContext ctx;
    ctx.tenant = tenant;
    ctx.principal = "test";
    return ctx;
  }

  v1::Customer CreateCustomer(const std::string& name, const std::string& owner = "u1",
                              uint32_t tenant = 1) {
    v1::Customer c;
    c.set_display_name(name);
    c.set_owner(owner);
    auto created = store_->Create(Ctx(tenant), ResourceType::kCustomer, c, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? static_cast<v1::Customer&>(**created) : v1::Customer();
  }

  v1::Opportunity CreateOpportunity(const std::string& customer_id, const std::string& stage,
                                    int64_t amount) {
    v1::Opportunity o;
    o.set_customer_id(customer_id);
    o.set_name("deal " + stage);
    o.set_pipeline("default");
    o.set_stage(stage);
    o.mutable_amount()->set_currency_code("KRW");
    o.mutable_amount()->set_units(amount);
    auto created = store_->Create(Ctx(), ResourceType::kOpportunity, o, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? static_cast<v1::Opportunity&>(**created) : v1::Opportunity();
  }

  // Every record of `type` via paging with `filter`.
  std::vector<std::string> ListIds(ResourceType type, const std::string& filter,
                                   const std::string& order_by = "", int page_size = 7,
                                   uint32_t tenant = 1) {
    std::vector<std::string> ids;
    ListRequest request;
    request.filter = filter;
    request.order_by = order_by;
    request.page_size = page_size;
    for (int pages = 0; pages < 100000; ++pages) {
      auto result = store_->List(Ctx(tenant), type, request);
      EXPECT_TRUE(result.ok()) << filter << ": " << result.status();
      if (!result.ok()) break;
      for (const auto& r : result->records) ids.push_back(GetId(*r));
      if (result->next_page_token.empty()) break;
      request.page_token = result->next_page_token;
    }
    return ids;
  }

  std::vector<RecordPtr> AllRecords(ResourceType type, uint32_t tenant = 1) {
    std::vector<RecordPtr> out;
    ListRequest request;
    request.page_size = 1000;
    while (true) {
      auto result = store_->List(Ctx(tenant), type, request);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      for (auto& r : result->records) out.push_back(std::move(r));
      if (result->next_page_token.empty()) break;
      request.page_token = result->next_page_token;
    }
    return out;
  }

  void ExpectConsistent(uint32_t tenant = 1) {
    auto report = store_->CheckConsistency(Ctx(tenant), 20);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->consistent()) << report->DebugString();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<RecordStore> store_;
};

std::string FirstViolationField(const absl::Status& s) {
  auto v = FieldViolations(s);
  return v.empty() ? "<none>" : v[0].field;
}

TEST_F(RecordStoreTest, CustomerRoundTripNormalisesKoreanInput) {
  v1::Customer c;
  c.set_display_name("  김민수  ");
  c.add_emails("MinSu.Kim@Example.KR");
  c.add_phones("010-1234-5678");
  c.add_tags("vip");
  c.add_tags("vip");
  (*c.mutable_external_refs())["erp"] = "ICC-0042";
  auto created = store_->Create(Ctx(), ResourceType::kCustomer, c, "");
  ASSERT_TRUE(created.ok()) << created.status();
  const auto& got = static_cast<const v1::Customer&>(**created);
  EXPECT_EQ(got.id().size(), 26u);
  EXPECT_EQ(got.display_name(), "김민수");
  EXPECT_THAT(got.emails(), ElementsAre("minsu.kim@example.kr"));
  EXPECT_THAT(got.phones(), ElementsAre("+821012345678"));
  EXPECT_THAT(got.tags(), ElementsAre("vip"));
  EXPECT_EQ(got.kind(), v1::CUSTOMER_KIND_PERSON);
  EXPECT_EQ(got.lifecycle_stage(), v1::LIFECYCLE_STAGE_LEAD);
  EXPECT_EQ(got.revision(), 1);
  EXPECT_TRUE(got.has_create_time());

  auto fetched = store_->Get(Ctx(), ResourceType::kCustomer, got.id());
  ASSERT_TRUE(fetched.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(**fetched, got));
  auto by_ref = store_->GetByExternalRef(Ctx(), ResourceType::kCustomer, "erp", "ICC-0042");
  ASSERT_TRUE(by_ref.ok()) << by_ref.status();
  EXPECT_EQ(GetId(**by_ref), got.id());
  ExpectConsistent();
}

TEST_F(RecordStoreTest, InteractionAndOpportunityRoundTrip) {
  v1::Customer customer = CreateCustomer("Acme Korea");
  v1::Opportunity opp = CreateOpportunity(customer.id(), "proposal", 1500000);
  EXPECT_EQ(opp.status(), v1::OPPORTUNITY_STATUS_OPEN);
  EXPECT_EQ(opp.amount().units(), 1500000);

  v1::Interaction call;
  call.set_kind(v1::INTERACTION_KIND_CALL);
  call.set_customer_id(customer.id());
  call.set_opportunity_id(opp.id());
  call.set_subject("가격 협의");
  call.set_body(std::string(600, 'x'));
  call.mutable_occurred_at()->set_seconds(1790000000);
  auto created = store_->Create(Ctx(), ResourceType::kInteraction, call, "");
  ASSERT_TRUE(created.ok()) << created.status();
  auto fetched = store_->Get(Ctx(), ResourceType::kInteraction, GetId(**created));
  ASSERT_TRUE(fetched.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(**fetched, **created));
  ExpectConsistent();
}

TEST_F(RecordStoreTest, RetriedCreateWithSameRequestIdReturnsTheSameRecord) {
  v1::Customer c;
  c.set_display_name("Retry Ltd");
  auto first = store_->Create(Ctx(), ResourceType::kCustomer, c, "req-1");
  auto second = store_->Create(Ctx(), ResourceType::kCustomer, c, "req-1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(**first, **second));
  EXPECT_EQ(AllRecords(ResourceType::kCustomer).size(), 1u);

  c.set_display_name("Something else");
  auto reused = store_->Create(Ctx(), ResourceType::kCustomer, c, "req-1");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FirstViolationField(reused.status()), "request_id");
  // The same request id in another tenant is independent.
  auto other_tenant = store_->Create(Ctx(2), ResourceType::kCustomer, c, "req-1");
  EXPECT_TRUE(other_tenant.ok());
}

TEST_F(RecordStoreTest, UpdateAppliesOnlyMaskedFieldsAndBumpsRevision) {
  v1::Customer c = CreateCustomer("Before", "u1");
  v1::Customer patch;
  patch.set_id(c.id());
  patch.set_display_name("After");
  patch.set_owner("ignored-because-not-in-mask");
  google::protobuf::FieldMask mask;
  mask.add_paths("display_name");
  auto updated = store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 1);
  ASSERT_TRUE(updated.ok()) << updated.status();
  const auto& u = static_cast<const v1::Customer&>(**updated);
  EXPECT_EQ(u.display_name(), "After");
  EXPECT_EQ(u.owner(), "u1");
  EXPECT_EQ(u.revision(), 2);
  // Same values again: nothing written, revision kept.
  uint64_t sequence = store_->feed()->last_sequence();
  auto again = store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(GetRevision(**again), 2);
  EXPECT_EQ(store_->feed()->last_sequence(), sequence);
  // The feed holds create + update with the changed field.
  auto feed = store_->feed()->Read(Ctx().tenant, 0, 100);
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_THAT((*feed)[1].changed_fields(), ElementsAre("display_name"));
  EXPECT_EQ((*feed)[1].operation(), v1::CHANGE_OPERATION_UPDATE);
  EXPECT_TRUE((*feed)[1].has_before() && (*feed)[1].has_after());
}

TEST_F(RecordStoreTest, UpdateWithStaleRevisionIsAbortedWithTheCurrentRevision) {
  v1::Customer c = CreateCustomer("Stale");
  v1::Customer patch;
  patch.set_id(c.id());
  patch.set_owner("u2");
  google::protobuf::FieldMask mask;
  mask.add_paths("owner");
  ASSERT_TRUE(store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 1).ok());
  patch.set_owner("u3");
  auto stale = store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("current revision is 2"));
}

TEST_F(RecordStoreTest, EightThreadsIncrementingOneRecordLoseNoUpdate) {
  v1::AttributeSchema schema;
  schema.set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
  auto* counter = schema.add_attributes();
  counter->set_name("visits");
  counter->set_type(v1::ATTRIBUTE_TYPE_INT);
  ASSERT_TRUE(store_->UpdateSchema(Ctx(), schema, 0).ok());
  v1::Customer c = CreateCustomer("Contended");
  constexpr int kThreads = 8, kIncrements = 50;
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        auto current = store_->Get(Ctx(), ResourceType::kCustomer, c.id());
        ASSERT_TRUE(current.ok());
        auto patch = static_cast<v1::Customer&>(**current);
        int64_t visits =
            patch.attributes().contains("visits") ? patch.attributes().at("visits").int_value() : 0;
        (*patch.mutable_attributes())["visits"].set_int_value(visits + 1);
        google::protobuf::FieldMask mask;
        mask.add_paths("attributes");
        auto updated =
            store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, patch.revision());
        if (updated.ok()) {
          ++i;
        } else {
          ASSERT_EQ(updated.status().code(), absl::StatusCode::kAborted) << updated.status();
          ++aborted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto final_record = store_->Get(Ctx(), ResourceType::kCustomer, c.id());
  ASSERT_TRUE(final_record.ok());
  const auto& f = static_cast<const v1::Customer&>(**final_record);
  EXPECT_EQ(f.attributes().at("visits").int_value(), kThreads * kIncrements);
  EXPECT_EQ(f.revision(), 1 + kThreads * kIncrements);
  ExpectConsistent();
}

TEST_F(RecordStoreTest, ConcurrentBlindUpdatesOfDifferentFieldsAllSurvive) {
  v1::Customer c = CreateCustomer("Blind");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      v1::Customer patch;
      patch.set_id(c.id());
      google::protobuf::FieldMask mask;
      if (t % 2 == 0) {
        patch.set_owner("owner" + std::to_string(t));
        mask.add_paths("owner");
      } else {
        patch.add_tags("tag" + std::to_string(t));
        mask.add_paths("tags");
      }
      auto updated = store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0);
      EXPECT_TRUE(updated.ok()) << updated.status();
    });
  }
  for (auto& t : threads) t.join();
  auto f = store_->Get(Ctx(), ResourceType::kCustomer, c.id());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(GetRevision(**f), 9);  // every blind update landed as its own revision
  ExpectConsistent();
}

TEST_F(RecordStoreTest, DeletingACustomerWithOpenOpportunitiesNeedsForce) {
  v1::Customer c = CreateCustomer("Has deals");
  v1::Opportunity o = CreateOpportunity(c.id(), "proposal", 100);
  auto refused = store_->Delete(Ctx(), ResourceType::kCustomer, c.id(), 0, false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr(o.id()));
  EXPECT_TRUE(store_->Get(Ctx(), ResourceType::kCustomer, c.id()).ok());
  EXPECT_TRUE(store_->Delete(Ctx(), ResourceType::kCustomer, c.id(), 0, true).ok());
  EXPECT_EQ(store_->Get(Ctx(), ResourceType::kCustomer, c.id()).status().code(),
            absl::StatusCode::kNotFound);
  auto feed = store_->feed()->Read(Ctx().tenant, 0, 100);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->back().operation(), v1::CHANGE_OPERATION_DELETE);
  EXPECT_TRUE(feed->back().has_before());
  ExpectConsistent();
}

TEST_F(RecordStoreTest, AClosedOpportunityDoesNotBlockDelete) {
  v1::Customer c = CreateCustomer("Closed deals");
  v1::Opportunity o = CreateOpportunity(c.id(), "won", 100);
  o.set_status(v1::OPPORTUNITY_STATUS_WON);
  google::protobuf::FieldMask mask;
  mask.add_paths("status");
  ASSERT_TRUE(store_->Update(Ctx(), ResourceType::kOpportunity, o, mask, 0).ok());
  EXPECT_TRUE(store_->Delete(Ctx(), ResourceType::kCustomer, c.id(), 0, false).ok());
}

TEST_F(RecordStoreTest, ExternalRefsAreUniquePerTenantAndSystem) {
  v1::Customer a;
  a.set_display_name("A");
  (*a.mutable_external_refs())["erp"] = "X-1";
  ASSERT_TRUE(store_->Create(Ctx(), ResourceType::kCustomer, a, "").ok());
  uint64_t sequence = store_->feed()->last_sequence();
  auto dup = store_->Create(Ctx(), ResourceType::kCustomer, a, "");
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FirstViolationField(dup.status()), "customer.external_refs[erp]");
  EXPECT_EQ(store_->feed()->last_sequence(), sequence);  // nothing written
  (*a.mutable_external_refs())["erp"] = "X-1";
  EXPECT_TRUE(store_->Create(Ctx(2), ResourceType::kCustomer, a, "").ok());  // other tenant
  a.mutable_external_refs()->clear();
  (*a.mutable_external_refs())["billing"] = "X-1";
  EXPECT_TRUE(store_->Create(Ctx(), ResourceType::kCustomer, a, "").ok());  // other system
  ExpectConsistent();
}

TEST_F(RecordStoreTest, BatchUpsertCreatesUpdatesAndLeavesUnchangedByExternalRef) {
  std::vector<v1::Customer> rows(3);
  for (int i = 0; i < 3; ++i) {
    rows[i].set_display_name("Row " + std::to_string(i));
    (*rows[i].mutable_external_refs())["erp"] = "R" + std::to_string(i);
  }
  std::vector<const google::protobuf::Message*> items = {&rows[0], &rows[1], &rows[2]};
  auto first = store_->BatchUpsert(Ctx(), ResourceType::kCustomer, items);
  ASSERT_TRUE(first.ok()) << first.status();
  for (const auto& o : *first) EXPECT_EQ(o.result, v1::UPSERT_RESULT_CREATED);
  rows[1].set_display_name("Row one renamed");
  auto second = store_->BatchUpsert(Ctx(), ResourceType::kCustomer, items);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].result, v1::UPSERT_RESULT_UNCHANGED);
  EXPECT_EQ((*second)[1].result, v1::UPSERT_RESULT_UPDATED);
  EXPECT_EQ(GetId(*(*second)[1].record), GetId(*(*first)[1].record));
  EXPECT_EQ(AllRecords(ResourceType::kCustomer).size(), 3u);
  // One bad row rejects the whole batch and writes nothing.
  uint64_t sequence = store_->feed()->last_sequence();
  rows[2].set_display_name("Row two renamed");
  rows[0].add_emails("not-an-email");
  auto bad = store_->BatchUpsert(Ctx(), ResourceType::kCustomer, items);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FirstViolationField(bad.status()), "customers[0].emails[0]");
  EXPECT_EQ(store_->feed()->last_sequence(), sequence);
  ExpectConsistent();
}

TEST_F(RecordStoreTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  v1::Customer base = CreateCustomer("Base");
  v1::AttributeSchema schema;
  schema.set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
  auto* tier = schema.add_attributes();
  tier->set_name("tier");
  tier->set_type(v1::ATTRIBUTE_TYPE_STRING);
  tier->add_allowed_values("gold");
  tier->add_allowed_values("silver");
  auto* region = schema.add_attributes();
  region->set_name("region");
  region->set_type(v1::ATTRIBUTE_TYPE_STRING);
  region->set_required(true);
  ASSERT_TRUE(store_->UpdateSchema(Ctx(), schema, 0).ok());

  struct Case {
    std::string name;
    std::function<void(v1::Customer*)> mutate;
    std::string field;
  };
  std::vector<Case> cases = {
      {"empty name", [](v1::Customer* c) { c->set_display_name(""); }, "customer.display_name"},
      {"blank name", [](v1::Customer* c) { c->set_display_name("   "); }, "customer.display_name"},
      {"overlong name", [](v1::Customer* c) { c->set_display_name(std::string(201, 'a')); },
       "customer.display_name"},
      {"bad email", [](v1::Customer* c) { c->add_emails("kim@"); }, "customer.emails[0]"},
      {"bad phone", [](v1::Customer* c) { c->add_phones("12"); }, "customer.phones[0]"},
      {"unknown enum",
       [](v1::Customer* c) { c->set_lifecycle_stage(static_cast<v1::LifecycleStage>(42)); },
       "customer.lifecycle_stage"},
      {"unknown attribute",
       [](v1::Customer* c) { (*c->mutable_attributes())["colour"].set_string_value("red"); },
       "customer.attributes.colour"},
      {"wrong attribute type",
       [](v1::Customer* c) { (*c->mutable_attributes())["tier"].set_int_value(1); },
       "customer.attributes.tier"},
      {"value not allowed",
       [](v1::Customer* c) { (*c->mutable_attributes())["tier"].set_string_value("bronze"); },
       "customer.attributes.tier"},
      {"bad system", [](v1::Customer* c) { (*c->mutable_external_refs())["ERP!"] = "1"; },
       "customer.external_refs[ERP!]"},
      {"server id", [](v1::Customer* c) { c->set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV"); },
       "customer.id"},
      {"unknown org", [](v1::Customer* c) { c->set_organization_id("01ARZ3NDEKTSV4RRFFQ69G5FAV"); },
       "customer.organization_id"},
      {"org is a person", [&](v1::Customer* c) { c->set_organization_id(base.id()); },
       "customer.organization_id"},
      {"bad country", [](v1::Customer* c) { c->mutable_address()->set_country_code("Korea"); },
       "customer.address.country_code"},
  };
  for (const Case& tc : cases) {
    v1::Customer c;
    c.set_display_name("Valid");
    (*c.mutable_attributes())["region"].set_string_value("seoul");
    tc.mutate(&c);
    uint64_t sequence = store_->feed()->last_sequence();
    auto result = store_->Create(Ctx(), ResourceType::kCustomer, c, "");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << tc.name;
    EXPECT_EQ(FirstViolationField(result.status()), tc.field) << tc.name << ": " << result.status();
    EXPECT_EQ(store_->feed()->last_sequence(), sequence) << tc.name;
  }
  v1::Customer missing_required;
  missing_required.set_display_name("No region");
  EXPECT_EQ(FirstViolationField(
                store_->Create(Ctx(), ResourceType::kCustomer, missing_required, "").status()),
            "customer.attributes.region");

  // Opportunities: money and references.
  struct OppCase {
    std::string name;
    std::function<void(v1::Opportunity*)> mutate;
    std::string field;
  };
  std::vector<OppCase> opp_cases = {
      {"negative", [](v1::Opportunity* o) { o->mutable_amount()->set_units(-1); },
       "opportunity.amount.units"},
      {"overflow", [](v1::Opportunity* o) { o->mutable_amount()->set_units(INT64_MAX); },
       "opportunity.amount.units"},
      {"currency", [](v1::Opportunity* o) { o->mutable_amount()->set_currency_code("EURO"); },
       "opportunity.amount.currency_code"},
      {"probability", [](v1::Opportunity* o) { o->set_probability(101); },
       "opportunity.probability"},
      {"date",
       [](v1::Opportunity* o) {
         o->mutable_expected_close_date()->set_year(2026);
         o->mutable_expected_close_date()->set_month(2);
         o->mutable_expected_close_date()->set_day(30);
       },
       "opportunity.expected_close_date"},
      {"status", [](v1::Opportunity* o) { o->set_status(static_cast<v1::OpportunityStatus>(9)); },
       "opportunity.status"},
      {"no customer", [](v1::Opportunity* o) { o->clear_customer_id(); },
       "opportunity.customer_id"},
      {"unknown customer",
       [](v1::Opportunity* o) { o->set_customer_id("01ARZ3NDEKTSV4RRFFQ69G5FAV"); },
       "opportunity.customer_id"},
      {"malformed customer", [](v1::Opportunity* o) { o->set_customer_id("nope"); },
       "opportunity.customer_id"},
  };
  for (const OppCase& tc : opp_cases) {
    v1::Opportunity o;
    o.set_customer_id(base.id());
    o.set_name("Deal");
    o.mutable_amount()->set_currency_code("KRW");
    o.mutable_amount()->set_units(1000);
    tc.mutate(&o);
    uint64_t sequence = store_->feed()->last_sequence();
    auto result = store_->Create(Ctx(), ResourceType::kOpportunity, o, "");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << tc.name;
    EXPECT_EQ(FirstViolationField(result.status()), tc.field) << tc.name << ": " << result.status();
    EXPECT_EQ(store_->feed()->last_sequence(), sequence) << tc.name;
  }

  // Update masks.
  v1::Customer patch;
  patch.set_id(base.id());
  google::protobuf::FieldMask mask;
  EXPECT_EQ(
      FirstViolationField(store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0).status()),
      "update_mask");
  mask.add_paths("no_such_field");
  EXPECT_EQ(
      FirstViolationField(store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0).status()),
      "update_mask");
  mask.set_paths(0, "revision");
  EXPECT_EQ(
      FirstViolationField(store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0).status()),
      "update_mask");
  ExpectConsistent();
}

TEST_F(RecordStoreTest, ListFilterErrorsNameTheField) {
  CreateCustomer("Someone");
  auto list = [&](const std::string& filter, const std::string& order_by = "") {
    ListRequest r;
    r.filter = filter;
    r.order_by = order_by;
    return store_->List(Ctx(), ResourceType::kCustomer, r).status();
  };
  EXPECT_EQ(FirstViolationField(list("owner = ")), "filter");
  EXPECT_EQ(FirstViolationField(list("owner == \"x\"")), "filter");
  EXPECT_EQ(FirstViolationField(list("nosuch = \"x\"")), "filter.nosuch");
  EXPECT_EQ(FirstViolationField(list("lifecycle_stage = \"gold\"")), "filter.lifecycle_stage");
  EXPECT_EQ(FirstViolationField(list("owner = 5")), "filter.owner");
  EXPECT_EQ(FirstViolationField(list("attributes.nosuch = 1")), "filter.attributes.nosuch");
  EXPECT_EQ(FirstViolationField(list("", "subject")), "order_by");
  EXPECT_EQ(FirstViolationField(list("", "tags")), "order_by");
  EXPECT_TRUE(list("lifecycle_stage = \"LEAD\"").ok());
}

TEST_F(RecordStoreTest, PageTokensAreBoundToTheQueryAndTamperEvident) {
  for (int i = 0; i < 5; ++i) CreateCustomer("C" + std::to_string(i), "u1");
  ListRequest r;
  r.filter = "owner = \"u1\"";
  r.page_size = 2;
  auto page = store_->List(Ctx(), ResourceType::kCustomer, r);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token.empty());
  ListRequest other = r;
  other.filter = "owner = \"u2\"";
  other.page_token = page->next_page_token;
  EXPECT_EQ(FirstViolationField(store_->List(Ctx(), ResourceType::kCustomer, other).status()),
            "page_token");
  ListRequest tampered = r;
  tampered.page_token = page->next_page_token;
  tampered.page_token[tampered.page_token.size() / 2] ^= 1;
  EXPECT_EQ(FirstViolationField(store_->List(Ctx(), ResourceType::kCustomer, tampered).status()),
            "page_token");
  ListRequest garbage = r;
  garbage.page_token = "%%%not-base64";
  EXPECT_EQ(FirstViolationField(store_->List(Ctx(), ResourceType::kCustomer, garbage).status()),
            "page_token");
  // A token from another tenant does not carry over either.
  ListRequest cross = r;
  cross.page_token = page->next_page_token;
  EXPECT_EQ(FirstViolationField(store_->List(Ctx(2), ResourceType::kCustomer, cross).status()),
            "page_token");
  ListRequest negative = r;
  negative.page_size = -1;
  EXPECT_EQ(FirstViolationField(store_->List(Ctx(), ResourceType::kCustomer, negative).status()),
            "page_size");
}

TEST_F(RecordStoreTest, UnindexedFilterIsRefusedForLargeTenantsNamingTheField) {
  RecordStoreOptions options;
  options.unindexed_scan_limit = 3;
  Reopen(options);
  for (int i = 0; i < 3; ++i) CreateCustomer("Small" + std::to_string(i));
  EXPECT_EQ(ListIds(ResourceType::kCustomer, "address.locality = \"Seoul\"").size(), 0u);
  CreateCustomer("Tips the balance");
  ListRequest r;
  r.filter = "address.locality = \"Seoul\"";
  auto refused = store_->List(Ctx(), ResourceType::kCustomer, r);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("address.locality"));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("owner"));
  // With an indexed equality the same residual filter is fine.
  r.filter = "owner = \"u1\" AND address.locality = \"Seoul\"";
  EXPECT_TRUE(store_->List(Ctx(), ResourceType::kCustomer, r).ok());
}

TEST_F(RecordStoreTest, SearchFindsHangulAndLatinNamesByAnyWordEmailAndPhone) {
  v1::Customer kim;
  kim.set_display_name("김 민수");
  kim.add_emails("minsu@example.kr");
  kim.add_phones("010-1234-5678");
  auto k = store_->Create(Ctx(), ResourceType::kCustomer, kim, "");
  ASSERT_TRUE(k.ok());
  v1::Customer acme;
  acme.set_display_name("Acme Korea Ltd");
  acme.add_emails("sales@acme.com");
  acme.add_phones("+1 415 555 2671");
  auto a = store_->Create(Ctx(), ResourceType::kCustomer, acme, "");
  ASSERT_TRUE(a.ok());
  auto search = [&](const std::string& q) {
    std::vector<std::string> ids;
    auto r = store_->SearchCustomers(Ctx(), q, 10, "");
    EXPECT_TRUE(r.ok()) << q << ": " << r.status();
    if (r.ok())
      for (auto& rec : r->records) ids.push_back(GetId(*rec));
    return ids;
  };
  std::string kid = GetId(**k), aid = GetId(**a);
  EXPECT_THAT(search("김"), ElementsAre(kid));
  EXPECT_THAT(search("민수"), ElementsAre(kid));
  v1::Customer joined;
  joined.set_display_name("박지성");  // Korean names have no space
  auto j = store_->Create(Ctx(), ResourceType::kCustomer, joined, "");
  ASSERT_TRUE(j.ok());
  EXPECT_THAT(search("지성"), ElementsAre(GetId(**j)));
  EXPECT_THAT(search("박지"), ElementsAre(GetId(**j)));
  // NFD jamo (as typed on macOS) for 김 finds the NFC name.
  EXPECT_THAT(search("\u1100\u1175\u11b7"), ElementsAre(kid));
  EXPECT_THAT(search("KOREA"), ElementsAre(aid));
  EXPECT_THAT(search("acme k"), ElementsAre(aid));
  EXPECT_THAT(search("minsu@"), ElementsAre(kid));
  EXPECT_THAT(search("010-1234"), ElementsAre(kid));
  EXPECT_THAT(search("+1415"), ElementsAre(aid));
  EXPECT_TRUE(search("zzz").empty());
  EXPECT_TRUE(search("Kim Ltd").empty());
  EXPECT_EQ(FirstViolationField(store_->SearchCustomers(Ctx(), "  ", 10, "").status()), "query");
  EXPECT_TRUE(search("Acme").size() ==
              1);  // one hit per record even though two words start with "a"? (only "acme")
}

TEST_F(RecordStoreTest, SearchFindsFullWidthAndHalfWidthFormsByTheirPlainForms) {
  auto search = [&](const std::string& q) {
    std::vector<std::string> ids;
    auto r = store_->SearchCustomers(Ctx(), q, 10, "");
    EXPECT_TRUE(r.ok()) << q << ": " << r.status();
    if (r.ok())
      for (auto& rec : r->records) ids.push_back(GetId(*rec));
    return ids;
  };
  v1::Customer abc = CreateCustomer("ＡＢＣ Corp");
  EXPECT_EQ(abc.display_name(), "ＡＢＣ Corp");  // stored as typed (NFC), not folded
  for (const std::string q : {"abc", "ABC", "ＡＢＣ", "ａｂｃ", "Ａb", "abc corp", "corp"}) {
    EXPECT_THAT(search(q), ElementsAre(abc.id())) << q;
  }
  v1::Customer katakana = CreateCustomer("ｶﾀｶﾅ 商事");
  EXPECT_THAT(search("カタカナ"), ElementsAre(katakana.id()));
  EXPECT_THAT(search("ｶﾀ"), ElementsAre(katakana.id()));
  v1::Customer store = CreateCustomer("Store ０１２");
  EXPECT_THAT(search("Store 012"), ElementsAre(store.id()));
  EXPECT_THAT(search("０１"), ElementsAre(store.id()));
  ExpectConsistent();
}

// Index keys are derived when a record is written and stored. A data
// directory written before search keys were folded with NFKC_Casefold (they
// were NFD, case folding, NFC) holds old keys; on open, MigrateSearchKeys
// (core/records/search_key_migration.h) re-derives every search entry once,
// so old records are found by their plain forms, a rename leaves nothing
// behind, and fsck is clean.
TEST_F(RecordStoreTest, SearchKeysWrittenBeforeCompatibilityFoldingAreMigratedOnOpen) {
  v1::Customer c = CreateCustomer("Acme ＡＢＣ Corp", "u1");
  v1::Customer gone = CreateCustomer("ＸＹＺ Gone", "u1");
  v1::Customer other_tenant = CreateCustomer("Ｏｔｈｅｒ", "u1", 2);
  const IndexSpec& index = *KindOf(ResourceType::kCustomer).FindIndex(kNameSearchIndex);
  auto entry = [&](uint32_t tenant, const v1::Customer& who, const std::string& key) {
    return IndexValuePrefix(tenant, index, {Scalar(key)}) + *ids::UlidFromString(who.id());
  };
  // Put back what the old key function stored (full-width letters folded to
  // full-width lower case), leave a deleted record's old entry behind, and
  // mark the directory as written with version 1.
  ASSERT_TRUE(store_->Delete(Ctx(), ResourceType::kCustomer, gone.id(), 0, false).ok());
  rocksdb::WriteBatch batch;
  batch.Delete(db_->index(), entry(1, c, "acme abc corp"));
  batch.Delete(db_->index(), entry(1, c, "abc corp"));
  batch.Put(db_->index(), entry(1, c, "acme ａｂｃ corp"), "");
  batch.Put(db_->index(), entry(1, c, "ａｂｃ corp"), "");
  batch.Put(db_->index(), entry(1, gone, "ｘｙｚ gone"), "");
  batch.Delete(db_->index(), entry(2, other_tenant, "other"));
  batch.Put(db_->index(), entry(2, other_tenant, "ｏｔｈｅｒ"), "");
  batch.Put(db_->meta(), store::SearchKeyVersionKey(), store::KeyWriter().U32(1).Release());
  ASSERT_TRUE(db_->Write(&batch).ok());
  auto search = [&](const std::string& q, uint32_t tenant = 1) {
    std::vector<std::string> ids;
    auto r = store_->SearchCustomers(Ctx(tenant), q, 10, "");
    EXPECT_TRUE(r.ok()) << q << ": " << r.status();
    if (r.ok())
      for (auto& rec : r->records) ids.push_back(GetId(*rec));
    return ids;
  };
  auto problems = [&](uint32_t tenant = 1) {
    auto report = store_->CheckConsistency(Ctx(tenant), 10);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? report->problems_size() : -1;
  };
  // Before: the old keys miss, and fsck sees them.
  EXPECT_TRUE(search("abc").empty());
  EXPECT_TRUE(search("other", 2).empty());
  EXPECT_GT(problems(), 0);

  Reopen();
  EXPECT_TRUE(store_->search_key_migration().ran);
  EXPECT_EQ(store_->search_key_migration().from_version, 1u);
  EXPECT_EQ(store_->search_key_migration().records, 2u);  // c and other_tenant
  for (const std::string q : {"abc", "ＡＢＣ", "acme", "corp"}) {
    EXPECT_THAT(search(q), ElementsAre(c.id())) << q;
  }
  EXPECT_THAT(search("other", 2), ElementsAre(other_tenant.id()));
  EXPECT_TRUE(search("xyz").empty());
  EXPECT_EQ(problems(), 0);
  EXPECT_EQ(problems(2), 0);
  // A rename afterwards leaves nothing behind.
  v1::Customer patch;
  patch.set_id(c.id());
  patch.set_display_name("Zeta ＡＢＣ");
  google::protobuf::FieldMask mask;
  mask.add_paths("display_name");
  ASSERT_TRUE(store_->Update(Ctx(), ResourceType::kCustomer, patch, mask, 0).ok());
  EXPECT_TRUE(search("acme").empty());
  EXPECT_THAT(search("zeta"), ElementsAre(c.id()));
  EXPECT_EQ(problems(), 0);
  // Once migrated, a reopen does nothing.
  Reopen();
  EXPECT_FALSE(store_->search_key_migration().ran);
  EXPECT_EQ(store_->search_key_migration().from_version, kSearchKeyVersion);
}

// A new data directory records the current version without migrating.
TEST_F(RecordStoreTest, ANewDataDirectoryStartsAtTheCurrentSearchKeyVersion) {
  EXPECT_FALSE(store_->search_key_migration().ran);
  auto stored = db_->Get(db_->meta(), store::SearchKeyVersionKey());
  ASSERT_TRUE(stored.ok()) << stored.status();
  uint32_t version = 0;
  store::KeyReader reader(*stored);
  ASSERT_TRUE(reader.U32(&version));
  EXPECT_EQ(version, kSearchKeyVersion);
}

TEST_F(RecordStoreTest, ListCustomerTimelineNewestFirstAndPipelineByAmount) {
  v1::Customer c = CreateCustomer("Timeline");
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    v1::Interaction r;
    r.set_kind(v1::INTERACTION_KIND_NOTE);
    r.set_customer_id(c.id());
    r.mutable_occurred_at()->set_seconds(1700000000 + (i * 7919) % 5 * 3600);
    auto x = store_->Create(Ctx(), ResourceType::kInteraction, r, "");
    ASSERT_TRUE(x.ok()) << x.status();
  }
  ListRequest r;
  r.filter = "customer_id = \"" + c.id() + "\"";
  r.order_by = "occurred_at desc";
  auto page = store_->List(Ctx(), ResourceType::kInteraction, r);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 5u);
  for (size_t i = 1; i < page->records.size(); ++i) {
    EXPECT_GE(static_cast<v1::Interaction&>(*page->records[i - 1]).occurred_at().seconds(),
              static_cast<v1::Interaction&>(*page->records[i]).occurred_at().seconds());
  }
  for (int64_t amount : {300, 100, 500, 200}) CreateOpportunity(c.id(), "proposal", amount);
  CreateOpportunity(c.id(), "qualify", 999);
  ListRequest p;
  p.filter = "pipeline = \"default\" AND stage = \"proposal\" AND amount.currency_code = \"KRW\"";
  p.order_by = "amount.units desc";
  auto pipeline = store_->List(Ctx(), ResourceType::kOpportunity, p);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  std::vector<int64_t> amounts;
  for (auto& o : pipeline->records)
    amounts.push_back(static_cast<v1::Opportunity&>(*o).amount().units());
  EXPECT_THAT(amounts, ElementsAre(500, 300, 200, 100));
}

// The core property: after any sequence of writes, every List and Search
// answer equals a brute-force filter over all records.
TEST_F(RecordStoreTest, IndexesStayExactThroughRandomCreateUpdateDelete) {
  v1::AttributeSchema schema;
  schema.set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
  auto* region = schema.add_attributes();
  region->set_name("region");
  region->set_type(v1::ATTRIBUTE_TYPE_STRING);
  region->set_indexed(true);
  auto* score = schema.add_attributes();
  score->set_name("score");
  score->set_type(v1::ATTRIBUTE_TYPE_INT);
  score->set_indexed(true);
  ASSERT_TRUE(store_->UpdateSchema(Ctx(), schema, 0).ok());

  std::mt19937_64 rng(20261127);
  const std::vector<std::string> owners = {"u1", "u2", "u3"};
  const std::vector<std::string> tags = {"vip", "smb", "gov", "kr"};
  const std::vector<std::string> names = {"김민수",     "김 지수", "Kim Lee", "Acme",
                                          "Acme Korea", "이영희",  "Park"};
  const std::vector<std::string> regions = {"seoul", "busan", "jeju"};
  const std::vector<std::string> stages = {"qualify", "proposal", "negotiation"};
  std::vector<std::string> customer_ids, opportunity_ids;
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  auto random_customer = [&](v1::Customer* c) {
    c->set_display_name(pick(names));
    c->set_owner(pick(owners));
    c->clear_tags();
    for (const auto& t : tags)
      if (rng() % 3 == 0) c->add_tags(t);
    c->set_lifecycle_stage(static_cast<v1::LifecycleStage>(1 + rng() % 4));
    c->clear_emails();
    if (rng() % 2) c->add_emails(pick(owners) + std::to_string(rng() % 5) + "@example.kr");
    c->mutable_attributes()->clear();
    if (rng() % 2) (*c->mutable_attributes())["region"].set_string_value(pick(regions));
    if (rng() % 2)
      (*c->mutable_attributes())["score"].set_int_value(static_cast<int64_t>(rng() % 10) - 3);
    c->mutable_external_refs()->clear();
    if (rng() % 3 == 0) (*c->mutable_external_refs())["erp"] = "E" + std::to_string(rng() % 50);
  };
  for (int step = 0; step < 1500; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 4 || customer_ids.size() < 5) {
      v1::Customer c;
      random_customer(&c);
      auto r = store_->Create(Ctx(), ResourceType::kCustomer, c, "");
      if (r.ok()) {
        customer_ids.push_back(GetId(**r));
      } else {
        ASSERT_EQ(FirstViolationField(r.status()), "customer.external_refs[erp]") << r.status();
      }
    } else if (op < 6) {
      std::string id = pick(customer_ids);
      v1::Customer c;
      random_customer(&c);
      c.set_id(id);
      google::protobuf::FieldMask mask;
      for (const char* f : {"display_name", "owner", "tags", "lifecycle_stage", "emails",
                            "attributes", "external_refs"})
        if (rng() % 2) mask.add_paths(f);
      if (mask.paths_size() == 0) mask.add_paths("owner");
      auto r = store_->Update(Ctx(), ResourceType::kCustomer, c, mask, 0);
      if (!r.ok()) {
        ASSERT_TRUE(absl::IsNotFound(r.status()) ||
                    FirstViolationField(r.status()) == "customer.external_refs[erp]")
            << r.status();
      }
    } else if (op < 7) {
      std::string id = pick(customer_ids);
      auto s = store_->Delete(Ctx(), ResourceType::kCustomer, id, 0, rng() % 2 == 0);
      ASSERT_TRUE(s.ok() || absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) << s;
    } else if (op < 9) {
      v1::Opportunity o;
      o.set_customer_id(pick(customer_ids));
      o.set_name("deal");
      o.set_pipeline("default");
      o.set_stage(pick(stages));
      o.set_owner(pick(owners));
      o.mutable_amount()->set_currency_code(rng() % 2 ? "KRW" : "USD");
      o.mutable_amount()->set_units(static_cast<int64_t>(rng() % 1000));
      auto r = store_->Create(Ctx(), ResourceType::kOpportunity, o, "");
      if (r.ok()) {
        opportunity_ids.push_back(GetId(**r));
      } else {
        ASSERT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();  // customer deleted
      }
    } else if (!opportunity_ids.empty()) {
      v1::Opportunity o;
      o.set_id(pick(opportunity_ids));
      o.set_stage(pick(stages));
      o.set_status(static_cast<v1::OpportunityStatus>(1 + rng() % 3));
      o.mutable_amount()->set_currency_code("KRW");
      o.mutable_amount()->set_units(static_cast<int64_t>(rng() % 1000));
      google::protobuf::FieldMask mask;
      mask.add_paths("stage");
      mask.add_paths("status");
      mask.add_paths("amount");
      if (rng() % 5 == 0) {
        auto s = store_->Delete(Ctx(), ResourceType::kOpportunity, o.id(), 0, false);
        ASSERT_TRUE(s.ok() || absl::IsNotFound(s)) << s;
      } else {
        auto r = store_->Update(Ctx(), ResourceType::kOpportunity, o, mask, 0);
        ASSERT_TRUE(r.ok() || absl::IsNotFound(r.status())) << r.status();
      }
    }
  }
  ExpectConsistent();

  auto brute = [&](ResourceType type, const std::string& filter_text) {
    auto filter = query::ParseFilter(filter_text);
    EXPECT_TRUE(filter.ok());
    auto all = AllRecords(type);
    std::vector<std::string> ids;
    for (auto& r : all) {
      bool match = true;
      for (const auto& c : filter->comparisons) {
        auto field = ResolveField(*r->GetDescriptor(), c.field, &schema);
        EXPECT_TRUE(field.ok()) << c.field;
        auto value = CoerceLiteral(*field, c.value);
        EXPECT_TRUE(value.ok());
        match = match && EvaluateComparison(ExtractValues(*r, *field), c.op, *value);
      }
      if (match) ids.push_back(GetId(*r));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  std::vector<std::string> customer_filters = {
      "owner = \"u1\"", "owner = \"u2\" AND lifecycle_stage = \"customer\"", "tags = \"vip\"",
      "tags = \"vip\" AND owner = \"u3\"", "tags >= \"kr\"", "tags < \"kr\"",
      "lifecycle_stage = \"lead\"", "display_name = \"Acme\"", "attributes.region = \"seoul\"",
      "attributes.score >= 2", "attributes.score < 0 AND owner = \"u1\"",
      "external_refs.erp = \"E7\"",
      "emails = \"u1"
      "1@example.kr\"",
      "owner = \"u1\" AND tags != \"vip\"", "kind = \"person\" AND owner = \"u2\"",
      // Both bounds on one index component.
      "attributes.score >= 1 AND attributes.score <= 3", "tags > \"a\" AND tags < \"m\""};
  // The sequence must leave enough behind for the comparisons to mean something.
  ASSERT_GT(AllRecords(ResourceType::kCustomer).size(), 150u);
  ASSERT_GT(AllRecords(ResourceType::kOpportunity).size(), 50u);
  size_t nonempty = 0;
  for (const auto& f : customer_filters) {
    std::vector<std::string> listed = ListIds(ResourceType::kCustomer, f);
    nonempty += listed.empty() ? 0 : 1;
    std::set<std::string> unique(listed.begin(), listed.end());
    EXPECT_EQ(unique.size(), listed.size()) << "duplicates for " << f;
    EXPECT_EQ(sorted(listed), brute(ResourceType::kCustomer, f)) << f;
  }
  EXPECT_GE(nonempty, customer_filters.size() - 2);
  std::vector<std::string> opp_filters = {"stage = \"proposal\"",
                                          "pipeline = \"default\" AND stage = \"proposal\"",
                                          "pipeline = \"default\" AND stage = \"qualify\" AND "
                                          "amount.currency_code = \"KRW\" AND amount.units >= 500",
                                          "status = \"open\"",
                                          "owner = \"u2\" AND status = \"won\"",
                                          "customer_id = \"" + pick(customer_ids) + "\"",
                                          "pipeline = \"default\" AND stage = \"qualify\" AND "
                                          "amount.currency_code = \"KRW\" AND amount.units >= 200 "
                                          "AND amount.units < 700"};
  for (const auto& f : opp_filters) {
    EXPECT_EQ(sorted(ListIds(ResourceType::kOpportunity, f)), brute(ResourceType::kOpportunity, f))
        << f;
  }
  // Ordered listings come out in order and complete.
  std::vector<std::string> by_name = ListIds(ResourceType::kCustomer, "", "display_name");
  EXPECT_EQ(sorted(by_name), brute(ResourceType::kCustomer, ""));
  std::vector<std::string> newest = ListIds(ResourceType::kCustomer, "", "create_time desc");
  std::vector<std::string> oldest = ListIds(ResourceType::kCustomer, "", "create_time");
  std::reverse(newest.begin(), newest.end());
  EXPECT_EQ(newest, oldest);
  EXPECT_TRUE(std::is_sorted(oldest.begin(), oldest.end()));

  // Search equals brute force over name word-prefixes.
  for (const std::string q : {"김", "kim", "acme", "korea", "이", "p", "acme k"}) {
    std::vector<std::string> found;
    std::string token;
    do {
      auto page = store_->SearchCustomers(Ctx(), q, 3, token);
      ASSERT_TRUE(page.ok()) << page.status();
      for (auto& r : page->records) found.push_back(GetId(*r));
      token = page->next_page_token;
    } while (!token.empty());
    std::vector<std::string> expected;
    for (auto& r : AllRecords(ResourceType::kCustomer)) {
      const auto& c = static_cast<const v1::Customer&>(*r);
      bool match = false;
      for (const auto& key : validation::SearchKeysForName(c.display_name()))
        match = match || key.rfind(validation::SearchKey(q), 0) == 0;
      if (match) expected.push_back(c.id());
    }
    EXPECT_EQ(sorted(found), sorted(expected)) << q;
    EXPECT_EQ(std::set<std::string>(found.begin(), found.end()).size(), found.size()) << q;
  }
}

TEST_F(RecordStoreTest, PagingThroughTenThousandRecordsWhileInsertingHasNoGapOrDuplicate) {
  constexpr int kRecords = 10000;
  std::vector<v1::Customer> rows(1000);
  std::set<std::string> existing;
  for (int batch = 0; batch < kRecords / 1000; ++batch) {
    std::vector<const google::protobuf::Message*> items;
    for (int i = 0; i < 1000; ++i) {
      rows[i].set_display_name("Customer " + std::to_string(batch * 1000 + i));
      rows[i].set_owner(i % 2 ? "u1" : "u2");
      items.push_back(&rows[i]);
    }
    auto r = store_->BatchUpsert(Ctx(), ResourceType::kCustomer, items);
    ASSERT_TRUE(r.ok()) << r.status();
    for (auto& o : *r) existing.insert(GetId(*o.record));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    while (!stop.load()) {
      CreateCustomer("Concurrent " + std::to_string(inserted.load()), inserted % 2 ? "u1" : "u2");
      ++inserted;
    }
  });
  for (const std::string filter : {"", "owner = \"u1\""}) {
    std::vector<std::string> seen = ListIds(ResourceType::kCustomer, filter, "", 97);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "duplicate ids with filter " << filter;
    int expected_existing = 0;
    for (const auto& id : existing) {
      auto rec = store_->Get(Ctx(), ResourceType::kCustomer, id);
      ASSERT_TRUE(rec.ok());
      if (filter.empty() || static_cast<v1::Customer&>(**rec).owner() == "u1") {
        ++expected_existing;
        EXPECT_TRUE(unique.count(id)) << "gap: " << id << " missing with filter " << filter;
      }
    }
    EXPECT_GE(static_cast<int>(unique.size()), expected_existing);
  }
  stop = true;
  writer.join();
  EXPECT_GT(inserted.load(), 0);
  ExpectConsistent();
}

TEST_F(RecordStoreTest, SchemaChangesThatWouldStrandDataAreRefused) {
  v1::AttributeSchema schema;
  schema.set_resource_type(v1::RESOURCE_TYPE_OPPORTUNITY);
  auto* a = schema.add_attributes();
  a->set_name("source");
  a->set_type(v1::ATTRIBUTE_TYPE_STRING);
  a->set_indexed(true);
  auto first = store_->UpdateSchema(Ctx(), schema, 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->revision(), 1);
  v1::AttributeSchema retyped = *first;
  retyped.mutable_attributes(0)->set_type(v1::ATTRIBUTE_TYPE_INT);
  EXPECT_EQ(FirstViolationField(store_->UpdateSchema(Ctx(), retyped, 0).status()),
            "schema.attributes[0].type");
  v1::AttributeSchema unindexed = *first;
  unindexed.mutable_attributes(0)->set_indexed(false);
  EXPECT_EQ(FirstViolationField(store_->UpdateSchema(Ctx(), unindexed, 0).status()),
            "schema.attributes[0].indexed");
  v1::AttributeSchema removed = *first;
  removed.clear_attributes();
  EXPECT_EQ(FirstViolationField(store_->UpdateSchema(Ctx(), removed, 0).status()),
            "schema.attributes");
  EXPECT_EQ(store_->UpdateSchema(Ctx(), *first, 7).status().code(), absl::StatusCode::kAborted);
  v1::AttributeSchema bad_name = *first;
  bad_name.add_attributes()->set_name("Bad Name");
  bad_name.mutable_attributes(1)->set_type(v1::ATTRIBUTE_TYPE_INT);
  EXPECT_EQ(FirstViolationField(store_->UpdateSchema(Ctx(), bad_name, 0).status()),
            "schema.attributes[1].name");
  auto feed = store_->feed()->Read(Ctx().tenant, 0, 10);
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].subject(), "schema/opportunity");
}

TEST_F(RecordStoreTest, StateSurvivesReopen) {
  v1::Customer c = CreateCustomer("Persistent");
  uint64_t sequence = store_->feed()->last_sequence();
  Reopen();
  auto fetched = store_->Get(Ctx(), ResourceType::kCustomer, c.id());
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(store_->feed()->last_sequence(), sequence);
  CreateCustomer("After reopen");
  EXPECT_EQ(store_->feed()->last_sequence(), sequence + 1);
  ExpectConsistent();
}

TEST_F(RecordStoreTest, FsckReportsAStrayIndexEntryAndAMissingOne) {
  v1::Customer c = CreateCustomer("Victim", "u1");
  // Damage the index behind the store's back.
  const ResourceKind& kind = KindOf(ResourceType::kCustomer);
  auto schema = store_->GetSchema(Ctx(), ResourceType::kCustomer);
  auto keys = IndexKeysFor(1, kind, c, *ids::UlidFromString(c.id()), *schema);
  rocksdb::WriteBatch batch;
  batch.Delete(db_->index(), keys[0]);
  std::string stray = keys[0];
  stray[stray.size() - 1] ^= 1;
  batch.Put(db_->index(), stray, "");
  ASSERT_TRUE(db_->Write(&batch).ok());
  auto report = store_->CheckConsistency(Ctx(), 10);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->consistent());
  std::set<v1::ConsistencyProblemKind> kinds;
  for (const auto& p : report->problems()) kinds.insert(p.kind());
  EXPECT_TRUE(kinds.count(v1::CONSISTENCY_PROBLEM_KIND_MISSING_INDEX_ENTRY));
  EXPECT_TRUE(kinds.count(v1::CONSISTENCY_PROBLEM_KIND_STALE_INDEX_ENTRY));
}

TEST_F(RecordStoreTest, IdsAreCaseInsensitiveAndStoredCanonically) {
  v1::Customer c = CreateCustomer("Case");
  std::string lower = absl::AsciiStrToLower(c.id());
  v1::Opportunity o;
  o.set_customer_id(lower);
  o.set_name("Lower-case reference");
  auto created = store_->Create(Ctx(), ResourceType::kOpportunity, o, "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(static_cast<v1::Opportunity&>(**created).customer_id(), c.id());
  EXPECT_EQ(ListIds(ResourceType::kOpportunity, "customer_id = \"" + c.id() + "\"").size(), 1u);
  EXPECT_TRUE(store_->Get(Ctx(), ResourceType::kCustomer, lower).ok());
  EXPECT_EQ(store_->Delete(Ctx(), ResourceType::kCustomer, lower, 0, false).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RecordStoreTest, AnInteractionLoggedWithoutATimeHappenedNow) {
  v1::Customer c = CreateCustomer("Quick note");
  v1::Interaction note;
  note.set_kind(v1::INTERACTION_KIND_NOTE);
  note.set_customer_id(c.id());
  int64_t before = absl::ToUnixSeconds(absl::Now());
  auto created = store_->Create(Ctx(), ResourceType::kInteraction, note, "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_GE(static_cast<v1::Interaction&>(**created).occurred_at().seconds(), before);
}

TEST_F(RecordStoreTest, ABatchNamingOneRecordTwiceIsRefused) {
  v1::Customer a;
  a.set_display_name("Twice");
  (*a.mutable_external_refs())["erp"] = "T-1";
  auto created = store_->Create(Ctx(), ResourceType::kCustomer, a, "");
  ASSERT_TRUE(created.ok());
  v1::Customer unchanged = a;  // matched by external ref, no change
  v1::Customer renamed = static_cast<v1::Customer&>(**created);  // matched by id
  renamed.set_display_name("Renamed");
  std::vector<const google::protobuf::Message*> items = {&unchanged, &renamed};
  auto result = store_->BatchUpsert(Ctx(), ResourceType::kCustomer, items);
  EXPECT_EQ(FirstViolationField(result.status()), "customers[1]");
}

}  // namespace
}  // namespace rapport::records
