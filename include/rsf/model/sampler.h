// include/rsf/model/sampler.h
//
// Next-token choice for the in-process backends: the SamplerHook (watermark) first, then
// temperature and nucleus (top-p) sampling from a seeded generator (or the hook's own choice
// among the nucleus, see SamplerHook::Choose), or the arg-max when the temperature is 0. Log-probabilities are reported from the distribution after the hook and
// before temperature, as OpenAI-compatible servers do.
//
// Thread safety: one Sampler per generation; not shared between threads.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "rsf/model/model.h"

namespace rsf::model {

struct SampledToken {
  int32_t id = 0;
  double logprob = 0;
  std::vector<std::pair<int32_t, double>> top;  // `top_logprobs` best, best first
};

class Sampler {
 public:
  // `hook` may be null and must outlive the sampler. Without a seed the generator is seeded
  // from std::random_device.
  Sampler(const SamplingParams& params, SamplerHook* hook);

  // Chooses the next token. `logits` (one per vocabulary entry) is changed in place by the
  // hook. REQUIRES: logits is not empty.
  SampledToken Next(std::span<const int32_t> context, std::span<float> logits);

 private:
  SamplingParams params_;
  SamplerHook* hook_;
  std::mt19937_64 rng_;
  std::vector<double> probs_;
  std::vector<int32_t> order_;
  std::vector<double> candidate_probs_;
};

// log-softmax of `logits` into `out` (resized).
void LogSoftmax(std::span<const float> logits, std::vector<double>& out);

}  // namespace rsf::model
