// include/rsf/curate/minhash.h
//
// MinHash signatures of documents for near-duplicate detection (Broder 1997), and the
// locality-sensitive banding that finds candidate pairs without comparing every pair.
//
// Words are maximal runs of ASCII letters and digits or non-ASCII bytes, ASCII lower-cased.
// A shingle is `shingle` consecutive words (a document shorter than that is one shingle of
// all its words). Each shingle is hashed to 64 bits; permutation i maps a shingle hash s to
// the high 32 bits of a_i*s + b_i (mod 2^64, a_i odd: a multiply-shift family) and keeps the
// minimum over the document. The signature stores the low 16 bits of each minimum (b-bit
// MinHash: two different minima agree by chance once in 65,536, so the estimate of Jaccard
// similarity, the share of agreeing positions, is biased by at most 1.5e-5).
//
// Banding: the permutations split into `bands` bands of `rows` rows; two documents are
// candidates when all rows of some band agree, which happens with probability
// 1 - (1 - J^rows)^bands for Jaccard similarity J. Candidates are then verified on the whole
// signature: a pair is a near duplicate when the estimated similarity reaches `threshold`.
// The trade-off (docs/curate.md has the table): more bands or fewer rows raise recall at low
// similarity and the number of candidates to verify; the threshold sets precision. Shorter
// shingles make edited copies look more alike (a word edit breaks `shingle` shingles) and
// unrelated texts too.
//
// Thread safety: a MinHasher is immutable; Compute is safe from many threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"

namespace rsf::curate {

// The defaults find copies with up to a fifth of their words edited (a 3-word shingle
// survives 3 edits-free words: J ~ 0.34 at 20% edits) while unrelated prose, which shares
// only common phrases, stays far below 0.3: chosen on a generated corpus (bench/
// curate_neardup_bench --seed 1) and judged on another (docs/benchmarks.md).
struct MinHashParams {
  int shingle = 3;     // words per shingle
  int bands = 42;
  int rows = 3;        // permutations = bands x rows
  double threshold = 0.3;  // estimated Jaccard similarity at which a candidate is a duplicate
  uint64_t seed = 1;   // picks the permutations; signatures compare only under the same seed

  int permutations() const { return bands * rows; }
};

// {shingle, bands, rows, threshold, seed}, as manifests record them.
Json MinHashParamsToJson(const MinHashParams& p);

// kInvalidArgument naming the field when a parameter is out of range (shingle 1..32, bands
// 1..1024, rows 1..64, threshold in (0, 1]).
Status ValidateMinHashParams(const MinHashParams& p);

using Signature = std::vector<uint16_t>;

class MinHasher {
 public:
  explicit MinHasher(const MinHashParams& params);

  // The signature of `text` (permutations() values). A text without words has the
  // signature of the empty shingle.
  Signature Compute(std::string_view text) const;
  // The same into `out` (resized), reusing its storage.
  void Compute(std::string_view text, Signature& out) const;

  // The 32-bit key of band `band` of a signature; equal bands give equal keys.
  uint32_t BandKey(std::span<const uint16_t> signature, int band) const;

  const MinHashParams& params() const { return params_; }

 private:
  MinHashParams params_;
  std::vector<uint64_t> a_, b_;
};

// The share of positions where two signatures of the same length agree.
double EstimateJaccard(std::span<const uint16_t> a, std::span<const uint16_t> b);

// The probability that a pair with Jaccard similarity j becomes a candidate.
double CandidateProbability(double j, int bands, int rows);

}  // namespace rsf::curate
