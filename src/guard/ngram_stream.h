// src/guard/ngram_stream.h — the n-grams of a normalised text as a stream of 64-bit hashes,
// shared by ExtractFeatures (training: summed per bucket) and LinearModel::ScoreText
// (serving: weights looked up as the hashes stream by, with no per-bucket table).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Bytes that belong to words: ASCII letters and digits, the apostrophe, and every byte of a
// multi-byte UTF-8 character.
struct WordBytes {
  bool is[256] = {};
  constexpr WordBytes() {
    for (int c = 0; c < 256; ++c) {
      is[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
    }
  }
};
inline constexpr WordBytes kWordBytes;

inline bool IsWordByte(unsigned char c) { return kWordBytes.is[c]; }

// The character n-gram of the last n bytes of a rolling window, tagged with n, hashed by one
// multiplication (Fibonacci hashing) and a shift that folds the high bits down.
inline uint64_t CharNgramHash(uint64_t window, int n) {
  const uint64_t key = (window & ((uint64_t{1} << (8 * n)) - 1)) | (static_cast<uint64_t>(n) << 56);
  const uint64_t h = key * 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

// Calls emit(hash) for every word unigram, word bigram and character n-gram (over the words
// joined by single spaces, with a space at each end); returns how many it emitted.
//
// One pass splits the text without a branch per word (word boundaries are data the branch
// predictor cannot learn): every byte is written and the output position advances by a flag,
// and each word's FNV hash is stored at the slot a flag advances to.
template <typename Emit>
size_t ForEachNgram(std::string_view text, const FeatureOptions& o, Emit&& emit) {
  thread_local std::string joined;
  thread_local std::vector<uint64_t> words;
  const size_t size = text.size();
  joined.resize(size + 2);
  words.resize(size / 2 + 2);
  const uint64_t uni_seed = kFnvOffset ^ 0x9E3779B97F4A7C15ULL;
  char* j = joined.data();
  uint64_t* w = words.data();
  j[0] = ' ';
  size_t out = 1, nw = 0;
  size_t in_word = 0;
  uint64_t h = uni_seed;
  for (size_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t is_word = kWordBytes.is[c];
    j[out] = is_word ? static_cast<char>(c) : ' ';
    out += is_word | in_word;  // word bytes, and one space after each word
    w[nw] = h;
    nw += in_word & (is_word ^ 1);  // a word just ended: keep its hash
    h = is_word ? (h ^ c) * kFnvPrime : uni_seed;
    in_word = is_word;
  }
  if (in_word) {
    w[nw++] = h;
    j[out++] = ' ';
  }
  size_t count = 0;
  uint64_t prev = 0;
  for (size_t k = 0; k < nw; ++k) {
    const uint64_t u = Finalize(w[k]);
    emit(u);
    ++count;
    if (o.word_bigrams && k > 0) {
      emit(Finalize(prev * 0x9E3779B97F4A7C15ULL ^ u ^ 2));
      ++count;
    }
    prev = u;
  }
  const unsigned char* s = reinterpret_cast<const unsigned char*>(j);
  const int lo = o.char_min, hi = std::min(o.char_max, 7);
  uint64_t window = 0;
  for (size_t k = 0; k < out; ++k) {
    window = (window << 8) | s[k];
    const int have = static_cast<int>(std::min<size_t>(k + 1, 7));
    for (int n = lo; n <= hi && n <= have; ++n, ++count) emit(CharNgramHash(window, n));
  }
  return count;
}

}  // namespace rsf::guard::internal
