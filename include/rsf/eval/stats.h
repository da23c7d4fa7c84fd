// include/rsf/eval/stats.h
//
// The statistics behind every number rsf reports about a model:
//   - Wilson score intervals for proportions (accuracy, refusal rate, attack success rate):
//     unlike the normal approximation they stay inside [0, 1] and keep their coverage at
//     small n and near 0 or 1.
//   - Seeded percentile bootstrap for means of non-binary scores (and clustered data such as
//     several epochs per sample: resample samples, not epochs). Same seed, same interval.
//   - Paired comparison of two models or checkpoints on the same samples: the difference of
//     means with a paired-bootstrap interval, and for 0/1 scores the exact McNemar test on
//     the discordant pairs.
//   - The minimum detectable effect for a sample size (two-sided alpha, power).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "rsf/common/status.h"

namespace rsf::eval {

struct Interval {
  double low = 0, high = 0;
};

// Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley
// step; |error| < 1e-12). REQUIRES: 0 < p < 1.
double NormalQuantile(double p);

// Wilson score interval for `successes` out of `n` at `confidence` (e.g. 0.95).
// n == 0 gives [0, 1].
Interval WilsonInterval(int64_t successes, int64_t n, double confidence = 0.95);

struct BootstrapOptions {
  int iterations = 10000;
  uint64_t seed = 20240917;
  double confidence = 0.95;
};

// Percentile bootstrap interval for the mean of `values`. Empty input gives [0, 0].
Interval BootstrapMeanInterval(std::span<const double> values, const BootstrapOptions& options = {});

// Sample standard error of the mean (n-1 in the variance); 0 when n < 2.
double StandardError(std::span<const double> values);

struct PairedComparison {
  int64_t n = 0;
  double mean_a = 0, mean_b = 0;
  double diff = 0;               // mean_b - mean_a
  Interval diff_ci;              // paired bootstrap
  bool binary = false;           // every score was 0 or 1
  int64_t a_only = 0, b_only = 0;  // discordant pairs (binary): a=1,b=0 and a=0,b=1
  double p_value = 1;            // exact McNemar (binary) or paired-bootstrap two-sided
  std::string method;            // "mcnemar-exact" or "paired-bootstrap"
  double mde = 0;                // smallest difference this n detects (alpha .05, power .8)
};

// kInvalidArgument when the spans differ in length or are empty.
Result<PairedComparison> ComparePaired(std::span<const double> a, std::span<const double> b,
                                       const BootstrapOptions& options = {});

// Smallest true difference from a proportion `p` that a test at two-sided `alpha` detects
// with probability `power`, with n samples: (z_{1-alpha/2} + z_{power}) * sqrt(p(1-p)/n).
// p is clamped to [0.01, 0.99] so the answer is useful at the extremes. n must be > 0.
double MinimumDetectableEffect(double p, int64_t n, double alpha = 0.05, double power = 0.8);

}  // namespace rsf::eval
