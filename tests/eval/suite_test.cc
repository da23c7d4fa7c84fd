#include "rsf/eval/suite.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::eval {
namespace {

TEST(SuiteTest, ParsesAFullSuiteAndResolvesPaths) {
  auto s = ParseSuite(R"(suite: wmdp_bio
version: "2"
dataset: {path: "${RSF_DATA}/eval/wmdp_bio.jsonl", format: mcq, limit: 50}
task: {kind: multiple_choice, method: logprobs, system: "Be brief."}
sampling: {temperature: 0.5, max_tokens: 8, seed: 9}
epochs: 3
metrics: [accuracy, invalid_rate]
)", "suites/wmdp.yaml", {{"RSF_DATA", "/data"}});
  ASSERT_RSF_OK(s);
  EXPECT_EQ(s->name, "wmdp_bio");
  EXPECT_EQ(s->dataset.path, "/data/eval/wmdp_bio.jsonl");
  EXPECT_EQ(s->dataset.limit, 50);
  EXPECT_EQ(s->method, McMethod::kLogprobs);
  EXPECT_EQ(s->epochs, 3);
  EXPECT_EQ(*s->sampling.seed, 9u);
  EXPECT_EQ(s->metrics.size(), 2u);
  EXPECT_EQ(s->digest.rfind("sha256:", 0), 0u);

  auto rel = ParseSuite("suite: x\ndataset: {path: d.jsonl, format: prompts}\ntask: {kind: refusal}\n",
                        "examples/suites/x.yaml");
  ASSERT_RSF_OK(rel);
  EXPECT_EQ(rel->dataset.path, "examples/suites/d.jsonl");
  EXPECT_EQ(rel->metrics, std::vector<std::string>{"refusal_rate"});
}

TEST(SuiteTest, ErrorsNameLineColumnAndWhatWasExpected) {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"suite: X\n", "s.yaml:1:8: suite: expected a name of [a-z0-9_]"},
      {"suite: a\ndataset: {path: d, format: mcq}\ntask: {kind: essay}\n", "s.yaml:3:14: task.kind: 'essay' is not"},
      {"suite: a\ndataset: {path: d, format: mcq}\ntask: {kind: multiple_choice}\nmetrics: [refusal_rate]\n",
       "s.yaml:4:11: metrics: 'refusal_rate' is not a multiple_choice metric"},
      {"suite: a\ndataset: {path: d, format: mcq}\ntask: {kind: refusal}\n", "does not fit dataset format mcq"},
      {"suite: a\ndataset: {path: d, format: mcq}\ntask: {kind: multiple_choice}\nepochs: 0\n",
       "s.yaml:4:9: epochs: expected an integer from 1 to 1000"},
      {"suite: a\ndataset: {path: d, format: mcq}\ntask: {kind: multiple_choice}\ncolour: red\n",
       "s.yaml:4:1: unknown key 'colour'"},
      {"suite: a\ndataset: {path: \"${NOPE}/d\", format: mcq}\ntask: {kind: multiple_choice}\n",
       "variable ${NOPE} is not set"},
      {"suite: a\ndataset: {path: d, format: prompts}\ntask: {kind: judge}\n", "a judge task needs a rubric"},
      {"suite: [a\n", "s.yaml:"},
  };
  for (const auto& c : cases) {
    auto s = ParseSuite(c.yaml, "s.yaml");
    EXPECT_RSF_CODE(s, StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(s.status().message().find(c.message), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace rsf::eval
