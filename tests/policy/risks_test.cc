#include "rsf/policy/risks.h"

#include <gtest/gtest.h>

#include "rsf/common/env.h"
#include "testing/status_matchers.h"

namespace rsf::policy {
namespace {

TEST(RisksTest, MediansQuartilesAndConvergence) {
  const char* yaml = R"(rsf_risks: 1
risks: [{id: a, title: A, owner: O}, {id: b, title: B, owner: O}]
rounds:
  - ratings:
      - {expert: e1, risk: a, probability: 0.1, severity: 1, vulnerability: 1}
      - {expert: e2, risk: a, probability: 0.2, severity: 3, vulnerability: 2}
      - {expert: e3, risk: a, probability: 0.3, severity: 5, vulnerability: 3}
      - {expert: e4, risk: a, probability: 0.9, severity: 5, vulnerability: 4}
      - {expert: e1, risk: b, probability: 0.5, severity: 4, vulnerability: 4}
  - ratings:
      - {expert: e1, risk: a, probability: 0.2, severity: 4, vulnerability: 2}
      - {expert: e2, risk: a, probability: 0.2, severity: 4, vulnerability: 2}
      - {expert: e3, risk: a, probability: 0.25, severity: 5, vulnerability: 3}
      - {expert: e4, risk: a, probability: 0.3, severity: 5, vulnerability: 3}
)";
  auto reg = LoadRiskRegister(yaml, "r.yaml");
  ASSERT_RSF_OK(reg);
  auto s = AggregateRisks(*reg);
  ASSERT_EQ(s.size(), 2u);
  const RiskSummary& a = s[0].id == "a" ? s[0] : s[1];
  // Round 1: probabilities 0.1 0.2 0.3 0.9 -> median 0.25, q1 0.175, q3 0.45 (type 7).
  EXPECT_NEAR(a.probability[0].median, 0.25, 1e-12);
  EXPECT_NEAR(a.probability[0].q1, 0.175, 1e-12);
  EXPECT_NEAR(a.probability[0].q3, 0.45, 1e-12);
  EXPECT_NEAR(a.severity[0].median, 4, 1e-12);
  EXPECT_NEAR(a.probability[1].iqr(), 0.0625, 1e-12);
  EXPECT_TRUE(a.converged);  // spread shrank from 0.275 to 0.0625 and severity IQR is 1
  EXPECT_EQ(a.raters, (std::vector<int>{4, 4}));
  const RiskSummary& b = s[0].id == "b" ? s[0] : s[1];
  EXPECT_EQ(b.raters, (std::vector<int>{1, 0}));
  EXPECT_FALSE(b.converged);  // nobody rated it in the final round
  Json j = RiskSummariesToJson(s);
  EXPECT_EQ(j["format"], "rsf-risks/1");
  EXPECT_NE(RiskHtml(s).find("<svg"), std::string::npos);
  EXPECT_NE(RiskMarkdown(s).find("| A | O |"), std::string::npos);
}

TEST(RisksTest, BadRegistersNameTheProblem) {
  auto unknown = LoadRiskRegister("rsf_risks: 1\nrisks: [{id: a, title: A, owner: O}]\nrounds:\n  - ratings:\n"
                                  "      - {expert: e, risk: z, probability: 0.1, severity: 1, vulnerability: 1}\n", "r.yaml");
  EXPECT_RSF_CODE(unknown, StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("r.yaml:5:27: unknown risk 'z'"), std::string::npos) << unknown.status().message();
  auto range = LoadRiskRegister("rsf_risks: 1\nrisks: [{id: a, title: A, owner: O}]\nrounds:\n  - ratings:\n"
                                "      - {expert: e, risk: a, probability: 1.5, severity: 1, vulnerability: 1}\n", "r.yaml");
  EXPECT_NE(range.status().message().find("field 'probability': expected a number from 0 to 1"), std::string::npos);
  auto twice = LoadRiskRegister("rsf_risks: 1\nrisks: [{id: a, title: A, owner: O}]\nrounds:\n  - ratings:\n"
                                "      - {expert: e, risk: a, probability: 0.5, severity: 1, vulnerability: 1}\n"
                                "      - {expert: e, risk: a, probability: 0.6, severity: 1, vulnerability: 1}\n", "r.yaml");
  EXPECT_NE(twice.status().message().find("expert 'e' rates 'a' twice"), std::string::npos);
  EXPECT_RSF_CODE(LoadRiskRegister("risks: []", "r.yaml"), StatusCode::kInvalidArgument);
}

TEST(RisksTest, ExampleRegisterLoads) {
  const char* d = std::getenv("RSF_SOURCE_DIR");
  auto text = Env::Default().ReadFile(std::string(d ? d : ".") + "/examples/risks/register.yaml");
  ASSERT_RSF_OK(text);
  auto reg = LoadRiskRegister(*text, "register.yaml");
  ASSERT_RSF_OK(reg);
  EXPECT_EQ(reg->rounds.size(), 2u);
  EXPECT_EQ(AggregateRisks(*reg).size(), 4u);
}

}  // namespace
}  // namespace rsf::policy
