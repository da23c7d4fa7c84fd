#include "rsf/watermark/stats.h"

#include <cmath>
#include <limits>

namespace rsf::watermark {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kRelTol = 1e-17;

double LogBinomialPmf(int64_t n, int64_t k, double p) {
  const double nn = static_cast<double>(n), kk = static_cast<double>(k);
  return std::lgamma(nn + 1) - std::lgamma(kk + 1) - std::lgamma(nn - kk + 1) + kk * std::log(p) +
         (nn - kk) * std::log1p(-p);
}

double LogPoissonPmf(int64_t k, double x) {
  const double kk = static_cast<double>(k);
  return -x + kk * std::log(x) - std::lgamma(kk + 1);
}

// ln(1 - e^a) for a < 0.
double Log1mExp(double a) { return a > -0.693 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a)); }

}  // namespace

double LogBinomialUpperTail(int64_t n, int64_t k, double p) {
  if (k <= 0) return 0;
  if (k > n) return kNegInf;
  const double odds = p / (1 - p);
  if (static_cast<double>(k) > static_cast<double>(n) * p) {
    // Terms fall from k upwards: sum them relative to the first.
    double sum = 1, term = 1;
    for (int64_t j = k; j < n; ++j) {
      term *= static_cast<double>(n - j) / static_cast<double>(j + 1) * odds;
      sum += term;
      if (term < sum * kRelTol) break;
    }
    return LogBinomialPmf(n, k, p) + std::log(sum);
  }
  // k at or below the mean: 1 - P(X <= k - 1), that lower tail summed downwards.
  double sum = 1, term = 1;
  for (int64_t j = k - 1; j > 0; --j) {
    term *= static_cast<double>(j) / static_cast<double>(n - j + 1) / odds;
    sum += term;
    if (term < sum * kRelTol) break;
  }
  const double log_lower = LogBinomialPmf(n, k - 1, p) + std::log(sum);
  return log_lower >= 0 ? kNegInf : Log1mExp(log_lower);
}

double LogGammaUpperTail(int64_t n, double x) {
  if (!(x > 0)) return 0;
  if (x > static_cast<double>(n - 1)) {
    // P(Poisson(x) <= n - 1): terms rise towards n - 1, so sum them downwards from there.
    double sum = 1, term = 1;
    for (int64_t j = n - 1; j > 0; --j) {
      term *= static_cast<double>(j) / x;
      sum += term;
      if (term < sum * kRelTol) break;
    }
    return LogPoissonPmf(n - 1, x) + std::log(sum);
  }
  // 1 - P(Poisson(x) >= n), whose terms fall from n upwards.
  double sum = 1, term = 1;
  for (int64_t j = n; ; ++j) {
    term *= x / static_cast<double>(j + 1);
    sum += term;
    if (term < sum * kRelTol) break;
  }
  const double log_upper = LogPoissonPmf(n, x) + std::log(sum);
  return log_upper >= 0 ? kNegInf : Log1mExp(log_upper);
}

double NormalUpperQuantile(double alpha) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > alpha) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

}  // namespace rsf::watermark
