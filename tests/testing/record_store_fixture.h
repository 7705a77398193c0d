// File: tests/testing/record_store_fixture.h
//
// A RecordStore over a real RocksDB in a temp directory, for tests of the
// core's record layer: OpenStore() in SetUp (again to reopen), Ctx() for an
// unrestricted caller of tenant 1.
#ifndef RAPPORT_TESTS_TESTING_RECORD_STORE_FIXTURE_H_
#define RAPPORT_TESTS_TESTING_RECORD_STORE_FIXTURE_H_

#include <memory>

#include "core/common/clock.h"
#include "core/common/request_context.h"
#include "core/records/record_store.h"
#include "core/store/database.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::testing {

class RecordStoreFixture : public ::testing::Test {
 protected:
  // Opens (or reopens) the database and the store at dir_/db. Use with
  // ASSERT_NO_FATAL_FAILURE.
  void OpenStore(records::RecordStoreOptions options = {}) {
    store_.reset();
    db_.reset();
    store::DatabaseOptions db_options;
    db_options.path = dir_.Sub("db");
    auto db = store::Database::Open(db_options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = records::RecordStore::Open(db_.get(), &Clock::Real(), std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // An unrestricted caller of tenant 1.
  static RequestContext Ctx() {
    RequestContext ctx;
    ctx.tenant = 1;
    ctx.principal = "test";
    return ctx;
  }

  TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<records::RecordStore> store_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_TESTING_RECORD_STORE_FIXTURE_H_
