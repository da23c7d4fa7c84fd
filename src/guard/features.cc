#include "rsf/guard/features.h"

#include <bit>
#include <cmath>
#include <string>

namespace rsf::guard {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
uint64_t Finalize(uint64_t h) {
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return h;
}

uint64_t Fnv(std::string_view s, uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
}

// Sums feature values per bucket: open addressing over a power-of-two table, so the cost is
// linear in the number of n-grams (no sort).
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
    out_.resize(expected);
  }
  [[gnu::always_inline]] void Add(uint64_t h) {
    const uint32_t bucket = static_cast<uint32_t>(h) & mask_;
    const float v = (h >> 63) ? -1.0f : 1.0f;
    const uint64_t key = static_cast<uint64_t>(bucket) + 1;
    const size_t m = slots_.size() - 1;
    size_t s = (bucket * 0x9E3779B1u) >> shift_;  // Fibonacci hashing of the bucket
    while (true) {
      const uint64_t slot = slots_[s];
      if (slot == 0) {
        slots_[s] = key << 32 | n_;
        out_[n_++] = {bucket, v};
        return;
      }
      if ((slot >> 32) == key) {
        out_[slot & 0xffffffffu].second += v;
        return;
      }
      s = (s + 1) & m;
    }
  }
  SparseVector Take() {
    out_.resize(n_);
    return std::move(out_);
  }

 private:
  uint32_t mask_;
  int shift_ = 28;
  size_t n_ = 0;
  std::vector<uint64_t> slots_;
  SparseVector out_;
};

}  // namespace

uint64_t FeatureHash(std::string_view s, uint64_t seed) {
  return Finalize(Fnv(s, kFnvOffset ^ (seed * 0x9E3779B97F4A7C15ULL)));
}

SparseVector ExtractFeatures(std::string_view text, const FeatureOptions& o) {
  const uint32_t mask = (1u << o.bits) - 1;
  // The text's words, joined by single spaces with a space at each end.
  std::string joined = " ";
  joined.reserve(text.size() + 2);
  size_t i = 0, n_words = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && IsWordByte(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) {
      joined.append(text.data() + i, j - i);
      joined += ' ';
      ++n_words;
    }
    i = j;
  }
  const int span = o.char_max - o.char_min + 1;
  Accumulator acc(2 * n_words + joined.size() * static_cast<size_t>(std::max(span, 0)), mask);
  // Word unigrams and bigrams.
  const uint64_t uni_seed = kFnvOffset ^ (1 * 0x9E3779B97F4A7C15ULL);
  uint64_t prev = 0;
  size_t w = 1;
  for (size_t k = 0; k < n_words; ++k) {
    const size_t end = joined.find(' ', w);
    const uint64_t h = Finalize(Fnv(std::string_view(joined).substr(w, end - w), uni_seed));
    acc.Add(h);
    if (o.word_bigrams && k > 0) acc.Add(Finalize(prev * 0x9E3779B97F4A7C15ULL ^ h ^ 2));
    prev = h;
    w = end + 1;
  }
  // Character n-grams over the joined text: one running FNV state per start position emits
  // every length from char_min to char_max.
  const size_t len = joined.size();
  for (size_t k = 0; k < len; ++k) {
    uint64_t h = kFnvOffset;
    for (int n = 1; n <= o.char_max && k + static_cast<size_t>(n) <= len; ++n) {
      h = (h ^ static_cast<unsigned char>(joined[k + static_cast<size_t>(n) - 1])) * kFnvPrime;
      if (n >= o.char_min) acc.Add(Finalize(h ^ (static_cast<uint64_t>(10 + n) << 56)));
    }
  }
  // Log-scaled magnitudes, zeros dropped, L2-normalised.
  SparseVector out = acc.Take();
  constexpr float kLog2 = 0.69314718f;
  double norm = 0;
  for (auto& [b, v] : out) {
    const float a = std::fabs(v);
    v = a == 1.0f ? std::copysign(kLog2, v) : std::copysign(std::log1p(a), v);
    norm += static_cast<double>(v) * v;
  }
  std::erase_if(out, [](auto& p) { return p.second == 0.0f; });
  if (norm > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (auto& [b, v] : out) v *= inv;
  }
  return out;
}

}  // namespace rsf::guard
