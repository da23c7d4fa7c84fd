#include "rsf/guard/features.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "guard/ngram_stream.h"

namespace rsf::guard {
namespace {

// Sums signed counts per bucket: open addressing over a power-of-two table (Fibonacci hashing
// of the bucket), so the cost is linear in the number of n-grams.
class Accumulator {
 public:
  Accumulator(size_t expected, uint32_t mask) : mask_(mask) {
    size_t cap = 16;
    int log2 = 4;
    while (cap < 2 * expected) {
      cap <<= 1;
      ++log2;
    }
    shift_ = 32 - log2;
    slots_.assign(cap, 0);
    out_.reserve(std::min<size_t>(expected, 4096));
  }
  void Add(uint64_t h) {
    const uint32_t bucket = static_cast<uint32_t>(h) & mask_;
    const float v = (h >> 63) ? -1.0f : 1.0f;
    const uint64_t key = static_cast<uint64_t>(bucket) + 1;
    const size_t m = slots_.size() - 1;
    size_t s = (bucket * 0x9E3779B1u) >> shift_;
    while (true) {
      const uint64_t slot = slots_[s];
      if (slot == 0) {
        slots_[s] = key << 32 | out_.size();
        out_.emplace_back(bucket, v);
        return;
      }
      if ((slot >> 32) == key) {
        out_[slot & 0xffffffffu].second += v;
        return;
      }
      s = (s + 1) & m;
    }
  }
  SparseVector Take() { return std::move(out_); }

 private:
  uint32_t mask_;
  int shift_ = 28;
  std::vector<uint64_t> slots_;
  SparseVector out_;
};

}  // namespace

uint64_t FeatureHash(std::string_view s, uint64_t seed) {
  uint64_t h = internal::kFnvOffset ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) h = (h ^ c) * internal::kFnvPrime;
  return internal::Finalize(h);
}

SparseVector ExtractFeatures(std::string_view text, const FeatureOptions& o) {
  const uint32_t mask = (1u << o.bits) - 1;
  const int span = std::max(o.char_max - o.char_min + 1, 0);
  // At most (span + 1) n-grams per byte (character n-grams plus words and bigrams), so the
  // table never fills.
  Accumulator acc((text.size() + 2) * static_cast<size_t>(span + 1) + 16, mask);
  const size_t n = internal::ForEachNgram(text, o, [&](uint64_t h) { acc.Add(h); });
  SparseVector out = acc.Take();
  std::erase_if(out, [](auto& p) { return p.second == 0.0f; });
  if (n > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)));
    for (auto& [b, v] : out) v *= inv;
  }
  return out;
}

}  // namespace rsf::guard
