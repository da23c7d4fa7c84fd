#include "rsf/watermark/watermark.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace rsf::watermark {
namespace {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

inline uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint64_t SipHash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> m) {
  uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
  uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
  uint64_t v3 = k1 ^ 0x7465646279746573ull;
  const size_t n = m.size();
  const size_t full = n - n % 8;
  for (size_t i = 0; i < full; i += 8) {
    const uint64_t w = Le64(m.data() + i);
    v3 ^= w;
    SipRound(v0, v1, v2, v3);
    SipRound(v0, v1, v2, v3);
    v0 ^= w;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = full; i < n; ++i) last |= static_cast<uint64_t>(m[i]) << (8 * (i - full));
  v3 ^= last;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) SipRound(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

std::string_view SchemeName(Scheme s) { return s == Scheme::kKgw ? "kgw" : "gumbel"; }

Result<Scheme> ParseScheme(std::string_view name) {
  if (name == "kgw") return Scheme::kKgw;
  if (name == "gumbel") return Scheme::kGumbel;
  return InvalidArgumentError(fmt::format("scheme: expected 'kgw' (green list) or 'gumbel' (distortion-free), not '{}'",
                                          name));
}

Status ValidateParams(const Params& p) {
  if (p.scheme == Scheme::kKgw) {
    if (!(p.gamma > 0 && p.gamma < 1)) return InvalidArgumentError(fmt::format("gamma: expected a value in (0, 1), not {}", p.gamma));
    if (!(p.delta > 0 && p.delta <= 50)) return InvalidArgumentError(fmt::format("delta: expected a value in (0, 50], not {}", p.delta));
  }
  if (p.context_width < 0 || p.context_width > 8) {
    return InvalidArgumentError(fmt::format("context_width: expected 0..8 preceding tokens, not {}", p.context_width));
  }
  return OkStatus();
}

std::string Describe(const Params& p) {
  if (p.scheme == Scheme::kGumbel) return fmt::format("gumbel(h={})", p.context_width);
  return fmt::format("kgw(gamma={},delta={},h={})", p.gamma, p.delta, p.context_width);
}

Status ValidateKeyId(std::string_view id) {
  if (id.empty() || id.size() > 64) return InvalidArgumentError("key id: expected 1 to 64 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return InvalidArgumentError(fmt::format("key id '{}': only letters, digits, '.', '_' and '-' are allowed", id));
  }
  return OkStatus();
}

Watermarker::Watermarker(const Key& key, const Params& params) : params_(params), key_id_(key.id) {
  RSF_CHECK(ValidateParams(params).ok());
  const std::string label = fmt::format("rsf-watermark/v1/{}/h={}", SchemeName(params.scheme), params.context_width);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  RSF_CHECK(HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
                 reinterpret_cast<const uint8_t*>(label.data()), label.size(), mac, &mac_len) != nullptr);
  std::memcpy(k_.data(), mac, k_.size());
  k0_ = Le64(k_.data());
  k1_ = Le64(k_.data() + 8);
  // gamma * 2^64 is exact in binary floating point; the conversion truncates.
  const double g = std::ldexp(params.gamma, 64);
  green_below_ = params.scheme == Scheme::kKgw ? static_cast<uint64_t>(g) : 0;
}

uint64_t Watermarker::Seed(std::span<const int32_t> context) const {
  const size_t h = static_cast<size_t>(params_.context_width);
  uint8_t buf[32];
  const size_t take = std::min(h, context.size());
  const int32_t* from = context.data() + context.size() - take;
  for (size_t i = 0; i < take; ++i) {
    const uint32_t t = static_cast<uint32_t>(from[i]);
    buf[4 * i] = static_cast<uint8_t>(t);
    buf[4 * i + 1] = static_cast<uint8_t>(t >> 8);
    buf[4 * i + 2] = static_cast<uint8_t>(t >> 16);
    buf[4 * i + 3] = static_cast<uint8_t>(t >> 24);
  }
  return SipHash24(k0_, k1_, std::span<const uint8_t>(buf, 4 * take));
}

namespace {

// The green-list bias over a vocabulary: Value() unrolled as a Weyl sequence (seed + (v+1)C
// advances by C) so the loop has no dependence between entries and vectorises. Compiled for
// AVX-512 (64-bit multiplies in one instruction), AVX2 and baseline x86-64; the best one the
// CPU supports is picked at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void AddGreenBias(uint64_t seed, uint64_t below, float delta, float* l, size_t n) {
  constexpr uint64_t kWeyl = 0x9E3779B97F4A7C15ull;
  for (size_t v = 0; v < n; ++v) {
    uint64_t z = seed + (static_cast<uint64_t>(v) + 1) * kWeyl;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    l[v] += delta * static_cast<float>(z < below);
  }
}

}  // namespace

void Watermarker::Bias(std::span<const int32_t> context, std::span<float> logits) const {
  if (params_.scheme != Scheme::kKgw || context.size() < static_cast<size_t>(params_.context_width)) return;
  AddGreenBias(Seed(context), green_below_, static_cast<float>(params_.delta), logits.data(), logits.size());
}

int32_t Watermarker::Pick(std::span<const int32_t> context, std::span<const int32_t> candidates,
                          std::span<const double> probs) const {
  if (params_.scheme != Scheme::kGumbel || context.size() < static_cast<size_t>(params_.context_width) ||
      candidates.empty() || probs.size() < candidates.size()) {
    return -1;
  }
  const uint64_t seed = Seed(context);
  // argmax r^(1/p) = argmax ln(r) / p.
  double best = -std::numeric_limits<double>::infinity();
  int32_t pick = -1;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!(probs[i] > 0)) continue;
    const double key = std::log(Uniform(Value(seed, candidates[i]))) / probs[i];
    if (key > best) {
      best = key;
      pick = candidates[i];
    }
  }
  return pick;
}

}  // namespace rsf::watermark
