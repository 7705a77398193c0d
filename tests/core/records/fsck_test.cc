// The consistency check (fsck, RecordStore::CheckConsistency) reports each
// kind of disagreement it claims to find, each on its own (issue 22): the
// store is closed, the real RocksDB in the temp directory is damaged in one
// way through the raw column families, and the reopened store must name
// exactly that problem, that record and that kind of resource. An undamaged
// store is checked first, so a check that always complains fails too.
#include <memory>
#include <string>
#include <vector>

#include "core/ids/ulid.h"
#include "core/records/index_entries.h"
#include "core/records/record_fields.h"
#include "core/records/record_store.h"
#include "core/store/keyspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "rocksdb/write_batch.h"
#include "tests/testing/temp_dir.h"

namespace rapport::records {
namespace {

using ::testing::HasSubstr;

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenStore();
    for (const char* name : {"Alpha", "Beta", "Gamma"}) {
      v1::Customer c;
      c.set_display_name(name);
      c.set_owner("u1");
      c.add_emails(std::string(name) + "@example.kr");
      (*c.mutable_external_refs())["erp"] = std::string("E-") + name;
      customers_.push_back(Created<v1::Customer>(ResourceType::kCustomer, c));
    }
    v1::Interaction note;
    note.set_kind(v1::INTERACTION_KIND_NOTE);
    note.set_customer_id(customers_[0].id());
    note.set_subject("first call");
    interaction_ = Created<v1::Interaction>(ResourceType::kInteraction, note);
    v1::Opportunity deal;
    deal.set_customer_id(customers_[1].id());
    deal.set_name("deal");
    deal.set_pipeline("default");
    deal.set_stage("proposal");
    deal.mutable_amount()->set_currency_code("KRW");
    deal.mutable_amount()->set_units(1000);
    opportunity_ = Created<v1::Opportunity>(ResourceType::kOpportunity, deal);
    // Another tenant's record: never part of tenant 1's report.
    v1::Customer other;
    other.set_display_name("Other tenant");
    other.set_owner("x");
    ASSERT_TRUE(store_->Create(Ctx(2), ResourceType::kCustomer, other, "").ok());
    // The undamaged store is consistent.
    v1::CheckConsistencyResponse clean = Check();
    ASSERT_TRUE(clean.consistent()) << clean.DebugString();
    ASSERT_EQ(clean.records_checked(), 5u);
    ASSERT_GT(clean.index_entries_checked(), 10u);
    ASSERT_GE(clean.feed_events_checked(), 5u);
  }

  void OpenStore() {
    store::DatabaseOptions options;
    options.path = dir_.Sub("db");
    auto db = store::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = RecordStore::Open(db_.get(), &Clock::Real(), RecordStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Closes the store, applies `damage` to the database on its own, and
  // reopens the store: the damage is on disk, not in any cache.
  template <typename Damage>
  void DamageOnDisk(Damage damage) {
    store_.reset();
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
    {
      store::DatabaseOptions options;
      options.path = dir_.Sub("db");
      auto raw = store::Database::Open(options);
      ASSERT_TRUE(raw.ok()) << raw.status();
      rocksdb::WriteBatch batch;
      damage(**raw, &batch);
      ASSERT_TRUE((*raw)->Write(&batch).ok());
      ASSERT_TRUE((*raw)->Close().ok());
    }
    OpenStore();
  }

  static RequestContext Ctx(uint32_t tenant = 1) {
    RequestContext ctx;
    ctx.tenant = tenant;
    ctx.principal = "test";
    return ctx;
  }

  template <typename T>
  T Created(ResourceType type, const T& record) {
    auto created = store_->Create(Ctx(), type, record, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? static_cast<T&>(**created) : T();
  }

  v1::CheckConsistencyResponse Check(int max_problems = 50) {
    auto report = store_->CheckConsistency(Ctx(), max_problems);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::CheckConsistencyResponse();
  }

  std::vector<std::string> IndexKeys(ResourceType type, const google::protobuf::Message& record) {
    auto schema = store_->GetSchema(Ctx(), type);
    EXPECT_TRUE(schema.ok());
    return IndexKeysFor(1, KindOf(type), record, *ids::UlidFromString(GetId(record)), *schema);
  }

  // The feed sequence of the latest event about `id`.
  uint64_t LastEventOf(const std::string& id) {
    auto events = store_->feed()->Read(Ctx().tenant, 0, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    uint64_t sequence = 0;
    for (const auto& e : *events)
      if (e.resource_id() == id) sequence = e.sequence();
    EXPECT_NE(sequence, 0u) << "no event for " << id;
    return sequence;
  }

  // The report has exactly one problem, of `kind`, about (type, id).
  static void ExpectOnlyProblem(const v1::CheckConsistencyResponse& report,
                                v1::ConsistencyProblemKind kind, v1::ResourceType type,
                                const std::string& id, const std::string& detail) {
    EXPECT_FALSE(report.consistent());
    ASSERT_EQ(report.problems_size(), 1) << report.DebugString();
    const v1::ConsistencyProblem& p = report.problems(0);
    EXPECT_EQ(p.kind(), kind) << report.DebugString();
    EXPECT_EQ(p.resource_type(), type) << report.DebugString();
    EXPECT_EQ(p.resource_id(), id) << report.DebugString();
    EXPECT_THAT(p.detail(), HasSubstr(detail));
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<RecordStore> store_;
  std::vector<v1::Customer> customers_;
  v1::Interaction interaction_;
  v1::Opportunity opportunity_;
};

TEST_F(FsckTest, AStrayIndexEntryForARecordThatDoesNotExistIsStale) {
  // An owner index entry pointing at an id no record has.
  const std::string ghost = "01KBQ00000000000000000GHST";
  const std::string ghost16 = *ids::UlidFromString(ghost);
  const IndexSpec& owner = *KindOf(ResourceType::kOpportunity).FindIndex("owner");
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Put(db.index(), IndexValuePrefix(1, owner, {Scalar(std::string("u1"))}) + ghost16, "");
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_STALE_INDEX_ENTRY,
                    v1::RESOURCE_TYPE_OPPORTUNITY, ghost, "index owner");
}

TEST_F(FsckTest, AStrayIndexEntryWithAValueTheRecordDoesNotCarryIsStale) {
  // Beta's email index also claims an address Beta does not have.
  const v1::Customer& beta = customers_[1];
  const IndexSpec& emails = *KindOf(ResourceType::kCustomer).FindIndex(kEmailIndex);
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Put(db.index(),
               IndexValuePrefix(1, emails, {Scalar(std::string("not-beta@example.kr"))}) +
                   *ids::UlidFromString(beta.id()),
               "");
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_STALE_INDEX_ENTRY,
                    v1::RESOURCE_TYPE_CUSTOMER, beta.id(), "does not carry that value");
}

TEST_F(FsckTest, AMissingIndexEntryIsReported) {
  // One of the interaction's index entries is gone: queries through that
  // index would no longer find it.
  const std::vector<std::string> keys = IndexKeys(ResourceType::kInteraction, interaction_);
  ASSERT_GE(keys.size(), 3u);
  DamageOnDisk(
      [&](store::Database& db, rocksdb::WriteBatch* batch) { batch->Delete(db.index(), keys[1]); });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_MISSING_INDEX_ENTRY,
                    v1::RESOURCE_TYPE_INTERACTION, interaction_.id(), "lacks an entry");
}

TEST_F(FsckTest, ARecordWithoutItsChangeEventIsAFeedMismatch) {
  // Gamma was created, but the feed never heard of it.
  const v1::Customer& gamma = customers_[2];
  const uint64_t sequence = LastEventOf(gamma.id());
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Delete(db.feed(), store::FeedKey(1, sequence));
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH, v1::RESOURCE_TYPE_CUSTOMER,
                    gamma.id(), "record has no change event");
}

TEST_F(FsckTest, ARecordAheadOfItsLatestChangeEventIsAFeedMismatch) {
  // The opportunity was rewritten at revision 2 without an event.
  v1::Opportunity ahead = opportunity_;
  ahead.set_revision(opportunity_.revision() + 1);
  const std::string id16 = *ids::UlidFromString(opportunity_.id());
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Put(db.entity(), store::EntityKey(1, KindOf(ResourceType::kOpportunity).code(), id16),
               ahead.SerializeAsString());
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH,
                    v1::RESOURCE_TYPE_OPPORTUNITY, opportunity_.id(),
                    "is at revision 2 but its latest change event says");
}

TEST_F(FsckTest, ARecordTheFeedSaysExistsButThatIsGoneIsAFeedMismatch) {
  // Alpha's record, index entries and count vanished, but not its event.
  const v1::Customer& alpha = customers_[0];
  const std::vector<std::string> keys = IndexKeys(ResourceType::kCustomer, alpha);
  const uint8_t code = KindOf(ResourceType::kCustomer).code();
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Delete(db.entity(), store::EntityKey(1, code, *ids::UlidFromString(alpha.id())));
    for (const auto& key : keys) batch->Delete(db.index(), key);
    batch->Merge(db.counters(), store::CounterKey(1, code), store::EncodeCounterDelta(-1));
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_FEED_MISMATCH, v1::RESOURCE_TYPE_CUSTOMER,
                    alpha.id(), "the feed says the record exists");
}

TEST_F(FsckTest, ACounterThatDriftedEitherWayIsReported) {
  const uint8_t customer = KindOf(ResourceType::kCustomer).code();
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Merge(db.counters(), store::CounterKey(1, customer), store::EncodeCounterDelta(1));
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_COUNTER_MISMATCH,
                    v1::RESOURCE_TYPE_CUSTOMER, "", "counter says 4 customers, found 3");

  const uint8_t interaction = KindOf(ResourceType::kInteraction).code();
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Merge(db.counters(), store::CounterKey(1, customer), store::EncodeCounterDelta(-1));
    batch->Merge(db.counters(), store::CounterKey(1, interaction), store::EncodeCounterDelta(-1));
  });
  ExpectOnlyProblem(Check(), v1::CONSISTENCY_PROBLEM_KIND_COUNTER_MISMATCH,
                    v1::RESOURCE_TYPE_INTERACTION, "", "counter says 0 interactions, found 1");
}

TEST_F(FsckTest, AnUndecodableRecordIsReportedByItsId) {
  const v1::Customer& beta = customers_[1];
  const uint8_t code = KindOf(ResourceType::kCustomer).code();
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    batch->Put(db.entity(), store::EntityKey(1, code, *ids::UlidFromString(beta.id())),
               std::string("\xff\xff\xff\xff garbage", 12));
  });
  v1::CheckConsistencyResponse report = Check();
  EXPECT_FALSE(report.consistent());
  bool found = false;
  for (const auto& p : report.problems()) {
    if (p.kind() == v1::CONSISTENCY_PROBLEM_KIND_UNDECODABLE_RECORD) {
      found = true;
      EXPECT_EQ(p.resource_id(), beta.id());
      EXPECT_EQ(p.resource_type(), v1::RESOURCE_TYPE_CUSTOMER);
    }
    // Whatever else is said is about Beta.
    if (!p.resource_id().empty()) {
      EXPECT_EQ(p.resource_id(), beta.id()) << p.DebugString();
    }
  }
  EXPECT_TRUE(found) << report.DebugString();
}

TEST_F(FsckTest, TheReportStopsAtMaxProblemsAndStillSaysInconsistent) {
  const IndexSpec& owner = *KindOf(ResourceType::kCustomer).FindIndex("owner");
  DamageOnDisk([&](store::Database& db, rocksdb::WriteBatch* batch) {
    for (int i = 0; i < 10; ++i) {
      std::string id = "01KBQ000000000000000000G0" + std::to_string(i);
      batch->Put(db.index(),
                 IndexValuePrefix(1, owner, {Scalar(std::string("u1"))}) + *ids::UlidFromString(id),
                 "");
    }
  });
  v1::CheckConsistencyResponse capped = Check(3);
  EXPECT_FALSE(capped.consistent());
  EXPECT_EQ(capped.problems_size(), 3);
  EXPECT_EQ(Check(50).problems_size(), 10);
  // Another tenant's check sees none of it.
  auto other = store_->CheckConsistency(Ctx(2), 50);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->consistent()) << other->DebugString();
}

}  // namespace
}  // namespace rapport::records
