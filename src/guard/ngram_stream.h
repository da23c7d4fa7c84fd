// src/guard/ngram_stream.h — the n-grams of a normalised text as a stream of 64-bit hashes,
// shared by ExtractFeatures (training: summed per bucket) and LinearModel::ScoreText
// (serving: weights looked up as the hashes stream by, with no per-bucket table).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "rsf/guard/features.h"

namespace rsf::guard::internal {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
inline uint64_t Finalize(uint64_t h) {
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return h;
}

inline bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
}

// Calls emit(hash) for every word unigram, word bigram and character n-gram (over the words
// joined by single spaces, with a space at each end); returns how many it emitted.
template <typename Emit>
size_t ForEachNgram(std::string_view text, const FeatureOptions& o, Emit&& emit) {
  thread_local std::string joined;
  joined.assign(1, ' ');
  size_t count = 0;
  uint64_t prev = 0;
  bool have_prev = false;
  const uint64_t uni_seed = kFnvOffset ^ 0x9E3779B97F4A7C15ULL;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    uint64_t h = uni_seed;
    const size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) {
      h = (h ^ static_cast<unsigned char>(text[i])) * kFnvPrime;
      ++i;
    }
    joined.append(text.data() + start, i - start);
    joined += ' ';
    h = Finalize(h);
    emit(h);
    ++count;
    if (o.word_bigrams && have_prev) {
      emit(Finalize(prev * 0x9E3779B97F4A7C15ULL ^ h ^ 2));
      ++count;
    }
    prev = h;
    have_prev = true;
  }
  // Character n-grams: the last n bytes of a rolling 64-bit window, tagged with n, hashed by
  // one multiplication (Fibonacci hashing) and a shift that folds the high bits down.
  const size_t len = joined.size();
  const unsigned char* s = reinterpret_cast<const unsigned char*>(joined.data());
  const int lo = o.char_min, hi = std::min(o.char_max, 7);
  uint64_t window = 0;
  for (size_t k = 0; k < len; ++k) {
    window = (window << 8) | s[k];
    const int have = static_cast<int>(std::min<size_t>(k + 1, 7));
    for (int n = lo; n <= hi && n <= have; ++n) {
      const uint64_t key = (window & ((uint64_t{1} << (8 * n)) - 1)) | (static_cast<uint64_t>(n) << 56);
      uint64_t h = key * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 29;
      emit(h);
      ++count;
    }
  }
  return count;
}

}  // namespace rsf::guard::internal
