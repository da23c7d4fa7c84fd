// Loading policies: the example frameworks load; every bad case in tests/data/policy/bad/
// fails with the errors its "# expect:" lines name (file:line:column: message). Adding a case
// is adding a file.
#include "rsf/policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "rsf/common/env.h"
#include "testing/status_matchers.h"

namespace rsf::policy {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("RSF_SOURCE_DIR");
  return d ? d : ".";
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PolicyLoaderTest, ExampleFrameworksLoad) {
  auto files = FilesIn(SourceDir() + "/examples/policies");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    auto p = LoadPolicyFile(Env::Default(), path);
    ASSERT_RSF_OK(p) << path;
    EXPECT_FALSE(p->levels.empty()) << path;
    EXPECT_FALSE(p->thresholds.empty()) << path;
  }
}

TEST(PolicyLoaderTest, ExampleRspIsReadFaithfully) {
  auto p = LoadPolicyFile(Env::Default(), SourceDir() + "/examples/policies/asl-ladder.yaml");
  ASSERT_RSF_OK(p);
  EXPECT_EQ(p->framework.accountable_officer, "Responsible Scaling Officer");
  EXPECT_EQ(p->framework.external_review.every_days, 365);
  ASSERT_EQ(p->levels.size(), 2u);
  EXPECT_EQ(p->levels[1].id, "asl3");
  EXPECT_EQ(p->levels[1].rank, 1);
  EXPECT_EQ(p->levels[1].rand_security_level, "SL3");
  EXPECT_EQ(p->levels[1].deployment_standard.size(), 4u);
  const Threshold* t = p->FindThreshold("cbrn-uplift");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->condition.metrics(),
            (std::vector<std::string>{"bio_uplift_trial.effect.ci_low", "wmdp_bio.accuracy.ci_low"}));
  ASSERT_TRUE(t->alert.has_value());
  EXPECT_EQ(t->on_missing, OnMissing::kFailClosed);
  EXPECT_EQ(p->FindThreshold("autonomy-rnd")->semantics, Semantics::kRuleOut);
  EXPECT_EQ(p->FindDomain("persuasion")->kind, DomainKind::kWatch);
  EXPECT_EQ(p->FindSafeguard("misuse-classifiers")->evidence.kind, EvidenceKind::kMachine);
  EXPECT_EQ(p->decision.min_signers, 2);
  EXPECT_EQ(p->decision.outcomes.size(), 4u);
  ASSERT_EQ(p->obligations.size(), 7u);
  EXPECT_EQ(p->obligations[1].within_seconds, 24 * 3600);
  EXPECT_EQ(p->triggers[0].kind, TriggerKind::kEffectiveComputeMultiple);
  EXPECT_EQ(p->triggers[0].value, 4);
}

TEST(PolicyLoaderTest, BadPoliciesFailWithLocatedErrors) {
  auto files = FilesIn(SourceDir() + "/tests/data/policy/bad");
  ASSERT_GE(files.size(), 8u);
  for (const auto& path : files) {
    std::string text = *Env::Default().ReadFile(path);
    std::string name = std::filesystem::path(path).filename().string();
    std::vector<std::string> expected;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("# expect: ", 0) == 0) expected.push_back(line.substr(10));
    }
    ASSERT_FALSE(expected.empty()) << name << " has no '# expect:' line";
    auto p = LoadPolicy(text, name);
    ASSERT_FALSE(p.ok()) << name << " loaded";
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    for (const auto& e : expected) {
      EXPECT_NE(p.status().message().find(e), std::string::npos)
          << name << ": expected an error containing\n  " << e << "\ngot\n  " << p.status().message();
    }
  }
}

TEST(PolicyLoaderTest, DurationsAndMissingFiles) {
  EXPECT_EQ(*ParseDuration("15d"), 15 * 86400);
  EXPECT_EQ(*ParseDuration("72h"), 72 * 3600);
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_RSF_CODE(ParseDuration("15"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseDuration("-1d"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseDuration("3w"), StatusCode::kInvalidArgument);
  // Bounded (100 years), so that no caller overflows counting milliseconds.
  EXPECT_EQ(*ParseDuration("36500d"), int64_t{36500} * 86400);
  EXPECT_RSF_CODE(ParseDuration("36501d"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseDuration("9999999999999999d"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(LoadPolicyFile(Env::Default(), "/nonexistent/policy.yaml"), StatusCode::kNotFound);
  EXPECT_RSF_CODE(LoadPolicy("[1, 2]", "list.yaml"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(LoadPolicy("", "empty.yaml"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rsf::policy
