// Lint: example frameworks have no errors; each case in tests/data/policy/lint/ yields the
// findings its "# expect-lint: <code> <line>:<column>" lines name, and no other errors.
#include "rsf/policy/lint.h"

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

std::string Describe(const std::vector<LintFinding>& fs) {
  std::string out;
  for (const auto& f : fs) out += f.where.ToString() + " " + f.code + ": " + f.message + "\n";
  return out;
}

TEST(LintTest, ExampleFrameworksHaveNoErrors) {
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/examples/policies")) {
    if (e.path().extension() != ".yaml") continue;
    auto p = LoadPolicyFile(Env::Default(), e.path().string());
    ASSERT_RSF_OK(p);
    auto findings = LintPolicy(*p);
    for (const auto& f : findings) {
      EXPECT_NE(f.severity, Severity::kError) << e.path() << ": " << Describe(findings);
    }
  }
}

TEST(LintTest, GoldenCases) {
  std::set<std::string> catalogue;
  {
    std::istringstream in(*Env::Default().ReadFile(SourceDir() + "/tests/data/policy/lint/metrics.txt"));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') catalogue.insert(line);
    }
  }
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/tests/data/policy/lint")) {
    if (e.path().extension() != ".yaml") continue;
    ++cases;
    std::string text = *Env::Default().ReadFile(e.path().string());
    std::string name = e.path().filename().string();
    auto p = LoadPolicy(text, name);
    ASSERT_RSF_OK(p) << name;
    LintOptions options;
    options.known_metrics = catalogue;
    auto findings = LintPolicy(*p, options);
    std::set<std::string> expected;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("# expect-lint: ", 0) == 0) expected.insert(line.substr(15));
    }
    std::set<std::string> got;
    for (const auto& f : findings) got.insert(f.code + " " + std::to_string(f.where.line) + ":" + std::to_string(f.where.column));
    for (const auto& x : expected) {
      EXPECT_TRUE(got.count(x)) << name << ": missing finding " << x << "\n" << Describe(findings);
    }
    for (const auto& f : findings) {
      std::string key = f.code + " " + std::to_string(f.where.line) + ":" + std::to_string(f.where.column);
      if (f.severity == Severity::kError) {
        EXPECT_TRUE(expected.count(key)) << name << ": unexpected error " << key << ": " << f.message;
      }
    }
  }
  EXPECT_GE(cases, 2);
}

}  // namespace
}  // namespace rsf::policy
