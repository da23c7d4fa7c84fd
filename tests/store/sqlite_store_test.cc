#include "rsf/store/sqlite_store.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <thread>

#include "rsf/common/env.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    auto s = OpenSqliteStore(tmp_.Sub("rsf.db"));
    EXPECT_RSF_OK(s);
    return s.ok() ? std::move(*s) : nullptr;
  }
  testing::TempDir tmp_;
};

// The behaviour both stores share is in store_contract_test.cc; here what is SQLite's own.

TEST_F(SqliteStoreTest, PersistsAcrossReopenAndRecordsMigrations) {
  {
    auto s = Open();
    ASSERT_RSF_OK(s->Put("k", "x", "1"));
    EXPECT_EQ(s->SchemaVersion(), SqliteStoreLatestSchema());
  }
  auto s = Open();
  EXPECT_EQ((*s->Get("k", "x"))->value, "1");
  EXPECT_EQ(s->SchemaVersion(), SqliteStoreLatestSchema());
}

TEST_F(SqliteStoreTest, RefusesNewerSchemasAndNonDatabases) {
  { Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(tmp_.Sub("rsf.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations(version, name) VALUES (999, 'future')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto newer = OpenSqliteStore(tmp_.Sub("rsf.db"));
  EXPECT_RSF_CODE(newer, StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("999"), std::string::npos);

  ASSERT_RSF_OK(Env::Default().WriteFileAtomic(tmp_.Sub("junk.db"), std::string(4096, 'j')));
  EXPECT_RSF_CODE(OpenSqliteStore(tmp_.Sub("junk.db")), StatusCode::kDataLoss);
}

TEST_F(SqliteStoreTest, ConcurrentIncrementsAndCompareAndSwapAreAtomic) {
  auto s = Open();
  constexpr int kThreads = 4, kPer = 200;
  std::vector<std::thread> threads;
  std::atomic<int> cas_wins{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPer; ++i) {
        ASSERT_RSF_OK(s->Increment("rate", "k", 1));
        // Read-modify-write with CAS; retries on conflict.
        while (true) {
          auto cur = s->Get("doc", "d");
          ASSERT_RSF_OK(cur);
          int64_t version = cur->has_value() ? (*cur)->version : 0;
          int value = cur->has_value() ? std::stoi((*cur)->value) : 0;
          if (s->Put("doc", "d", std::to_string(value + 1), version).ok()) {
            ++cas_wins;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*s->Increment("rate", "k", 0), kThreads * kPer);
  EXPECT_EQ((*s->Get("doc", "d"))->value, std::to_string(kThreads * kPer));
  EXPECT_EQ(cas_wins.load(), kThreads * kPer);
}

}  // namespace
}  // namespace rsf::store
