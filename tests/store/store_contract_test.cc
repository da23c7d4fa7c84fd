// The Store contract, run against both implementations: the embedded SQLite file and a real
// PostgreSQL server (tests/testing/pg_server.h; skipped with the reason when there is none).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "rsf/store/open.h"
#include "rsf/store/pg_store.h"
#include "rsf/store/sqlite_store.h"
#include "testing/pg_server.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::store {
namespace {

using namespace std::chrono_literals;

// Collects notifications and waits for them.
class Inbox {
 public:
  std::function<void(std::string_view)> Fn() {
    return [this](std::string_view c) {
      std::lock_guard lock(mu_);
      got_.emplace_back(c);
      cv_.notify_all();
    };
  }
  bool WaitFor(const std::string& channel, std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return std::find(got_.begin(), got_.end(), channel) != got_.end(); });
  }
  bool WaitForCount(const std::string& channel, size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] {
      return static_cast<size_t>(std::count(got_.begin(), got_.end(), channel)) >= n;
    });
  }
  size_t Count(const std::string& channel) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count(got_.begin(), got_.end(), channel));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> got_;
};

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto& pg = testing::PgServer::Shared();
      if (!pg.ok()) GTEST_SKIP() << "no PostgreSQL server: " << pg.reason();
      spec_ = pg.CreateDatabase();
      ASSERT_FALSE(spec_.empty()) << pg.reason();
    } else {
      spec_ = tmp_.Sub("rsf.db");
    }
  }
  std::unique_ptr<Store> Open() {
    auto s = OpenStore(spec_);
    EXPECT_RSF_OK(s);
    return s.ok() ? std::move(*s) : nullptr;
  }
  testing::TempDir tmp_;
  std::string spec_;
};

TEST_P(StoreContractTest, PutGetVersionsAndCompareAndSwap) {
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
  EXPECT_EQ(*s->Put("keys", "k2", "x", 0), 1);
  EXPECT_RSF_CODE(s->Put("keys", "k2", "y", 0), StatusCode::kFailedPrecondition);
  EXPECT_RSF_CODE(s->Put("", "k", "v"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(s->Get("keys", ""), StatusCode::kInvalidArgument);
  std::string binary("a\0b\xff", 4);
  ASSERT_RSF_OK(s->Put("blobs", "b", binary));
  EXPECT_EQ((*s->Get("blobs", "b"))->value, binary);
  ASSERT_RSF_OK(s->Put("blobs", "empty", ""));
  EXPECT_EQ((*s->Get("blobs", "empty"))->value, "");
}

TEST_P(StoreContractTest, ListsInBytewiseKeyOrderWithPrefixAndPaging) {
  auto s = Open();
  for (const char* k : {"tier/b", "tier/a", "tier/C", "tier/c", "tier_", "other/x", "tier/%"}) {
    ASSERT_RSF_OK(s->Put("cfg", k, k));
  }
  auto all = s->List("cfg", "tier/");
  ASSERT_RSF_OK(all);
  std::vector<std::string> keys;
  for (const auto& v : *all) keys.push_back(v.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"tier/%", "tier/C", "tier/a", "tier/b", "tier/c"}));
  auto page = s->List("cfg", "tier/", 2, "tier/C");
  ASSERT_RSF_OK(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].key, "tier/a");
  EXPECT_EQ((*page)[1].value, "tier/b");
  ASSERT_RSF_OK(s->Delete("cfg", "tier/b"));
  EXPECT_RSF_CODE(s->Delete("cfg", "tier/b"), StatusCode::kNotFound);
  EXPECT_EQ(s->List("cfg", "tier/")->size(), 4u);
  EXPECT_EQ(s->List("cfg")->size(), 6u);
}

TEST_P(StoreContractTest, CountersSingleAndBatched) {
  auto s = Open();
  EXPECT_EQ(*s->Increment("quota", "key1", 5), 5);
  EXPECT_EQ(*s->Increment("quota", "key1", -2), 3);
  std::vector<CounterDelta> batch = {{"m2/b", 4}, {"m1/a", 1}, {"m2/b", 6}, {"key1", 0}};
  auto values = s->IncrementMany("quota", batch);
  ASSERT_RSF_OK(values);
  EXPECT_EQ(*values, (std::vector<int64_t>{10, 1, 10, 3}));
  EXPECT_EQ(s->IncrementMany("quota", {})->size(), 0u);
  ASSERT_RSF_OK(s->DeleteCountersBefore("quota", "m2"));
  EXPECT_EQ(*s->Increment("quota", "m1/a", 0), 0);   // deleted: starts again at 0
  EXPECT_EQ(*s->Increment("quota", "key1", 0), 0);   // "key1" < "m2"
  EXPECT_EQ(*s->Increment("quota", "m2/b", 0), 10);  // kept
}

TEST_P(StoreContractTest, TransactionsCommitOrRollBackAsAWhole) {
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
    tx.Transact([](Store& inner) -> Status {
        RSF_RETURN_IF_ERROR(inner.Put("t", "b", "2"));
        return InternalError("inner");
      }).IgnoreError();
    RSF_RETURN_IF_ERROR(tx.IncrementMany("c", std::vector<CounterDelta>{{"n", 2}}).status());
    return OkStatus();
  }));
  EXPECT_TRUE(s->Get("t", "a")->has_value());
  EXPECT_FALSE(s->Get("t", "b")->has_value());
  EXPECT_EQ(*s->Increment("c", "n", 0), 2);
}

TEST_P(StoreContractTest, ConcurrentWritersNeitherLoseNorDoubleCount) {
  auto s = Open();
  std::atomic<int> cas_wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_RSF_OK(s->Increment("c", "hits", 1));
        std::vector<CounterDelta> batch = {{"b", 1}, {"a", 2}};
        if (t % 2) std::swap(batch[0], batch[1]);  // opposite orders must not deadlock
        ASSERT_RSF_OK(s->IncrementMany("c", batch));
      }
      if (s->Put("once", "k", std::to_string(t), 0).ok()) cas_wins.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*s->Increment("c", "hits", 0), 200);
  EXPECT_EQ(*s->Increment("c", "a", 0), 400);
  EXPECT_EQ(*s->Increment("c", "b", 0), 200);
  EXPECT_EQ(cas_wins.load(), 1);
}

TEST_P(StoreContractTest, NotificationsArriveAfterCommitOnly) {
  auto s = Open();
  Inbox inbox;
  auto sub = s->Subscribe(inbox.Fn());
  ASSERT_RSF_OK(sub);
  if (GetParam() == "postgres") std::this_thread::sleep_for(300ms);  // LISTEN is in place
  ASSERT_RSF_OK(s->Notify("keys"));
  EXPECT_TRUE(inbox.WaitFor("keys"));
  EXPECT_RSF_CODE(s->Transact([](Store& tx) -> Status {
    RSF_RETURN_IF_ERROR(tx.Notify("rolled-back"));
    return InternalError("abort");
  }), StatusCode::kInternal);
  ASSERT_RSF_OK(s->Transact([](Store& tx) { return tx.Notify("committed"); }));
  EXPECT_TRUE(inbox.WaitFor("committed"));
  EXPECT_EQ(inbox.Count("rolled-back"), 0u);
  sub->reset();
  ASSERT_RSF_OK(s->Notify("after"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(inbox.Count("after"), 0u);
}

TEST_P(StoreContractTest, OneLeaseHolderAtATime) {
  auto a = Open();
  auto b = Open();
  auto first = a->TryAcquire("ledger");
  ASSERT_RSF_OK(first);
  ASSERT_NE(*first, nullptr);
  EXPECT_RSF_OK((*first)->Check());
  auto second = b->TryAcquire("ledger");
  ASSERT_RSF_OK(second);
  EXPECT_EQ(*second, nullptr);
  auto other = b->TryAcquire("another");
  ASSERT_RSF_OK(other);
  EXPECT_NE(*other, nullptr);
  first->reset();
  auto third = b->TryAcquire("ledger");
  ASSERT_RSF_OK(third);
  EXPECT_NE(*third, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

// PostgreSQL only: what several processes on one database and a server restart need.
class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& pg = testing::PgServer::Shared();
    if (!pg.ok()) GTEST_SKIP() << "no PostgreSQL server: " << pg.reason();
    uri_ = pg.CreateDatabase();
    ASSERT_FALSE(uri_.empty()) << pg.reason();
  }
  std::string uri_;
};

TEST_F(PgStoreTest, NotificationsReachOtherConnectionsAndSurviveARestart) {
  auto a = OpenPgStore(uri_);
  auto b = OpenPgStore(uri_);
  ASSERT_RSF_OK(a);
  ASSERT_RSF_OK(b);
  Inbox inbox;
  auto sub = (*b)->Subscribe(inbox.Fn());
  ASSERT_RSF_OK(sub);
  std::this_thread::sleep_for(300ms);
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_RSF_OK((*a)->Notify("control"));
  ASSERT_TRUE(inbox.WaitFor("control"));
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);

  auto lease = (*a)->TryAcquire("ledger");
  ASSERT_RSF_OK(lease);
  ASSERT_NE(*lease, nullptr);
  ASSERT_RSF_OK((*a)->Put("k", "before", "1"));

  auto& pg = testing::PgServer::Shared();
  const size_t reloads = inbox.Count("");  // one when LISTEN first took effect
  ASSERT_TRUE(pg.Stop("immediate")) << pg.reason();
  EXPECT_RSF_CODE((*a)->Put("k", "during", "1"), StatusCode::kUnavailable);
  EXPECT_RSF_CODE((*lease)->Check(), StatusCode::kUnavailable);
  ASSERT_TRUE(pg.Start()) << pg.reason();

  // Pooled connections reconnect, committed data is there, the listener says "reload all".
  EXPECT_EQ((*(*a)->Get("k", "before"))->value, "1");
  EXPECT_TRUE(inbox.WaitForCount("", reloads + 1, 10s));
  ASSERT_RSF_OK((*a)->Notify("control-again"));
  EXPECT_TRUE(inbox.WaitFor("control-again"));
  // The lost lease stays lost; a new one can be taken.
  EXPECT_RSF_CODE((*lease)->Check(), StatusCode::kUnavailable);
  auto again = (*b)->TryAcquire("ledger");
  ASSERT_RSF_OK(again);
  EXPECT_NE(*again, nullptr);
}

// A candidate polls the lease: a try that gets nothing keeps its connection for the next try
// (one backend, the same pid), and after a server restart that connection is reset and used.
TEST_F(PgStoreTest, LeaseTriesThatGetNothingReuseOneConnection) {
  auto a = OpenPgStore(uri_);
  auto b = OpenPgStore(uri_);
  ASSERT_RSF_OK(a);
  ASSERT_RSF_OK(b);
  auto held = (*a)->TryAcquire("ledger");
  ASSERT_RSF_OK(held);
  ASSERT_NE(*held, nullptr);
  auto& pg = testing::PgServer::Shared();
  const std::string db = uri_.substr(uri_.find(":///") + 4, uri_.find('?') - uri_.find(":///") - 4);
  // Backends whose last statement was a lease try (the holder's is then its check).
  auto trying = [&] {
    EXPECT_RSF_OK((*held)->Check());
    return pg.Sql("SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = current_database() "
                  "AND query LIKE 'SELECT pg_try_advisory_lock%'", db);
  };
  auto first = (*b)->TryAcquire("ledger");
  ASSERT_RSF_OK(first);
  EXPECT_EQ(*first, nullptr);
  const std::string pid = trying();
  ASSERT_NE(pid, "\n");
  EXPECT_EQ(pid.find(','), std::string::npos) << pid;
  for (int i = 0; i < 5; ++i) {
    auto again = (*b)->TryAcquire("ledger");
    ASSERT_RSF_OK(again);
    EXPECT_EQ(*again, nullptr);
  }
  EXPECT_EQ(trying(), pid);

  ASSERT_TRUE(pg.Stop("immediate")) << pg.reason();
  ASSERT_TRUE(pg.Start()) << pg.reason();
  EXPECT_RSF_CODE((*held)->Check(), StatusCode::kUnavailable);
  auto taken = (*b)->TryAcquire("ledger");
  ASSERT_RSF_OK(taken);
  ASSERT_NE(*taken, nullptr);
  EXPECT_RSF_OK((*taken)->Check());
}

TEST_F(PgStoreTest, RefusesANewerSchemaAndAnUnreachableServer) {
  ASSERT_RSF_OK(OpenPgStore(uri_));
  const std::string db = uri_.substr(uri_.find(":///") + 4, uri_.find('?') - uri_.find(":///") - 4);
  ASSERT_FALSE(testing::PgServer::Shared().Sql("INSERT INTO rsf_schema_migrations(version, name) VALUES (99, 'x')", db).empty());
  auto newer = OpenPgStore(uri_);
  EXPECT_RSF_CODE(newer, StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("upgrade rsf"), std::string::npos) << newer.status().ToString();

  PgStoreOptions quick;
  quick.connect_timeout = std::chrono::seconds(1);
  auto nowhere = OpenPgStore("postgresql://rsf:secret@127.0.0.1:1/rsf", quick);
  EXPECT_RSF_CODE(nowhere, StatusCode::kUnavailable);
  EXPECT_EQ(nowhere.status().message().find("secret"), std::string::npos) << nowhere.status().ToString();
  EXPECT_NE(nowhere.status().message().find("rsf:***@127.0.0.1"), std::string::npos) << nowhere.status().ToString();
}

TEST(RedactUriTest, HidesPasswordsInEveryForm) {
  EXPECT_EQ(RedactUri("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(RedactUri("postgresql://u@h/db?password=pw&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(RedactUri("postgresql://h/db"), "postgresql://h/db");
  EXPECT_TRUE(IsPostgresUri("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUri("/var/lib/rsf/gateway.db"));
}

}  // namespace
}  // namespace rsf::store
