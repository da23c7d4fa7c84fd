// include/rsf/guard/rules.h
//
// The guard's first layer: regular expressions matched all at once over the normalised text
// (normalize.h), so obfuscations that normalisation undoes cannot hide a match. Two engines
// implement the same contract: Hyperscan (one pass over the text for every pattern) and RE2's
// RE2::Set where Hyperscan is absent. Patterns are written in the subset both accept (no
// back-references, no look-around) and matched case-insensitively, '.' not crossing lines.
//
// The built-in rules (BuiltinRules()) are deliberately narrow: explicit requests whose wording
// leaves little doubt (synthesising a nerve agent, sexual content about children, "ignore all
// previous instructions"). Breadth is the trained model's job; rules give precision and an
// immediate answer to new attacks before a retrained model ships.
//
// Thread safety: a compiled RuleSet is immutable; Match is safe from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"
#include "rsf/guard/config.h"

namespace rsf::guard {

enum class RuleEngine { kAuto, kHyperscan, kRe2 };
std::string_view RuleEngineName(RuleEngine e);

class RuleMatcher {
 public:
  virtual ~RuleMatcher() = default;
  // Indices of the matching patterns, ascending.
  virtual std::vector<size_t> Match(std::string_view text) const = 0;
};

class RuleSet {
 public:
  // kInvalidArgument naming the rule (id and where) whose pattern does not compile;
  // kUnimplemented when the requested engine was not built in. kAuto prefers Hyperscan.
  static Result<std::unique_ptr<RuleSet>> Compile(std::vector<Rule> rules, RuleEngine engine = RuleEngine::kAuto);

  // Indices into rules() of the rules matching the normalised text, ascending.
  std::vector<size_t> Match(std::string_view normalized) const;

  const std::vector<Rule>& rules() const { return rules_; }
  RuleEngine engine() const { return engine_; }

  // The engines compiled into this build, preferred first.
  static std::vector<RuleEngine> Available();

 private:
  std::vector<Rule> rules_;
  RuleEngine engine_ = RuleEngine::kAuto;
  std::unique_ptr<RuleMatcher> matcher_;
};

// The built-in rules (parsed from YAML compiled into the library; docs/guard.md lists them).
const std::vector<Rule>& BuiltinRules();

// Parses a YAML list of rules ({id, category, pattern, action?}); `source` names the text in
// errors ("file:line:column: ...").
Result<std::vector<Rule>> ParseRules(std::string_view yaml, std::string_view source);

}  // namespace rsf::guard
