// records::ExtraWriteResolver (core/records/extra_write_resolver.h) against a
// real RocksDB in a temp directory: reads that went out of date are
// conflicts, counter adds sum and refuse overflow and non-counters, and calls
// resolved into one batch see each other's writes.
#include "core/records/extra_write_resolver.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "tests/testing/temp_dir.h"

namespace rapport::records {
namespace {

using ::testing::HasSubstr;
using Op = ExtraWrite::Op;

class ExtraWriteResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::DatabaseOptions options;
    options.path = dir_.Sub("db");
    auto db = store::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void Put(const std::string& key, const std::string& value) {
    rocksdb::WriteBatch batch;
    batch.Put(db_->meta(), key, value);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  static ExtraWrite Write(std::string key, std::optional<std::string> value) {
    return ExtraWrite{std::move(key), std::move(value)};
  }
  static ExtraWrite Add(std::string key, int64_t delta) {
    ExtraWrite w{std::move(key), std::nullopt};
    w.op = Op::kAdd;
    w.delta = delta;
    return w;
  }
  static ExtraWrite Expect(std::string key, std::optional<std::string> value) {
    ExtraWrite w{std::move(key), std::move(value)};
    w.op = Op::kExpectValue;
    return w;
  }
  // The scan of [lo, hi) as it would have been recorded over `entries`.
  static ExtraWrite ExpectRange(std::string lo, std::string hi,
                                const std::vector<std::pair<std::string, std::string>>& entries) {
    ExtraWrite w{std::move(lo), std::move(hi)};
    w.op = Op::kExpectRange;
    for (const auto& [k, v] : entries) w.digest += EntryDigest(k, v);
    return w;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(ExtraWriteResolverTest, CountersRoundTripAndRefuseOtherSizes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    int64_t back = 7;
    ASSERT_TRUE(DecodeCounter(EncodeCounter(v), &back));
    EXPECT_EQ(back, v);
  }
  int64_t unused = 0;
  EXPECT_FALSE(DecodeCounter("1234567", &unused));
  EXPECT_FALSE(DecodeCounter("123456789", &unused));
  EXPECT_EQ(EncodeCounter(1), std::string("\x01\0\0\0\0\0\0\0", 8));  // little endian
}

TEST_F(ExtraWriteResolverTest, CurrentReadsPassAndStaleReadsConflict) {
  Put("k", "1");
  ExtraWriteResolver resolver(db_.get());
  bool conflict = true;
  auto ok = resolver.Resolve({Expect("k", "1"), Expect("absent", std::nullopt), Write("k", "2")},
                             &conflict);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(conflict);
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].key, "k");
  EXPECT_EQ((*ok)[0].value, "2");

  ExtraWriteResolver fresh(db_.get());
  auto stale = fresh.Resolve({Expect("k", "0"), Write("k", "2")}, &conflict);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(conflict);
  EXPECT_THAT(stale.status().message(), HasSubstr("'k' changed after it was read"));
  // A key read as absent that now exists is a conflict too.
  auto appeared = fresh.Resolve({Expect("k", std::nullopt)}, &conflict);
  EXPECT_TRUE(conflict);
  EXPECT_EQ(appeared.status().code(), absl::StatusCode::kAborted);
}

TEST_F(ExtraWriteResolverTest, RangeReadsConflictOnAnInsertUpdateOrDeleteInTheRange) {
  Put("r/1", "a");
  Put("r/2", "b");
  Put("s/1", "outside");
  const auto seen = ExpectRange("r/", "r0", {{"r/1", "a"}, {"r/2", "b"}});
  bool conflict = true;
  ExtraWriteResolver resolver(db_.get());
  ASSERT_TRUE(resolver.Resolve({seen}, &conflict).ok());
  EXPECT_FALSE(conflict);
  // A write outside the range does not matter.
  Put("s/2", "outside too");
  ASSERT_TRUE(ExtraWriteResolver(db_.get()).Resolve({seen}, &conflict).ok());

  Put("r/3", "new");  // insert
  EXPECT_EQ(ExtraWriteResolver(db_.get()).Resolve({seen}, &conflict).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_TRUE(conflict);
  rocksdb::WriteBatch undo;
  undo.Delete(db_->meta(), "r/3");
  ASSERT_TRUE(db_->Write(&undo).ok());
  ASSERT_TRUE(ExtraWriteResolver(db_.get()).Resolve({seen}, &conflict).ok());
  Put("r/2", "changed");  // update
  EXPECT_TRUE(ExtraWriteResolver(db_.get()).Resolve({seen}, &conflict).status().code() ==
              absl::StatusCode::kAborted);
  rocksdb::WriteBatch del;
  del.Delete(db_->meta(), "r/2");
  ASSERT_TRUE(db_->Write(&del).ok());  // delete
  auto deleted = ExtraWriteResolver(db_.get()).Resolve({seen}, &conflict);
  EXPECT_EQ(deleted.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(deleted.status().message(), HasSubstr("changed after they were scanned"));
}

TEST_F(ExtraWriteResolverTest, AddsSumOverTheStoredValueAndEarlierWrites) {
  Put("c", EncodeCounter(40));
  ExtraWriteResolver resolver(db_.get());
  auto out = resolver.Resolve({Add("c", 1), Add("c", 1), Add("new", -5), Write("w", "x"),
                               Add("w2", 3), Write("w2", "reset"), Add("w3", 2)});
  // "w2": the write after the add replaces it; an add after a write would
  // need a counter.
  ASSERT_TRUE(out.ok()) << out.status();
  std::map<std::string, std::optional<std::string>> got;
  for (const auto& w : *out) got[w.key] = w.value;
  EXPECT_EQ(got["c"], EncodeCounter(42));
  EXPECT_EQ(got["new"], EncodeCounter(-5));
  EXPECT_EQ(got["w"], "x");
  EXPECT_EQ(got["w2"], "reset");
  EXPECT_EQ(got["w3"], EncodeCounter(2));
}

TEST_F(ExtraWriteResolverTest, OverflowAndNonCountersAreRefusedAndNothingIsRemembered) {
  Put("max", EncodeCounter(std::numeric_limits<int64_t>::max()));
  Put("text", "hello");
  ExtraWriteResolver resolver(db_.get());
  auto overflow = resolver.Resolve({Write("before", "1"), Add("max", 1)});
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(overflow.status().message(), HasSubstr("counter 'max'"));
  auto underflow =
      resolver.Resolve({Add("min", std::numeric_limits<int64_t>::min()), Add("min", -1)});
  EXPECT_EQ(underflow.status().code(), absl::StatusCode::kOutOfRange);
  auto text = resolver.Resolve({Add("text", 1)});
  EXPECT_EQ(text.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(text.status().message(), HasSubstr("'text' holds 5 bytes, not a counter"));
  // The refused calls left nothing behind: a later call of the batch reads
  // "before" as absent.
  bool conflict = true;
  ASSERT_TRUE(resolver.Resolve({Expect("before", std::nullopt)}, &conflict).ok());
  EXPECT_FALSE(conflict);
}

TEST_F(ExtraWriteResolverTest, ALaterCallOfTheSameBatchSeesEarlierWritesAndConflictsWithThem) {
  Put("k", "1");
  ExtraWriteResolver batch(db_.get());
  // Two calls both read k = 1 and write 2: the second must not commit.
  ASSERT_TRUE(batch.Resolve({Expect("k", "1"), Write("k", "2")}).ok());
  bool conflict = false;
  auto second = batch.Resolve({Expect("k", "1"), Write("k", "2")}, &conflict);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(conflict);
  // Adds of the two calls both count.
  ASSERT_TRUE(batch.Resolve({Add("n", 2)}).ok());
  auto more = batch.Resolve({Add("n", 3)});
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(more->size(), 1u);
  EXPECT_EQ((*more)[0].value, EncodeCounter(5));
  // Reading what the earlier call wrote is current.
  EXPECT_TRUE(batch.Resolve({Expect("k", "2")}, &conflict).ok());
}

}  // namespace
}  // namespace rapport::records
