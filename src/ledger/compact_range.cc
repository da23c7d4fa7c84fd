#include "rsf/ledger/compact_range.h"

#include <bit>

namespace rsf::ledger {

Result<CompactRange> CompactRange::FromPeaks(uint64_t size, std::vector<Hash> peaks) {
  if (static_cast<size_t>(std::popcount(size)) != peaks.size()) {
    return InvalidArgumentError("a tree of size " + std::to_string(size) + " has " +
                                std::to_string(std::popcount(size)) + " peaks, got " +
                                std::to_string(peaks.size()));
  }
  CompactRange r;
  r.size_ = size;
  r.peaks_ = std::move(peaks);
  return r;
}

void CompactRange::Append(const Hash& leaf_hash, const NodeVisitor& visitor) {
  Hash current = leaf_hash;
  uint64_t index = size_;
  int height = 0;
  // Each trailing 1 bit of the old size is a peak that the new leaf completes.
  while ((index >> height) & 1) {
    current = NodeHash(peaks_.back(), current);
    peaks_.pop_back();
    ++height;
    if (visitor) visitor(height, index >> height, current);
  }
  peaks_.push_back(current);
  ++size_;
}

Hash CompactRange::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  Hash acc = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) acc = NodeHash(peaks_[i], acc);
  return acc;
}

}  // namespace rsf::ledger
