#include "rsf/model/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace rsf::model {

void LogSoftmax(std::span<const float> logits, std::vector<double>& out) {
  out.resize(logits.size());
  double max = -std::numeric_limits<double>::infinity();
  for (float l : logits) max = std::max(max, static_cast<double>(l));
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  double log_z = max + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - log_z;
}

Sampler::Sampler(const SamplingParams& params, SamplerHook* hook)
    : params_(params), hook_(hook), rng_(params.seed ? *params.seed : std::random_device{}()) {}

SampledToken Sampler::Next(std::span<const int32_t> context, std::span<float> logits) {
  RSF_CHECK(!logits.empty());
  if (hook_) hook_->AdjustLogits(context, logits);
  LogSoftmax(logits, probs_);  // log-probabilities for reporting
  SampledToken out;

  const size_t n = logits.size();
  const size_t k = static_cast<size_t>(std::clamp(params_.top_logprobs, 0, 20));
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), 0);
  auto by_prob = [&](int32_t a, int32_t b) {
    return probs_[a] > probs_[b] || (probs_[a] == probs_[b] && a < b);
  };

  if (params_.temperature <= 0) {
    out.id = *std::min_element(order_.begin(), order_.end(), by_prob);
  } else {
    // Nucleus sampling at the given temperature.
    std::vector<double> p(n);
    double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      p[i] = std::exp((logits[i] - max) / params_.temperature);
      sum += p[i];
    }
    std::sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
      return p[a] > p[b] || (p[a] == p[b] && a < b);
    });
    double cutoff = std::clamp(params_.top_p, 1e-9, 1.0) * sum;
    double acc = 0;
    size_t keep = 0;
    while (keep < n) {
      acc += p[order_[keep++]];
      if (acc >= cutoff) break;
    }
    bool chosen = false;
    if (hook_) {
      candidate_probs_.resize(keep);
      for (size_t i = 0; i < keep; ++i) candidate_probs_[i] = p[order_[i]] / acc;
      int32_t id = -1;
      chosen = hook_->Choose(context, std::span<const int32_t>(order_.data(), keep), candidate_probs_, &id) &&
               id >= 0 && static_cast<size_t>(id) < n;
      if (chosen) out.id = id;
    }
    if (!chosen) {
      std::uniform_real_distribution<double> u(0.0, acc);
      double r = u(rng_);
      out.id = order_[keep - 1];
      for (size_t i = 0; i < keep; ++i) {
        r -= p[order_[i]];
        if (r <= 0) {
          out.id = order_[i];
          break;
        }
      }
    }
    std::iota(order_.begin(), order_.end(), 0);
  }
  out.logprob = probs_[out.id];
  if (k > 0) {
    std::partial_sort(order_.begin(), order_.begin() + std::min(k, n), order_.end(), by_prob);
    for (size_t i = 0; i < std::min(k, n); ++i) out.top.emplace_back(order_[i], probs_[order_[i]]);
  }
  return out;
}

}  // namespace rsf::model
