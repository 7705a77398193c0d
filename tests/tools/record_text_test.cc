// CSV cells <-> record fields (tools/common/record_text.h): which columns
// are accepted, what a cell sets, and that export reads back what import
// wrote.
#include "tools/common/record_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::AttributeSchema Schema() {
  v1::AttributeSchema schema;
  for (auto [name, type] : std::vector<std::pair<std::string, v1::AttributeType>>{
           {"region", v1::ATTRIBUTE_TYPE_STRING},
           {"seats", v1::ATTRIBUTE_TYPE_INT},
           {"score", v1::ATTRIBUTE_TYPE_DOUBLE},
           {"vip", v1::ATTRIBUTE_TYPE_BOOL},
           {"renewal", v1::ATTRIBUTE_TYPE_TIMESTAMP}}) {
    auto* a = schema.add_attributes();
    a->set_name(name);
    a->set_type(type);
  }
  return schema;
}

std::string Error(const absl::Status& status) { return std::string(status.message()); }

TEST(RecordTextTest, CheckColumnAcceptsEveryFieldAnImportCanFill) {
  const auto schema = Schema();
  for (const char* path :
       {"display_name", "emails", "kind", "lifecycle_stage", "external_refs", "external_refs.erp",
        "attributes.region", "address.lines", "address.country_code"}) {
    EXPECT_TRUE(CheckColumn(*v1::Customer::descriptor(), path, schema).ok()) << path;
  }
  for (const char* path : {"occurred_at", "duration", "customer_ref", "participants"}) {
    EXPECT_TRUE(CheckColumn(*v1::Interaction::descriptor(), path, schema).ok()) << path;
  }
  for (const char* path : {"amount.units", "amount.currency_code", "expected_close_date"}) {
    EXPECT_TRUE(CheckColumn(*v1::Opportunity::descriptor(), path, schema).ok()) << path;
  }
}

TEST(RecordTextTest, CheckColumnRefusesWhatAnImportCannotFillAndSaysWhy) {
  const auto schema = Schema();
  const auto& customer = *v1::Customer::descriptor();
  auto refused = [&](const google::protobuf::Descriptor& d, const std::string& path) {
    absl::Status s = CheckColumn(d, path, schema);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(Error(s), ::testing::StartsWith(path + ": "));
    return Error(s);
  };
  EXPECT_THAT(refused(customer, "favourite_colour"), HasSubstr("no field 'favourite_colour'"));
  EXPECT_THAT(refused(customer, "create_time"), HasSubstr("is output only"));
  EXPECT_THAT(refused(customer, "revision"), HasSubstr("is output only"));
  EXPECT_THAT(refused(customer, "address"), HasSubstr("is a message; name one of its fields"));
  EXPECT_THAT(refused(customer, "display_name.first"),
              HasSubstr("'display_name' has no sub-fields"));
  EXPECT_THAT(refused(customer, "address.nope"), HasSubstr("no field 'nope'"));
  EXPECT_THAT(refused(customer, "attributes"), HasSubstr("name the attribute"));
  EXPECT_THAT(refused(customer, "attributes.nope"), HasSubstr("custom attribute"));
  EXPECT_THAT(refused(*v1::Opportunity::descriptor(), "amount"),
              HasSubstr("is a message; name one of its fields"));
  EXPECT_THAT(refused(*v1::Interaction::descriptor(), "occurred_at.seconds"),
              HasSubstr("'occurred_at' has no sub-fields"));
  // customer_ref is for records that point at a customer.
  refused(customer, "customer_ref");
}

TEST(RecordTextTest, SetFromTextFillsEachKindOfField) {
  const auto schema = Schema();
  v1::Customer c;
  ASSERT_TRUE(SetFromText(&c, "display_name", "  김민수 ", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "emails", "a@x.kr; b@x.kr;", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "kind", "Organization", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "lifecycle_stage", "LIFECYCLE_STAGE_CUSTOMER", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "external_refs.erp", "ICC-1", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "external_refs", "billing:B-7; crm:C-9", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "address.lines", "1 Main St;Suite 2", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "attributes.region", "APAC", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "attributes.seats", "12", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "attributes.score", "0.5", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "attributes.vip", "true", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "attributes.renewal", "2026-07-01T09:00:00+09:00", schema).ok());
  EXPECT_EQ(c.display_name(), "김민수");
  EXPECT_THAT(c.emails(), ElementsAre("a@x.kr", "b@x.kr"));
  EXPECT_EQ(c.kind(), v1::CUSTOMER_KIND_ORGANIZATION);
  EXPECT_EQ(c.lifecycle_stage(), v1::LIFECYCLE_STAGE_CUSTOMER);
  EXPECT_EQ(c.external_refs().at("erp"), "ICC-1");
  EXPECT_EQ(c.external_refs().at("billing"), "B-7");
  EXPECT_EQ(c.external_refs().at("crm"), "C-9");
  EXPECT_THAT(c.address().lines(), ElementsAre("1 Main St", "Suite 2"));
  EXPECT_EQ(c.attributes().at("region").string_value(), "APAC");
  EXPECT_EQ(c.attributes().at("seats").int_value(), 12);
  EXPECT_EQ(c.attributes().at("score").double_value(), 0.5);
  EXPECT_TRUE(c.attributes().at("vip").bool_value());
  EXPECT_EQ(c.attributes().at("renewal").timestamp_value().seconds(), 1782864000);

  v1::Interaction i;
  ASSERT_TRUE(SetFromText(&i, "occurred_at", "2026-07-01T09:00:00.25+09:00", schema).ok());
  ASSERT_TRUE(SetFromText(&i, "duration", "90", schema).ok());
  EXPECT_EQ(i.occurred_at().seconds(), 1782864000);
  EXPECT_EQ(i.occurred_at().nanos(), 250000000);
  EXPECT_EQ(i.duration().seconds(), 90);

  v1::Opportunity o;
  ASSERT_TRUE(SetFromText(&o, "amount.units", "1500000", schema).ok());
  ASSERT_TRUE(SetFromText(&o, "amount.currency_code", "KRW", schema).ok());
  ASSERT_TRUE(SetFromText(&o, "expected_close_date", "2026-12-31", schema).ok());
  ASSERT_TRUE(SetFromText(&o, "probability", "40", schema).ok());
  EXPECT_EQ(o.amount().units(), 1500000);
  EXPECT_EQ(o.amount().currency_code(), "KRW");
  EXPECT_EQ(o.expected_close_date().year(), 2026);
  EXPECT_EQ(o.expected_close_date().month(), 12);
  EXPECT_EQ(o.expected_close_date().day(), 31);
  EXPECT_EQ(o.probability(), 40);
}

TEST(RecordTextTest, AnEmptyCellSetsNothing) {
  v1::Opportunity o;
  for (const char* path : {"amount.units", "expected_close_date", "name", "external_refs.erp"}) {
    ASSERT_TRUE(SetFromText(&o, path, "  ", Schema()).ok()) << path;
  }
  EXPECT_FALSE(o.has_amount());
  EXPECT_FALSE(o.has_expected_close_date());
  EXPECT_TRUE(o.external_refs().empty());
}

TEST(RecordTextTest, SetFromTextSaysWhatIsWrongWithTheValue) {
  const auto schema = Schema();
  v1::Customer c;
  auto error = [&](google::protobuf::Message* m, const std::string& path, const std::string& text) {
    absl::Status s = SetFromText(m, path, text, schema);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path << " = " << text;
    EXPECT_THAT(Error(s), ::testing::StartsWith(path + ": "));
    return Error(s);
  };
  EXPECT_THAT(error(&c, "kind", "robot"), HasSubstr("'robot' is not one of: person, organization"));
  EXPECT_THAT(error(&c, "external_refs", "erp-1"), HasSubstr("'erp-1' is not SYSTEM:ID"));
  EXPECT_THAT(error(&c, "attributes.seats", "many"), HasSubstr("'many' is not an integer"));
  EXPECT_THAT(error(&c, "attributes.score", "high"), HasSubstr("'high' is not a number"));
  EXPECT_THAT(error(&c, "attributes.vip", "maybe"), HasSubstr("'maybe' is not true/false"));
  EXPECT_THAT(error(&c, "attributes.renewal", "soon"), HasSubstr("RFC 3339"));
  EXPECT_THAT(error(&c, "attributes.nope", "x"), HasSubstr("custom attribute"));
  EXPECT_THAT(error(&c, "nope", "x"), HasSubstr("no field 'nope'"));
  v1::Interaction i;
  EXPECT_THAT(error(&i, "occurred_at", "yesterday"), HasSubstr("RFC 3339"));
  EXPECT_THAT(error(&i, "duration", "long"), HasSubstr("'long'"));
  v1::Opportunity o;
  EXPECT_THAT(error(&o, "amount.units", "lots"), HasSubstr("'lots' is not an integer"));
  EXPECT_THAT(error(&o, "expected_close_date", "2026/12/31"), HasSubstr("YYYY-MM-DD"));
}

TEST(RecordTextTest, FormatTextReadsBackWhatSetFromTextWrote) {
  const auto schema = Schema();
  v1::Customer c;
  const std::vector<std::pair<std::string, std::string>> cells = {
      {"display_name", "김민수"},
      {"emails", "a@x.kr;b@x.kr"},
      {"kind", "organization"},
      {"lifecycle_stage", "customer"},
      {"external_refs.erp", "ICC-1"},
      {"address.lines", "1 Main St;Suite 2"},
      {"attributes.region", "APAC"},
      {"attributes.seats", "12"},
      {"attributes.score", "0.5"},
      {"attributes.vip", "true"},
      {"attributes.renewal", "2026-07-01T00:00:00+00:00"}};
  for (const auto& [path, text] : cells) ASSERT_TRUE(SetFromText(&c, path, text, schema).ok());
  for (const auto& [path, text] : cells) EXPECT_EQ(FormatText(c, path, schema), text) << path;
  ASSERT_TRUE(SetFromText(&c, "external_refs.billing", "B-7", schema).ok());
  EXPECT_EQ(FormatText(c, "external_refs", schema), "billing:B-7;erp:ICC-1");  // sorted
  EXPECT_EQ(FormatText(c, "external_refs.crm", schema), "");
  EXPECT_EQ(FormatText(c, "address.locality", schema), "");
  EXPECT_EQ(FormatText(c, "no_such_field", schema), "");

  v1::Interaction i;
  ASSERT_TRUE(SetFromText(&i, "occurred_at", "2026-07-01T09:00:00.25+09:00", schema).ok());
  ASSERT_TRUE(SetFromText(&i, "duration", "90", schema).ok());
  EXPECT_EQ(FormatText(i, "occurred_at", schema), "2026-07-01T00:00:00.25+00:00");
  EXPECT_EQ(FormatText(i, "duration", schema), "90");
  // An unset enum is an empty cell, which reads back as unset; "unspecified"
  // would be refused on import (the import fuzzer found it).
  EXPECT_EQ(FormatText(i, "kind", schema), "");
  EXPECT_FALSE(SetFromText(&i, "kind", "unspecified", schema).ok());
  ASSERT_TRUE(SetFromText(&i, "kind", "", schema).ok());
  EXPECT_EQ(i.kind(), v1::INTERACTION_KIND_UNSPECIFIED);

  v1::Opportunity o;
  EXPECT_EQ(FormatText(o, "amount.units", schema), "") << "an unset message reads as empty";
  EXPECT_EQ(FormatText(o, "expected_close_date", schema), "");
  EXPECT_EQ(FormatText(o, "probability", schema), "0");
  ASSERT_TRUE(SetFromText(&o, "amount.units", "1500000", schema).ok());
  ASSERT_TRUE(SetFromText(&o, "expected_close_date", "2026-01-05", schema).ok());
  EXPECT_EQ(FormatText(o, "amount.units", schema), "1500000");
  EXPECT_EQ(FormatText(o, "amount.currency_code", schema), "");
  EXPECT_EQ(FormatText(o, "expected_close_date", schema), "2026-01-05");
}

TEST(RecordTextTest, ExportColumnsNameEveryFieldOnceAndEachAttribute) {
  std::vector<std::string> columns = ExportColumns(*v1::Opportunity::descriptor(), Schema());
  EXPECT_THAT(columns,
              ::testing::IsSupersetOf({"id", "customer_id", "amount.currency_code", "amount.units",
                                       "expected_close_date", "external_refs", "attributes.region",
                                       "attributes.renewal", "revision"}));
  EXPECT_THAT(columns, ::testing::Not(::testing::Contains("amount")));
  EXPECT_THAT(columns, ::testing::Not(::testing::Contains("attributes")));
  EXPECT_THAT(ExportColumns(*v1::Customer::descriptor(), v1::AttributeSchema()),
              ::testing::IsSupersetOf({"address.lines", "address.locality", "address.region",
                                       "address.postal_code", "address.country_code"}));
}

TEST(RecordTextTest, CsvCellQuotesOnlyWhenItMust) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
}

// Two columns for one map key (a CSV header naming external_refs.erp
// twice): the later value wins and the record has one entry, as a map
// does; found by the import fuzzer as "12;0.5" for an attribute.
TEST(RecordTextMapTest, ASecondValueForAKeyReplacesTheFirst) {
  v1::AttributeSchema schema;
  v1::Customer c;
  ASSERT_TRUE(SetFromText(&c, "external_refs.erp", "ICC-1", schema).ok());
  ASSERT_TRUE(SetFromText(&c, "external_refs.erp", "ICC-2", schema).ok());
  EXPECT_EQ(FormatText(c, "external_refs.erp", schema), "ICC-2");
  EXPECT_EQ(FormatText(c, "external_refs", schema), "erp:ICC-2");
  EXPECT_EQ(c.GetReflection()->FieldSize(c, c.GetDescriptor()->FindFieldByName("external_refs")),
            1);
}

}  // namespace
}  // namespace rapport::tools
