#include "rsf/watermark/detector.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "rsf/model/sampler.h"
#include "rsf/watermark/hook.h"

namespace rsf::watermark {
namespace {

constexpr int32_t kVocab = 1000;

Key TestKey(const char* id = "k1", uint8_t fill = 3) {
  Key k;
  k.id = id;
  k.secret.fill(fill);
  return k;
}

// Text from a "model" with flat logits over kVocab tokens, sampled through the real Sampler
// with the watermark hook (or without it).
std::vector<int32_t> Generate(model::SamplerHook* hook, size_t n, uint64_t seed) {
  model::SamplingParams p;
  p.temperature = 1.0;
  p.seed = seed;
  model::Sampler sampler(p, hook);
  std::vector<int32_t> ctx = {1};  // the prompt's last token
  std::vector<float> logits(kVocab);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0, 1);
  for (size_t i = 0; i < n; ++i) {
    for (float& l : logits) l = noise(rng);
    ctx.push_back(sampler.Next(ctx, logits).id);
  }
  return {ctx.begin() + 1, ctx.end()};
}

TEST(DetectorTest, FindsTheGreenListWatermarkAndNotPlainText) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  WatermarkHook hook(wm);
  const auto marked = Generate(&hook, 200, 1);
  const auto plain = Generate(nullptr, 200, 1);
  const Detection m = Detect(wm, marked, {});
  EXPECT_EQ(m.verdict, Verdict::kWatermarked);
  EXPECT_EQ(m.tokens, 200);
  EXPECT_GT(m.z, 8);
  EXPECT_LT(m.log10_p, -15);
  const Detection p = Detect(wm, plain, {});
  EXPECT_EQ(p.verdict, Verdict::kNotWatermarked);
  EXPECT_GT(p.log10_p, -3);
  // A different key does not see it.
  EXPECT_EQ(Detect(Watermarker(TestKey("k2", 4), wm.params()), marked, {}).verdict, Verdict::kNotWatermarked);
}

TEST(DetectorTest, FindsTheDistortionFreeWatermark) {
  const Watermarker wm(TestKey(), {Scheme::kGumbel, 0.25, 2.0, 1});
  WatermarkHook hook(wm);
  const auto marked = Generate(&hook, 200, 2);
  const Detection m = Detect(wm, marked, {});
  EXPECT_EQ(m.verdict, Verdict::kWatermarked);
  EXPECT_EQ(Detect(wm, Generate(nullptr, 200, 2), {}).verdict, Verdict::kNotWatermarked);
}

TEST(DetectorTest, RepeatedPairsCannotInflateTheScore) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  WatermarkHook hook(wm);
  const auto once = Generate(&hook, 40, 3);
  std::vector<int32_t> many;
  for (int i = 0; i < 20; ++i) many.insert(many.end(), once.begin(), once.end());
  const Detection a = Detect(wm, once, {});
  const Detection b = Detect(wm, many, {});
  // Repeating the text adds at most the one new pair at each seam.
  EXPECT_LE(b.scored, a.scored + 1);
  EXPECT_GE(b.repeats, 19 * 39);
  DetectOptions counted;
  counted.ignore_repeats = false;
  EXPECT_LT(Detect(wm, many, counted).log10_p, b.log10_p - 20);  // what skipping prevents
}

TEST(DetectorTest, ShortOrEmptyTextIsInsufficientNotUnwatermarked) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  EXPECT_EQ(Detect(wm, {}, {}).verdict, Verdict::kInsufficientTokens);
  const std::vector<int32_t> few = {1, 2, 3, 4, 5};
  const Detection d = Detect(wm, few, {});
  EXPECT_EQ(d.verdict, Verdict::kInsufficientTokens);
  EXPECT_NE(d.detail.find("at least 16"), std::string::npos);
}

TEST(DetectorTest, FindsASpanInsideUnwatermarkedText) {
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  WatermarkHook hook(wm);
  const auto left = Generate(nullptr, 600, 4), right = Generate(nullptr, 600, 5), mid = Generate(&hook, 80, 6);
  std::vector<int32_t> text(left);
  text.insert(text.end(), mid.begin(), mid.end());
  text.insert(text.end(), right.begin(), right.end());
  DetectOptions o;
  o.find_span = true;
  const Detection d = Detect(wm, text, o);
  ASSERT_TRUE(d.has_span);
  EXPECT_EQ(d.verdict, Verdict::kWatermarked);
  EXPECT_GT(d.log10_p, -5) << "the whole text alone is diluted";
  EXPECT_NEAR(static_cast<double>(d.span.begin), 600, 40);
  EXPECT_NEAR(static_cast<double>(d.span.end), 680, 40);
  EXPECT_GT(d.span.windows, 1000);
  // Unwatermarked text stays unflagged after the correction.
  EXPECT_EQ(Detect(wm, Generate(nullptr, 1280, 7), o).verdict, Verdict::kNotWatermarked);
}

TEST(DetectorTest, SeveralKeysFindTheRightOneAndPayForTheSearch) {
  const Watermarker a(TestKey("old", 1), {Scheme::kKgw, 0.25, 2.0, 1});
  const Watermarker b(TestKey("new", 2), {Scheme::kKgw, 0.25, 2.0, 1});
  WatermarkHook hook(b);
  const auto marked = Generate(&hook, 120, 8);
  const std::vector<Watermarker> ring = {a, b};
  const Detection one = Detect(b, marked, {});
  const Detection both = DetectWithKeys(ring, marked, {});
  EXPECT_EQ(both.key_id, "new");
  EXPECT_NEAR(both.log10_p, one.log10_p + std::log10(2.0), 1e-9);
}

TEST(DetectorTest, FalsePositiveRateStaysAtAlphaOnRandomText) {
  // 4000 random texts of 100 tokens: at alpha 1e-2, expect about 40 flagged (at most, since
  // the exact binomial test is conservative).
  const Watermarker wm(TestKey(), {Scheme::kKgw, 0.25, 2.0, 1});
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int32_t> tok(0, kVocab - 1);
  DetectOptions o;
  o.alpha = 1e-2;
  int flagged = 0;
  for (int i = 0; i < 4000; ++i) {
    std::vector<int32_t> t(100);
    for (auto& x : t) x = tok(rng);
    flagged += Detect(wm, t, o).verdict == Verdict::kWatermarked;
  }
  EXPECT_LT(flagged, 60);
  EXPECT_GT(flagged, 10);
}

}  // namespace
}  // namespace rsf::watermark
