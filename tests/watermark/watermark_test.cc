#include "rsf/watermark/watermark.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "rsf/watermark/stats.h"

namespace rsf::watermark {
namespace {

Key TestKey(uint8_t fill = 7) {
  Key k;
  k.id = "test-key";
  k.secret.fill(fill);
  return k;
}

TEST(SipHashTest, MatchesTheReferenceVectors) {
  // The SipHash paper's vectors: key 00..0f, message 00..(n-1).
  uint8_t key[16], msg[64];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  uint64_t k0 = 0, k1 = 0;
  for (int i = 7; i >= 0; --i) {
    k0 = (k0 << 8) | key[i];
    k1 = (k1 << 8) | key[8 + i];
  }
  EXPECT_EQ(SipHash24(k0, k1, {msg, 0}), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(SipHash24(k0, k1, {msg, 1}), 0x74f839c593dc67fdull);
  EXPECT_EQ(SipHash24(k0, k1, {msg, 8}), 0x93f5f5799a932462ull);
  EXPECT_EQ(SipHash24(k0, k1, {msg, 15}), 0xa129ca6149be45e5ull);
}

TEST(WatermarkerTest, GreenFractionIsGammaAcrossPositions) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  int64_t green = 0, total = 0;
  for (int32_t prev = 0; prev < 200; ++prev) {
    const int32_t ctx[1] = {prev};
    const uint64_t seed = wm.Seed(ctx);
    for (int32_t t = 0; t < 500; ++t) green += wm.Green(seed, t), ++total;
  }
  EXPECT_NEAR(static_cast<double>(green) / static_cast<double>(total), 0.25, 0.005);
}

TEST(WatermarkerTest, KeysSchemesAndWidthsGiveIndependentSeeds) {
  const int32_t ctx[2] = {11, 12};
  const Watermarker a(TestKey(1), {Scheme::kKgw, 0.25, 2.0, 1});
  const Watermarker b(TestKey(2), {Scheme::kKgw, 0.25, 2.0, 1});
  const Watermarker c(TestKey(1), {Scheme::kGumbel, 0.25, 2.0, 1});
  const Watermarker d(TestKey(1), {Scheme::kKgw, 0.25, 2.0, 2});
  EXPECT_NE(a.Seed(ctx), b.Seed(ctx));
  EXPECT_NE(a.Seed(ctx), c.Seed(ctx));
  EXPECT_NE(a.Seed(ctx), d.Seed(ctx));
  // Width 1 reads only the last token.
  const int32_t other[2] = {99, 12};
  EXPECT_EQ(a.Seed(ctx), a.Seed(other));
  EXPECT_NE(d.Seed(ctx), d.Seed(other));
}

TEST(WatermarkerTest, BiasAddsDeltaToExactlyTheGreenTokens) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.5, 3.0, 1});
  const int32_t ctx[1] = {42};
  std::vector<float> logits(1000, 1.0f);
  wm.Bias(ctx, logits);
  const uint64_t seed = wm.Seed(ctx);
  for (int32_t v = 0; v < 1000; ++v) EXPECT_FLOAT_EQ(logits[v], wm.Green(seed, v) ? 4.0f : 1.0f) << v;
  std::vector<float> untouched(10, 0.0f);
  wm.Bias({}, untouched);  // no context to seed from: left alone
  for (float l : untouched) EXPECT_EQ(l, 0.0f);
}

TEST(WatermarkerTest, GumbelPickDrawsFromTheDistribution) {
  // Over many contexts, the token picked with probabilities p is distributed as p.
  const Watermarker wm(TestKey(), {Scheme::kGumbel, 0.25, 2.0, 1});
  const int32_t cand[3] = {5, 9, 13};
  const double probs[3] = {0.6, 0.3, 0.1};
  int counts[3] = {0, 0, 0};
  const int n = 30000;
  for (int32_t prev = 0; prev < n; ++prev) {
    const int32_t ctx[1] = {prev};
    const int32_t pick = wm.Pick(ctx, cand, probs);
    counts[pick == 5 ? 0 : pick == 9 ? 1 : 2]++;
  }
  EXPECT_NEAR(counts[0] / static_cast<double>(n), 0.6, 0.015);
  EXPECT_NEAR(counts[1] / static_cast<double>(n), 0.3, 0.015);
  EXPECT_NEAR(counts[2] / static_cast<double>(n), 0.1, 0.01);
  // A zero-probability candidate is never picked; kgw never picks.
  const double certain[3] = {0, 1, 0};
  const int32_t ctx[1] = {1};
  EXPECT_EQ(wm.Pick(ctx, cand, certain), 9);
  const Watermarker kgw(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  EXPECT_EQ(kgw.Pick(ctx, cand, probs), -1);
}

TEST(ParamsTest, RejectsOutOfRangeValuesNamingTheField) {
  EXPECT_TRUE(ValidateParams({Scheme::kKgw, 0.25, 2.0, 1}).ok());
  EXPECT_NE(ValidateParams({Scheme::kKgw, 1.0, 2.0, 1}).message().find("gamma"), std::string::npos);
  EXPECT_NE(ValidateParams({Scheme::kKgw, 0.25, 0.0, 1}).message().find("delta"), std::string::npos);
  EXPECT_NE(ValidateParams({Scheme::kKgw, 0.25, 2.0, 9}).message().find("context_width"), std::string::npos);
  EXPECT_TRUE(ValidateParams({Scheme::kGumbel, 0, 0, 0}).ok());
  EXPECT_FALSE(ParseScheme("synthid").ok());
  EXPECT_FALSE(ValidateKeyId("has space").ok());
  EXPECT_FALSE(ValidateKeyId("").ok());
  EXPECT_TRUE(ValidateKeyId("wm-2026.11_a").ok());
}

TEST(StatsTest, BinomialTailMatchesADirectSum) {
  for (int64_t n : {1, 10, 57, 200}) {
    for (int64_t k = 0; k <= n; k += std::max<int64_t>(1, n / 9)) {
      double direct = 0;
      for (int64_t j = k; j <= n; ++j) {
        direct += std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) + j * std::log(0.25) +
                           (n - j) * std::log(0.75));
      }
      EXPECT_NEAR(std::exp(LogBinomialUpperTail(n, k, 0.25)), direct, 1e-12 + 1e-9 * direct) << n << " " << k;
    }
  }
  // All 1000 green at gamma 0.25: 0.25^1000, far below double's range, exact in logs.
  EXPECT_NEAR(LogBinomialUpperTail(1000, 1000, 0.25), 1000 * std::log(0.25), 1e-6);
  EXPECT_EQ(LogBinomialUpperTail(10, 0, 0.25), 0.0);
}

TEST(StatsTest, GammaTailMatchesClosedForms) {
  // Shape 1: e^-x. Shape 2: (1 + x) e^-x.
  for (double x : {0.1, 1.0, 5.0, 30.0}) {
    EXPECT_NEAR(LogGammaUpperTail(1, x), -x, 1e-12);
    EXPECT_NEAR(LogGammaUpperTail(2, x), std::log1p(x) - x, 1e-12);
  }
  EXPECT_NEAR(std::exp(LogGammaUpperTail(100, 100)), 0.4867, 1e-3);  // P(Gamma(100,1) >= 100)
  EXPECT_EQ(LogGammaUpperTail(5, 0), 0.0);
}

TEST(StatsTest, NormalQuantiles) {
  EXPECT_NEAR(NormalUpperQuantile(1e-3), 3.0902, 1e-3);
  EXPECT_NEAR(NormalUpperQuantile(1e-5), 4.2649, 1e-3);
}

}  // namespace
}  // namespace rsf::watermark
