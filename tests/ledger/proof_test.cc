// Proof generation and verification, differential against the naive RFC 6962 reference.
#include "rsf/ledger/proof.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/naive_merkle.h"
#include "testing/status_matchers.h"

namespace rsf::ledger {
namespace {

testing::NaiveMerkle MakeTree(uint64_t n) {
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(LeafHash("leaf " + std::to_string(i)));
  return testing::NaiveMerkle(std::move(leaves));
}

TEST(ProofTest, InclusionAndConsistencyForAllSizesUpTo128) {
  auto tree = MakeTree(128);
  testing::NaiveNodeSource src(tree);
  for (uint64_t n = 1; n <= 128; ++n) {
    Hash root = tree.Root(n);
    for (uint64_t m = 0; m < n; ++m) {
      auto proof = InclusionProof(src, m, n);
      ASSERT_RSF_OK(proof);
      ASSERT_EQ(*proof, tree.Path(m, n)) << m << "/" << n;
      ASSERT_RSF_OK(VerifyInclusion(m, n, tree.Mth(m, m + 1), *proof, root));
    }
    for (uint64_t m = 1; m <= n; ++m) {
      auto proof = ConsistencyProof(src, m, n);
      ASSERT_RSF_OK(proof);
      ASSERT_EQ(*proof, tree.Consistency(m, n)) << m << "/" << n;
      ASSERT_RSF_OK(VerifyConsistency(m, n, *proof, tree.Root(m), root));
    }
  }
}

TEST(ProofTest, VerificationRejectsEveryAlteredProof) {
  auto tree = MakeTree(77);
  const uint64_t n = 77;
  Hash root = tree.Root(n);
  for (uint64_t m = 0; m < n; ++m) {
    auto path = tree.Path(m, n);
    Hash leaf = tree.Mth(m, m + 1);
    for (size_t i = 0; i < path.size(); ++i) {
      auto bad = path;
      bad[i][i % 32] ^= 1;
      EXPECT_FALSE(VerifyInclusion(m, n, leaf, bad, root).ok());
    }
    EXPECT_FALSE(VerifyInclusion(m, n, LeafHash("other"), path, root).ok());
    if (!path.empty()) {
      auto shorter = path;
      shorter.pop_back();
      EXPECT_FALSE(VerifyInclusion(m, n, leaf, shorter, root).ok());
    }
    auto longer = path;
    longer.push_back(root);
    EXPECT_FALSE(VerifyInclusion(m, n, leaf, longer, root).ok());
    if (n > 1) {
      EXPECT_FALSE(VerifyInclusion((m + 1) % n, n, leaf, path, root).ok());
    }
  }
  EXPECT_RSF_CODE(VerifyInclusion(5, 5, root, {}, root), StatusCode::kInvalidArgument);
  for (uint64_t m = 1; m < n; ++m) {
    auto proof = tree.Consistency(m, n);
    for (size_t i = 0; i < proof.size(); ++i) {
      auto bad = proof;
      bad[i][0] ^= 0x80;
      EXPECT_FALSE(VerifyConsistency(m, n, bad, tree.Root(m), root).ok()) << m;
    }
    EXPECT_FALSE(VerifyConsistency(m, n, proof, tree.Root(m + 1), root).ok());
  }
}

TEST(ProofTest, EdgeRulesOfTheRfc9162Verifier) {
  auto tree = MakeTree(8);
  Hash r4 = tree.Root(4), r8 = tree.Root(8);
  EXPECT_RSF_CODE(VerifyConsistency(0, 8, {}, EmptyRoot(), r8), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()), StatusCode::kInvalidArgument);
  EXPECT_RSF_OK(VerifyConsistency(8, 8, {}, r8, r8));
  EXPECT_RSF_CODE(VerifyConsistency(8, 8, std::vector<Hash>{r4}, r8, r8), StatusCode::kDataLoss);
  EXPECT_RSF_CODE(VerifyConsistency(8, 4, {}, r8, r4), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(VerifyConsistency(4, 8, {}, r4, r8), StatusCode::kDataLoss);
}

TEST(ProofTest, RandomLargeTrees) {
  std::mt19937_64 rng(42);
  auto tree = MakeTree(5000);
  testing::NaiveNodeSource src(tree);
  for (int i = 0; i < 300; ++i) {
    uint64_t n = 1 + rng() % 5000;
    uint64_t m = rng() % n;
    auto proof = InclusionProof(src, m, n);
    ASSERT_RSF_OK(proof);
    ASSERT_RSF_OK(VerifyInclusion(m, n, tree.Mth(m, m + 1), *proof, tree.Root(n)));
    uint64_t old = 1 + rng() % n;
    auto cons = ConsistencyProof(src, old, n);
    ASSERT_RSF_OK(cons);
    ASSERT_RSF_OK(VerifyConsistency(old, n, *cons, tree.Root(old), tree.Root(n)));
  }
}

}  // namespace
}  // namespace rsf::ledger
