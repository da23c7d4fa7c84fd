// Tamper evidence: every changed, dropped or reordered byte of a published log is found by
// fsck, which names where; and proofs verified offline reject the same changes.
#include "rsf/ledger/fsck.h"

#include <gtest/gtest.h>

#include <random>

#include "rsf/ledger/ledger.h"
#include "testing/ledger_util.h"
#include "testing/mem_env.h"
#include "testing/status_matchers.h"

namespace rsf::ledger {
namespace {

class FsckTest : public ::testing::Test {
 protected:
  void Build(int entries) {
    auto v = Ledger::Init(env_, "/l", "fsck.example/log");
    ASSERT_RSF_OK(v);
    verifier_ = *v;
    auto lg = Ledger::Open(env_, "/l");
    ASSERT_RSF_OK(lg);
    std::vector<Hash> leaves;
    for (int i = 0; i < entries; ++i) {
      Entry e = testing::MakeTestEntry(static_cast<uint64_t>(i));
      if (i > 0) e.refs = {leaves.back()};
      auto r = (*lg)->Append(e);
      ASSERT_RSF_OK(r);
      leaves.push_back(r->leaf_hash);
    }
    ASSERT_RSF_OK((*lg)->Publish());
    ASSERT_RSF_OK((*lg)->Close());
  }

  FsckReport Check() {
    FsckOptions o;
    o.verifier = verifier_;
    auto r = Fsck(env_, "/l", o);
    EXPECT_RSF_OK(r);
    return r.ok() ? *r : FsckReport{};
  }

  static std::string Describe(const FsckReport& r) {
    std::string out;
    for (const auto& f : r.findings) out += f.location + ": " + f.message + "\n";
    return out;
  }

  bool HasErrorAt(const FsckReport& r, const std::string& location_part) {
    for (const auto& f : r.findings) {
      if (f.severity == FsckFinding::Severity::kError &&
          f.location.find(location_part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::vector<std::string> LogFiles() {
    std::vector<std::string> out;
    std::function<void(const std::string&)> walk = [&](const std::string& dir) {
      const std::vector<std::string> names = *env_.ListDir(dir);
      for (const auto& name : names) {
        std::string p = dir + "/" + name;
        if (env_.ListDir(p).ok()) {
          walk(p);
        } else if (name != "signer.key" && name != "LOCK") {
          out.push_back(p);
        }
      }
    };
    walk("/l");
    return out;
  }

  testing::MemEnv env_;
  std::optional<NoteVerifier> verifier_;
};

TEST_F(FsckTest, CleanLogPasses) {
  Build(700);
  auto r = Check();
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.findings.size(), 0u) << Describe(r);
  EXPECT_EQ(r.entries_checked, 700u);
  EXPECT_EQ(r.checkpoint_size, 700u);
}

TEST_F(FsckTest, ReportsTheLocationOfEachKindOfDamage) {
  Build(700);
  const std::string bundle = "/l/log/tile/entries/001";
  std::string original = *env_.ReadFile(bundle);

  std::string changed = original;
  changed[original.find("vetted", original.size() / 2)] ^= 0x20;  // inside an entry
  env_.Corrupt(bundle, changed);
  auto r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/entries/001 byte")) << Describe(r);

  env_.Corrupt(bundle, original.substr(0, original.size() - 1));
  r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/entries/001")) << Describe(r);

  // Swap the first two entries of the bundle: both positions are reported.
  size_t len0 = (static_cast<uint8_t>(original[0]) << 8) | static_cast<uint8_t>(original[1]);
  size_t len1 = (static_cast<uint8_t>(original[2 + len0]) << 8) | static_cast<uint8_t>(original[3 + len0]);
  std::string swapped = original.substr(2 + len0, 2 + len1) + original.substr(0, 2 + len0) +
                        original.substr(4 + len0 + len1);
  env_.Corrupt(bundle, swapped);
  r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/0/001 hash 0")) << Describe(r);
  EXPECT_TRUE(HasErrorAt(r, "log/tile/0/001 hash 1")) << Describe(r);
  env_.Corrupt(bundle, original);

  std::string tile = *env_.ReadFile("/l/log/tile/0/000");
  std::string bad_tile = tile;
  bad_tile[32 * 17 + 3] ^= 1;
  env_.Corrupt("/l/log/tile/0/000", bad_tile);
  r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/0/000 hash 17")) << Describe(r);
  env_.Corrupt("/l/log/tile/0/000", tile.substr(0, 8000));
  r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/0/000")) << Describe(r);
  ASSERT_NE(Describe(r).find("truncated"), std::string::npos) << Describe(r);
  env_.Corrupt("/l/log/tile/0/000", tile);

  ASSERT_RSF_OK(env_.RemoveFile("/l/log/tile/entries/000"));
  r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/tile/entries/000")) << Describe(r);
  EXPECT_NE(Describe(r).find("missing"), std::string::npos);
}

TEST_F(FsckTest, ForeignOrForgedCheckpointsAreRejected) {
  Build(10);
  std::string cp = *env_.ReadFile("/l/log/checkpoint");
  std::string forged = cp;
  forged.replace(forged.find("\n10\n"), 4, "\n11\n");
  env_.Corrupt("/l/log/checkpoint", forged);
  auto r = Check();
  EXPECT_TRUE(HasErrorAt(r, "log/checkpoint")) << Describe(r);
  env_.Corrupt("/l/log/checkpoint", cp);
  FsckOptions o;
  o.verifier = NoteSigner::Generate("fsck.example/log")->Verifier();  // same name, other key
  auto other = Fsck(env_, "/l", o);
  ASSERT_RSF_OK(other);
  EXPECT_FALSE(other->ok());
  EXPECT_TRUE(HasErrorAt(*other, "ledger.json")) << Describe(*other);
  EXPECT_TRUE(HasErrorAt(*other, "log/checkpoint")) << Describe(*other);
}

// Mutates `path` at `positions` three ways (change, drop, swap with the next byte) and
// requires fsck to report an error every time.
#define EXPECT_EVERY_MUTATION_DETECTED(path, positions)                                      \
  do {                                                                                     \
    const std::string original = *env_.ReadFile(path);                                     \
    for (size_t i : positions) {                                                           \
      if (i >= original.size()) continue;                                                  \
      std::string changed = original;                                                      \
      changed[i] = static_cast<char>(changed[i] ^ 0x04);                                   \
      env_.Corrupt(path, changed);                                                         \
      ASSERT_FALSE(Check().ok()) << "changed byte " << i << " of " << path << " unnoticed"; \
      std::string dropped = original;                                                      \
      dropped.erase(i, 1);                                                                 \
      env_.Corrupt(path, dropped);                                                         \
      ASSERT_FALSE(Check().ok()) << "dropped byte " << i << " of " << path << " unnoticed"; \
      if (i + 1 < original.size() && original[i] != original[i + 1]) {                     \
        std::string swapped = original;                                                    \
        std::swap(swapped[i], swapped[i + 1]);                                             \
        env_.Corrupt(path, swapped);                                                       \
        ASSERT_FALSE(Check().ok()) << "swapped bytes " << i << " of " << path << " unnoticed"; \
      }                                                                                    \
    }                                                                                      \
    env_.Corrupt(path, original);                                                          \
  } while (false)

// The exhaustive claim on a small log: for every byte of every file (entries, tile,
// checkpoint, ledger.json, WAL), changing it, dropping it, or swapping it with its
// neighbour is reported as an error.
TEST_F(FsckTest, EveryChangedDroppedOrReorderedByteIsDetected) {
  Build(6);
  for (const auto& path : LogFiles()) {
    std::vector<size_t> all(env_.ReadFile(path)->size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    EXPECT_EVERY_MUTATION_DETECTED(path, all);
  }
  EXPECT_TRUE(Check().ok());
}

// The same on a log with two tile levels, at random positions of every file.
TEST_F(FsckTest, SampledMutationsAcrossTileLevelsAreDetected) {
  Build(300);
  std::mt19937_64 rng(7);
  for (const auto& path : LogFiles()) {
    size_t size = env_.ReadFile(path)->size();
    std::vector<size_t> sample = {0, size - 1};
    for (int i = 0; i < 12; ++i) sample.push_back(rng() % size);
    EXPECT_EVERY_MUTATION_DETECTED(path, sample);
  }
  EXPECT_TRUE(Check().ok());
}

}  // namespace
}  // namespace rsf::ledger
