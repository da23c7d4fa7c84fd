#include "rsf/guard/escalation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::guard {
namespace {

// A judge at the model-client seam: answers with `reply`, or fails, and records prompts.
class FakeJudge final : public model::ModelClient {
 public:
  explicit FakeJudge(std::string reply) : reply_(std::move(reply)) {}
  Result<model::GenerateResponse> Generate(const model::GenerateRequest& req, const model::StreamCallback*) override {
    {
      std::lock_guard lock(mu_);
      prompts_.push_back(req.messages.at(0).content);
    }
    ++calls;
    if (fail) return UnavailableError("judge down");
    model::GenerateResponse r;
    r.text = reply_;
    return r;
  }
  model::ModelIdentity Identity() const override { return {"fake-judge", "", "fake"}; }
  std::atomic<int> calls{0};
  bool fail = false;
  std::vector<std::string> prompts() {
    std::lock_guard lock(mu_);
    return prompts_;
  }

 private:
  std::string reply_;
  std::mutex mu_;
  std::vector<std::string> prompts_;
};

TEST(JudgeTest, PromptListsEnabledCategoriesAndFencesTheText) {
  GuardConfig c = DefaultGuardConfig();
  c.categories[0].enabled = false;
  const std::string p = JudgePrompt("some text", c);
  EXPECT_EQ(p.find("- " + c.categories[0].id + ":"), std::string::npos);
  EXPECT_NE(p.find("- cbrn:"), std::string::npos);
  EXPECT_NE(p.find("<<<TEXT\nsome text\nTEXT>>>"), std::string::npos);
}

TEST(JudgeTest, ParsesRepliesStrictly) {
  GuardConfig c = DefaultGuardConfig();
  JudgeOutcome u = ParseJudgeReply("Unsafe: cbrn, cyber, astrology\nbecause...", c);
  ASSERT_TRUE(u.status.ok());
  EXPECT_TRUE(u.unsafe);
  EXPECT_EQ(u.categories, (std::vector<std::string>{"cbrn", "cyber"}));
  JudgeOutcome s = ParseJudgeReply("  safe", c);
  ASSERT_TRUE(s.status.ok());
  EXPECT_FALSE(s.unsafe);
  JudgeOutcome x = ParseJudgeReply("I cannot help with that", c);
  EXPECT_EQ(x.status.code(), StatusCode::kInvalidArgument);
}

TEST(JudgeTest, ApplyReplacesModelHitsAndKeepsRuleHits) {
  GuardConfig c = DefaultGuardConfig();
  Verdict v;
  v.unsafe = 0.6;
  v.uncertain = true;
  v.hits = {{"hate", 0.6, "model", Action::kBlock}, {"privacy", 1, "rule:privacy.doxxing", Action::kFlag}};
  v.action = Action::kBlock;
  Verdict safe = v;
  ApplyJudgement(ParseJudgeReply("safe", c), c, safe);
  EXPECT_EQ(safe.judge, "safe");
  EXPECT_EQ(safe.action, Action::kFlag);  // the rule's hit remains
  EXPECT_FALSE(safe.uncertain);
  Verdict unsafe = v;
  ApplyJudgement(ParseJudgeReply("unsafe: specialized_advice", c), c, unsafe);
  EXPECT_EQ(unsafe.hits[0].by, "rule:privacy.doxxing");
  EXPECT_EQ(unsafe.hits[1].category, "specialized_advice");
  EXPECT_EQ(unsafe.action, Action::kFlag);
  Verdict failed = v;
  JudgeOutcome err;
  err.status = UnavailableError("down");
  ApplyJudgement(err, c, failed);
  EXPECT_EQ(failed.action, Action::kBlock);  // fail closed: the model's verdict stands
  EXPECT_EQ(failed.judge, "error: down");
}

TEST(EscalatorTest, JudgesAsynchronouslyWithinTheBudget) {
  testing::FakeClock clock;
  FakeJudge judge("unsafe: cyber");
  GuardConfig c = DefaultGuardConfig();
  c.escalation.per_minute = 3;
  c.escalation.max_in_flight = 2;
  Escalator esc(judge, c, clock);
  std::atomic<int> unsafe{0};
  int accepted = 0;
  for (int i = 0; i < 5; ++i) {
    accepted += esc.Submit("text " + std::to_string(i), [&](JudgeOutcome o) { unsafe += o.unsafe; });
  }
  esc.Drain();
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(unsafe.load(), 3);
  EscalatorStats s = esc.stats();
  EXPECT_EQ(s.submitted, 3u);
  EXPECT_EQ(s.refused_budget, 2u);
  EXPECT_EQ(s.judged, 3u);
  // The window slides: a minute later there is budget again.
  clock.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(esc.Submit("later", [](JudgeOutcome) {}));
  esc.Drain();
  EXPECT_EQ(judge.calls.load(), 4);
  EXPECT_NE(judge.prompts()[0].find("<<<TEXT\ntext "), std::string::npos);
}

TEST(EscalatorTest, FailuresAreReportedNotHidden) {
  testing::FakeClock clock;
  FakeJudge judge("safe");
  judge.fail = true;
  GuardConfig c = DefaultGuardConfig();
  Escalator esc(judge, c, clock);
  Status got = OkStatus();
  ASSERT_TRUE(esc.Submit("x", [&](JudgeOutcome o) { got = o.status; }));
  esc.Drain();
  EXPECT_EQ(got.code(), StatusCode::kUnavailable);
  EXPECT_EQ(esc.stats().failed, 1u);
  c.escalation.enabled = false;
  Escalator off(judge, c, clock);
  EXPECT_FALSE(off.Submit("x", [](JudgeOutcome) {}));
}

}  // namespace
}  // namespace rsf::guard
