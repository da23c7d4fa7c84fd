#include "rsf/guard/config.h"

#include <gtest/gtest.h>

#include "rsf/guard/taxonomy.h"
#include "testing/status_matchers.h"

namespace rsf::guard {
namespace {

TEST(GuardConfigTest, DefaultsCoverTheTaxonomyAndBuiltinRules) {
  GuardConfig c = DefaultGuardConfig();
  EXPECT_EQ(c.categories.size(), DefaultTaxonomy().size());
  for (const char* id : {"violent_crimes", "nonviolent_crimes", "sexual_content", "child_exploitation", "cbrn", "cyber",
                         "hate", "self_harm", "privacy", "specialized_advice", "elections", "manipulation", "jailbreak",
                         "prompt_injection"}) {
    EXPECT_NE(c.FindCategory(id), nullptr) << id;
  }
  EXPECT_EQ(c.FindCategory("specialized_advice")->action, Action::kFlag);
  EXPECT_EQ(c.FindCategory("cbrn")->action, Action::kBlock);
  EXPECT_FALSE(c.rules.empty());
  EXPECT_EQ(c.model, "builtin");
}

TEST(GuardConfigTest, MergesCategoriesRulesAndEscalationFromAPolicyFile) {
  const char* yaml = R"(
framework: {id: x}
guard:
  max_bytes: 4096
  unsafe: {action: flag, threshold: 0.9}
  categories:
    - {id: self_harm, action: flag}
    - {id: elections, enabled: false}
    - {id: export_control, name: Export control, action: block, threshold: 0.7}
  rules:
    - {id: codeword, category: export_control, pattern: 'project\s+nightfall'}
  escalation: {band: [0.2, 0.6], max_in_flight: 2, per_minute: 10}
)";
  auto c = ParseGuardConfig(yaml, "policy.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_bytes, 4096u);
  EXPECT_EQ(c->unsafe_action, Action::kFlag);
  EXPECT_DOUBLE_EQ(*c->unsafe_threshold, 0.9);
  EXPECT_EQ(c->FindCategory("self_harm")->action, Action::kFlag);
  EXPECT_FALSE(c->FindCategory("elections")->enabled);
  ASSERT_NE(c->FindCategory("export_control"), nullptr);
  EXPECT_DOUBLE_EQ(*c->FindCategory("export_control")->threshold, 0.7);
  EXPECT_EQ(c->rules.back().id, "codeword");
  EXPECT_EQ(c->rules.back().where, "policy.yaml:11");
  EXPECT_GT(c->rules.size(), 1u);  // built-in rules kept
  EXPECT_DOUBLE_EQ(c->escalation.low, 0.2);
  EXPECT_EQ(c->escalation.per_minute, 10);
  EXPECT_EQ(c->source, "policy.yaml");
}

TEST(GuardConfigTest, ReplacingTheBuiltinRules) {
  auto c = ParseGuardConfig("default_rules: false\nrules:\n  - {id: r, category: cyber, pattern: 'x'}\n", "g.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->rules.size(), 1u);
}

TEST(GuardConfigTest, ErrorsNameFileLineAndWhatWasExpected) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"guard:\n  colour: red\n", "g.yaml:2:3: unknown field 'colour'"},
      {"guard:\n  unsafe: {action: explode}\n", "g.yaml:2:20: 'action' must be allow, log, flag or block"},
      {"guard:\n  categories:\n    - {id: new_thing}\n", "g.yaml:3:7: category 'new_thing' is not in the default taxonomy"},
      {"guard:\n  categories:\n    - {id: cbrn, threshold: 1.5}\n", "g.yaml:3:29: 'threshold' must be a number in [0, 1]"},
      {"guard:\n  escalation: {band: [0.8, 0.2]}\n", "g.yaml:2:22: 'band' must be [low, high] with low < high"},
      {"guard:\n  rules:\n    - {id: r, category: nope, pattern: 'x'}\n", "g.yaml:3: rule 'r' names category 'nope'"},
      {"guard:\n  rules:\n    - {id: cbrn.agent_recipe, category: cbrn, pattern: 'x'}\n", "already a built-in rule"},
      {"guard: [1, 2]\n", "'guard' must be a mapping"},
      {"guard:\n  max_bytes: [\n", "g.yaml:3:1"},
  };
  for (const auto& c : cases) {
    auto r = ParseGuardConfig(c.yaml, "g.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().ToString() << "\nwanted: " << c.expect;
  }
  EXPECT_EQ(LoadGuardConfig("/nonexistent/guard.yaml").status().code(), StatusCode::kNotFound);
}

TEST(TaxonomyTest, MapsDatasetNamesToIds) {
  EXPECT_EQ(MapDatasetCategory("hate"), "hate");
  EXPECT_EQ(MapDatasetCategory("Toxic language (hate speech)"), "hate");
  EXPECT_EQ(MapDatasetCategory("Assisting illegal activities"), "nonviolent_crimes");
  EXPECT_EQ(MapDatasetCategory("CBRN"), "cbrn");
  EXPECT_EQ(MapDatasetCategory("target_group:women"), std::nullopt);
  EXPECT_EQ(MapDatasetCategory("Malicious Uses"), std::nullopt);  // a risk area, not a harm type
}

}  // namespace
}  // namespace rsf::guard
