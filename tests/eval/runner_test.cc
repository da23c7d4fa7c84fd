#include "rsf/eval/runner.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "rsf/common/sha256.h"
#include "rsf/model/openai_client.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/local_endpoint.h"
#include "testing/temp_dir.h"

namespace rsf::eval {
namespace {

// Answers a multiple-choice prompt correctly when the question number is even, and fails
// (kUnavailable) for questions listed in `fail`.
class ScriptedModel : public model::ModelClient {
 public:
  Result<model::GenerateResponse> Generate(const model::GenerateRequest& r, const model::StreamCallback*) override {
    const std::string& q = r.messages.back().content;
    const int n = std::stoi(q.substr(q.find('#') + 1));
    {
      std::lock_guard lock(mu);
      asked.insert(n);
    }
    calls++;
    if (fail.count(n)) return UnavailableError("endpoint down");
    model::GenerateResponse out;
    out.text = n % 2 == 0 ? "Answer: B" : "Answer: A";
    out.usage = {20, 2};
    return out;
  }
  model::ModelIdentity Identity() const override { return {"scripted", "sha256:abc", "test"}; }

  std::set<int> fail;
  std::set<int> asked;
  std::mutex mu;
  std::atomic<int> calls{0};
};

Dataset MakeDataset(int n) {
  Dataset d;
  d.path = "mem";
  std::string all;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.id = "q" + std::to_string(i);
    s.input = "Question #" + std::to_string(i);
    s.choices = {"wrong", "right", "other"};
    s.target = 1;
    all += s.id;
    d.samples.push_back(std::move(s));
  }
  d.sha256 = Sha256Hex(all);
  return d;
}

Suite McSuite() {
  Suite s;
  s.name = "toy";
  s.kind = TaskKind::kMultipleChoice;
  s.metrics = {"accuracy", "invalid_rate"};
  s.digest = "sha256:suite";
  return s;
}

class RunnerTest : public ::testing::Test {
 protected:
  RunOptions Options(const std::string& name) {
    RunOptions o;
    o.run_dir = dir_.Sub(name);
    o.concurrency = 8;
    o.price_prompt_per_mtok = 1.0;
    o.price_completion_per_mtok = 2.0;
    return o;
  }
  rsf::testing::TempDir dir_;
  rsf::testing::FakeClock clock_;
  Env& env_ = Env::Default();
};

TEST_F(RunnerTest, CompleteRunReportsWilsonIntervalsUsageAndCost) {
  ScriptedModel m;
  auto r = RunEval(env_, clock_, McSuite(), MakeDataset(100), m, Options("run"));
  ASSERT_RSF_OK(r);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->completed, 100);
  ASSERT_EQ(r->metrics.size(), 2u);
  const MetricSummary& acc = r->metrics[0];
  EXPECT_EQ(acc.name, "toy.accuracy");
  EXPECT_DOUBLE_EQ(acc.mean, 0.5);
  EXPECT_EQ(acc.n, 100);
  EXPECT_EQ(acc.ci_method, "wilson");
  Interval w = WilsonInterval(50, 100);
  EXPECT_DOUBLE_EQ(acc.ci_low, w.low);
  EXPECT_DOUBLE_EQ(acc.ci_high, w.high);
  EXPECT_GT(acc.mde, 0.1);
  EXPECT_EQ(r->usage.prompt_tokens, 2000);
  // Each journal line names its prompt by digest and does not repeat it.
  std::ifstream journal(dir_.Sub("run") + "/samples.jsonl");
  std::string first;
  std::getline(journal, first);
  auto rec = nlohmann::json::parse(first);
  EXPECT_EQ(rec["prompt_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(first.find("Question #"), std::string::npos);
  EXPECT_NEAR(r->cost, (2000 * 1.0 + 200 * 2.0) / 1e6, 1e-12);
}

TEST_F(RunnerTest, FailedSamplesMakeTheRunIncompleteAndARerunFinishesIt) {
  ScriptedModel flaky;
  flaky.fail = {3, 17, 42};
  RunOptions o = Options("run");
  auto first = RunEval(env_, clock_, McSuite(), MakeDataset(60), flaky, o);
  ASSERT_RSF_OK(first);
  EXPECT_FALSE(first->complete);
  EXPECT_EQ(first->errors, 3);
  EXPECT_EQ(first->completed, 57);
  EXPECT_TRUE(first->metrics.empty()) << "no metric over fewer samples than the dataset";
  EXPECT_EQ(first->error_examples.size(), 3u);

  ScriptedModel healthy;
  auto second = RunEval(env_, clock_, McSuite(), MakeDataset(60), healthy, o);
  ASSERT_RSF_OK(second);
  EXPECT_TRUE(second->complete);
  EXPECT_EQ(second->resumed, 57);
  EXPECT_EQ(healthy.asked, (std::set<int>{3, 17, 42}));

  ScriptedModel fresh;
  auto uninterrupted = RunEval(env_, clock_, McSuite(), MakeDataset(60), fresh, Options("other"));
  ASSERT_RSF_OK(uninterrupted);
  ASSERT_EQ(second->metrics.size(), uninterrupted->metrics.size());
  for (size_t i = 0; i < second->metrics.size(); ++i) {
    EXPECT_EQ(second->metrics[i].mean, uninterrupted->metrics[i].mean);
    EXPECT_EQ(second->metrics[i].ci_low, uninterrupted->metrics[i].ci_low);
    EXPECT_EQ(second->metrics[i].ci_high, uninterrupted->metrics[i].ci_high);
  }
}

TEST_F(RunnerTest, TornLastJournalLineIsCutAndRedone) {
  ScriptedModel m;
  RunOptions o = Options("run");
  ASSERT_RSF_OK(RunEval(env_, clock_, McSuite(), MakeDataset(20), m, o));
  const std::string journal = o.run_dir + "/samples.jsonl";
  auto size = std::filesystem::file_size(journal);
  std::filesystem::resize_file(journal, size - 10);  // the last record loses its end
  ScriptedModel again;
  auto r = RunEval(env_, clock_, McSuite(), MakeDataset(20), again, o);
  ASSERT_RSF_OK(r);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(again.calls.load(), 1);
  EXPECT_EQ(r->resumed, 19);
}

TEST_F(RunnerTest, DamageInTheMiddleOfTheJournalIsDataLoss) {
  ScriptedModel m;
  RunOptions o = Options("run");
  ASSERT_RSF_OK(RunEval(env_, clock_, McSuite(), MakeDataset(5), m, o));
  std::fstream f(o.run_dir + "/samples.jsonl", std::ios::in | std::ios::out);
  f.seekp(0);  // the first record is no longer JSON
  f.put('#');
  f.close();
  EXPECT_RSF_CODE(SummarizeRun(env_, o.run_dir), StatusCode::kDataLoss);
}

TEST_F(RunnerTest, ADifferentConfigurationInTheSameDirectoryIsRefused) {
  ScriptedModel m;
  RunOptions o = Options("run");
  ASSERT_RSF_OK(RunEval(env_, clock_, McSuite(), MakeDataset(5), m, o));
  Suite changed = McSuite();
  changed.sampling.temperature = 0.7;
  EXPECT_RSF_CODE(RunEval(env_, clock_, changed, MakeDataset(5), m, o), StatusCode::kFailedPrecondition);
}

TEST_F(RunnerTest, EpochsUseTheBootstrapOverSamples) {
  ScriptedModel m;
  Suite s = McSuite();
  s.epochs = 3;
  auto r = RunEval(env_, clock_, s, MakeDataset(40), m, Options("run"));
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->expected, 120);
  EXPECT_EQ(r->metrics[0].n, 40);
  EXPECT_EQ(r->metrics[0].ci_method, "bootstrap");
  EXPECT_LE(r->metrics[0].ci_low, r->metrics[0].mean);
  EXPECT_GE(r->metrics[0].ci_high, r->metrics[0].mean);
}

// A judge that passes replies containing "safe" and says nothing useful for "garbled".
class ScriptedJudge : public model::ModelClient {
 public:
  Result<model::GenerateResponse> Generate(const model::GenerateRequest& r, const model::StreamCallback*) override {
    const std::string& task = r.messages.back().content;
    EXPECT_NE(task.find("[Rubric]\nBe safe."), std::string::npos);
    model::GenerateResponse out;
    if (task.find("garbled") != std::string::npos) {
      out.text = "I am not sure.";
    } else {
      out.text = task.find("Answer: A") != std::string::npos ? "Looks fine.\nGRADE: C" : "SCORE: 0.25";
    }
    return out;
  }
  model::ModelIdentity Identity() const override { return {"judge", "sha256:j", "test"}; }
};

TEST_F(RunnerTest, JudgeTasksScoreWithTheJudgeAndFailWhenItGivesNoGrade) {
  ScriptedModel m;
  ScriptedJudge judge;
  Suite s = McSuite();
  s.kind = TaskKind::kJudge;
  s.judge.rubric = "Be safe.";
  s.judge.pass_score = 0.5;
  s.metrics = {"score", "pass_rate"};
  RunOptions o = Options("run");
  EXPECT_RSF_CODE(RunEval(env_, clock_, s, MakeDataset(4), m, o), StatusCode::kInvalidArgument);  // no judge
  o.judge = &judge;
  auto r = RunEval(env_, clock_, s, MakeDataset(10), m, o);
  ASSERT_RSF_OK(r);
  ASSERT_TRUE(r->complete);
  // Odd questions answer "A" (grade C = 1), even ones "B" (score 0.25).
  EXPECT_NEAR(r->metrics[0].mean, (5 * 1.0 + 5 * 0.25) / 10, 1e-12);
  EXPECT_EQ(r->metrics[0].ci_method, "bootstrap");
  EXPECT_NEAR(r->metrics[1].mean, 0.5, 1e-12);

  Dataset garbled = MakeDataset(3);
  garbled.samples[1].input = "Question #1 garbled";
  RunOptions og = Options("garbled");
  og.judge = &judge;
  auto g = RunEval(env_, clock_, s, garbled, m, og);
  ASSERT_RSF_OK(g);
  EXPECT_FALSE(g->complete);
  EXPECT_EQ(g->errors, 1);
  EXPECT_NE(g->error_examples[0].find("no GRADE"), std::string::npos);
}

TEST_F(RunnerTest, RunsAgainstARealEndpointThroughTheOpenAiClient) {
  rsf::testing::LocalEndpoint ep([](const nlohmann::json& req, const std::string&) {
    rsf::testing::LocalReply r;
    std::string q = req["messages"].back()["content"];
    r.text = q.find("#1") != std::string::npos ? "I'm sorry, I can't help." : "Sure, here you go.";
    return r;
  }, 4);
  model::OpenAiOptions oo;
  oo.base_url = ep.base_url();
  oo.model = "stub";
  auto client = model::MakeOpenAiClient(oo);
  ASSERT_RSF_OK(client);
  Suite s;
  s.name = "harm";
  s.kind = TaskKind::kRefusal;
  s.metrics = {"refusal_rate", "attack_success_rate"};
  Dataset d;
  for (int i = 0; i < 30; ++i) {
    Sample x;
    x.id = std::to_string(i);
    x.input = "Prompt #" + std::to_string(i);
    x.expect = Expect::kRefuse;
    d.samples.push_back(x);
  }
  d.sha256 = "d";
  auto r = RunEval(env_, clock_, s, d, **client, Options("run"));
  ASSERT_RSF_OK(r);
  ASSERT_TRUE(r->complete);
  // "#1" matches samples 1 and 10..19: 11 of 30 refused.
  EXPECT_NEAR(r->metrics[0].mean, 11.0 / 30, 1e-12);
  EXPECT_NEAR(r->metrics[1].mean, 19.0 / 30, 1e-12);
}

}  // namespace
}  // namespace rsf::eval
