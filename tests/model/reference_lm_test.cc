#include "rsf/model/reference_lm.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::model {
namespace {

GenerateRequest Chat(std::string text) {
  GenerateRequest r;
  r.messages.push_back({"user", std::move(text)});
  return r;
}

TEST(ReferenceLmTest, GreedyGenerationIsDeterministicAndEnds) {
  auto m = MakeReferenceModel();
  auto a = m->Generate(Chat("Tell me a story."));
  auto b = m->Generate(Chat("Tell me a story."));
  ASSERT_RSF_OK(a);
  ASSERT_RSF_OK(b);
  EXPECT_EQ(a->text, b->text);
  EXPECT_FALSE(a->text.empty());
  EXPECT_GT(a->usage.prompt_tokens, 0);
  EXPECT_GT(a->usage.completion_tokens, 0);
  EXPECT_EQ(m->Identity().digest, ReferenceModelDigest());
  EXPECT_EQ(ReferenceModelDigest().rfind("sha256:", 0), 0u);
}

TEST(ReferenceLmTest, SeedsMakeSampledOutputRepeatable) {
  auto m = MakeReferenceModel();
  GenerateRequest r = Chat("How do I bake bread at home?");
  r.sampling.temperature = 1.0;
  std::set<std::string> outputs;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    r.sampling.seed = seed;
    auto a = m->Generate(r);
    auto b = m->Generate(r);
    ASSERT_RSF_OK(a);
    ASSERT_RSF_OK(b);
    EXPECT_EQ(a->text, b->text) << "seed " << seed;
    outputs.insert(a->text);
  }
  EXPECT_GT(outputs.size(), 1u) << "different seeds should give different samples";
}

TEST(ReferenceLmTest, StreamingDeltasMakeUpTheText) {
  auto m = MakeReferenceModel();
  std::string streamed;
  StreamCallback cb = [&](std::string_view d) {
    streamed += d;
    return true;
  };
  auto r = m->Generate(Chat("What is the capital of France?"), &cb);
  ASSERT_RSF_OK(r);
  EXPECT_EQ(streamed, r->text);
}

TEST(ReferenceLmTest, StopSequenceCutsTheOutput) {
  auto m = MakeReferenceModel();
  GenerateRequest r;
  r.prompt = "Once upon a time";
  r.sampling.max_tokens = 40;
  auto full = m->Generate(r);
  ASSERT_RSF_OK(full);
  ASSERT_NE(full->text.find(' ', 2), std::string::npos);
  r.sampling.stop = {full->text.substr(full->text.find(' ', 2), 3)};
  auto cut = m->Generate(r);
  ASSERT_RSF_OK(cut);
  EXPECT_EQ(cut->finish_reason, "stop");
  EXPECT_LT(cut->text.size(), full->text.size());
  EXPECT_EQ(full->text.rfind(cut->text, 0), 0u);
}

TEST(ReferenceLmTest, ReportsLetterLogprobsAfterAnswerCue) {
  auto m = MakeReferenceModel();
  GenerateRequest r = Chat(
      "Question: Which is a fruit?\nA. Rock\nB. Apple\nC. Car\nD. Shoe\nAnswer with the letter of the "
      "correct option.\nAnswer:");
  r.sampling.max_tokens = 1;
  r.sampling.top_logprobs = 5;
  auto out = m->Generate(r);
  ASSERT_RSF_OK(out);
  ASSERT_EQ(out->logprobs.size(), 1u);
  int letters = 0;
  for (auto& [tok, lp] : out->logprobs[0].top) {
    if (tok == " A" || tok == " B" || tok == " C" || tok == " D") ++letters;
    EXPECT_LE(lp, 0.0);
  }
  EXPECT_GE(letters, 3) << "the corpus teaches 'Answer: <letter>'";
}

class CountingHook : public SamplerHook {
 public:
  void AdjustLogits(std::span<const int32_t>, std::span<float>) override { ++calls; }
  int calls = 0;
};

TEST(ReferenceLmTest, SamplerHookSeesEveryStep) {
  CountingHook hook;
  auto m = MakeReferenceModel({&hook});
  GenerateRequest r;
  r.prompt = "Once upon a time";
  r.sampling.max_tokens = 10;
  auto out = m->Generate(r);
  ASSERT_RSF_OK(out);
  EXPECT_GE(hook.calls, out->usage.completion_tokens);
  EXPECT_GT(hook.calls, 0);
}

}  // namespace
}  // namespace rsf::model
