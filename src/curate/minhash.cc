// MinHash signatures and band keys. See minhash.h.
#include "rsf/curate/minhash.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace rsf::curate {
namespace {

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool IsWordByte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

// Appends the hash of every shingle of `text` to `out`.
void ShingleHashes(std::string_view text, int k, std::vector<uint64_t>& out) {
  uint64_t ring[32];
  int words = 0;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  auto shingle = [&](int n) {
    uint64_t h = 0x243F6A8885A308D3ull;
    for (int j = n; j > 0; --j) h = Mix(h + ring[(words - j) % 32]);
    out.push_back(h);
  };
  while (p < end) {
    while (p < end && !IsWordByte(*p)) ++p;
    if (p == end) break;
    uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a over the lower-cased word
    while (p < end && IsWordByte(*p)) {
      unsigned char c = *p++;
      if (c >= 'A' && c <= 'Z') c |= 0x20;
      h = (h ^ c) * 0x100000001B3ull;
    }
    ring[words % 32] = Mix(h);
    ++words;
    if (words >= k) shingle(k);
  }
  if (words < k) shingle(words);  // short texts: one shingle of every word (or none)
}

// mins[i] = min over s of the high half of a[i]*s + b[i]. Compiled for AVX-512 (one
// instruction per eight 64-bit multiplies), AVX2 and baseline x86-64; the best one the CPU
// supports is picked at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void MinOver(const uint64_t* s, size_t n, const uint64_t* a, const uint64_t* b, uint64_t* mins, size_t perms) {
  for (size_t k = 0; k < n; ++k) {
    const uint64_t x = s[k];
    for (size_t i = 0; i < perms; ++i) {
      const uint64_t v = (a[i] * x + b[i]) >> 32;
      mins[i] = v < mins[i] ? v : mins[i];
    }
  }
}

}  // namespace

Json MinHashParamsToJson(const MinHashParams& p) {
  return {{"shingle", p.shingle}, {"bands", p.bands}, {"rows", p.rows}, {"threshold", p.threshold}, {"seed", p.seed}};
}

Status ValidateMinHashParams(const MinHashParams& p) {
  if (p.shingle < 1 || p.shingle > 32) return InvalidArgumentError(fmt::format("shingle: {} is not in 1..32", p.shingle));
  if (p.bands < 1 || p.bands > 1024) return InvalidArgumentError(fmt::format("bands: {} is not in 1..1024", p.bands));
  if (p.rows < 1 || p.rows > 64) return InvalidArgumentError(fmt::format("rows: {} is not in 1..64", p.rows));
  if (!(p.threshold > 0 && p.threshold <= 1)) {
    return InvalidArgumentError(fmt::format("threshold: {} is not in (0, 1]", p.threshold));
  }
  return OkStatus();
}

MinHasher::MinHasher(const MinHashParams& params) : params_(params) {
  const int n = params.permutations();
  a_.resize(n);
  b_.resize(n);
  uint64_t state = params.seed;
  for (int i = 0; i < n; ++i) {
    a_[i] = Mix(state += 0x9E3779B97F4A7C15ull) | 1;
    b_[i] = Mix(state += 0x9E3779B97F4A7C15ull);
  }
}

Signature MinHasher::Compute(std::string_view text) const {
  Signature out;
  Compute(text, out);
  return out;
}

void MinHasher::Compute(std::string_view text, Signature& out) const {
  thread_local std::vector<uint64_t> shingles;
  thread_local std::vector<uint64_t> mins;
  shingles.clear();
  ShingleHashes(text, params_.shingle, shingles);
  const size_t n = a_.size();
  mins.assign(n, std::numeric_limits<uint64_t>::max());
  MinOver(shingles.data(), shingles.size(), a_.data(), b_.data(), mins.data(), n);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint16_t>(mins[i]);
}

uint32_t MinHasher::BandKey(std::span<const uint16_t> signature, int band) const {
  const size_t r = static_cast<size_t>(params_.rows);
  return static_cast<uint32_t>(
      XXH3_64bits_withSeed(signature.data() + static_cast<size_t>(band) * r, r * sizeof(uint16_t), static_cast<uint64_t>(band)));
}

double EstimateJaccard(std::span<const uint16_t> a, std::span<const uint16_t> b) {
  if (a.empty() || a.size() != b.size()) return 0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

double CandidateProbability(double j, int bands, int rows) {
  return 1 - std::pow(1 - std::pow(j, rows), bands);
}

}  // namespace rsf::curate
