// Field paths on their own (core/records/field_path.h): resolving plain,
// nested, repeated, enum, time, map and attribute paths; reading their
// values as the scalars filters compare; coercing filter literals; and every
// bad path refused with INVALID_ARGUMENT naming the path.
#include "core/records/field_path.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/common/status_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/event.pb.h"
#include "rapport/v1/identity.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::records {
namespace {

using query::CompareOp;
using query::FilterValue;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const google::protobuf::Descriptor& CustomerD() { return *v1::Customer::descriptor(); }
const google::protobuf::Descriptor& OpportunityD() { return *v1::Opportunity::descriptor(); }

v1::AttributeSchema Schema() {
  v1::AttributeSchema schema;
  schema.set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
  auto add = [&](const std::string& name, v1::AttributeType type) {
    auto* a = schema.add_attributes();
    a->set_name(name);
    a->set_type(type);
  };
  add("region", v1::ATTRIBUTE_TYPE_STRING);
  add("seats", v1::ATTRIBUTE_TYPE_INT);
  add("score", v1::ATTRIBUTE_TYPE_DOUBLE);
  add("vip", v1::ATTRIBUTE_TYPE_BOOL);
  add("renewal", v1::ATTRIBUTE_TYPE_TIMESTAMP);
  return schema;
}

FieldRef Resolve(const google::protobuf::Descriptor& d, const std::string& path,
                 const v1::AttributeSchema* schema = nullptr) {
  auto ref = ResolveField(d, path, schema);
  EXPECT_TRUE(ref.ok()) << path << ": " << ref.status();
  return ref.ok() ? *ref : FieldRef();
}

// The refusal of `path`: INVALID_ARGUMENT whose one field violation is the
// path itself. Returns the description.
std::string Refusal(const google::protobuf::Descriptor& d, const std::string& path,
                    const v1::AttributeSchema* schema = nullptr) {
  auto ref = ResolveField(d, path, schema);
  EXPECT_FALSE(ref.ok()) << "'" << path << "' resolved";
  if (ref.ok()) return "";
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument) << path;
  auto violations = FieldViolations(ref.status());
  EXPECT_EQ(violations.size(), 1u) << ref.status();
  if (violations.empty()) return "";
  EXPECT_EQ(violations[0].field, path);
  return violations[0].description;
}

Scalar S(const char* s) { return Scalar(std::string(s)); }

FilterValue Str(std::string s) { return FilterValue{std::move(s)}; }
FilterValue Int(int64_t i) { return FilterValue{i}; }
FilterValue Dbl(double d) { return FilterValue{d}; }
FilterValue Bool(bool b) { return FilterValue{b}; }

Scalar Coerced(const FieldRef& field, const FilterValue& literal) {
  auto v = CoerceLiteral(field, literal);
  EXPECT_TRUE(v.ok()) << field.path << " " << literal.DebugString() << ": " << v.status();
  return v.ok() ? *v : Scalar();
}

// The refusal of coercing `literal` to `field`, naming the field's path.
std::string CoerceRefusal(const FieldRef& field, const FilterValue& literal) {
  auto v = CoerceLiteral(field, literal);
  EXPECT_FALSE(v.ok()) << field.path << " accepted " << literal.DebugString();
  if (v.ok()) return "";
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolations(v.status());
  EXPECT_EQ(violations.size(), 1u);
  if (violations.empty()) return "";
  EXPECT_EQ(violations[0].field, field.path);
  return violations[0].description;
}

// --- Resolving.

TEST(FieldPathResolveTest, APlainFieldIsOneLinkLeaf) {
  FieldRef ref = Resolve(CustomerD(), "owner");
  EXPECT_EQ(ref.path, "owner");
  ASSERT_EQ(ref.chain.size(), 1u);
  EXPECT_EQ(ref.chain[0]->name(), "owner");
  EXPECT_EQ(ref.leaf, FieldRef::Leaf::kPlain);
  EXPECT_TRUE(ref.map_key.empty());
}

TEST(FieldPathResolveTest, NestedFieldsFollowTheChain) {
  FieldRef units = Resolve(OpportunityD(), "amount.units");
  ASSERT_EQ(units.chain.size(), 2u);
  EXPECT_EQ(units.chain[0]->name(), "amount");
  EXPECT_EQ(units.chain[1]->name(), "units");
  EXPECT_EQ(units.leaf, FieldRef::Leaf::kPlain);
  FieldRef locality = Resolve(CustomerD(), "address.locality");
  ASSERT_EQ(locality.chain.size(), 2u);
  EXPECT_EQ(locality.chain[1]->containing_type()->full_name(), "rapport.v1.PostalAddress");
}

TEST(FieldPathResolveTest, LeavesAreClassifiedByType) {
  EXPECT_EQ(Resolve(CustomerD(), "lifecycle_stage").leaf, FieldRef::Leaf::kEnum);
  EXPECT_EQ(Resolve(CustomerD(), "create_time").leaf, FieldRef::Leaf::kTimestamp);
  EXPECT_EQ(Resolve(OpportunityD(), "expected_close_date").leaf, FieldRef::Leaf::kDate);
  EXPECT_EQ(Resolve(CustomerD(), "tags").leaf, FieldRef::Leaf::kPlain);
  EXPECT_TRUE(Resolve(CustomerD(), "tags").chain.back()->is_repeated());
  EXPECT_EQ(Resolve(CustomerD(), "address.lines").leaf, FieldRef::Leaf::kPlain);
}

TEST(FieldPathResolveTest, AStringMapTakesOneKeyOrNoneForTheWholeMap) {
  FieldRef erp = Resolve(CustomerD(), "external_refs.erp");
  EXPECT_EQ(erp.leaf, FieldRef::Leaf::kStringMap);
  EXPECT_EQ(erp.map_key, "erp");
  ASSERT_EQ(erp.chain.size(), 1u);
  EXPECT_TRUE(erp.chain[0]->is_map());
  FieldRef whole = Resolve(CustomerD(), "external_refs");
  EXPECT_EQ(whole.leaf, FieldRef::Leaf::kStringMap);
  EXPECT_TRUE(whole.map_key.empty());
}

TEST(FieldPathResolveTest, AttributesAreTypedByTheSchema) {
  const v1::AttributeSchema schema = Schema();
  FieldRef region = Resolve(CustomerD(), "attributes.region", &schema);
  EXPECT_EQ(region.leaf, FieldRef::Leaf::kAttribute);
  EXPECT_EQ(region.map_key, "region");
  EXPECT_EQ(region.attribute_type, v1::ATTRIBUTE_TYPE_STRING);
  EXPECT_EQ(Resolve(CustomerD(), "attributes.seats", &schema).attribute_type,
            v1::ATTRIBUTE_TYPE_INT);
  EXPECT_EQ(Resolve(CustomerD(), "attributes.renewal", &schema).attribute_type,
            v1::ATTRIBUTE_TYPE_TIMESTAMP);
  // The whole attribute map (index extraction) needs no schema.
  FieldRef whole = Resolve(CustomerD(), "attributes");
  EXPECT_EQ(whole.leaf, FieldRef::Leaf::kAttribute);
  EXPECT_TRUE(whole.map_key.empty());
}

TEST(FieldPathResolveTest, EveryBadPathIsRefusedNamingIt) {
  const v1::AttributeSchema schema = Schema();
  EXPECT_THAT(Refusal(CustomerD(), "nope"), HasSubstr("no field 'nope' on Customer"));
  EXPECT_THAT(Refusal(CustomerD(), ""), HasSubstr("no field ''"));
  EXPECT_THAT(Refusal(CustomerD(), "Owner"), HasSubstr("no field 'Owner'"));
  EXPECT_THAT(Refusal(CustomerD(), "address"), HasSubstr("is a message; name one of its fields"));
  EXPECT_THAT(Refusal(CustomerD(), "address.nope"), HasSubstr("no field 'nope'"));
  EXPECT_THAT(Refusal(CustomerD(), "address..locality"), HasSubstr("no field ''"));
  EXPECT_THAT(Refusal(OpportunityD(), "amount."), HasSubstr("no field ''"));
  EXPECT_THAT(Refusal(CustomerD(), ".owner"), HasSubstr("no field ''"));
  EXPECT_THAT(Refusal(CustomerD(), "owner.first"), HasSubstr("'owner' has no sub-fields"));
  EXPECT_THAT(Refusal(CustomerD(), "tags.x"), HasSubstr("'tags' has no sub-fields"));
  EXPECT_THAT(Refusal(CustomerD(), "lifecycle_stage.x"),
              HasSubstr("'lifecycle_stage' has no sub-fields"));
  EXPECT_THAT(Refusal(CustomerD(), "create_time.seconds"),
              HasSubstr("'create_time' has no sub-fields"));
  EXPECT_THAT(Refusal(OpportunityD(), "expected_close_date.year"),
              HasSubstr("'expected_close_date' has no sub-fields"));
  EXPECT_THAT(Refusal(OpportunityD(), "amount.units.x"), HasSubstr("'units' has no sub-fields"));
  EXPECT_THAT(Refusal(CustomerD(), "external_refs.erp.x"), HasSubstr("exactly one key"));
  EXPECT_THAT(Refusal(CustomerD(), "attributes.region"),
              HasSubstr("no custom attribute 'region' is defined for Customer"));
  EXPECT_THAT(Refusal(CustomerD(), "attributes.nope", &schema),
              HasSubstr("no custom attribute 'nope'"));
  EXPECT_THAT(Refusal(CustomerD(), "attributes.region.x", &schema), HasSubstr("exactly one key"));
  // Repeated messages: neither the message nor a field inside it.
  const auto& list = *v1::ListCustomersResponse::descriptor();
  EXPECT_THAT(Refusal(list, "customers.owner"), HasSubstr("repeated messages cannot be filtered"));
  EXPECT_THAT(Refusal(list, "customers"), HasSubstr("is a message"));
}

// --- Reading values.

TEST(FieldPathExtractTest, ScalarsNestedAndRepeatedValues) {
  v1::Customer c;
  c.set_owner("u1");
  c.add_tags("vip");
  c.add_tags("seoul");
  c.mutable_address()->add_lines("1 Main St");
  c.mutable_address()->add_lines("Floor 2");
  c.mutable_address()->set_locality("Seoul");
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "owner")), ElementsAre(S("u1")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "tags")), ElementsAre(S("vip"), S("seoul")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "address.locality")), ElementsAre(S("Seoul")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "address.lines")),
              ElementsAre(S("1 Main St"), S("Floor 2")));
  // An unset singular field reads as its default; an empty repeated as none.
  EXPECT_THAT(ExtractValues(v1::Customer(), Resolve(CustomerD(), "owner")), ElementsAre(S("")));
  EXPECT_THAT(ExtractValues(v1::Customer(), Resolve(CustomerD(), "address.region")),
              ElementsAre(S("")));
  EXPECT_THAT(ExtractValues(v1::Customer(), Resolve(CustomerD(), "tags")), IsEmpty());
}

TEST(FieldPathExtractTest, IntegersWidenToInt64AndBoolsStayBools) {
  v1::Opportunity o;
  o.mutable_amount()->set_units(9'000'000'000'000'000);
  EXPECT_THAT(ExtractValues(o, Resolve(OpportunityD(), "amount.units")),
              ElementsAre(Scalar(int64_t{9'000'000'000'000'000})));
  v1::Customer c;
  c.set_revision(7);
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "revision")), ElementsAre(Scalar(int64_t{7})));
  v1::Interaction i;
  i.mutable_duration()->set_seconds(90);
  i.mutable_duration()->set_nanos(5);
  // Duration is an ordinary message: its fields are plain integers.
  EXPECT_THAT(ExtractValues(i, Resolve(*v1::Interaction::descriptor(), "duration.seconds")),
              ElementsAre(Scalar(int64_t{90})));
  EXPECT_THAT(ExtractValues(i, Resolve(*v1::Interaction::descriptor(), "duration.nanos")),
              ElementsAre(Scalar(int64_t{5})));
  v1::User u;
  u.set_disabled(true);
  EXPECT_THAT(ExtractValues(u, Resolve(*v1::User::descriptor(), "disabled")),
              ElementsAre(Scalar(true)));
  v1::ChangeEvent e;
  e.set_sequence(uint64_t{1} << 40);
  EXPECT_THAT(ExtractValues(e, Resolve(*v1::ChangeEvent::descriptor(), "sequence")),
              ElementsAre(Scalar(int64_t{1} << 40)));
}

TEST(FieldPathExtractTest, EnumsReadAsShortLowerCaseNames) {
  v1::Customer c;
  c.set_lifecycle_stage(v1::LIFECYCLE_STAGE_PROSPECT);
  c.set_kind(v1::CUSTOMER_KIND_ORGANIZATION);
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "lifecycle_stage")),
              ElementsAre(S("prospect")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "kind")), ElementsAre(S("organization")));
  EXPECT_THAT(ExtractValues(v1::Customer(), Resolve(CustomerD(), "kind")),
              ElementsAre(S("unspecified")));
  // Repeated enums: every element.
  v1::User u;
  u.add_roles(v1::ROLE_REP);
  u.add_roles(v1::ROLE_MANAGER);
  EXPECT_THAT(ExtractValues(u, Resolve(*v1::User::descriptor(), "roles")),
              ElementsAre(S("rep"), S("manager")));
}

TEST(FieldPathExtractTest, EnumShortNameDropsOnlyTheUnspecifiedPrefix) {
  EXPECT_EQ(EnumShortName(*v1::LifecycleStage_descriptor()->FindValueByNumber(1)), "lead");
  EXPECT_EQ(EnumShortName(*v1::LifecycleStage_descriptor()->FindValueByNumber(0)), "unspecified");
  // No *_UNSPECIFIED zero value: the whole name, lower case.
  const auto* type = google::protobuf::FieldDescriptorProto_Type_descriptor();
  EXPECT_EQ(EnumShortName(*type->FindValueByName("TYPE_STRING")), "type_string");
}

TEST(FieldPathExtractTest, TimestampsReadAsMicrosAndDatesAsYyyymmdd) {
  v1::Customer c;
  c.mutable_create_time()->set_seconds(1'700'000'000);
  c.mutable_create_time()->set_nanos(123'456'789);
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "create_time")),
              ElementsAre(Scalar(int64_t{1'700'000'000'123'456})));
  v1::Opportunity o;
  o.mutable_expected_close_date()->set_year(2026);
  o.mutable_expected_close_date()->set_month(3);
  o.mutable_expected_close_date()->set_day(9);
  EXPECT_THAT(ExtractValues(o, Resolve(OpportunityD(), "expected_close_date")),
              ElementsAre(Scalar(int64_t{20260309})));
}

TEST(FieldPathExtractTest, MapKeysReadOneEntryOrNone) {
  v1::Customer c;
  (*c.mutable_external_refs())["erp"] = "E-1";
  (*c.mutable_external_refs())["crm"] = "C-9";
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "external_refs.erp")), ElementsAre(S("E-1")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "external_refs.billing")), IsEmpty());
  // The whole map, sorted by key whatever the map's iteration order.
  auto entries = ExtractMapEntries(c, Resolve(CustomerD(), "external_refs"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, "crm");
  EXPECT_EQ(entries[0].second, S("C-9"));
  EXPECT_EQ(entries[1].first, "erp");
  EXPECT_EQ(entries[1].second, S("E-1"));
}

TEST(FieldPathExtractTest, AttributesReadByTheirStoredKind) {
  const v1::AttributeSchema schema = Schema();
  v1::Customer c;
  auto& attrs = *c.mutable_attributes();
  attrs["region"].set_string_value("apac");
  attrs["seats"].set_int_value(40);
  attrs["score"].set_double_value(0.5);
  attrs["vip"].set_bool_value(true);
  attrs["renewal"].mutable_timestamp_value()->set_seconds(10);
  attrs["renewal"].mutable_timestamp_value()->set_nanos(2000);
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "attributes.region", &schema)),
              ElementsAre(S("apac")));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "attributes.seats", &schema)),
              ElementsAre(Scalar(int64_t{40})));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "attributes.score", &schema)),
              ElementsAre(Scalar(0.5)));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "attributes.vip", &schema)),
              ElementsAre(Scalar(true)));
  EXPECT_THAT(ExtractValues(c, Resolve(CustomerD(), "attributes.renewal", &schema)),
              ElementsAre(Scalar(int64_t{10'000'002})));
  EXPECT_THAT(ExtractValues(v1::Customer(), Resolve(CustomerD(), "attributes.region", &schema)),
              IsEmpty());
  auto entries = ExtractMapEntries(c, Resolve(CustomerD(), "attributes"));
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].first, "region");
  EXPECT_EQ(entries[4].first, "vip");
}

// --- Coercing literals.

TEST(FieldPathCoerceTest, PlainFieldsTakeTheirOwnType) {
  FieldRef owner = Resolve(CustomerD(), "owner");
  EXPECT_EQ(Coerced(owner, Str("u1")), S("u1"));
  EXPECT_THAT(CoerceRefusal(owner, Int(5)), HasSubstr("expected a string, got 5"));
  EXPECT_THAT(CoerceRefusal(owner, Bool(true)), HasSubstr("expected a string"));
  FieldRef units = Resolve(OpportunityD(), "amount.units");
  EXPECT_EQ(Coerced(units, Int(-3)), Scalar(int64_t{-3}));
  EXPECT_THAT(CoerceRefusal(units, Dbl(1.5)), HasSubstr("expected an integer, got 1.5"));
  EXPECT_THAT(CoerceRefusal(units, Str("5")), HasSubstr("expected an integer, got \"5\""));
  FieldRef disabled = Resolve(*v1::User::descriptor(), "disabled");
  EXPECT_EQ(Coerced(disabled, Bool(false)), Scalar(false));
  EXPECT_THAT(CoerceRefusal(disabled, Int(0)), HasSubstr("expected true or false"));
}

TEST(FieldPathCoerceTest, EnumsTakeShortOrFullNamesAndListTheValidOnes) {
  FieldRef stage = Resolve(CustomerD(), "lifecycle_stage");
  EXPECT_EQ(Coerced(stage, Str("lead")), S("lead"));
  EXPECT_EQ(Coerced(stage, Str("LEAD")), S("lead"));
  EXPECT_EQ(Coerced(stage, Str("LIFECYCLE_STAGE_CHURNED")), S("churned"));
  std::string refusal = CoerceRefusal(stage, Str("hot"));
  EXPECT_THAT(refusal, HasSubstr("'hot' is not one of: lead, prospect, customer, churned"));
  // The zero value is not a stage one can filter for.
  EXPECT_THAT(CoerceRefusal(stage, Str("unspecified")), HasSubstr("is not one of"));
  EXPECT_THAT(CoerceRefusal(stage, Int(1)), HasSubstr("1 is not one of"));
}

TEST(FieldPathCoerceTest, TimestampsTakeRfc3339Text) {
  FieldRef created = Resolve(CustomerD(), "create_time");
  EXPECT_EQ(Coerced(created, Str("1970-01-01T00:00:01Z")), Scalar(int64_t{1'000'000}));
  EXPECT_EQ(Coerced(created, Str("1970-01-01T09:00:00.5+09:00")), Scalar(int64_t{500'000}));
  EXPECT_THAT(CoerceRefusal(created, Str("soon")), HasSubstr("an RFC 3339 time"));
  EXPECT_THAT(CoerceRefusal(created, Str("2026-07-01")), HasSubstr("an RFC 3339 time"));
  EXPECT_THAT(CoerceRefusal(created, Int(1700000000)), HasSubstr("an RFC 3339 time string"));
}

TEST(FieldPathCoerceTest, DatesTakeYyyyMmDdText) {
  FieldRef close = Resolve(OpportunityD(), "expected_close_date");
  EXPECT_EQ(Coerced(close, Str("2026-12-31")), Scalar(int64_t{20261231}));
  EXPECT_EQ(Coerced(close, Str("0001-01-01")), Scalar(int64_t{10101}));
  for (const char* bad :
       {"2026-1-31", "20261231", "2026/12/31", "2026-12-31T00:00:00Z", "", "soon", "abcd-ef-gh"}) {
    EXPECT_THAT(CoerceRefusal(close, Str(bad)), HasSubstr("a date string \"YYYY-MM-DD\"")) << bad;
  }
  EXPECT_THAT(CoerceRefusal(close, Int(20261231)), HasSubstr("a date string"));
}

TEST(FieldPathCoerceTest, ADateLiteralMustBeACalendarDate) {
  // Ten characters with dashes in the right places are not yet a date: a
  // month or day out of range, or a sign or space inside a number, is a
  // value the field can never hold (the record validator refuses such
  // dates in records).
  FieldRef close = Resolve(OpportunityD(), "expected_close_date");
  for (const char* bad : {"2026-13-01", "2026-00-10", "2026-01-32", "2026-01-00", "2026-02-30",
                          "2026-+1-01", "2026- 1-01", "-001-01-01", "2025-02-29", "1900-02-29",
                          "0000-01-01", "2026-04-31", "not-a-date"}) {
    auto v = CoerceLiteral(close, Str(bad));
    EXPECT_FALSE(v.ok()) << bad << " coerced to " << std::get<int64_t>(*v);
    // Refused like any bad literal: on the field, quoting the literal.
    EXPECT_THAT(CoerceRefusal(close, Str(bad)),
                HasSubstr(absl::StrCat("a date string \"YYYY-MM-DD\" (a calendar day, years 0001 "
                                       "to 9999), got \"",
                                       bad, "\"")));
  }
  // Leap days of leap years, and the ends of the months, are dates.
  EXPECT_EQ(Coerced(close, Str("2024-02-29")), Scalar(int64_t{20240229}));
  EXPECT_EQ(Coerced(close, Str("2000-02-29")), Scalar(int64_t{20000229}));
  EXPECT_EQ(Coerced(close, Str("2026-04-30")), Scalar(int64_t{20260430}));
  EXPECT_EQ(Coerced(close, Str("9999-12-31")), Scalar(int64_t{99991231}));
}

TEST(FieldPathCoerceTest, ATimestampLiteralMustBeRfc3339WithRealFields) {
  // Only RFC 3339 with an offset, as docs/filter.md says: absl::ParseTime on
  // its own would take several of these.
  FieldRef created = Resolve(CustomerD(), "create_time");
  for (const char* bad :
       {"2026-13-45", "2026-13-45T00:00:00Z", "2026-02-30T00:00:00Z", "2026-07-01T24:00:00Z",
        "2026-07-01T09:60:00Z", "2026-7-1T9:0:0Z", "12026-07-01T09:00:00Z", "0000-01-01T00:00:00Z",
        "2026-07-01T09:00:00+09", "2026-07-01T09:00:00+0900", "2026-07-01T09:00:00",
        "2026-07-01T09:00:00.Z", " 2026-07-01T09:00:00Z", "2026-07-01T09:00:00Z ",
        "2026-07-01 09:00:00Z", "infinite-future", "infinite-past"}) {
    EXPECT_THAT(CoerceRefusal(created, Str(bad)),
                HasSubstr(absl::StrCat("an RFC 3339 time such as \"2026-07-01T09:00:00+09:00\", "
                                       "got \"",
                                       bad, "\"")));
  }
  EXPECT_EQ(Coerced(created, Str("1970-01-01t00:00:01z")), Scalar(int64_t{1'000'000}));
  EXPECT_EQ(Coerced(created, Str("1970-01-01T00:00:00.000001-00:00")), Scalar(int64_t{1}));
  EXPECT_EQ(Coerced(created, Str("1969-12-31T23:00:00-01:00")), Scalar(int64_t{0}));
  EXPECT_EQ(Coerced(created, Str("2024-02-29T00:00:00Z")),
            Scalar(absl::ToUnixMicros(
                absl::FromCivil(absl::CivilDay(2024, 2, 29), absl::UTCTimeZone()))));
}

TEST(FieldPathCoerceTest, MapValuesAreStrings) {
  FieldRef erp = Resolve(CustomerD(), "external_refs.erp");
  EXPECT_EQ(Coerced(erp, Str("E-1")), S("E-1"));
  EXPECT_THAT(CoerceRefusal(erp, Int(1)), HasSubstr("expected a string"));
}

TEST(FieldPathCoerceTest, AttributesTakeTheirSchemaType) {
  const v1::AttributeSchema schema = Schema();
  auto attr = [&](const std::string& name) {
    return Resolve(CustomerD(), "attributes." + name, &schema);
  };
  EXPECT_EQ(Coerced(attr("region"), Str("apac")), S("apac"));
  EXPECT_THAT(CoerceRefusal(attr("region"), Int(1)), HasSubstr("expected a string"));
  EXPECT_EQ(Coerced(attr("seats"), Int(4)), Scalar(int64_t{4}));
  EXPECT_THAT(CoerceRefusal(attr("seats"), Dbl(4.5)), HasSubstr("expected an integer"));
  EXPECT_EQ(Coerced(attr("score"), Int(2)), Scalar(2.0));
  EXPECT_EQ(Coerced(attr("score"), Dbl(0.25)), Scalar(0.25));
  EXPECT_THAT(CoerceRefusal(attr("score"), Str("high")), HasSubstr("expected a number"));
  EXPECT_EQ(Coerced(attr("vip"), Bool(true)), Scalar(true));
  EXPECT_THAT(CoerceRefusal(attr("vip"), Str("yes")), HasSubstr("expected true or false"));
  EXPECT_EQ(Coerced(attr("renewal"), Str("1970-01-01T00:00:02Z")), Scalar(int64_t{2'000'000}));
  EXPECT_THAT(CoerceRefusal(attr("renewal"), Str("tomorrow")), HasSubstr("an RFC 3339 time"));
}

// --- Comparing.

TEST(FieldPathCompareTest, ScalarsOrderWithinATypeAndByTypeAcross) {
  EXPECT_EQ(CompareScalars(S("a"), S("b")), -1);
  EXPECT_EQ(CompareScalars(S("b"), S("a")), 1);
  EXPECT_EQ(CompareScalars(S("a"), S("a")), 0);
  EXPECT_EQ(CompareScalars(Scalar(int64_t{-1}), Scalar(int64_t{1})), -1);
  EXPECT_EQ(CompareScalars(Scalar(1.5), Scalar(1.5)), 0);
  EXPECT_EQ(CompareScalars(Scalar(false), Scalar(true)), -1);
  // Across types: by alternative (string < int64 < double < bool).
  EXPECT_EQ(CompareScalars(S("z"), Scalar(int64_t{0})), -1);
  EXPECT_EQ(CompareScalars(Scalar(true), Scalar(0.0)), 1);
}

TEST(FieldPathCompareTest, RepeatedValuesMatchIfAnyDoesAndNotEqualIfNoneDoes) {
  const std::vector<Scalar> tags = {S("b"), S("d")};
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kEq, S("d")));
  EXPECT_FALSE(EvaluateComparison(tags, CompareOp::kEq, S("c")));
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kLt, S("c")));
  EXPECT_FALSE(EvaluateComparison(tags, CompareOp::kLt, S("b")));
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kLe, S("b")));
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kGt, S("c")));
  EXPECT_FALSE(EvaluateComparison(tags, CompareOp::kGt, S("d")));
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kGe, S("d")));
  EXPECT_FALSE(EvaluateComparison(tags, CompareOp::kNe, S("b")));
  EXPECT_TRUE(EvaluateComparison(tags, CompareOp::kNe, S("c")));
  // No values: nothing equals, and "!=" holds.
  EXPECT_FALSE(EvaluateComparison({}, CompareOp::kEq, S("x")));
  EXPECT_FALSE(EvaluateComparison({}, CompareOp::kGe, S("")));
  EXPECT_TRUE(EvaluateComparison({}, CompareOp::kNe, S("x")));
}

}  // namespace
}  // namespace rapport::records
