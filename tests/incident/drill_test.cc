// Drill scenarios and the runner, against a simulated gateway at the DrillTarget seam (the
// end-to-end drill against a real gateway is in tests/gateway/gateway_incident_test.cc).
#include "rsf/incident/drill.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::incident {
namespace {

std::string Read(const std::string& rel) {
  std::ifstream in(std::string(RSF_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ScenarioTest, TheShippedScenariosParse) {
  for (const char* f : {"weapons-burst.yaml", "universal-jailbreak.yaml", "weights-alarm.yaml"}) {
    auto s = ParseScenario(Read(std::string("examples/incidents/drills/") + f), f);
    ASSERT_RSF_OK(s);
    EXPECT_EQ(s->detect_target, std::chrono::milliseconds(5000));
    EXPECT_EQ(s->contain_target, std::chrono::milliseconds(5000));
    EXPECT_FALSE(s->contained.empty());
  }
}

TEST(ScenarioTest, MalformedScenariosAreRefusedWithFileAndLine) {
  struct Case {
    std::string yaml, expected;
  } cases[] = {
      {"drill: x\ninject:\n  - requests: {key: ghost, model: m, prompt: p}\nexpect: {incident: {kind: misuse}}\n", "s.yaml:3:"},
      {"drill: x\ninject:\n  - requests: {key: ghost, model: m, prompt: p}\nexpect: {incident: {kind: misuse}}\n", "key 'ghost' is not declared"},
      {"drill: x\ninject: []\nexpect: {incident: {kind: misuse}}\n", "non-empty 'inject'"},
      {"drill: x\ninject:\n  - signal: {model: m}\nexpect: {incident: {kind: misuse}}\n", "needs a name"},
      {"drill: x\ninject:\n  - signal: {name: a}\nexpect: {incident: {kind: bad}}\n", "s.yaml:4:"},
      {"drill: x\ninject:\n  - signal: {name: a}\nexpect: {incident: {kind: misuse}}\ntargets: {detect: quick}\n", "'detect' must be a duration"},
      {"drill: x\ninject:\n  - {signal: {name: a}, flaw_report: {title: t, description: d}}\nexpect: {incident: {kind: misuse}}\n", "one of requests"},
  };
  for (const auto& c : cases) {
    auto s = ParseScenario(c.yaml, "s.yaml");
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(s.status().message().find(c.expected), std::string::npos) << s.status().message();
  }
}

// A gateway in miniature: the 10th weapons request from a key opens an incident 300 ms later
// (by its clock), the key is revoked 200 ms after that, the pager is told 100 ms after that.
class SimulatedGateway final : public DrillTarget {
 public:
  explicit SimulatedGateway(rsf::testing::FakeClock& clock, bool contain = true) : clock_(clock), contain_(contain) {}
  Result<std::pair<std::string, std::string>> CreateKey(const std::string& name, const std::string& tier) override {
    keys.push_back(name + "/" + tier);
    return std::pair{"id" + std::to_string(keys.size()), "secret" + std::to_string(keys.size())};
  }
  Status RevokeKey(const std::string& id) override {
    revoked_by_drill.push_back(id);
    return OkStatus();
  }
  Result<int> Chat(const std::string& secret, const std::string&, const std::string&, const std::string& drill) override {
    drills.insert(drill);
    clock_.Advance(std::chrono::milliseconds(10));
    if (opened_ && contain_ && clock_.Now() >= *opened_ + std::chrono::milliseconds(200)) return 401;
    if (++hits_ == 10) opened_ = clock_.Now() + std::chrono::milliseconds(300);
    (void)secret;
    return 400;
  }
  Status FlawReport(const Json&, const std::string&) override { return OkStatus(); }
  Status Signal(const Json&, const std::string&) override { return OkStatus(); }
  Result<std::vector<Json>> Incidents(const std::string&) override {
    if (!opened_ || clock_.Now() < *opened_) return std::vector<Json>{};
    Json timeline = Json::array();
    if (clock_.Now() >= *opened_ + std::chrono::milliseconds(300)) {
      timeline.push_back({{"what", "notified"}, {"time", FormatRfc3339(*opened_ + std::chrono::milliseconds(300))}});
    }
    return std::vector<Json>{{{"id", "inc-1"}, {"kind", "misuse"}, {"severity", "high"}, {"opened", FormatRfc3339(*opened_)},
                              {"runbook", "misuse-high"}, {"timeline", timeline}}};
  }
  Result<Json> Restore(const std::string&) override { return Json{{"lifted", Json::array()}}; }
  Result<uint64_t> Record(const Json& report) override {
    recorded = report;
    return 42;
  }
  std::vector<std::string> keys, revoked_by_drill;
  std::set<std::string> drills;
  Json recorded;

 private:
  rsf::testing::FakeClock& clock_;
  bool contain_;
  int hits_ = 0;
  std::optional<TimePoint> opened_;
};

TEST(DrillTest, TimesDetectionContainmentAndNotificationFromTheFirstInjection) {
  rsf::testing::FakeClock clock;
  auto s = ParseScenario(Read("examples/incidents/drills/weapons-burst.yaml"), "weapons-burst.yaml");
  ASSERT_RSF_OK(s);
  SimulatedGateway gw(clock);
  auto report = RunDrill(*s, gw, clock);
  ASSERT_RSF_OK(report);
  EXPECT_TRUE((*report)["passed"].get<bool>()) << report->dump(2);
  // 12 requests of 10 ms; the 10th (t = 100 ms) opens the incident at t = 400 ms.
  EXPECT_DOUBLE_EQ((*report)["detect"]["seconds"].get<double>(), 0.4);
  EXPECT_GE((*report)["contain"]["seconds"].get<double>(), 0.6);
  EXPECT_LE((*report)["contain"]["seconds"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ((*report)["notify"]["seconds"].get<double>(), 0.7);
  EXPECT_EQ((*report)["ledger_index"], 42);
  EXPECT_EQ(gw.recorded["id"], (*report)["id"]);
  EXPECT_EQ(gw.keys.size(), 1u);
  EXPECT_EQ(gw.revoked_by_drill.size(), 1u);  // its keys are revoked afterwards
  ASSERT_EQ(gw.drills.size(), 1u);            // every request marked with the drill's id
  EXPECT_EQ(*gw.drills.begin(), (*report)["id"].get<std::string>());
  EXPECT_NE(DrillReportMarkdown(*report).find("passed"), std::string::npos);
}

TEST(DrillTest, ContainmentThatNeverHoldsFailsTheDrill) {
  rsf::testing::FakeClock clock;
  auto s = ParseScenario(Read("examples/incidents/drills/weapons-burst.yaml"), "weapons-burst.yaml");
  ASSERT_RSF_OK(s);
  SimulatedGateway gw(clock, /*contain=*/false);
  auto report = RunDrill(*s, gw, clock);
  ASSERT_RSF_OK(report);
  EXPECT_FALSE((*report)["passed"].get<bool>());
  EXPECT_TRUE((*report)["contain"]["seconds"].is_null());
  EXPECT_FALSE((*report)["contain"]["met"].get<bool>());
  EXPECT_NE((*report)["problems"].dump().find("containment did not hold"), std::string::npos);
  EXPECT_FALSE(gw.recorded.is_null());  // a failed drill is recorded too
}

TEST(DrillTest, HistoryRendersATableAndAChart) {
  std::vector<Json> reports = {
      {{"id", "drill-1"}, {"scenario", "weapons-burst"}, {"passed", true}, {"detect", {{"seconds", 0.4}, {"target_s", 5}, {"met", true}}},
       {"contain", {{"seconds", 0.7}, {"target_s", 5}, {"met", true}}}},
      {{"id", "drill-2"}, {"scenario", "weapons-burst"}, {"passed", false}, {"detect", {{"seconds", 6.0}, {"target_s", 5}, {"met", false}}},
       {"contain", {{"seconds", nullptr}, {"target_s", 5}, {"met", false}}}}};
  const std::string md = DrillHistoryMarkdown(reports);
  EXPECT_NE(md.find("| weapons-burst | 2 | 1 | 0.400 → 6.000 |"), std::string::npos) << md;
  const std::string html = DrillHistoryHtml(reports);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("aria-label"), std::string::npos);
}

}  // namespace
}  // namespace rsf::incident
