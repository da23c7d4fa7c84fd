#include "rsf/eval/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace rsf::eval {

double NormalQuantile(double p) {
  RSF_CHECK(p > 0 && p < 1);
  // Acklam's coefficients.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double lo = 0.02425, hi = 1 - lo;
  double x;
  if (p < lo) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= hi) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley refinement step.
  double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

Interval WilsonInterval(int64_t successes, int64_t n, double confidence) {
  if (n <= 0) return {0, 1};
  const double z = NormalQuantile(1 - (1 - confidence) / 2);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double center = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {successes == 0 ? 0.0 : std::max(0.0, center - half),
          successes == n ? 1.0 : std::min(1.0, center + half)};
}

namespace {

double Mean(std::span<const double> v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Means of `iterations` resamples (with replacement) of `v`.
std::vector<double> ResampledMeans(std::span<const double> v, const BootstrapOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, v.size() - 1);
  std::vector<double> means(static_cast<size_t>(std::max(o.iterations, 1)));
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < v.size(); ++i) sum += v[pick(rng)];
    m = sum / static_cast<double>(v.size());
  }
  std::sort(means.begin(), means.end());
  return means;
}

Interval Percentiles(const std::vector<double>& sorted, double confidence) {
  const double alpha = (1 - confidence) / 2;
  auto at = [&](double q) {
    double pos = q * static_cast<double>(sorted.size() - 1);
    size_t i = static_cast<size_t>(pos);
    double frac = pos - static_cast<double>(i);
    return i + 1 < sorted.size() ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
  };
  return {at(alpha), at(1 - alpha)};
}

// Two-sided exact binomial test of k successes in n trials at p = 1/2.
double ExactMcNemar(int64_t b, int64_t c) {
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  const int64_t k = std::min(b, c);
  // P(X <= k) for X ~ Bin(n, 1/2), summed in log space.
  double tail = 0;
  for (int64_t i = 0; i <= k; ++i) {
    double log_p = std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) -
                   static_cast<double>(n) * std::log(2.0);
    tail += std::exp(log_p);
  }
  return std::min(1.0, 2 * tail);
}

}  // namespace

Interval BootstrapMeanInterval(std::span<const double> values, const BootstrapOptions& options) {
  if (values.empty()) return {0, 0};
  return Percentiles(ResampledMeans(values, options), options.confidence);
}

double StandardError(std::span<const double> v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::sqrt(static_cast<double>(v.size()));
}

Result<PairedComparison> ComparePaired(std::span<const double> a, std::span<const double> b,
                                       const BootstrapOptions& options) {
  if (a.size() != b.size()) return InvalidArgumentError("paired comparison: different numbers of samples");
  if (a.empty()) return InvalidArgumentError("paired comparison: no samples in common");
  PairedComparison out;
  out.n = static_cast<int64_t>(a.size());
  out.mean_a = Mean(a);
  out.mean_b = Mean(b);
  out.diff = out.mean_b - out.mean_a;
  std::vector<double> d(a.size());
  out.binary = true;
  for (size_t i = 0; i < a.size(); ++i) {
    d[i] = b[i] - a[i];
    const bool ab = (a[i] == 0 || a[i] == 1) && (b[i] == 0 || b[i] == 1);
    out.binary = out.binary && ab;
    if (a[i] == 1 && b[i] == 0) ++out.a_only;
    if (a[i] == 0 && b[i] == 1) ++out.b_only;
  }
  std::vector<double> means = ResampledMeans(d, options);
  out.diff_ci = Percentiles(means, options.confidence);
  if (out.binary) {
    out.method = "mcnemar-exact";
    out.p_value = ExactMcNemar(out.a_only, out.b_only);
  } else {
    out.method = "paired-bootstrap";
    // Share of resampled means on the other side of zero, doubled.
    const double below = static_cast<double>(std::count_if(means.begin(), means.end(), [](double m) { return m <= 0; }));
    const double above = static_cast<double>(std::count_if(means.begin(), means.end(), [](double m) { return m >= 0; }));
    out.p_value = std::min(1.0, 2 * std::min(below, above) / static_cast<double>(means.size()));
  }
  const double sd = StandardError(d) * std::sqrt(static_cast<double>(d.size()));
  const double z = NormalQuantile(0.975) + NormalQuantile(0.8);
  out.mde = z * std::max(sd, 1e-9) / std::sqrt(static_cast<double>(d.size()));
  return out;
}

double MinimumDetectableEffect(double p, int64_t n, double alpha, double power) {
  RSF_CHECK(n > 0);
  p = std::clamp(p, 0.01, 0.99);
  const double z = NormalQuantile(1 - alpha / 2) + NormalQuantile(power);
  return z * std::sqrt(p * (1 - p) / static_cast<double>(n));
}

}  // namespace rsf::eval
