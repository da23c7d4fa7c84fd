#include "rsf/guard/training.h"

#include <gtest/gtest.h>

#include "rsf/guard/evaluation.h"
#include "rsf/guard/guard.h"
#include "rsf/guard/labeled_data.h"
#include "testing/status_matchers.h"

namespace rsf::guard {
namespace {

// A small synthetic corpus: templated benign questions, and unsafe requests in two categories.
std::string Corpus() {
  const char* benign[] = {"how do I bake {} bread", "what is the history of {}", "explain {} to a child",
                          "recommend a book about {}", "how many legs does a {} have"};
  const char* topics[] = {"sourdough", "rome", "gravity", "gardening", "spider", "jazz", "volcanoes", "chess"};
  const char* hateful[] = {"those {} people are vermin and should be removed", "i hate every {} they are filth"};
  const char* crime[] = {"how do i launder money through a {} shop", "help me steal a credit card at the {}"};
  std::string out;
  int n = 0;
  auto line = [&](const std::string& text, const char* label, const char* cat) {
    out += "{\"id\":\"t" + std::to_string(n++) + "\",\"text\":\"" + text + "\",\"label\":\"" + label +
           "\",\"categories\":[" + (cat[0] ? "\"" + std::string(cat) + "\"" : "") + "],\"source\":\"synthetic\"}\n";
  };
  auto fill = [](std::string t, const char* topic) { return t.replace(t.find("{}"), 2, topic); };
  for (int rep = 0; rep < 3; ++rep) {
    for (const char* topic : topics) {
      for (const char* b : benign) line(fill(b, topic), "safe", "");
      for (const char* h : hateful) line(fill(h, topic), "unsafe", "hate");
      for (const char* c : crime) line(fill(c, topic), "unsafe", "Assisting illegal activities");
    }
  }
  return out;
}

TEST(LabeledDataTest, ParsesAndMapsCategories) {
  auto t = ParseLabeledJsonl(
      "{\"text\":\"a\",\"label\":\"unsafe\",\"categories\":[\"Toxic language (hate speech)\",\"target_group:x\"]}\n\n"
      "{\"id\":\"b\",\"text\":\"b\",\"label\":\"safe\"}\n",
      "d.jsonl");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].categories, std::vector<std::string>{"hate"});
  EXPECT_EQ((*t)[0].raw_categories.size(), 2u);
  EXPECT_EQ((*t)[0].id, "line-1");
  EXPECT_EQ((*t)[1].line, 3);
  const std::vector<std::string> heads = {"unsafe", "hate", "cyber"};
  EXPECT_EQ(HeadLabels((*t)[0], heads), (std::vector<int8_t>{1, 1, 0}));
  EXPECT_EQ(HeadLabels((*t)[1], heads), (std::vector<int8_t>{0, 0, 0}));
  LabeledText unlabelled;
  unlabelled.unsafe = true;
  EXPECT_EQ(HeadLabels(unlabelled, heads), (std::vector<int8_t>{1, -1, -1}));
}

TEST(LabeledDataTest, ErrorsNameLineAndField) {
  auto bad_label = ParseLabeledJsonl("{\"text\":\"a\",\"label\":\"safe\"}\n{\"text\":\"b\",\"label\":\"maybe\"}\n", "d.jsonl");
  ASSERT_FALSE(bad_label.ok());
  EXPECT_NE(bad_label.status().message().find("d.jsonl:2: field 'label'"), std::string::npos) << bad_label.status().ToString();
  auto no_text = ParseLabeledJsonl("{\"label\":\"safe\"}\n", "d.jsonl");
  EXPECT_NE(no_text.status().message().find("d.jsonl:1"), std::string::npos) << no_text.status().ToString();
  auto not_json = ParseLabeledJsonl("{oops\n", "d.jsonl");
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  auto cats = ParseLabeledJsonl("{\"text\":\"a\",\"label\":\"safe\",\"categories\":\"hate\"}\n", "d.jsonl");
  EXPECT_NE(cats.status().message().find("field 'categories'"), std::string::npos) << cats.status().ToString();
}

TEST(TrainingTest, SameDataAndSeedGiveTheSameFileAndHeadsNeedEnoughPositives) {
  auto texts = ParseLabeledJsonl(Corpus(), "synthetic");
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  GuardTrainOptions o;
  o.features.bits = 14;
  o.min_positives = 40;  // hate and nonviolent_crimes have 48 each
  size_t progress_calls = 0;
  o.progress = [&](size_t, size_t) { ++progress_calls; };
  auto a = TrainGuardModel(*texts, o);
  auto b = TrainGuardModel(*texts, o);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  EXPECT_EQ(SerializeModel(*a), SerializeModel(*b));
  EXPECT_GT(progress_calls, 0u);
  EXPECT_EQ(a->heads, (std::vector<std::string>{"unsafe", "nonviolent_crimes", "hate"}));
  o.train.seed = 7;
  auto c = TrainGuardModel(*texts, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(SerializeModel(*a), SerializeModel(*c));
  o.min_positives = 1000;
  auto only_unsafe = TrainGuardModel(*texts, o);
  ASSERT_TRUE(only_unsafe.ok());
  EXPECT_EQ(only_unsafe->heads, std::vector<std::string>{"unsafe"});
}

TEST(TrainingTest, TrainedModelSeparatesAndEvaluates) {
  auto texts = ParseLabeledJsonl(Corpus(), "synthetic");
  ASSERT_TRUE(texts.ok());
  GuardTrainOptions o;
  o.features.bits = 14;
  o.min_positives = 40;
  auto m = TrainGuardModel(*texts, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto g = Guard::Create(DefaultGuardConfig(), {*m, "sha256:test", "synthetic"});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  const GuardEvalReport r = EvaluateGuard(**g, *texts);
  EXPECT_EQ(r.texts, texts->size());
  EXPECT_EQ(r.verdict.tp + r.verdict.fn, r.unsafe);
  EXPECT_EQ(r.verdict.fp + r.verdict.tn, r.texts - r.unsafe);
  EXPECT_GT(r.heads[0].auprc, 0.95);
  ASSERT_FALSE(r.heads[0].pr_curve.empty());
  EXPECT_NEAR(r.heads[0].pr_curve.back().first, 1.0, 1e-9);  // the curve ends at full recall
  const Json j = GuardEvalToJson(r);
  EXPECT_EQ(j["format"], "rsf-guard-eval/1");
  EXPECT_EQ(j["verdict"]["tp"], r.verdict.tp);
  EXPECT_NE(GuardEvalMarkdown(r).find("| unsafe |"), std::string::npos);
  const std::string html = GuardEvalHtml(r);
  EXPECT_NE(html.find("<svg role=\"img\""), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
}

TEST(TrainingTest, RefusesDataWithOneClass) {
  auto texts = ParseLabeledJsonl("{\"text\":\"a\",\"label\":\"safe\"}\n", "d");
  ASSERT_TRUE(texts.ok());
  EXPECT_EQ(TrainGuardModel(*texts, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rsf::guard
