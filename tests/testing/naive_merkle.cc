#include "testing/naive_merkle.h"

namespace rsf::testing {
namespace {
// The largest power of two strictly less than n (n > 1), found by counting up.
uint64_t LargestPowerBelow(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
}  // namespace

ledger::Hash NaiveMerkle::Mth(uint64_t begin, uint64_t end) const {
  if (end - begin == 1) return leaves_[begin];
  auto key = std::make_pair(begin, end);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  uint64_t k = LargestPowerBelow(end - begin);
  ledger::Hash h = ledger::NodeHash(Mth(begin, begin + k), Mth(begin + k, end));
  memo_[key] = h;
  return h;
}

void NaiveMerkle::PathInto(uint64_t m, uint64_t begin, uint64_t end,
                           std::vector<ledger::Hash>& out) const {
  if (end - begin <= 1) return;
  uint64_t k = LargestPowerBelow(end - begin);
  if (m - begin < k) {
    PathInto(m, begin, begin + k, out);
    out.push_back(Mth(begin + k, end));
  } else {
    PathInto(m, begin + k, end, out);
    out.push_back(Mth(begin, begin + k));
  }
}

std::vector<ledger::Hash> NaiveMerkle::Path(uint64_t m, uint64_t n) const {
  std::vector<ledger::Hash> out;
  PathInto(m, 0, n, out);
  return out;
}

void NaiveMerkle::SubProofInto(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                               std::vector<ledger::Hash>& out) const {
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(Mth(begin, end));
    return;
  }
  uint64_t k = LargestPowerBelow(n);
  if (m <= k) {
    SubProofInto(m, begin, begin + k, whole, out);
    out.push_back(Mth(begin + k, end));
  } else {
    SubProofInto(m - k, begin + k, end, false, out);
    out.push_back(Mth(begin, begin + k));
  }
}

std::vector<ledger::Hash> NaiveMerkle::Consistency(uint64_t m, uint64_t n) const {
  std::vector<ledger::Hash> out;
  SubProofInto(m, 0, n, true, out);
  return out;
}

}  // namespace rsf::testing
