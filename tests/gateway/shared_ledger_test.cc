// The shared ledger (include/rsf/gateway/shared_ledger.h): several audit logs write through one
// store, candidate writers elect one, and every entry lands in the ledger exactly once — across
// a writer that goes away, claims a dead writer left behind, withdrawn events and bad rows.
// Run on a SQLite file (one store, as in one process) and on a real PostgreSQL server (a store
// per replica, as in separate processes).
#include "rsf/gateway/shared_ledger.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "gateway/ledger_inbox.h"
#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/ledger/ledger.h"
#include "rsf/store/pg_store.h"
#include "rsf/store/sqlite_store.h"
#include "testing/pg_server.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::gateway {
namespace {

using namespace std::chrono_literals;
using internal::InboxRow;
using internal::InboxState;

class SharedLedgerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto& pg = rsf::testing::PgServer::Shared();
      if (!pg.ok()) GTEST_SKIP() << "no PostgreSQL server: " << pg.reason();
      uri_ = pg.CreateDatabase();
      ASSERT_FALSE(uri_.empty()) << pg.reason();
    }
    dir_ = tmp_.Sub("ledger");
    ASSERT_RSF_OK(ledger::Ledger::Init(Env::Default(), dir_, "test.example/rsf/shared"));
  }

  // A store as one replica would open it: its own connections on PostgreSQL; on SQLite the
  // one store every replica of this process shares.
  store::Store& NewStore() {
    if (GetParam() == "postgres") {
      auto s = store::OpenPgStore(uri_);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      stores_.push_back(std::move(*s));
      return *stores_.back();
    }
    if (stores_.empty()) {
      auto s = store::OpenSqliteStore(tmp_.Sub("gateway.db"));
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      stores_.push_back(std::move(*s));
    }
    return *stores_.front();
  }

  std::unique_ptr<LedgerWriter> StartWriter(store::Store& store, const std::string& signer_key_path = "",
                                            std::atomic<int>* open_failures = nullptr) {
    LedgerWriterOptions o;
    o.poll = 100ms;
    if (batch_bytes_) o.batch_bytes = batch_bytes_;
    o.ledger.signer_key_path = signer_key_path;
    if (open_failures) {
      o.failed = [open_failures](std::string_view what, const Status&) {
        if (what == "open") ++*open_failures;
      };
    }
    auto w = LedgerWriter::Start(Env::Default(), store, dir_, SystemClock::Default(), o);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }

  std::unique_ptr<AuditLog> NewAudit(store::Store& store, std::chrono::milliseconds wait = 5000ms) {
    SharedAuditOptions o;
    o.wait = wait;
    o.batching.flush_interval = 50ms;
    return MakeSharedAuditLog(store, SystemClock::Default(), o);
  }

  // Every entry in the ledger, opened read-only after the writers are gone.
  std::vector<ledger::Entry> LedgerEntries() {
    ledger::LedgerOptions ro;
    ro.read_only = true;
    auto lg = ledger::Ledger::Open(Env::Default(), dir_, ro);
    EXPECT_TRUE(lg.ok()) << lg.status().ToString();
    std::vector<ledger::Entry> out;
    if (!lg.ok()) return out;
    for (uint64_t i = 0; i < (*lg)->LatestCheckpoint().checkpoint.size; ++i) {
      auto bytes = (*lg)->ReadEntry(i);
      EXPECT_TRUE(bytes.ok());
      if (bytes.ok()) out.push_back(*ledger::DecodeEntry(*bytes));
    }
    return out;
  }

  std::vector<store::StoredValue> InboxRows(store::Store& store) {
    auto rows = store.List(kLedgerInbox);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<store::StoredValue>{};
  }

  static ledger::Entry MakeEntry(const std::string& subject) {
    ledger::Entry e;
    e.type = "gateway.admin";
    e.time = "2026-11-23T10:00:00.000Z";
    e.subject = subject;
    e.body = Json{{"actor", "test"}};
    return e;
  }

  rsf::testing::TempDir tmp_;
  std::string uri_, dir_;
  size_t batch_bytes_ = 0;  // LedgerWriterOptions' default unless set
  std::vector<std::unique_ptr<store::Store>> stores_;
};

TEST_P(SharedLedgerTest, AppendsEveryReplicasEntriesExactlyOnce) {
  auto& s1 = NewStore();
  auto& s2 = NewStore();
  auto& s3 = NewStore();
  auto w1 = StartWriter(s1);
  auto w2 = StartWriter(s2);
  std::vector<std::unique_ptr<AuditLog>> audits;
  for (auto* s : {&s1, &s2, &s3}) audits.push_back(NewAudit(*s));

  // Three replicas, four threads each: events (which wait for their index) and request records.
  constexpr int kThreads = 4, kEvents = 10, kRecords = 50;
  std::mutex mu;
  std::map<uint64_t, std::string> indexes;
  std::vector<std::thread> threads;
  for (size_t r = 0; r < audits.size(); ++r) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, r, t] {
        for (int i = 0; i < kEvents; ++i) {
          const std::string subject = fmt::format("replica{}:thread{}:event{}", r, t, i);
          auto index = audits[r]->Event("gateway.admin", subject, {{"i", i}});
          ASSERT_TRUE(index.ok()) << index.status().ToString();
          std::lock_guard lock(mu);
          EXPECT_TRUE(indexes.emplace(*index, subject).second)
              << "index " << *index << " given twice";
        }
        for (int i = 0; i < kRecords; ++i)
          audits[r]->Request(Json{{"replica", r}, {"thread", t}, {"i", i}});
      });
    }
  }
  for (auto& t : threads) t.join();
  for (auto& a : audits) ASSERT_RSF_OK(a->Flush());
  EXPECT_TRUE(w1->writing() != w2->writing()) << "exactly one writer at a time";
  audits.clear();
  w1.reset();
  w2.reset();  // the last one standing appends what is left, then publishes

  const auto entries = LedgerEntries();
  std::map<std::string, int> events;
  std::set<std::string> records;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.type == "gateway.admin") {
      ++events[e.subject];
      ASSERT_TRUE(indexes.count(i))
          << "entry " << i << " (" << e.subject << ") was not acknowledged with its index";
      EXPECT_EQ(indexes[i], e.subject) << "the index returned does not hold that event";
    } else {
      ASSERT_EQ(e.type, "gateway.requests");
      for (const auto& rec : (*e.body)["records"])
        EXPECT_TRUE(records.insert(rec.dump()).second) << "record twice: " << rec;
    }
  }
  EXPECT_EQ(events.size(), size_t{3 * kThreads * kEvents});
  for (const auto& [subject, n] : events) EXPECT_EQ(n, 1) << subject;
  EXPECT_EQ(records.size(), size_t{3 * kThreads * kRecords});
  EXPECT_TRUE(InboxRows(s1).empty()) << "rows left in the inbox";
}

TEST_P(SharedLedgerTest, AnotherCandidateTakesOverWhenTheWriterGoes) {
  auto& s1 = NewStore();
  auto& s2 = NewStore();
  auto w1 = StartWriter(s1);
  auto audit = NewAudit(s2);
  auto first = audit->Event("gateway.admin", "before", {});
  ASSERT_RSF_OK(first);
  ASSERT_TRUE(w1->writing());
  auto w2 = StartWriter(s2);
  EXPECT_FALSE(w2->writing());
  w1.reset();
  auto second = audit->Event("gateway.admin", "after", {});
  ASSERT_RSF_OK(second);
  EXPECT_TRUE(w2->writing());
  EXPECT_GT(*second, *first);
  // The candidate's read-only view follows the writer's checkpoints.
  for (int i = 0; i < 50 && w2->view().LatestCheckpoint().checkpoint.size <= *second; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_GT(w2->view().LatestCheckpoint().checkpoint.size, *second);
  audit.reset();
  w2.reset();
  const auto entries = LedgerEntries();
  ASSERT_GT(entries.size(), *second);
  EXPECT_EQ(entries[*first].subject, "before");
  EXPECT_EQ(entries[*second].subject, "after");
}

TEST_P(SharedLedgerTest, ACandidateThatCannotOpenTheLedgerGivesUpTheLease) {
  auto& s1 = NewStore();
  auto& s2 = NewStore();
  // Elected first, but without the signer key: it cannot open the ledger for writing.
  std::atomic<int> open_failures{0};
  auto broken = StartWriter(s1, tmp_.Sub("no-such-signer.key"), &open_failures);
  for (int i = 0; i < 100 && open_failures.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GT(open_failures.load(), 0) << "the broken candidate was to be elected first";
  auto healthy = StartWriter(s2);
  auto audit = NewAudit(s2, 10000ms);
  auto index = audit->Event("gateway.admin", "still-appended", {});
  ASSERT_RSF_OK(index);
  EXPECT_TRUE(healthy->writing());
  EXPECT_FALSE(broken->writing());
  audit.reset();
  healthy.reset();
  broken.reset();
  const auto entries = LedgerEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].subject, "still-appended");
}

TEST_P(SharedLedgerTest, SettlesTheClaimsOfAWriterThatDied) {
  auto& store = NewStore();
  // What a writer that died mid-batch leaves: it claimed rows 0 and 1 as entries 1 and 2 (after
  // one entry already there), appended entry 1 and died before appending entry 2 and before
  // marking anything done. Behind them, a pending row.
  const ledger::Entry already = MakeEntry("already"), appended = MakeEntry("appended"),
                      lost = MakeEntry("lost");
  {
    auto lg = ledger::Ledger::Open(Env::Default(), dir_);
    ASSERT_RSF_OK(lg);
    ASSERT_RSF_OK((*lg)->Append(already));
    ASSERT_RSF_OK((*lg)->Append(appended));
    ASSERT_RSF_OK((*lg)->Close());
  }
  auto claimed = [](const ledger::Entry& e, uint64_t index) {
    InboxRow row;
    row.state = InboxState::kClaimed;
    row.entry = ledger::EntryToJson(e);
    row.wait = true;
    row.index = index;
    row.leaf = ledger::LeafHash(*ledger::EncodeEntry(e));
    return internal::EncodeInboxRow(row);
  };
  InboxRow pending;
  pending.entry = ledger::EntryToJson(MakeEntry("pending"));
  ASSERT_RSF_OK(store.Put(kLedgerInbox, "0000000000001-dead-00000001", claimed(appended, 1)));
  ASSERT_RSF_OK(store.Put(kLedgerInbox, "0000000000001-dead-00000002", claimed(lost, 2)));
  ASSERT_RSF_OK(
      store.Put(kLedgerInbox, "0000000000001-dead-00000003", internal::EncodeInboxRow(pending)));

  auto writer = StartWriter(store);
  std::optional<InboxRow> first, second;
  for (int i = 0; i < 100; ++i) {
    auto a = store.Get(kLedgerInbox, "0000000000001-dead-00000001");
    auto b = store.Get(kLedgerInbox, "0000000000001-dead-00000002");
    ASSERT_RSF_OK(a);
    ASSERT_RSF_OK(b);
    ASSERT_TRUE(*a && *b);
    first = *internal::DecodeInboxRow((*a)->value, "a");
    second = *internal::DecodeInboxRow((*b)->value, "b");
    if (first->state == InboxState::kDone && second->state == InboxState::kDone &&
        InboxRows(store).size() == 2)
      break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(first->state, InboxState::kDone);
  EXPECT_EQ(first->index, 1u) << "the entry already appended keeps its index";
  ASSERT_EQ(second->state, InboxState::kDone);
  writer.reset();
  const auto entries = LedgerEntries();
  std::vector<std::string> subjects;
  for (const auto& e : entries) subjects.push_back(e.subject);
  EXPECT_EQ(subjects, (std::vector<std::string>{"already", "appended", "lost", "pending"}))
      << "the appended entry must not come twice, the lost one must come once";
  EXPECT_EQ(second->index, 2u);
}

TEST_P(SharedLedgerTest, AnEventNoWriterTakesIsWithdrawnAndNeverAppended) {
  auto& store = NewStore();
  auto audit = NewAudit(store, 300ms);
  auto event = audit->Event("gateway.admin", "nobody-listens", {});
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), StatusCode::kUnavailable) << event.status().ToString();
  EXPECT_NE(event.status().message().find("withdrawn"), std::string::npos)
      << event.status().ToString();
  auto rows = InboxRows(store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(internal::DecodeInboxRow(rows[0].value, rows[0].key)->state, InboxState::kWithdrawn);

  auto writer = StartWriter(store);
  auto later = audit->Event("gateway.admin", "a-writer-listens", {});
  ASSERT_RSF_OK(later);
  audit.reset();
  writer.reset();
  const auto entries = LedgerEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].subject, "a-writer-listens");
  EXPECT_EQ(*later, 0u);
  EXPECT_TRUE(InboxRows(store).empty()) << "the withdrawn row is cleaned up";
}

// A backlog (the writer away while replicas flushed) is taken in batches bounded by bytes,
// over several pages of the inbox: every row appended once, in key order, and the rows a
// waiter wants back marked done with their entry and index.
TEST_P(SharedLedgerTest, ABacklogIsAppendedInBoundedBatchesInKeyOrder) {
  auto& store = NewStore();
  constexpr int kRows = 150;  // more than one page of the inbox
  for (int i = 0; i < kRows; ++i) {
    InboxRow row;
    ledger::Entry e = MakeEntry(fmt::format("backlog:{:03}", i));
    e.body = Json{{"padding", std::string(300, 'x')}, {"i", i}};
    row.entry = ledger::EntryToJson(e);
    row.wait = i % 10 == 0;
    ASSERT_RSF_OK(store.Put(kLedgerInbox, fmt::format("0000000000001-backlog-{:08}", i),
                            internal::EncodeInboxRow(row)));
  }
  batch_bytes_ = 2000;  // about four rows a batch
  auto writer = StartWriter(store);
  for (int tries = 0; tries < 600 && writer->appended() < kRows; ++tries) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(writer->appended(), uint64_t{kRows});
  EXPECT_GE(writer->batches(), uint64_t{kRows / 8}) << "batches bounded by bytes, not 256 rows";
  EXPECT_NE(writer->MetricsText().find("rsf_ledger_writer_batches_total"), std::string::npos);
  const auto rows = InboxRows(store);
  ASSERT_EQ(rows.size(), size_t{kRows / 10}) << "only the rows someone waits for stay";
  for (const auto& v : rows) {
    auto row = internal::DecodeInboxRow(v.value, v.key);
    ASSERT_RSF_OK(row);
    EXPECT_EQ(row->state, InboxState::kDone) << v.key;
    const int i = std::stoi(v.key.substr(v.key.size() - 8));
    EXPECT_EQ(row->index, static_cast<uint64_t>(i)) << v.key;
    auto entry = ledger::EntryFromJson(row->entry, v.key);
    ASSERT_RSF_OK(entry);
    EXPECT_EQ(entry->subject, fmt::format("backlog:{:03}", i)) << "a done row keeps its entry";
  }
  writer.reset();
  const auto entries = LedgerEntries();
  ASSERT_EQ(entries.size(), size_t{kRows});
  for (int i = 0; i < kRows; ++i) {
    EXPECT_EQ(entries[i].subject, fmt::format("backlog:{:03}", i));
    EXPECT_EQ((*entries[i].body)["i"], i);
  }
}

TEST_P(SharedLedgerTest, BadRowsAreRefusedWithoutHoldingUpTheRest) {
  auto& store = NewStore();
  InboxRow invalid;
  invalid.entry =
      Json{{"type", "Not A Type"}, {"time", "yesterday"}, {"subject", "x"}, {"body", 1}};
  invalid.wait = true;
  ASSERT_RSF_OK(store.Put(kLedgerInbox, "0000000000001-bad-00000001", "this is not json"));
  ASSERT_RSF_OK(
      store.Put(kLedgerInbox, "0000000000001-bad-00000002", internal::EncodeInboxRow(invalid)));
  auto writer = StartWriter(store);
  auto audit = NewAudit(store);
  // Invalid entries are refused before they are queued, as the ledger itself would.
  auto refused = audit->Event("Bad Type", "x", {});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status().ToString();
  auto ok = audit->Event("gateway.admin", "fine", {});
  ASSERT_RSF_OK(ok);
  for (const auto& key : {"0000000000001-bad-00000001", "0000000000001-bad-00000002"}) {
    auto got = store.Get(kLedgerInbox, key);
    ASSERT_RSF_OK(got);
    ASSERT_TRUE(*got);
    auto row = internal::DecodeInboxRow((*got)->value, key);
    ASSERT_RSF_OK(row);
    EXPECT_EQ(row->state, InboxState::kRejected) << key;
    EXPECT_FALSE(row->error.empty()) << key;
  }
  audit.reset();
  writer.reset();
  const auto entries = LedgerEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].subject, "fine");
}

// Rows are read back from a store other processes write: any field of the wrong type is a
// DataLoss error naming the row, never an exception (found by fuzz/gateway_request_fuzzer.cc).
TEST(LedgerInboxTest, RowsWithFieldsOfTheWrongTypeAreRefused) {
  const std::string entry = R"("entry":{"type":"gateway.admin","time":"2026-11-23T10:00:00Z","subject":"gateway:key","body":{}})";
  auto ok = internal::DecodeInboxRow("{\"state\":\"pending\",\"wait\":true," + entry + "}", "k1");
  ASSERT_RSF_OK(ok);
  EXPECT_TRUE(ok->wait);
  for (const std::string& bad : {R"({"state":"pending","wait":"yes",)" + entry + "}",
                                 R"({"state":"done","index":"3","leaf":"00",)" + entry + "}",
                                 R"({"state":7,)" + entry + "}", std::string("[1,2]"), std::string("{")}) {
    auto row = internal::DecodeInboxRow(bad, "k2");
    EXPECT_RSF_CODE(row, StatusCode::kDataLoss) << bad;
    if (!row.ok()) {
      EXPECT_NE(row.status().message().find("ledger inbox row k2"), std::string::npos) << bad;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, SharedLedgerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace rsf::gateway
