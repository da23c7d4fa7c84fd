#include "rsf/model/sampler.h"

#include <cmath>

#include <gtest/gtest.h>

namespace rsf::model {
namespace {

TEST(SamplerTest, GreedyPicksArgMaxAndReportsLogprob) {
  SamplingParams p;
  p.top_logprobs = 2;
  Sampler s(p, nullptr);
  std::vector<float> logits = {0.0f, 2.0f, 1.0f};
  SampledToken t = s.Next({}, logits);
  EXPECT_EQ(t.id, 1);
  const double z = std::log(std::exp(0.0) + std::exp(2.0) + std::exp(1.0));
  EXPECT_NEAR(t.logprob, 2.0 - z, 1e-9);
  ASSERT_EQ(t.top.size(), 2u);
  EXPECT_EQ(t.top[0].first, 1);
  EXPECT_EQ(t.top[1].first, 2);
}

TEST(SamplerTest, SeededSamplingRepeatsAndDiffersAcrossSeeds) {
  auto draw = [](uint64_t seed) {
    SamplingParams p;
    p.temperature = 1.0;
    p.seed = seed;
    Sampler s(p, nullptr);
    std::vector<int32_t> ids;
    for (int i = 0; i < 64; ++i) {
      std::vector<float> logits(8, 0.0f);
      ids.push_back(s.Next({}, logits).id);
    }
    return ids;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

TEST(SamplerTest, TinyTopPKeepsOnlyTheBestToken) {
  SamplingParams p;
  p.temperature = 1.5;
  p.top_p = 0.01;
  p.seed = 3;
  Sampler s(p, nullptr);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> logits = {0.1f, 0.3f, 0.2f};
    EXPECT_EQ(s.Next({}, logits).id, 1);
  }
}

class ForceToken : public SamplerHook {
 public:
  void AdjustLogits(std::span<const int32_t> context, std::span<float> logits) override {
    seen_context = context.size();
    logits[3] += 100.0f;
  }
  size_t seen_context = 0;
};

TEST(SamplerTest, HookChangesTheDistributionBeforeSampling) {
  ForceToken hook;
  SamplingParams p;
  Sampler s(p, &hook);
  std::vector<float> logits = {5.0f, 0.0f, 0.0f, 0.0f};
  std::vector<int32_t> context = {1, 2};
  SampledToken t = s.Next(context, logits);
  EXPECT_EQ(t.id, 3);
  EXPECT_EQ(hook.seen_context, 2u);
  EXPECT_GT(t.logprob, -1e-6);  // reported after the hook
}

}  // namespace
}  // namespace rsf::model
