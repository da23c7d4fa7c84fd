// Assessment golden cases: each file in tests/data/policy/assess/ names a policy, evaluation
// results and safeguard evidence (inline or as a path) and the determination expected.
// Adding a case is adding a file.
#include "rsf/policy/assess.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "rsf/common/env.h"
#include "rsf/policy/report.h"
#include "testing/status_matchers.h"

namespace rsf::policy {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("RSF_SOURCE_DIR");
  return d ? d : ".";
}

Json Inline(const Json& v) {
  if (!v.is_string()) return v;
  return *ParseJson(*Env::Default().ReadFile(SourceDir() + "/" + v.get<std::string>()), v.get<std::string>());
}

TEST(AssessTest, GoldenCases) {
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/tests/data/policy/assess")) {
    ++cases;
    std::string name = e.path().filename().string();
    auto c = ParseJson(*Env::Default().ReadFile(e.path().string()), name);
    ASSERT_RSF_OK(c);
    auto p = LoadPolicyFile(Env::Default(), SourceDir() + "/" + (*c)["policy"].get<std::string>());
    ASSERT_RSF_OK(p) << name;
    auto evals = ParseEvalResults(Inline((*c)["evals"]), name);
    ASSERT_RSF_OK(evals) << name;
    SafeguardEvidence ev;
    if (c->contains("evidence")) {
      auto parsed = ParseSafeguardEvidence(Inline((*c)["evidence"]), name);
      ASSERT_RSF_OK(parsed) << name;
      ev = *parsed;
    }
    auto a = Assess(*p, *evals, ev);
    ASSERT_RSF_OK(a) << name;
    Json got = AssessmentToJson(*a);
    const Json& want = (*c)["expect"];
    EXPECT_EQ(got["decision"]["outcome"], want["outcome"]) << name << "\n" << got.dump(2);
    EXPECT_EQ(got["level"], want["level"]) << name;
    if (want.contains("tiers")) {
      EXPECT_EQ(got["decision"]["tiers"], want["tiers"]) << name;
    }
    if (want.contains("halts")) {
      EXPECT_EQ(got["decision"]["halts"], want["halts"]) << name;
    }
    const Json expected_thresholds = want.value("thresholds", Json::object());
    for (auto it = expected_thresholds.begin(); it != expected_thresholds.end(); ++it) {
      bool found = false;
      for (const auto& t : got["thresholds"]) {
        if (t["id"] == it.key()) {
          found = true;
          EXPECT_EQ(t["status"], *it) << name << ": threshold " << it.key();
        }
      }
      EXPECT_TRUE(found) << name << ": no threshold " << it.key();
    }
    for (const auto& r : want.value("reasons_contain", Json::array())) {
      bool found = false;
      for (const auto& g : got["decision"]["reasons"]) found |= g.get<std::string>() == r.get<std::string>();
      EXPECT_TRUE(found) << name << ": no reason '" << r.get<std::string>() << "' in " << got["decision"]["reasons"].dump(2);
    }
    // The reports render and carry the decision.
    EXPECT_NE(AssessmentMarkdown(*p, *a).find(OutcomeName(a->outcome)), std::string::npos);
    std::string html = AssessmentHtml(*p, *a);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    // Self-contained: no scripts, stylesheets or images fetched from elsewhere.
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("src="), std::string::npos);
  }
  EXPECT_GE(cases, 6);
}

TEST(AssessTest, EvidenceFormatsAreChecked) {
  auto bad = ParseEvalResults(*ParseJson(R"({"format":"rsf-eval-results/1","metrics":{"a":{"mean":0.9,"ci_low":0.1,"ci_high":0.5}}})"), "e.json");
  EXPECT_RSF_CODE(bad, StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "e.json: field 'metrics.a': mean lies outside its confidence interval");
  EXPECT_RSF_CODE(ParseEvalResults(*ParseJson(R"({"format":"other","metrics":{}})"), "e.json"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseEvalResults(*ParseJson(R"({"format":"rsf-eval-results/1"})"), "e.json"), StatusCode::kInvalidArgument);
  auto ev = ParseSafeguardEvidence(*ParseJson(R"({"format":"rsf-safeguard-evidence/1","attestations":[{"role":"x"}]})"), "s.json");
  EXPECT_EQ(ev.status().message(), "s.json: attestations[0]: missing field 'safeguard'");
  EvalResults r = *ParseEvalResults(*ParseJson(R"({"format":"rsf-eval-results/1","metrics":{"a.b":{"mean":0.5,"ci_low":0.4,"ci_high":0.6,"n":10,"stderr":0.05},"base":0.7}})"), "e");
  EXPECT_EQ(*r.Lookup("a.b.ci_low"), 0.4);
  EXPECT_EQ(*r.Lookup("a.b.stderr"), 0.05);
  EXPECT_EQ(*r.Lookup("a.b.n"), 10);
  EXPECT_EQ(*r.Lookup("base"), 0.7);
  EXPECT_FALSE(r.Lookup("a.b.ci_mid").has_value());
  EXPECT_FALSE(r.Lookup("nothing").has_value());
}

}  // namespace
}  // namespace rsf::policy
