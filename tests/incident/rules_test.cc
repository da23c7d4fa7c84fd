// The policy's incidents section and the monitor.
#include "rsf/incident/rules.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::incident {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kSection = R"(incidents:
  triage_within: 48h
  events:
    - {event: serious_incident, kinds: [misuse], severities: [critical]}
    - {event: safety_incident, severities: [high, critical]}
  rules:
    - id: burst
      signal: guard.cbrn
      count: 3
      within: 10s
      cooldown: 1m
      open: {kind: misuse, severity: high}
    - id: canary
      signal: guard.blocked
      per: request
      above: 0.5
      min_events: 4
      channel: canary
      group_by: model
      within: 1m
      open: {kind: capability_surprise, severity: medium, title: Canary regressed}
)";

Result<IncidentPolicy> Load(const std::string& yaml) { return LoadIncidentPolicy(yaml, "p.yaml"); }

TEST(IncidentPolicyTest, LoadsTheSection) {
  auto p = Load(kSection);
  ASSERT_RSF_OK(p);
  EXPECT_EQ(p->triage_within, seconds(48 * 3600));
  ASSERT_EQ(p->rules.size(), 2u);
  EXPECT_EQ(p->rules[0].within, milliseconds(10000));
  EXPECT_EQ(p->rules[0].cooldown, milliseconds(60000));
  EXPECT_EQ(p->rules[0].group_by, GroupBy::kKey);
  EXPECT_EQ(p->rules[1].per, "request");
  EXPECT_EQ(p->rules[1].title, "Canary regressed");
  EXPECT_EQ(EventsFor(*p, Kind::kMisuse, Severity::kCritical), (std::vector<std::string>{"serious_incident", "safety_incident"}));
  EXPECT_EQ(EventsFor(*p, Kind::kData, Severity::kHigh), (std::vector<std::string>{"safety_incident"}));
  EXPECT_TRUE(EventsFor(*p, Kind::kMisuse, Severity::kLow).empty());
}

TEST(IncidentPolicyTest, APolicyWithoutTheSectionHasNoRules) {
  auto p = Load("rsf_policy: 1\nframework: {id: x}\n");
  ASSERT_RSF_OK(p);
  EXPECT_TRUE(p->rules.empty());
  EXPECT_EQ(p->triage_within, seconds(72 * 3600));
}

TEST(IncidentPolicyTest, ErrorsNameFileLineAndWhatWasExpected) {
  struct Case {
    std::string yaml, expected;
  } cases[] = {
      {"incidents:\n  rules:\n    - {id: a, signal: s, count: 1, within: soon, open: {kind: misuse, severity: high}}\n", "p.yaml:3:"},
      {"incidents:\n  rules:\n    - {id: a, signal: s, count: 1, within: soon, open: {kind: misuse, severity: high}}\n", "'within' must be a duration"},
      {"incidents:\n  rules:\n    - {id: a, signal: s, per: request, within: 1m, open: {kind: misuse, severity: high}}\n", "needs 'above'"},
      {"incidents:\n  rules:\n    - {id: a, signal: s, count: 2, within: 1m, open: {kind: weapons, severity: high}}\n", "'kind' must be one of"},
      {"incidents:\n  rules:\n    - {id: a, signal: s, count: 2, within: 1m, open: {kind: misuse, severity: high}}\n"
       "    - {id: a, signal: s, count: 2, within: 1m, open: {kind: misuse, severity: high}}\n", "p.yaml:4:"},
      {"incidents:\n  triage: 3d\n", "unknown field 'triage'"},
      {"incidents:\n  rules:\n    - {id: a, signal: s, count: 2, within: 1m, group_by: user, open: {kind: misuse, severity: high}}\n", "'group_by' must be"},
  };
  for (const auto& c : cases) {
    auto p = Load(c.yaml);
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(p.status().message().find(c.expected), std::string::npos) << p.status().message();
  }
}

TEST(IncidentPolicyTest, TheExamplePolicyLoads) {
  std::ifstream in(std::string(RSF_SOURCE_DIR) + "/examples/policies/asl-ladder.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  auto p = Load(ss.str());
  ASSERT_RSF_OK(p);
  EXPECT_EQ(p->rules.size(), 4u);
}

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() : monitor_(*Load(kSection), clock_) {}
  std::vector<Detection> Hit(const std::string& key, const std::string& name = "guard.cbrn", const std::string& drill = "") {
    return monitor_.Observe({key, "public", "m", "stable", drill}, {name, "request"});
  }
  rsf::testing::FakeClock clock_;
  Monitor monitor_;
};

TEST_F(MonitorTest, CountRuleFiresWhenEnoughSignalsFallInTheWindow) {
  EXPECT_TRUE(monitor_.Watches("guard.cbrn"));
  EXPECT_FALSE(monitor_.Watches("guard.hate"));
  EXPECT_TRUE(Hit("k1").empty());
  clock_.Advance(seconds(6));
  EXPECT_TRUE(Hit("k1").empty());
  clock_.Advance(seconds(6));  // the first hit has left the 10 s window
  EXPECT_TRUE(Hit("k1").empty());
  clock_.Advance(seconds(1));
  auto d = Hit("k1");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule->id, "burst");
  EXPECT_EQ(d[0].group, "k1");
  EXPECT_EQ(d[0].observed, 3);
  // Cooldown: more hits from the same key within a minute open nothing more.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Hit("k1").empty());
  clock_.Advance(seconds(61));
  Hit("k1");
  Hit("k1");
  EXPECT_EQ(Hit("k1").size(), 1u);
}

TEST_F(MonitorTest, KeysAndDrillsAreCountedApart) {
  Hit("k1");
  Hit("k2");
  Hit("k1", "guard.cbrn", "drill-1");
  Hit("k1", "guard.cbrn", "drill-1");
  EXPECT_TRUE(Hit("k2").empty());
  EXPECT_TRUE(Hit("k1").empty());  // two real hits for k1; the drill's two do not count
  auto d = Hit("k1", "guard.cbrn", "drill-1");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].signal.drill, "drill-1");
  EXPECT_EQ(Hit("k1").size(), 1u);  // the real count completes on its own
}

TEST_F(MonitorTest, RateRuleNeedsItsMinimumAndItsChannel) {
  auto observe = [&](const std::string& channel, bool blocked) {
    std::vector<std::string> names = {"request"};
    if (blocked) names.push_back("guard.blocked");
    return monitor_.Observe({"k", "public", "m", channel, ""}, names);
  };
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(observe("stable", true).empty());  // not the canary
  EXPECT_TRUE(observe("canary", true).empty());
  EXPECT_TRUE(observe("canary", false).empty());
  EXPECT_TRUE(observe("canary", true).empty());  // 2/3 blocked but fewer than 4 requests
  auto d = observe("canary", false);             // 2/4 = 0.5: not above 0.5
  EXPECT_TRUE(d.empty());
  d = observe("canary", true);  // 3/5 = 0.6
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule->id, "canary");
  EXPECT_DOUBLE_EQ(d[0].observed, 0.6);
  EXPECT_EQ(d[0].group, "m");
}

}  // namespace
}  // namespace rsf::incident
