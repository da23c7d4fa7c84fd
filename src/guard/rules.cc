#include "rsf/guard/rules.h"

#include <fmt/format.h>

#include "guard/rule_engines.h"

namespace rsf::guard {

std::string_view RuleEngineName(RuleEngine e) {
  switch (e) {
    case RuleEngine::kAuto: return "auto";
    case RuleEngine::kHyperscan: return "hyperscan";
    case RuleEngine::kRe2: return "re2";
  }
  return "auto";
}

std::vector<RuleEngine> RuleSet::Available() {
  std::vector<RuleEngine> out;
  if (internal::HaveHyperscan()) out.push_back(RuleEngine::kHyperscan);
  if (internal::HaveRe2()) out.push_back(RuleEngine::kRe2);
  return out;
}

Result<std::unique_ptr<RuleSet>> RuleSet::Compile(std::vector<Rule> rules, RuleEngine engine) {
  auto set = std::unique_ptr<RuleSet>(new RuleSet());
  set->rules_ = std::move(rules);
  if (engine == RuleEngine::kAuto) {
    const auto available = Available();
    if (available.empty()) return UnimplementedError("this build of rsf has neither Hyperscan nor RE2 for guard rules");
    engine = available.front();
  }
  set->engine_ = engine;
  if (set->rules_.empty()) return set;
  std::vector<std::string> patterns;
  for (const Rule& r : set->rules_) patterns.push_back(r.pattern);
  auto matcher = engine == RuleEngine::kHyperscan ? internal::MakeHyperscanMatcher(patterns)
                                                  : internal::MakeRe2Matcher(patterns);
  if (!matcher.ok()) {
    // "pattern N: why" -> name the rule.
    const std::string& msg = matcher.status().message();
    size_t index = 0;
    if (msg.starts_with("pattern ")) index = std::strtoul(msg.c_str() + 8, nullptr, 10);
    if (matcher.status().code() == StatusCode::kInvalidArgument && index < set->rules_.size()) {
      const Rule& r = set->rules_[index];
      return InvalidArgumentError(fmt::format("{}: rule '{}': the pattern does not compile with {}: {}", r.where, r.id,
                                              RuleEngineName(engine), msg.substr(msg.find(':') + 2)));
    }
    return matcher.status();
  }
  set->matcher_ = std::move(*matcher);
  return set;
}

std::vector<size_t> RuleSet::Match(std::string_view normalized) const {
  if (!matcher_) return {};
  return matcher_->Match(normalized);
}

}  // namespace rsf::guard
