// include/rsf/watermark/detector.h
//
// Watermark detection on token ids: needs the key and the parameters, never the model.
//
// Each position i >= context_width is scored from its (context, token) pair; a pair seen
// before in the same text is skipped, so repeating a phrase cannot inflate the score. Callers
// pass only generated tokens (never the prompt). The statistics are exact:
//   kgw     green count G of T scored tokens: p = P(Binomial(T, gamma) >= G),
//           z = (G - gamma T) / sqrt(T gamma (1 - gamma));
//   gumbel  S = sum of -ln(1 - r): p = P(Gamma(T, 1) >= S), z = (S - T) / sqrt(T).
// With find_span the detector also searches windows of scored tokens (lengths from
// min_tokens growing by half each step) for a watermarked span inside unwatermarked text;
// the span's p-value is multiplied by the number of windows tested (Bonferroni), and the
// verdict then rests on that corrected p-value, so the false-positive rate stays at alpha.
// With several keys the smallest p-value is multiplied by the number of keys.
//
// Thread safety: the functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rsf/watermark/watermark.h"

namespace rsf::watermark {

struct DetectOptions {
  double alpha = 1e-5;       // the false-positive rate the verdict is taken at
  int64_t min_tokens = 16;   // fewer scored tokens: kInsufficientTokens
  bool ignore_repeats = true;
  bool find_span = false;
};

enum class Verdict {
  kWatermarked,
  kNotWatermarked,
  kInsufficientTokens,  // too few scored tokens for a meaningful test
  kUnknownKeyId,        // the key id asked for is not in the keyring
  kTokenizerMismatch,   // the text is mostly outside the tokenizer's vocabulary
};
std::string_view VerdictName(Verdict v);  // "watermarked", "not_watermarked", ...

struct Span {
  int64_t begin = 0, end = 0;  // token indices, [begin, end)
  int64_t scored = 0;
  double score = 0;
  double log10_p = 0;          // corrected for the windows tested
  int64_t windows = 0;         // windows tested
};

struct Detection {
  Verdict verdict = Verdict::kNotWatermarked;
  std::string key_id;
  Params params;
  int64_t tokens = 0;    // given
  int64_t scored = 0;    // scored: after the first context_width and the repeats
  int64_t repeats = 0;   // (context, token) pairs skipped as repeats
  double score = 0;      // kgw: green tokens; gumbel: sum of -ln(1 - r)
  double z = 0;
  double p_value = 1;    // may underflow to 0: see log10_p
  double log10_p = 0;    // of the whole text (corrected for the number of keys)
  bool has_span = false;
  Span span;
  std::string detail;    // why, for the verdicts other than (not_)watermarked
};

Detection Detect(const Watermarker& wm, std::span<const int32_t> tokens, const DetectOptions& options);

// Detection under each key; reports the key with the smallest p-value, corrected for the
// number of keys. REQUIRES: !keys.empty().
Detection DetectWithKeys(std::span<const Watermarker> keys, std::span<const int32_t> tokens,
                         const DetectOptions& options);

}  // namespace rsf::watermark
