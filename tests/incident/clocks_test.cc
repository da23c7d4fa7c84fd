// Regulatory clocks against a golden file (times worked out by hand), and report drafts.
#include "rsf/incident/clocks.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/status_matchers.h"

namespace rsf::incident {
namespace {

std::vector<policy::Obligation> Obligations() {
  auto o = [](std::string id, std::string authority, std::string event, int64_t seconds, std::string text) {
    policy::Obligation x;
    x.id = std::move(id);
    x.authority = std::move(authority);
    x.event = std::move(event);
    x.within_seconds = seconds;
    x.within_text = std::move(text);
    return x;
  };
  return {o("eu-serious-incident", "EU AI Office", "serious_incident", 15 * 86400, "15d"),
          o("ca-critical-incident-imminent", "California OES", "critical_incident_imminent_harm", 24 * 3600, "24h"),
          o("ny-safety-incident", "New York DHSES", "safety_incident", 72 * 3600, "72h"),
          o("eu-cybersecurity-breach", "EU AI Office", "serious_cybersecurity_breach", 5 * 86400, "5d")};
}

std::vector<Incident> Incidents() {
  Incident a;
  a.id = "inc-a";
  a.title = "Misuse at scale";
  a.summary = "step-by-step synthesis route for <agent>";
  a.opened = "2026-03-01T10:00:00.000Z";
  a.events = {"serious_incident", "safety_incident"};
  a.entered = {{"reported", a.opened}};
  Incident b;
  b.id = "inc-b";
  b.opened = "2026-03-04T08:30:00.000Z";
  b.state = State::kTriaged;
  b.entered = {{"reported", b.opened}, {"triaged", "2026-03-04T09:00:00.000Z"}};
  b.events = {"critical_incident_imminent_harm"};
  b.filed.push_back({"ca-critical-incident-imminent", "2026-03-05T07:00:00.000Z", "admin:k", ""});
  Incident c;
  c.id = "inc-c";
  c.kind = Kind::kWeightsSecurity;
  c.opened = "2026-02-20T00:00:00.000Z";
  c.state = State::kContained;
  c.entered = {{"reported", c.opened}, {"contained", "2026-02-20T01:00:00.000Z"}};
  c.events = {"serious_cybersecurity_breach"};
  c.filed.push_back({"eu-cybersecurity-breach", "2026-02-26T00:00:00.000Z", "admin:k", "AIO-12"});
  return {a, b, c};
}

TEST(ClocksTest, MatchTheGoldenFile) {
  IncidentPolicy policy;  // triage within 72h
  auto now = ParseRfc3339("2026-03-05T12:00:00.000Z");
  ASSERT_RSF_OK(now);
  auto duties = ComputeDuties(Obligations(), policy, Incidents(), *now);
  ASSERT_RSF_OK(duties);
  std::ifstream in(std::string(RSF_SOURCE_DIR) + "/tests/incident/data/clocks_golden.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const Json golden = Json::parse(ss.str());
  ASSERT_EQ(duties->size(), golden.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    const Json got = (*duties)[i].ToJson();
    for (const auto& [field, value] : golden[i].items()) EXPECT_EQ(got[field], value) << "duty " << i << " field " << field;
    if (!golden[i].contains("filed_at")) {
      EXPECT_FALSE(got.contains("filed_at")) << "duty " << i;
    }
  }
}

TEST(ClocksTest, FormatsWhatIsLeft) {
  EXPECT_EQ(FormatRemaining(943200), "10d 22h");
  EXPECT_EQ(FormatRemaining(-93600), "overdue by 1d 2h");
  EXPECT_EQ(FormatRemaining(3 * 3600 + 5 * 60), "3h 5m");
  EXPECT_EQ(FormatRemaining(86400), "1d");
  EXPECT_EQ(FormatRemaining(42), "42s");
}

TEST(ClocksTest, RejectsAnIncidentWithoutAnOpeningTime) {
  auto bad = Incidents();
  bad[1].opened = "yesterday";
  auto d = ComputeDuties(Obligations(), {}, bad, std::chrono::system_clock::now());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("inc-b"), std::string::npos);
}

TEST(DraftTest, PrefilledAndFreeOfHazardousText) {
  auto now = ParseRfc3339("2026-03-05T12:00:00.000Z");
  const Incident a = Incidents()[0];
  auto draft = DraftReport(a, Obligations(), {}, "eu-serious-incident", *now);
  ASSERT_RSF_OK(draft);
  EXPECT_EQ(draft->json["format"], "rsf-incident-report/1");
  EXPECT_EQ(draft->json["due"], "2026-03-16T10:00:00.000Z");
  EXPECT_EQ(draft->json["incident"]["summary"]["sha256"], TextDigest(a.summary));
  EXPECT_NE(draft->markdown.find("# EU AI Office report: Misuse at scale"), std::string::npos);
  EXPECT_NE(draft->markdown.find("10d 22h"), std::string::npos);
  EXPECT_NE(draft->markdown.find(TextDigest(a.summary)), std::string::npos);
  EXPECT_EQ(draft->markdown.find("synthesis"), std::string::npos);
  EXPECT_EQ(draft->json.dump().find("synthesis"), std::string::npos);
  EXPECT_EQ(DraftReport(a, Obligations(), {}, "ca-critical-incident-imminent", *now).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DraftReport(a, Obligations(), {}, "nope", *now).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace rsf::incident
