// include/rsf/watermark/stats.h
//
// Exact tail probabilities for the watermark tests, in natural logarithms so that the
// p-values of long watermarked texts (1e-300 and far below) do not underflow.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>

namespace rsf::watermark {

// ln P(X >= k) for X ~ Binomial(n, p), 0 < p < 1. 0 when k <= 0; -inf when k > n.
double LogBinomialUpperTail(int64_t n, int64_t k, double p);

// ln P(Y >= x) for Y ~ Gamma(n, 1) with integer shape n >= 1 (the sum of n standard
// exponentials), computed as ln P(Poisson(x) <= n - 1). 0 when x <= 0.
double LogGammaUpperTail(int64_t n, double x);

// z with P(Z > z) = alpha for a standard normal Z, 0 < alpha < 1.
double NormalUpperQuantile(double alpha);

}  // namespace rsf::watermark
