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

TEST_F(SqliteStoreTest, PutGetVersionsAndCompareAndSwap) {
  auto s = Open();
  EXPECT_FALSE(s->Get("keys", "k1")->has_value());
  EXPECT_EQ(*s->Put("keys", "k1", "v1"), 1);
  EXPECT_EQ(*s->Put("keys", "k1", "v2"), 2);
  auto got = s->Get("keys", "k1");
  ASSERT_RSF_OK(got);
  EXPECT_EQ((*got)->value, "v2");
  EXPECT_EQ((*got)->version, 2);
  EXPECT_RSF_CODE(s->Put("keys", "k1", "v3", 1), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*s->Put("keys", "k1", "v3", 2), 3);
  EXPECT_RSF_CODE(s->Put("keys", "k2", "x", 5), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*s->Put("keys", "k2", "x", 0), 1);  // create-only
  EXPECT_RSF_CODE(s->Put("keys", "k2", "y", 0), StatusCode::kFailedPrecondition);
  EXPECT_RSF_CODE(s->Put("", "k", "v"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(s->Get("keys", ""), StatusCode::kInvalidArgument);
  std::string binary("a\0b", 3);
  ASSERT_RSF_OK(s->Put("blobs", "b", binary));
  EXPECT_EQ((*s->Get("blobs", "b"))->value, binary);
}

TEST_F(SqliteStoreTest, ListDeleteAndCounters) {
  auto s = Open();
  for (const char* k : {"tier/a", "tier/b", "tier/c", "other/x"}) ASSERT_RSF_OK(s->Put("cfg", k, k));
  auto all = s->List("cfg", "tier/");
  ASSERT_RSF_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "tier/a");
  auto page = s->List("cfg", "tier/", 1, "tier/a");
  ASSERT_RSF_OK(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].key, "tier/b");
  ASSERT_RSF_OK(s->Delete("cfg", "tier/b"));
  EXPECT_RSF_CODE(s->Delete("cfg", "tier/b"), StatusCode::kNotFound);
  EXPECT_EQ(s->List("cfg", "tier/")->size(), 2u);
  EXPECT_EQ(*s->Increment("quota", "key1", 5), 5);
  EXPECT_EQ(*s->Increment("quota", "key1", -2), 3);
}

TEST_F(SqliteStoreTest, TransactionsCommitOrRollBackAsAWhole) {
  auto s = Open();
  Status failed = s->Transact([](Store& tx) -> Status {
    RSF_RETURN_IF_ERROR(tx.Put("t", "a", "1"));
    RSF_RETURN_IF_ERROR(tx.Increment("c", "n", 1).status());
    return FailedPreconditionError("abort");
  });
  EXPECT_RSF_CODE(failed, StatusCode::kFailedPrecondition);
  EXPECT_FALSE(s->Get("t", "a")->has_value());
  EXPECT_EQ(*s->Increment("c", "n", 0), 0);
  ASSERT_RSF_OK(s->Transact([](Store& tx) -> Status {
    RSF_RETURN_IF_ERROR(tx.Put("t", "a", "1"));
    // A failing nested transaction rolls back only its own writes.
    tx.Transact([](Store& inner) -> Status {
        RSF_RETURN_IF_ERROR(inner.Put("t", "b", "2"));
        return InternalError("inner");
      }).IgnoreError();  // the test checks its effect below
    return tx.Put("t", "c", "3").status();
  }));
  EXPECT_TRUE(s->Get("t", "a")->has_value());
  EXPECT_FALSE(s->Get("t", "b")->has_value());
  EXPECT_TRUE(s->Get("t", "c")->has_value());
}

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
