// The query planner on its own (core/records/query_planner.h): which index
// a filter plans onto and what range it scans, how order_by chooses and
// refuses plans, bad fields and literals named, and, through RecordStore
// on a real RocksDB in a temp directory, the refusal of a filter no index
// narrows once the tenant is larger than the scan limit.
#include "core/records/query_planner.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_util.h"
#include "core/query/filter.h"
#include "core/query/order_by.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/records/record_store.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "tests/testing/record_store_fixture.h"

namespace rapport::records {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr store::TenantId kTenant = 7;

const ResourceKind& Customers() { return KindOf(ResourceType::kCustomer); }
const ResourceKind& Opportunities() { return KindOf(ResourceType::kOpportunity); }
const ResourceKind& Interactions() { return KindOf(ResourceType::kInteraction); }

v1::AttributeSchema Schema() {
  v1::AttributeSchema schema;
  auto* region = schema.add_attributes();
  region->set_name("region");
  region->set_type(v1::ATTRIBUTE_TYPE_STRING);
  region->set_indexed(true);
  auto* seats = schema.add_attributes();
  seats->set_name("seats");
  seats->set_type(v1::ATTRIBUTE_TYPE_INT);
  seats->set_indexed(true);
  auto* note = schema.add_attributes();
  note->set_name("note");
  note->set_type(v1::ATTRIBUTE_TYPE_STRING);
  return schema;
}

absl::StatusOr<ScanPlan> Plan(const ResourceKind& kind, const std::string& filter_text,
                              const std::string& order_by_text = "",
                              const v1::AttributeSchema& schema = Schema()) {
  auto filter = query::ParseFilter(filter_text);
  EXPECT_TRUE(filter.ok()) << filter_text << ": " << filter.status();
  auto order_by = query::ParseOrderBy(order_by_text);
  EXPECT_TRUE(order_by.ok()) << order_by_text << ": " << order_by.status();
  if (!filter.ok() || !order_by.ok()) return absl::InternalError("bad test input");
  return PlanQuery(kTenant, kind, *filter, *order_by, schema);
}

ScanPlan MustPlan(const ResourceKind& kind, const std::string& filter_text,
                  const std::string& order_by_text = "") {
  auto plan = Plan(kind, filter_text, order_by_text);
  EXPECT_TRUE(plan.ok()) << "'" << filter_text << "' order by '" << order_by_text
                         << "': " << plan.status();
  return plan.ok() ? std::move(*plan) : ScanPlan();
}

std::string IndexName(const ScanPlan& plan) { return plan.index ? plan.index->name : "(none)"; }

// The one field violation of a refused plan.
FieldViolation Violation(const absl::StatusOr<ScanPlan>& plan) {
  EXPECT_FALSE(plan.ok()) << "planned: " << plan->description;
  if (plan.ok()) return {};
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolations(plan.status());
  EXPECT_EQ(violations.size(), 1u) << plan.status();
  return violations.empty() ? FieldViolation{} : violations[0];
}

std::string Encoded(const Scalar& value) {
  store::KeyWriter w;
  EncodeScalar(w, value);
  return w.Release();
}

// --- Which index.

TEST(QueryPlannerTest, NoFilterScansEveryRecordInIdOrder) {
  ScanPlan plan = MustPlan(Customers(), "");
  EXPECT_EQ(plan.index, nullptr);
  EXPECT_EQ(plan.lower, store::EntityPrefix(kTenant, Customers().code()));
  EXPECT_EQ(plan.upper, store::PrefixSuccessor(plan.lower));
  EXPECT_FALSE(plan.reverse);
  EXPECT_FALSE(plan.unindexed_filter);
  EXPECT_THAT(plan.comparisons, IsEmpty());
  EXPECT_EQ(plan.description, "all records");
}

TEST(QueryPlannerTest, AnEqualityPlansOntoTheIndexItLeadsAndBindsItsValue) {
  ScanPlan plan = MustPlan(Customers(), "owner = \"u1\"");
  ASSERT_EQ(IndexName(plan), "owner");
  EXPECT_EQ(plan.lower, IndexValuePrefix(kTenant, *plan.index, {Scalar(std::string("u1"))}));
  EXPECT_THAT(plan.lower, StartsWith(store::IndexPrefix(kTenant, plan.index->id)));
  EXPECT_EQ(plan.upper, store::PrefixSuccessor(plan.lower));
  EXPECT_EQ(plan.bound_prefix_size, plan.lower.size());
  EXPECT_EQ(plan.open_component, 1);
  EXPECT_FALSE(plan.unindexed_filter);
  ASSERT_EQ(plan.comparisons.size(), 1u);
  EXPECT_EQ(plan.comparisons[0].field.path, "owner");
  EXPECT_EQ(plan.description, "index owner (1 bound)");
}

TEST(QueryPlannerTest, EnumsAndOtherIndexedFieldsPlanOntoTheirOwnIndex) {
  EXPECT_EQ(IndexName(MustPlan(Customers(), "lifecycle_stage = \"LEAD\"")), "lifecycle_stage");
  EXPECT_EQ(IndexName(MustPlan(Customers(), "kind = \"person\"")), "kind");
  EXPECT_EQ(IndexName(MustPlan(Customers(), "organization_id = \"o1\"")), "organization");
  EXPECT_EQ(IndexName(MustPlan(Customers(), "emails = \"a@b.kr\"")), "email");
  EXPECT_EQ(IndexName(MustPlan(Customers(), "tags = \"vip\"")), "tags");
  EXPECT_EQ(IndexName(MustPlan(Interactions(), "customer_id = \"c\"")), "customer_timeline");
  EXPECT_EQ(IndexName(MustPlan(Opportunities(), "status = \"open\"")), "status_close_date");
  // An enum literal is bound in its canonical (short, lower case) form.
  ScanPlan stage = MustPlan(Customers(), "lifecycle_stage = \"LIFECYCLE_STAGE_LEAD\"");
  EXPECT_EQ(stage.lower, IndexValuePrefix(kTenant, *stage.index, {Scalar(std::string("lead"))}));
}

TEST(QueryPlannerTest, TheIndexWithTheMostBoundComponentsWins) {
  ScanPlan two = MustPlan(Opportunities(), "stage = \"won\" AND pipeline = \"p\"");
  EXPECT_EQ(IndexName(two), "pipeline_stage_amount");
  EXPECT_EQ(two.description, "index pipeline_stage_amount (2 bound)");
  EXPECT_EQ(two.open_component, 2);
  ScanPlan three = MustPlan(Opportunities(),
                            "owner = \"u1\" AND pipeline = \"p\" AND stage = \"s\" AND "
                            "amount.currency_code = \"KRW\"");
  EXPECT_EQ(IndexName(three), "pipeline_stage_amount");
  EXPECT_EQ(three.description, "index pipeline_stage_amount (3 bound)");
  // owner + status binds both components of owner_status.
  EXPECT_EQ(IndexName(MustPlan(Opportunities(), "status = \"open\" AND owner = \"u1\"")),
            "owner_status");
  // A gap stops the binding: stage without pipeline binds nothing there.
  ScanPlan gap = MustPlan(Opportunities(), "owner = \"u1\" AND stage = \"s\"");
  EXPECT_NE(IndexName(gap), "pipeline_stage_amount");
  EXPECT_FALSE(gap.unindexed_filter);
}

TEST(QueryPlannerTest, ARangeOnTheNextComponentNarrowsTheScan) {
  ScanPlan plan = MustPlan(Opportunities(),
                           "pipeline = \"p\" AND stage = \"s\" AND amount.currency_code = \"KRW\" "
                           "AND amount.units >= 100 AND amount.units < 500");
  ASSERT_EQ(IndexName(plan), "pipeline_stage_amount");
  EXPECT_EQ(plan.open_component, 3);
  ASSERT_EQ(plan.open_constraints.size(), 2u);
  const std::string prefix = IndexValuePrefix(
      kTenant, *plan.index,
      {Scalar(std::string("p")), Scalar(std::string("s")), Scalar(std::string("KRW"))});
  EXPECT_EQ(plan.bound_prefix_size, prefix.size());
  EXPECT_EQ(plan.lower, prefix + Encoded(int64_t{100}));
  EXPECT_EQ(plan.upper, prefix + Encoded(int64_t{500}));
  // Exclusive and inclusive ends.
  ScanPlan open = MustPlan(Interactions(),
                           "customer_id = \"c\" AND occurred_at > \"2026-01-01T00:00:00Z\" AND "
                           "occurred_at <= \"2026-02-01T00:00:00Z\"");
  ASSERT_EQ(IndexName(open), "customer_timeline");
  const std::string c = IndexValuePrefix(kTenant, *open.index, {Scalar(std::string("c"))});
  EXPECT_EQ(open.lower, store::PrefixSuccessor(c + Encoded(int64_t{1767225600000000})));
  EXPECT_EQ(open.upper, store::PrefixSuccessor(c + Encoded(int64_t{1769904000000000})));
  // A range alone on a leading component still picks that index.
  ScanPlan tags = MustPlan(Customers(), "tags >= \"m\"");
  EXPECT_EQ(IndexName(tags), "tags");
  EXPECT_EQ(tags.open_component, 0);
  EXPECT_EQ(tags.open_constraints.size(), 1u);
  EXPECT_FALSE(tags.unindexed_filter);
}

TEST(QueryPlannerTest, ExternalRefsAndIndexedAttributesPlanOntoTheMapIndexes) {
  ScanPlan ref = MustPlan(Customers(), "owner = \"u1\" AND external_refs.erp = \"E-1\"");
  ASSERT_EQ(IndexName(ref), "external_ref");
  EXPECT_EQ(ref.lower, IndexValuePrefix(kTenant, *ref.index,
                                        {Scalar(std::string("erp")), Scalar(std::string("E-1"))}));
  EXPECT_EQ(ref.open_component, 2);
  ScanPlan region = MustPlan(Customers(), "attributes.region = \"apac\"");
  EXPECT_EQ(IndexName(region), "attributes");
  EXPECT_FALSE(region.unindexed_filter);
  ScanPlan seats = MustPlan(Customers(), "attributes.seats >= 10");
  EXPECT_EQ(IndexName(seats), "attributes");
  EXPECT_EQ(seats.open_component, 1);
  EXPECT_EQ(seats.lower, IndexValuePrefix(kTenant, *seats.index, {Scalar(std::string("seats"))}) +
                             Encoded(int64_t{10}));
  // An attribute the schema does not index narrows nothing.
  ScanPlan note = MustPlan(Customers(), "attributes.note = \"x\"");
  EXPECT_EQ(note.index, nullptr);
  EXPECT_TRUE(note.unindexed_filter);
}

TEST(QueryPlannerTest, AFilterNoIndexNarrowsIsPlannedAsAnUnindexedScan) {
  for (const char* filter : {"address.locality = \"Seoul\"", "owner != \"u1\"",
                             "address.region = \"x\" AND revision >= 2", "revision > 3"}) {
    ScanPlan plan = MustPlan(Customers(), filter);
    EXPECT_TRUE(plan.unindexed_filter) << filter << " -> " << plan.description;
  }
  ScanPlan plan = MustPlan(Customers(), "address.locality = \"Seoul\"");
  EXPECT_EQ(plan.index, nullptr);
  EXPECT_EQ(plan.description, "all records");
  // Every comparison is still checked on each record.
  ASSERT_EQ(plan.comparisons.size(), 1u);
  EXPECT_EQ(plan.comparisons[0].field.path, "address.locality");
  // Opportunity amounts without their leading components: no index either.
  EXPECT_TRUE(MustPlan(Opportunities(), "amount.units >= 100").unindexed_filter);
}

TEST(QueryPlannerTest, ResidualComparisonsRideAlongWithTheIndexThatNarrows) {
  ScanPlan plan = MustPlan(Customers(), "owner = \"u1\" AND address.locality = \"Seoul\"");
  EXPECT_EQ(IndexName(plan), "owner");
  EXPECT_FALSE(plan.unindexed_filter);
  ASSERT_EQ(plan.comparisons.size(), 2u);
  EXPECT_EQ(plan.comparisons[1].field.path, "address.locality");
}

TEST(QueryPlannerTest, PlansAreForTheirTenant) {
  auto filter = query::ParseFilter("owner = \"u1\"");
  ASSERT_TRUE(filter.ok());
  auto a = PlanQuery(1, Customers(), *filter, query::OrderBy(), Schema());
  auto b = PlanQuery(2, Customers(), *filter, query::OrderBy(), Schema());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(a->lower, StartsWith(store::IndexPrefix(1, a->index->id)));
  EXPECT_THAT(b->lower, StartsWith(store::IndexPrefix(2, b->index->id)));
  EXPECT_NE(a->lower, b->lower);
}

// --- order_by.

TEST(QueryPlannerTest, CreateTimeOrdersTheIdScanOrAFullyBoundIndex) {
  ScanPlan all = MustPlan(Customers(), "", "create_time desc");
  EXPECT_EQ(all.index, nullptr);
  EXPECT_TRUE(all.reverse);
  EXPECT_FALSE(MustPlan(Customers(), "", "create_time").reverse);
  ScanPlan owner = MustPlan(Customers(), "owner = \"u1\"", "create_time desc");
  EXPECT_EQ(IndexName(owner), "owner");
  EXPECT_TRUE(owner.reverse);
  // owner_timeline is not fully bound by owner alone: the owner index is.
  ScanPlan timeline = MustPlan(Interactions(), "owner = \"u1\"", "create_time desc");
  EXPECT_EQ(IndexName(timeline), "owner");
  EXPECT_TRUE(timeline.reverse);
}

TEST(QueryPlannerTest, OrderByTheNextUnboundComponentUsesThatIndex) {
  ScanPlan plan = MustPlan(Interactions(), "customer_id = \"c\"", "occurred_at desc");
  EXPECT_EQ(IndexName(plan), "customer_timeline");
  EXPECT_TRUE(plan.reverse);
  EXPECT_EQ(plan.open_component, 1);
  ScanPlan by_name = MustPlan(Customers(), "", "display_name");
  EXPECT_EQ(IndexName(by_name), "display_name");
  EXPECT_FALSE(by_name.reverse);
  EXPECT_FALSE(by_name.unindexed_filter);
  ScanPlan amounts =
      MustPlan(Opportunities(), "pipeline = \"p\" AND stage = \"s\"", "amount.currency_code");
  EXPECT_EQ(IndexName(amounts), "pipeline_stage_amount");
}

TEST(QueryPlannerTest, AnOrderNoIndexYieldsIsRefusedNamingOrderBy) {
  FieldViolation v = Violation(Plan(Customers(), "", "address.locality"));
  EXPECT_EQ(v.field, "order_by");
  EXPECT_THAT(v.description, HasSubstr("'address.locality' cannot be served with this filter"));
  EXPECT_THAT(v.description, HasSubstr("create_time [desc] always"));
  EXPECT_THAT(v.description, HasSubstr("indexed fields: external_refs.<system>"));
  EXPECT_THAT(v.description, HasSubstr("owner"));
  EXPECT_THAT(v.description, HasSubstr("attributes.region"));
  // A repeated field cannot give one order to its records.
  EXPECT_EQ(Violation(Plan(Customers(), "", "tags")).field, "order_by");
  // The next component after the bound ones only.
  FieldViolation skip = Violation(Plan(Opportunities(), "pipeline = \"p\"", "amount.units desc"));
  EXPECT_THAT(skip.description, HasSubstr("'amount.units desc' cannot be served"));
  FieldViolation unknown = Violation(Plan(Customers(), "", "nope"));
  EXPECT_EQ(unknown.field, "order_by");
  EXPECT_THAT(unknown.description, HasSubstr("'nope' is not a field of customer"));
}

TEST(QueryPlannerTest, AnOrderedIndexScanThatNarrowsNoComparisonIsStillUnindexed) {
  // display_name yields the order, but none of these comparisons bound or
  // range its component: every record of the tenant is read to answer
  // them, exactly like the unordered scan, so the scan limit must apply.
  for (const char* filter : {"address.locality = \"Seoul\"", "lifecycle_stage = \"lead\""}) {
    ScanPlan plan = MustPlan(Customers(), filter, "display_name");
    EXPECT_EQ(IndexName(plan), "display_name") << filter;
    EXPECT_TRUE(plan.unindexed_filter) << filter << " ordered by display_name";
  }
  // A range on the ordered component narrows it; no filter is no filter.
  ScanPlan ranged = MustPlan(Customers(), "display_name >= \"B\" AND address.locality = \"Seoul\"",
                             "display_name");
  EXPECT_EQ(IndexName(ranged), "display_name");
  EXPECT_FALSE(ranged.unindexed_filter);
  ScanPlan whole = MustPlan(Customers(), "", "display_name");
  EXPECT_EQ(IndexName(whole), "display_name");
  EXPECT_FALSE(whole.unindexed_filter);
  // Equalities in front of the ordered component bind it.
  ScanPlan bound = MustPlan(Opportunities(), "pipeline = \"p\" AND name = \"x\"", "stage");
  EXPECT_FALSE(bound.unindexed_filter);
}

// --- Bad fields and literals.

TEST(QueryPlannerTest, BadFieldsAndLiteralsAreNamedUnderFilter) {
  FieldViolation unknown = Violation(Plan(Customers(), "nope = 1"));
  EXPECT_EQ(unknown.field, "filter.nope");
  EXPECT_THAT(unknown.description, HasSubstr("no field 'nope' on Customer"));
  FieldViolation type = Violation(Plan(Customers(), "owner = 5"));
  EXPECT_EQ(type.field, "filter.owner");
  EXPECT_THAT(type.description, HasSubstr("expected a string"));
  FieldViolation stage = Violation(Plan(Customers(), "lifecycle_stage = \"hot\""));
  EXPECT_EQ(stage.field, "filter.lifecycle_stage");
  EXPECT_THAT(stage.description, HasSubstr("is not one of: lead"));
  FieldViolation map = Violation(Plan(Customers(), "external_refs = \"x\""));
  EXPECT_EQ(map.field, "filter.external_refs");
  EXPECT_THAT(map.description, HasSubstr("name a key"));
  FieldViolation attribute = Violation(Plan(Customers(), "attributes.size = 3"));
  EXPECT_EQ(attribute.field, "filter.attributes.size");
  EXPECT_THAT(attribute.description, HasSubstr("no custom attribute 'size'"));
  FieldViolation seats = Violation(Plan(Customers(), "attributes.seats = \"many\""));
  EXPECT_EQ(seats.field, "filter.attributes.seats");
}

TEST(QueryPlannerTest, LiteralsThatAreNoDateOrTimeAreNamedUnderFilter) {
  struct Case {
    const ResourceKind& kind;
    std::string field, op, literal, expected;
  };
  const std::vector<Case> cases = {
      {Opportunities(), "expected_close_date", "=", "not-a-date", "a date string \"YYYY-MM-DD\""},
      {Opportunities(), "expected_close_date", "<=", "2026-02-30", "a date string"},
      {Customers(), "create_time", ">", "2026-13-45", "an RFC 3339 time"},
      {Customers(), "create_time", ">", "2026-13-01T00:00:00Z", "an RFC 3339 time"},
  };
  for (const Case& c : cases) {
    FieldViolation v =
        Violation(Plan(c.kind, absl::StrCat(c.field, " ", c.op, " \"", c.literal, "\"")));
    EXPECT_EQ(v.field, "filter." + c.field) << c.literal;
    EXPECT_THAT(v.description, HasSubstr(c.expected));
    EXPECT_THAT(v.description, HasSubstr(absl::StrCat("got \"", c.literal, "\"")));
  }
}

TEST(QueryPlannerTest, IndexedFieldListNamesLeadingFieldsOnceAndIndexedAttributes) {
  EXPECT_EQ(IndexedFieldList(Customers(), v1::AttributeSchema()),
            "external_refs.<system>, emails, phones, owner, lifecycle_stage, organization_id, "
            "tags, display_name, kind");
  EXPECT_EQ(IndexedFieldList(Interactions(), Schema()),
            "external_refs.<system>, customer_id, owner, opportunity_id, kind, tags, "
            "attributes.region, attributes.seats");
}

// --- The scan limit, through RecordStore.

class QueryPlannerScanLimitTest : public testing::RecordStoreFixture {
 protected:
  void SetUp() override {
    RecordStoreOptions options;
    options.unindexed_scan_limit = 3;
    ASSERT_NO_FATAL_FAILURE(OpenStore(options));
  }

  void Create(const std::string& name, const std::string& owner, const std::string& locality) {
    v1::Customer c;
    c.set_display_name(name);
    c.set_owner(owner);
    c.mutable_address()->set_locality(locality);
    auto created = store_->Create(Ctx(), ResourceType::kCustomer, c, "");
    ASSERT_TRUE(created.ok()) << created.status();
  }

  absl::StatusOr<std::vector<std::string>> Names(const std::string& filter,
                                                 const std::string& order_by) {
    ListRequest request;
    request.filter = filter;
    request.order_by = order_by;
    request.page_size = 100;
    auto result = store_->List(Ctx(), ResourceType::kCustomer, request);
    if (!result.ok()) return result.status();
    std::vector<std::string> names;
    for (const auto& r : result->records)
      names.push_back(static_cast<const v1::Customer&>(*r).display_name());
    return names;
  }

  void ExpectRefused(const std::string& filter, const std::string& order_by) {
    auto names = Names(filter, order_by);
    ASSERT_FALSE(names.ok()) << filter << " / " << order_by << " answered " << names->size();
    EXPECT_EQ(names.status().code(), absl::StatusCode::kFailedPrecondition);
    std::string message(names.status().message());
    EXPECT_THAT(message, HasSubstr("no index serves a filter on address.locality"));
    EXPECT_THAT(message, HasSubstr("this tenant has 4 customers"));
    EXPECT_THAT(message, HasSubstr("refused above 3"));
    EXPECT_THAT(message, HasSubstr("owner"));
  }
};

TEST_F(QueryPlannerScanLimitTest, AnUnindexedFilterIsAnsweredUpToTheLimitThenRefused) {
  Create("Cho", "u1", "Seoul");
  Create("Ahn", "u2", "Busan");
  Create("Baek", "u1", "Seoul");
  auto small = Names("address.locality = \"Seoul\"", "");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_THAT(*small, ElementsAre("Cho", "Baek"));
  Create("Dong", "u2", "Seoul");
  ExpectRefused("address.locality = \"Seoul\"", "");
  ExpectRefused("address.locality = \"Seoul\"", "create_time desc");
  // An indexed equality makes the same residual filter cheap again.
  auto narrowed = Names("owner = \"u1\" AND address.locality = \"Seoul\"", "create_time desc");
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_THAT(*narrowed, ElementsAre("Baek", "Cho"));
  // Ordering alone is no filter: every record, in display_name order.
  auto ordered = Names("", "display_name");
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_THAT(*ordered, ElementsAre("Ahn", "Baek", "Cho", "Dong"));
}

TEST_F(QueryPlannerScanLimitTest, AnOrderByDoesNotLiftTheLimitOffAnUnindexedFilter) {
  for (const char* name : {"Cho", "Ahn", "Baek", "Dong"}) Create(name, "u1", "Seoul");
  ExpectRefused("address.locality = \"Seoul\"", "display_name");
  ExpectRefused("address.locality = \"Seoul\"", "display_name desc");
  // Still answered with a range on the ordered field, or with no filter.
  auto ranged = Names("display_name >= \"B\" AND address.locality = \"Seoul\"", "display_name");
  ASSERT_TRUE(ranged.ok()) << ranged.status();
  EXPECT_THAT(*ranged, ElementsAre("Baek", "Cho", "Dong"));
  auto all = Names("", "display_name desc");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, ElementsAre("Dong", "Cho", "Baek", "Ahn"));
}

}  // namespace
}  // namespace rapport::records
