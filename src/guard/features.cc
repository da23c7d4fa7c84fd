#include "rsf/guard/features.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace rsf::guard {

uint64_t FeatureHash(std::string_view s, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  // splitmix64 finaliser spreads FNV's weak low bits.
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return h;
}

namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '\''; }

}  // namespace

SparseVector ExtractFeatures(std::string_view text, const FeatureOptions& o) {
  const uint32_t mask = (1u << o.bits) - 1;
  std::vector<std::pair<uint32_t, float>> raw;
  raw.reserve(text.size() * 4);
  auto add = [&](std::string_view gram, uint64_t seed) {
    const uint64_t h = FeatureHash(gram, seed);
    raw.emplace_back(static_cast<uint32_t>(h) & mask, (h >> 63) ? -1.0f : 1.0f);
  };
  // Words.
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && IsWordByte(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  std::string buf;
  for (size_t w = 0; w < words.size(); ++w) {
    add(words[w], 1);
    if (o.word_bigrams && w + 1 < words.size()) {
      buf.assign(words[w]);
      buf += ' ';
      buf += words[w + 1];
      add(buf, 2);
    }
  }
  // Character n-grams over " word word " (spaces mark boundaries).
  std::string joined = " ";
  for (auto w : words) {
    joined += w;
    joined += ' ';
  }
  for (int n = o.char_min; n <= o.char_max; ++n) {
    for (size_t k = 0; k + static_cast<size_t>(n) <= joined.size(); ++k) {
      add(std::string_view(joined).substr(k, static_cast<size_t>(n)), 10 + static_cast<uint64_t>(n));
    }
  }
  // Sum per bucket, log-scale magnitudes, L2-normalise.
  std::sort(raw.begin(), raw.end(), [](auto& a, auto& b) { return a.first < b.first; });
  SparseVector out;
  for (const auto& [b, v] : raw) {
    if (!out.empty() && out.back().first == b) {
      out.back().second += v;
    } else {
      out.emplace_back(b, v);
    }
  }
  double norm = 0;
  for (auto& [b, v] : out) {
    v = std::copysign(std::log1p(std::fabs(v)), v);
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
