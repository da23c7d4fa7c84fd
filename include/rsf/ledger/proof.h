// include/rsf/ledger/proof.h
//
// Merkle inclusion and consistency proofs (RFC 6962 §2.1.1–2.1.2 for generation, RFC 9162
// §2.1.3.2 and §2.1.4.2 for verification).
//
// Generation reads hashes through a NodeSource, which serves the hash of any complete,
// aligned subtree of the tree: the tile reader (tiles of 256 hashes) in production, a
// vector of leaves in tests.
//
// Thread safety: the functions are stateless; NodeSource implementations state their own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rsf/ledger/hash.h"

namespace rsf::ledger {

class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // The hash of the complete subtree of height `height` whose leaves are
  // [index * 2^height, (index + 1) * 2^height). kNotFound if it is not stored; kDataLoss if
  // the storage is corrupt.
  virtual Result<Hash> CompleteSubtree(int height, uint64_t index) const = 0;
};

// MTH(D[begin:end]) for 0 <= begin < end, composed from complete subtrees.
Result<Hash> RangeHash(const NodeSource& source, uint64_t begin, uint64_t end);

// The audit path for leaf `index` in the tree of `size` leaves, leaf sibling first.
// kInvalidArgument unless index < size.
Result<std::vector<Hash>> InclusionProof(const NodeSource& source, uint64_t index,
                                         uint64_t size);

// The consistency proof between the trees of sizes size1 and size2.
// kInvalidArgument unless 0 < size1 <= size2.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source, uint64_t size1,
                                           uint64_t size2);

// kOk if `proof` shows that `leaf_hash` is leaf `index` of the tree of `size` with `root`.
// kDataLoss (with the reason) if it does not; kInvalidArgument if index >= size.
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);

// kOk if `proof` shows that the tree (size1, root1) is a prefix of (size2, root2).
// kDataLoss if it does not; kInvalidArgument for size1 == 0 or size1 > size2.
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2);

// The root computed from an inclusion proof (for diagnostics and tests).
Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof);

}  // namespace rsf::ledger
