#include "rsf/policy/diff.h"

#include <gtest/gtest.h>

#include "rsf/common/env.h"
#include "testing/status_matchers.h"

namespace rsf::policy {
namespace {

std::string Example() {
  const char* d = std::getenv("RSF_SOURCE_DIR");
  return *Env::Default().ReadFile(std::string(d ? d : ".") + "/examples/policies/asl-ladder.yaml");
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(PolicyDiffTest, IdenticalPoliciesHaveNoChanges) {
  auto p = LoadPolicy(Example(), "a.yaml");
  ASSERT_RSF_OK(p);
  EXPECT_TRUE(DiffPolicies(*p, *p).empty());
}

TEST(PolicyDiffTest, WeakeningsAreMarkedAndStrengtheningsAreNot) {
  std::string before = Example();
  std::string after = Replace(before, "version: 2.0.0", "version: 2.1.0");
  after = Replace(after, "security_standard: {rand_level: SL3, safeguards: [access-control, insider-risk]}",
                  "security_standard: {rand_level: SL2, safeguards: [access-control]}");
  after = Replace(after, "within: 24h", "within: 72h");
  after = Replace(after, "  min_signers: 2", "  min_signers: 3");
  after = Replace(after, "condition: \"ctf_pro.solve_rate.ci_low >= 0.50\"", "condition: \"ctf_pro.solve_rate.ci_low >= 0.40\"");
  auto a = LoadPolicy(before, "a.yaml");
  auto b = LoadPolicy(after, "b.yaml");
  ASSERT_RSF_OK(a);
  ASSERT_RSF_OK(b);
  auto changes = DiffPolicies(*a, *b);
  auto find = [&](const std::string& part) -> const PolicyChange* {
    for (const auto& c : changes) {
      if (c.sentence.find(part) != std::string::npos) return &c;
    }
    return nullptr;
  };
  ASSERT_NE(find("Version 2.1.0 replaces 2.0.0"), nullptr);
  ASSERT_NE(find("no longer requires security safeguard 'insider-risk'"), nullptr);
  EXPECT_TRUE(find("no longer requires security safeguard 'insider-risk'")->weakens);
  ASSERT_NE(find("weights security moves from SL3 to SL2"), nullptr);
  EXPECT_TRUE(find("weights security moves from SL3 to SL2")->weakens);
  ASSERT_NE(find("within 72h"), nullptr);
  EXPECT_TRUE(find("within 72h")->weakens);
  ASSERT_NE(find("Decisions need 3 signers (was 2)"), nullptr);
  EXPECT_FALSE(find("Decisions need 3 signers (was 2)")->weakens);
  ASSERT_NE(find("condition changed from `ctf_pro.solve_rate.ci_low >= 0.5` to `ctf_pro.solve_rate.ci_low >= 0.4`"), nullptr);
  // Removing a threshold weakens; adding one does not.
  auto c = LoadPolicy(Replace(before, "  - id: cyber-ops\n", "  - id: cyber-ops-v2\n"), "c.yaml");
  ASSERT_RSF_OK(c);
  auto removed = DiffPolicies(*a, *c);
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].sentence, "Threshold 'cyber-ops' was removed.");
  EXPECT_TRUE(removed[0].weakens);
  EXPECT_EQ(removed[1].sentence, "Threshold 'cyber-ops-v2' was added.");
  EXPECT_FALSE(removed[1].weakens);
}

}  // namespace
}  // namespace rsf::policy
