#include "rsf/eval/stats.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::eval {
namespace {

TEST(StatsTest, NormalQuantileMatchesKnownValues) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.8), 0.841621233572914, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306167813, 1e-8);
}

TEST(StatsTest, WilsonIntervalMatchesPublishedValues) {
  // Newcombe (1998), Table I: 81/263 -> 0.2553 to 0.3662 (Wilson, 95%).
  Interval a = WilsonInterval(81, 263);
  EXPECT_NEAR(a.low, 0.2553, 1e-4);
  EXPECT_NEAR(a.high, 0.3662, 1e-4);
  // 0/10 -> 0 to 0.2775; 10/10 -> 0.7225 to 1.
  Interval zero = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(zero.low, 0.0);
  EXPECT_NEAR(zero.high, 0.2775, 1e-4);
  Interval all = WilsonInterval(10, 10);
  EXPECT_NEAR(all.low, 0.7225, 1e-4);
  EXPECT_DOUBLE_EQ(all.high, 1.0);
  Interval none = WilsonInterval(0, 0);
  EXPECT_EQ(none.low, 0);
  EXPECT_EQ(none.high, 1);
}

TEST(StatsTest, WilsonCoverageIsNearNominal) {
  // Simulated coverage at n = 50, p = 0.1 (where the normal interval under-covers).
  std::mt19937_64 rng(1);
  std::binomial_distribution<int> bin(50, 0.1);
  int covered = 0;
  const int trials = 20000;
  for (int i = 0; i < trials; ++i) {
    Interval ci = WilsonInterval(bin(rng), 50);
    covered += ci.low <= 0.1 && 0.1 <= ci.high;
  }
  EXPECT_GT(covered / double(trials), 0.93);
}

TEST(StatsTest, BootstrapIsSeededAndBracketsTheMean) {
  std::vector<double> v;
  for (int i = 0; i < 200; ++i) v.push_back((i % 7) / 6.0);
  Interval a = BootstrapMeanInterval(v, {2000, 5, 0.95});
  Interval b = BootstrapMeanInterval(v, {2000, 5, 0.95});
  Interval c = BootstrapMeanInterval(v, {2000, 6, 0.95});
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_NE(a.low, c.low);
  double mean = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  EXPECT_LT(a.low, mean);
  EXPECT_GT(a.high, mean);
  // Close to mean +- 1.96 SE for a sample this size.
  const double se = StandardError(v);
  EXPECT_NEAR(a.high - a.low, 2 * 1.96 * se, 0.2 * 2 * 1.96 * se);
}

TEST(StatsTest, PairedBinaryComparisonUsesExactMcNemar) {
  // 10 pairs where only b succeeds, 2 where only a does, 20 ties.
  std::vector<double> a, b;
  for (int i = 0; i < 10; ++i) { a.push_back(0); b.push_back(1); }
  for (int i = 0; i < 2; ++i) { a.push_back(1); b.push_back(0); }
  for (int i = 0; i < 20; ++i) { a.push_back(i % 2); b.push_back(i % 2); }
  auto c = ComparePaired(a, b);
  ASSERT_RSF_OK(c);
  EXPECT_EQ(c->method, "mcnemar-exact");
  EXPECT_EQ(c->b_only, 10);
  EXPECT_EQ(c->a_only, 2);
  // Two-sided exact binomial P(X <= 2 | n=12, 1/2) * 2 = 2 * 79/4096.
  EXPECT_NEAR(c->p_value, 2.0 * 79 / 4096, 1e-12);
  EXPECT_NEAR(c->diff, 8.0 / 32, 1e-12);
  EXPECT_GT(c->diff_ci.low, 0);
  EXPECT_RSF_CODE(ComparePaired(a, std::vector<double>{1}), StatusCode::kInvalidArgument);
}

TEST(StatsTest, MinimumDetectableEffectShrinksWithSqrtN) {
  const double m100 = MinimumDetectableEffect(0.5, 100);
  const double m400 = MinimumDetectableEffect(0.5, 400);
  EXPECT_NEAR(m100, (1.959964 + 0.841621) * 0.05, 1e-5);
  EXPECT_NEAR(m100 / m400, 2.0, 1e-9);
}

}  // namespace
}  // namespace rsf::eval
