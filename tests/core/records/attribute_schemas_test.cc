// Unit tests of the record store's schema job (attribute_schemas.h): the
// cached read and the rules an update must keep.
#include "core/records/attribute_schemas.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/record_store_fixture.h"

namespace rapport::records {
namespace {

class AttributeSchemasTest : public testing::RecordStoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore());
    auto feed = feed::ChangeFeed::Open(db_.get(), &Clock::Real());
    ASSERT_TRUE(feed.ok()) << feed.status();
    state_ = std::make_unique<RecordStoreState>(db_.get(), &Clock::Real(), RecordStoreOptions{},
                                                std::string(32, 's'), std::move(*feed));
    schemas_ = std::make_unique<AttributeSchemas>(*state_);
  }

  static v1::AttributeSchema Schema(std::vector<std::pair<std::string, v1::AttributeType>> attrs) {
    v1::AttributeSchema schema;
    schema.set_resource_type(v1::RESOURCE_TYPE_CUSTOMER);
    for (const auto& [name, type] : attrs) {
      auto* def = schema.add_attributes();
      def->set_name(name);
      def->set_type(type);
    }
    return schema;
  }

  std::unique_ptr<RecordStoreState> state_;
  std::unique_ptr<AttributeSchemas> schemas_;
};

TEST_F(AttributeSchemasTest, NoSchemaIsAnEmptyOneAtRevisionZero) {
  auto schema = schemas_->Load(1, ResourceType::kCustomer);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->revision(), 0);
  EXPECT_EQ(schema->attributes_size(), 0);
  EXPECT_EQ(schema->resource_type(), v1::RESOURCE_TYPE_CUSTOMER);
}

TEST_F(AttributeSchemasTest, UpdateIsReadBackAndStored) {
  auto updated = schemas_->Update(Ctx(), Schema({{"tier", v1::ATTRIBUTE_TYPE_STRING}}), 0);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision(), 1);
  auto cached = schemas_->Load(1, ResourceType::kCustomer);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->revision(), 1);
  // Another tenant and another type are untouched.
  EXPECT_EQ(schemas_->Load(2, ResourceType::kCustomer)->revision(), 0);
  EXPECT_EQ(schemas_->Load(1, ResourceType::kOpportunity)->revision(), 0);
  // A fresh job (no cache) reads what was stored.
  AttributeSchemas fresh(*state_);
  auto stored = fresh.Load(1, ResourceType::kCustomer);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->revision(), 1);
  ASSERT_EQ(stored->attributes_size(), 1);
  EXPECT_EQ(stored->attributes(0).name(), "tier");
}

TEST_F(AttributeSchemasTest, StaleRevisionIsAborted) {
  ASSERT_TRUE(schemas_->Update(Ctx(), Schema({{"tier", v1::ATTRIBUTE_TYPE_STRING}}), 0).ok());
  auto stale = schemas_->Update(
      Ctx(), Schema({{"tier", v1::ATTRIBUTE_TYPE_STRING}, {"score", v1::ATTRIBUTE_TYPE_INT}}), 7);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(schemas_->Load(1, ResourceType::kCustomer)->revision(), 1);
}

TEST_F(AttributeSchemasTest, AttributesAreNeverRemovedOrRetyped) {
  ASSERT_TRUE(schemas_->Update(Ctx(), Schema({{"tier", v1::ATTRIBUTE_TYPE_STRING}}), 0).ok());
  auto removed = schemas_->Update(Ctx(), Schema({}), 0);
  EXPECT_EQ(removed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(removed.status().ToString().find("cannot be removed"), std::string::npos);
  auto retyped = schemas_->Update(Ctx(), Schema({{"tier", v1::ATTRIBUTE_TYPE_INT}}), 0);
  EXPECT_EQ(retyped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(schemas_->Load(1, ResourceType::kCustomer)->revision(), 1);
}

}  // namespace
}  // namespace rapport::records
