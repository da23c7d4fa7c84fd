// include/rsf/watermark/watermark.h
//
// The keyed pseudo-random functions behind rsf's two text watermarks (the normative
// definition, with test vectors, is docs/formats/watermark.md):
//
//   kgw     a green list in the family of Kirchenbauer et al.: at each position a keyed
//           fraction `gamma` of the vocabulary is "green" and gets `delta` added to its logit.
//           Green membership of a token is one keyed hash of the preceding `context_width`
//           tokens (SipHash-2-4) and one 64-bit mix with the token id, so there is no
//           permutation of the vocabulary, and detection costs one hash per token.
//   gumbel  distortion-free (Aaronson's exponential-minimum sampling): the same keyed values
//           r(v) in (0,1) choose the token maximising r(v)^(1/p(v)), which draws exactly from
//           p; detection sums -ln(1 - r) over the text, Gamma(T, 1) when unwatermarked.
//
// A Watermarker holds the 128-bit key derived from a 32-byte secret for one scheme and
// context width, so different schemes or widths never share hash values.
//
// Thread safety: immutable after construction; share freely.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rsf/common/status.h"

namespace rsf::watermark {

enum class Scheme { kKgw, kGumbel };

std::string_view SchemeName(Scheme s);                  // "kgw", "gumbel"
Result<Scheme> ParseScheme(std::string_view name);     // kInvalidArgument naming the choices

struct Params {
  Scheme scheme = Scheme::kKgw;
  double gamma = 0.25;      // kgw: green fraction, in (0, 1)
  double delta = 2.0;       // kgw: logit bias, in (0, 50]
  int context_width = 1;    // h: preceding tokens that seed each position, 0..8 (0 = one fixed list)
};

// kInvalidArgument naming the field when a value is out of range.
Status ValidateParams(const Params& p);

// "kgw(gamma=0.25,delta=2,h=1)" or "gumbel(h=1)", for reports and response metadata.
std::string Describe(const Params& p);

using Secret = std::array<uint8_t, 32>;

// A key with its id: ids name keys in results and make rotation possible.
struct Key {
  std::string id;  // 1..64 of [A-Za-z0-9._-]
  Secret secret{};
};

Status ValidateKeyId(std::string_view id);

class Watermarker {
 public:
  // REQUIRES: ValidateParams(params).ok().
  Watermarker(const Key& key, const Params& params);

  const Params& params() const { return params_; }
  const std::string& key_id() const { return key_id_; }

  // The position seed: SipHash-2-4 of the `context_width` ids before the position, oldest
  // first, each as 4 little-endian bytes. `context` must hold at least that many ids; the
  // last context_width of them are used.
  uint64_t Seed(std::span<const int32_t> context) const;

  // The 64-bit value of `token` at a position: a bijective mix of seed and token id.
  static uint64_t Value(uint64_t seed, int32_t token) {
    uint64_t z = seed + (static_cast<uint64_t>(static_cast<uint32_t>(token)) + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  bool Green(uint64_t seed, int32_t token) const { return Value(seed, token) < green_below_; }
  // r in (0, 1) from the top 53 bits of the value.
  static double Uniform(uint64_t value) {
    return (static_cast<double>(value >> 11) + 0.5) * 0x1.0p-53;
  }
  uint64_t green_below() const { return green_below_; }

  // Embedding. kgw: adds delta to the logits of the green tokens (ids 0..logits.size()-1).
  // gumbel: nothing. Either: nothing when the context is shorter than context_width.
  void Bias(std::span<const int32_t> context, std::span<float> logits) const;
  // gumbel: the candidate maximising r^(1/p) (probs sum to 1, zeros never chosen), or -1 for
  // kgw, an empty candidate list, or a context shorter than context_width.
  int32_t Pick(std::span<const int32_t> context, std::span<const int32_t> candidates,
               std::span<const double> probs) const;
  std::array<uint8_t, 16> derived_key() const { return k_; }

 private:
  Params params_;
  std::string key_id_;
  std::array<uint8_t, 16> k_{};
  uint64_t k0_ = 0, k1_ = 0;
  uint64_t green_below_ = 0;  // floor(gamma * 2^64)
};

// SipHash-2-4 (Aumasson and Bernstein) with the key as two little-endian 64-bit words.
uint64_t SipHash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> message);

}  // namespace rsf::watermark
