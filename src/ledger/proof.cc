#include "rsf/ledger/proof.h"

#include <bit>
#include <string>

namespace rsf::ledger {
namespace {

// The largest power of two strictly less than n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Status PathInto(const NodeSource& src, uint64_t m, uint64_t begin, uint64_t end,
                std::vector<Hash>& out) {
  if (end - begin == 1) return OkStatus();
  uint64_t k = SplitPoint(end - begin);
  if (m < begin + k) {
    RSF_RETURN_IF_ERROR(PathInto(src, m, begin, begin + k, out));
    RSF_ASSIGN_OR_RETURN(Hash h, RangeHash(src, begin + k, end));
    out.push_back(h);
  } else {
    RSF_RETURN_IF_ERROR(PathInto(src, m, begin + k, end, out));
    RSF_ASSIGN_OR_RETURN(Hash h, RangeHash(src, begin, begin + k));
    out.push_back(h);
  }
  return OkStatus();
}

Status SubProofInto(const NodeSource& src, uint64_t m, uint64_t begin, uint64_t end,
                    bool whole, std::vector<Hash>& out) {
  if (m == end - begin) {
    if (!whole) {
      RSF_ASSIGN_OR_RETURN(Hash h, RangeHash(src, begin, end));
      out.push_back(h);
    }
    return OkStatus();
  }
  uint64_t k = SplitPoint(end - begin);
  if (m <= k) {
    RSF_RETURN_IF_ERROR(SubProofInto(src, m, begin, begin + k, whole, out));
    RSF_ASSIGN_OR_RETURN(Hash h, RangeHash(src, begin + k, end));
    out.push_back(h);
  } else {
    RSF_RETURN_IF_ERROR(SubProofInto(src, m - k, begin + k, end, false, out));
    RSF_ASSIGN_OR_RETURN(Hash h, RangeHash(src, begin, begin + k));
    out.push_back(h);
  }
  return OkStatus();
}

}  // namespace

Result<Hash> RangeHash(const NodeSource& source, uint64_t begin, uint64_t end) {
  if (begin >= end) return InvalidArgumentError("empty range");
  uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    return source.CompleteSubtree(std::countr_zero(n), begin / n);
  }
  uint64_t k = std::has_single_bit(n) ? n / 2 : SplitPoint(n);
  RSF_ASSIGN_OR_RETURN(Hash left, RangeHash(source, begin, begin + k));
  RSF_ASSIGN_OR_RETURN(Hash right, RangeHash(source, begin + k, end));
  return NodeHash(left, right);
}

Result<std::vector<Hash>> InclusionProof(const NodeSource& source, uint64_t index,
                                         uint64_t size) {
  if (index >= size) {
    return InvalidArgumentError("leaf index " + std::to_string(index) +
                                " is not below tree size " + std::to_string(size));
  }
  std::vector<Hash> out;
  out.reserve(64);
  RSF_RETURN_IF_ERROR(PathInto(source, index, 0, size, out));
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source, uint64_t size1,
                                           uint64_t size2) {
  if (size1 == 0 || size1 > size2) {
    return InvalidArgumentError("consistency proof needs 0 < old size <= new size, got " +
                                std::to_string(size1) + " and " + std::to_string(size2));
  }
  std::vector<Hash> out;
  out.reserve(64);
  RSF_RETURN_IF_ERROR(SubProofInto(source, size1, 0, size2, true, out));
  return out;
}

Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return InvalidArgumentError("leaf index " + std::to_string(index) +
                                " is not below tree size " + std::to_string(size));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return DataLossError("inclusion proof is longer than the tree allows");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return DataLossError("inclusion proof is shorter than the tree requires");
  return r;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  RSF_ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(index, size, leaf_hash, proof));
  if (computed != root) {
    return DataLossError("inclusion proof for leaf " + std::to_string(index) +
                         " leads to root " + HashHex(computed) + ", not the checkpoint's " +
                         HashHex(root));
  }
  return OkStatus();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2) {
  if (size1 == 0) return InvalidArgumentError("consistency from an empty tree is meaningless");
  if (size1 > size2) {
    return InvalidArgumentError("old size " + std::to_string(size1) + " exceeds new size " +
                                std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) return DataLossError("consistency proof between equal sizes must be empty");
    if (root1 != root2) return DataLossError("trees of equal size have different roots");
    return OkStatus();
  }
  if (proof.empty()) return DataLossError("consistency proof is empty");
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return DataLossError("consistency proof is longer than the trees allow");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return DataLossError("consistency proof is shorter than the trees require");
  if (fr != root1) return DataLossError("consistency proof does not lead to the old root");
  if (sr != root2) return DataLossError("consistency proof does not lead to the new root");
  return OkStatus();
}

}  // namespace rsf::ledger
