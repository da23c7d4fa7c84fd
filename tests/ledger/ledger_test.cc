#include "rsf/ledger/ledger.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "rsf/ledger/fsck.h"
#include "rsf/ledger/proof.h"
#include "testing/ledger_util.h"
#include "testing/mem_env.h"
#include "testing/naive_merkle.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::ledger {
namespace {

using testing::MakeTestEntry;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = Ledger::Init(env_, "/l", "test.example/log");
    ASSERT_RSF_OK(v);
    verifier_ = *v;
  }
  std::unique_ptr<Ledger> Open(LedgerOptions options = {}) {
    auto l = Ledger::Open(env_, "/l", options);
    EXPECT_RSF_OK(l);
    return l.ok() ? std::move(*l) : nullptr;
  }
  testing::MemEnv env_;
  std::optional<NoteVerifier> verifier_;
};

TEST_F(LedgerTest, InitCreatesAnEmptySignedLog) {
  auto lg = Open();
  auto cp = lg->LatestCheckpoint();
  EXPECT_EQ(cp.checkpoint.size, 0u);
  EXPECT_EQ(cp.checkpoint.root, EmptyRoot());
  EXPECT_RSF_OK(OpenCheckpoint(cp.note, *verifier_));
  EXPECT_EQ(lg->verifier().ToString(), verifier_->ToString());
  EXPECT_RSF_CODE(Ledger::Init(env_, "/l", "test.example/log"), StatusCode::kAlreadyExists);
  EXPECT_RSF_CODE(Ledger::Init(env_, "/x", "bad origin"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(Ledger::Open(env_, "/nowhere"), StatusCode::kNotFound);
}

TEST_F(LedgerTest, AppendPublishProveVerify) {
  auto lg = Open();
  std::vector<Hash> leaves;
  for (int i = 0; i < 600; ++i) {
    auto r = lg->Append(MakeTestEntry(i));
    ASSERT_RSF_OK(r);
    EXPECT_EQ(r->index, static_cast<uint64_t>(i));
    leaves.push_back(r->leaf_hash);
    if (i == 299) {
      ASSERT_RSF_OK(lg->Publish());
    }
  }
  EXPECT_EQ(lg->Size(), 600u);
  EXPECT_EQ(lg->LatestCheckpoint().checkpoint.size, 300u);
  EXPECT_RSF_CODE(lg->ProveInclusion(450), StatusCode::kNotFound);
  auto cp = lg->Publish();
  ASSERT_RSF_OK(cp);
  testing::NaiveMerkle naive(leaves);
  EXPECT_EQ(cp->checkpoint.root, naive.Root(600));
  for (uint64_t i : {0u, 1u, 255u, 256u, 299u, 511u, 512u, 599u}) {
    auto bundle = lg->ProveInclusion(i);
    ASSERT_RSF_OK(bundle);
    auto text = FormatInclusionBundle(*bundle);
    auto parsed = ParseInclusionBundle(text);
    ASSERT_RSF_OK(parsed);
    auto verified = VerifyInclusionBundle(*parsed, *verifier_);
    ASSERT_RSF_OK(verified);
    EXPECT_EQ(verified->entry.subject, MakeTestEntry(i).subject);
    EXPECT_EQ(verified->leaf_hash, leaves[i]);
  }
  for (uint64_t size : {1u, 255u, 256u, 300u, 599u, 600u}) {
    auto root = lg->RootAt(size);
    ASSERT_RSF_OK(root);
    EXPECT_EQ(*root, naive.Root(size));
  }
  auto cons = lg->ProveConsistency(300);
  ASSERT_RSF_OK(cons);
  EXPECT_RSF_OK(VerifyConsistency(300, 600, cons->proof, naive.Root(300), naive.Root(600)));
  EXPECT_RSF_CODE(lg->ProveConsistency(601), StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, InvalidEntriesWriteNothing) {
  auto lg = Open();
  ASSERT_RSF_OK(lg->Append(MakeTestEntry(0)));
  Entry bad = MakeTestEntry(1);
  bad.type = "Not Valid";
  EXPECT_RSF_CODE(lg->Append(bad), StatusCode::kInvalidArgument);
  Entry huge = MakeTestEntry(2);
  huge.body = Json{{"blob", std::string(66000, 'x')}};
  auto r = lg->Append(huge);
  EXPECT_RSF_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("65,535"), std::string::npos);
  std::vector<Entry> batch = {MakeTestEntry(3), bad};
  auto br = lg->AppendBatch(batch);
  EXPECT_RSF_CODE(br, StatusCode::kInvalidArgument);
  EXPECT_NE(br.status().message().find("entry 1"), std::string::npos);
  EXPECT_EQ(lg->Size(), 1u);
  auto cp = lg->Publish();
  ASSERT_RSF_OK(cp);
  EXPECT_EQ(cp->checkpoint.size, 1u);
}

TEST_F(LedgerTest, ReopenKeepsEverythingAndOnlyOneWriter) {
  {
    auto lg = Open();
    for (int i = 0; i < 300; ++i) ASSERT_RSF_OK(lg->Append(MakeTestEntry(i)));
    ASSERT_RSF_OK(lg->Publish());
    for (int i = 300; i < 310; ++i) ASSERT_RSF_OK(lg->Append(MakeTestEntry(i)));
    EXPECT_RSF_CODE(Ledger::Open(env_, "/l"), StatusCode::kUnavailable);
    // Close publishes the pending 10.
  }
  auto lg = Open();
  EXPECT_EQ(lg->LatestCheckpoint().checkpoint.size, 310u);
  auto e = lg->ReadEntry(305);
  ASSERT_RSF_OK(e);
  EXPECT_EQ(DecodeEntry(*e)->subject, MakeTestEntry(305).subject);
  auto r = lg->Append(MakeTestEntry(310));
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->index, 310u);
}

TEST_F(LedgerTest, ReadOnlyInstancesFollowTheWriter) {
  auto writer = Open();
  LedgerOptions ro;
  ro.read_only = true;
  auto reader = Open(ro);
  EXPECT_RSF_CODE(reader->Append(MakeTestEntry(0)), StatusCode::kFailedPrecondition);
  EXPECT_RSF_CODE(reader->Publish(), StatusCode::kFailedPrecondition);
  ASSERT_RSF_OK(writer->Append(MakeTestEntry(0)));
  ASSERT_RSF_OK(writer->Publish());
  EXPECT_EQ(reader->LatestCheckpoint().checkpoint.size, 0u);
  ASSERT_RSF_OK(reader->Refresh());
  EXPECT_EQ(reader->LatestCheckpoint().checkpoint.size, 1u);
  ASSERT_RSF_OK(reader->ProveInclusion(0));
}

TEST_F(LedgerTest, WrongSignerKeyIsRefused) {
  ASSERT_RSF_OK(Ledger::Init(env_, "/other", "other.example/log"));
  LedgerOptions o;
  o.signer_key_path = "/other/signer.key";
  EXPECT_RSF_CODE(Ledger::Open(env_, "/l", o), StatusCode::kPermissionDenied);
}

TEST_F(LedgerTest, ConcurrentAppendsGetDistinctConsecutiveIndexes) {
  LedgerOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(2);
  o.max_pending_bytes = 64 << 10;  // force back-pressure publishes too
  auto lg = Open(o);
  constexpr int kThreads = 8, kPer = 250;
  std::vector<std::vector<AppendResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        auto r = lg->Append(MakeTestEntry(t * kPer + i));
        ASSERT_RSF_OK(r);
        results[static_cast<size_t>(t)].push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_RSF_OK(lg->Publish());
  std::vector<int> owner(kThreads * kPer, -1);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPer; ++i) {
      const auto& r = results[static_cast<size_t>(t)][static_cast<size_t>(i)];
      ASSERT_LT(r.index, owner.size());
      ASSERT_EQ(owner[r.index], -1) << "index " << r.index << " given twice";
      owner[r.index] = t * kPer + i;
      auto e = lg->ReadEntry(r.index);
      ASSERT_RSF_OK(e);
      ASSERT_EQ(LeafHash(*e), r.leaf_hash);
    }
  }
  ASSERT_RSF_OK(lg->Close());
  auto report = Fsck(env_, "/l");
  ASSERT_RSF_OK(report);
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kThreads * kPer));
}

TEST_F(LedgerTest, AsynchronousAppendsShareGroupCommitsWithSyncOnes) {
  auto lg = Open();
  constexpr int kAsync = 3000;
  std::mutex mu;
  std::vector<AppendResult> done;
  std::thread sync_writer([&] {
    for (int i = 0; i < 200; ++i) ASSERT_RSF_OK(lg->Append(MakeTestEntry(100000 + i)));
  });
  for (int i = 0; i < kAsync; ++i) {
    ASSERT_RSF_OK(lg->AppendAsync(MakeTestEntry(i), [&](Result<AppendResult> r) {
      ASSERT_RSF_OK(r);
      std::lock_guard<std::mutex> lock(mu);
      done.push_back(*r);
    }));
  }
  sync_writer.join();
  Entry bad = MakeTestEntry(0);
  bad.subject.clear();
  bool called = false;
  EXPECT_RSF_CODE(lg->AppendAsync(bad, [&](Result<AppendResult>) { called = true; }),
                  StatusCode::kInvalidArgument);
  ASSERT_RSF_OK(lg->Close());  // drains the queue
  EXPECT_FALSE(called);
  ASSERT_EQ(done.size(), static_cast<size_t>(kAsync));
  std::set<uint64_t> indexes;
  for (const auto& r : done) indexes.insert(r.index);
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kAsync));
  EXPECT_LT(*indexes.rbegin(), static_cast<uint64_t>(kAsync + 200));
  LedgerOptions ro;
  ro.read_only = true;
  auto reader = Open(ro);
  EXPECT_EQ(reader->LatestCheckpoint().checkpoint.size, static_cast<uint64_t>(kAsync + 200));
  for (const auto& r : done) {
    auto e = reader->ReadEntry(r.index);
    ASSERT_RSF_OK(e);
    ASSERT_EQ(LeafHash(*e), r.leaf_hash);
  }
  EXPECT_RSF_CODE(lg->AppendAsync(MakeTestEntry(1), [](Result<AppendResult>) {}),
                  StatusCode::kFailedPrecondition);
}

// Power loss at a random point: the disk fills after a random number of bytes (stopping an
// append or a publish midway), then everything not made durable is thrown away. Every
// append that returned OK must survive; the log must reopen and pass fsck.
TEST(LedgerCrashTest, AcknowledgedEntriesSurvivePowerLossAtRandomPoints) {
  std::mt19937_64 rng(20261122);
  for (int round = 0; round < 60; ++round) {
    testing::MemEnv env;
    ASSERT_RSF_OK(Ledger::Init(env, "/l", "crash.example/log"));
    std::vector<std::pair<uint64_t, std::string>> acked;
    uint64_t next_entry = 0;
    for (int epoch = 0; epoch < 3; ++epoch) {
      {
        LedgerOptions o;
        o.publish_on_close = false;
        o.max_pending_bytes = 8 << 10;
        auto lg = Ledger::Open(env, "/l", o);
        ASSERT_RSF_OK(lg);
        env.FailAfterBytes(static_cast<int64_t>(rng() % 60000));
        for (int i = 0; i < 400; ++i) {
          if (rng() % 50 == 0) {
            if (!(*lg)->Publish().ok()) break;
          }
          Entry e = MakeTestEntry(next_entry++);
          auto r = (*lg)->Append(e);
          if (!r.ok()) break;
          acked.emplace_back(r->index, e.subject);
        }
      }
      env.SimulateCrash();
      auto lg = Ledger::Open(env, "/l");
      ASSERT_RSF_OK(lg) << "round " << round << " epoch " << epoch;
      ASSERT_RSF_OK((*lg)->Publish());
      ASSERT_GE((*lg)->LatestCheckpoint().checkpoint.size, acked.size());
      for (const auto& [index, subject] : acked) {
        auto bytes = (*lg)->ReadEntry(index);
        ASSERT_RSF_OK(bytes) << "acknowledged entry " << index << " lost in round " << round;
        ASSERT_EQ(DecodeEntry(*bytes)->subject, subject);
      }
      ASSERT_RSF_OK((*lg)->Close());
      auto report = Fsck(env, "/l");
      ASSERT_RSF_OK(report);
      ASSERT_TRUE(report->ok()) << report->findings.front().location << ": "
                                << report->findings.front().message;
    }
  }
}

TEST(LedgerDiskFullTest, WriteFailuresAreStickyUntilReopen) {
  testing::MemEnv env;
  ASSERT_RSF_OK(Ledger::Init(env, "/l", "full.example/log"));
  {
    LedgerOptions o;
    o.publish_on_close = false;
    auto lg = Ledger::Open(env, "/l", o);
    ASSERT_RSF_OK(lg);
    ASSERT_RSF_OK((*lg)->Append(MakeTestEntry(0)));
    env.FailAfterBytes(10);
    auto r = (*lg)->Append(MakeTestEntry(1));
    EXPECT_RSF_CODE(r, StatusCode::kResourceExhausted);
    env.FailAfterBytes(-1);
    EXPECT_RSF_CODE((*lg)->Append(MakeTestEntry(2)), StatusCode::kResourceExhausted);
  }
  auto lg = Ledger::Open(env, "/l");
  ASSERT_RSF_OK(lg);
  ASSERT_RSF_OK((*lg)->Publish());
  EXPECT_EQ((*lg)->LatestCheckpoint().checkpoint.size, 1u);  // the torn record was dropped
  auto r = (*lg)->Append(MakeTestEntry(3));
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->index, 1u);
}

TEST(LedgerPosixTest, RealFilesystemRoundTrip) {
  testing::TempDir tmp;
  Env& env = Env::Default();
  std::string dir = tmp.Sub("ledger");
  auto v = Ledger::Init(env, dir, "posix.example/log");
  ASSERT_RSF_OK(v);
  {
    LedgerOptions o;
    o.checkpoint_interval = std::chrono::milliseconds(5);
    auto lg = Ledger::Open(env, dir, o);
    ASSERT_RSF_OK(lg);
    std::vector<Entry> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(MakeTestEntry(i));
    ASSERT_RSF_OK((*lg)->AppendBatch(batch));
  }
  LedgerOptions ro;
  ro.read_only = true;
  auto lg = Ledger::Open(env, dir, ro);
  ASSERT_RSF_OK(lg);
  EXPECT_EQ((*lg)->LatestCheckpoint().checkpoint.size, 1000u);
  auto proof = (*lg)->ProveInclusion(999);
  ASSERT_RSF_OK(proof);
  EXPECT_RSF_OK(VerifyInclusionBundle(*proof, *v));
  EXPECT_TRUE(env.FileExists(dir + "/log/tile/0/003.p/232"));
  EXPECT_TRUE(env.FileExists(dir + "/log/tile/entries/003.p/232"));
  EXPECT_TRUE(env.FileExists(dir + "/log/tile/1/000.p/3"));
  auto report = Fsck(env, dir);
  ASSERT_RSF_OK(report);
  EXPECT_TRUE(report->ok());
}

}  // namespace
}  // namespace rsf::ledger
