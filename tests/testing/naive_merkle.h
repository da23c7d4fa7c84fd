// tests/testing/naive_merkle.h
//
// A deliberately naive Merkle tree: RFC 6962 §2.1 definitions, transcribed as recursion over
// the list of leaves (MTH, PATH, PROOF/SUBPROOF). It is the reference the real, tile-backed
// implementation is checked against; it is never linked into src/. Range hashes are memoised
// only to keep the all-proofs-for-all-sizes tests affordable.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "rsf/ledger/hash.h"
#include "rsf/ledger/proof.h"

namespace rsf::testing {

class NaiveMerkle {
 public:
  explicit NaiveMerkle(std::vector<ledger::Hash> leaf_hashes) : leaves_(std::move(leaf_hashes)) {}
  void AddLeaf(const ledger::Hash& h) { leaves_.push_back(h); }
  size_t size() const { return leaves_.size(); }

  // MTH(D[begin:end]).
  ledger::Hash Mth(uint64_t begin, uint64_t end) const;
  ledger::Hash Root(uint64_t size) const { return size == 0 ? ledger::EmptyRoot() : Mth(0, size); }
  // PATH(m, D[0:n]).
  std::vector<ledger::Hash> Path(uint64_t m, uint64_t n) const;
  // PROOF(m, D[0:n]).
  std::vector<ledger::Hash> Consistency(uint64_t m, uint64_t n) const;

 private:
  void PathInto(uint64_t m, uint64_t begin, uint64_t end, std::vector<ledger::Hash>& out) const;
  void SubProofInto(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                    std::vector<ledger::Hash>& out) const;
  std::vector<ledger::Hash> leaves_;
  mutable std::map<std::pair<uint64_t, uint64_t>, ledger::Hash> memo_;
};

// A NodeSource over NaiveMerkle, for testing proof generation without tiles.
class NaiveNodeSource final : public ledger::NodeSource {
 public:
  explicit NaiveNodeSource(const NaiveMerkle& tree) : tree_(tree) {}
  Result<ledger::Hash> CompleteSubtree(int height, uint64_t index) const override {
    uint64_t width = uint64_t{1} << height;
    return tree_.Mth(index * width, (index + 1) * width);
  }

 private:
  const NaiveMerkle& tree_;
};

}  // namespace rsf::testing
