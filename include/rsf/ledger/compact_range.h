// include/rsf/ledger/compact_range.h
//
// CompactRange: the right edge of a Merkle tree [0, size) as its "peaks", the complete
// subtrees of the binary decomposition of size (at most 64 hashes). Appending a leaf costs
// O(1) amortised hashes; Root() folds the peaks right to left into the RFC 6962 root. This is
// what lets the ledger append forever in bounded memory.
//
// Thread safety: not thread-safe; the owner serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "rsf/ledger/hash.h"

namespace rsf::ledger {

class CompactRange {
 public:
  // Called for each complete subtree created by an append, height >= 1, bottom up.
  using NodeVisitor = std::function<void(int height, uint64_t index, const Hash& hash)>;

  CompactRange() = default;
  // Rebuilds the range for `size` from its peaks, highest first (as Peaks() returns them).
  // kInvalidArgument if the number of peaks does not match popcount(size).
  static Result<CompactRange> FromPeaks(uint64_t size, std::vector<Hash> peaks);

  void Append(const Hash& leaf_hash, const NodeVisitor& visitor = nullptr);
  Hash Root() const;
  uint64_t size() const { return size_; }
  // Peaks, highest (leftmost) first.
  const std::vector<Hash>& Peaks() const { return peaks_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;
};

}  // namespace rsf::ledger
