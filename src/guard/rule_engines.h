// src/guard/rule_engines.h — the engines behind RuleSet (private to the guard module).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rsf/common/status.h"
#include "rsf/guard/rules.h"

namespace rsf::guard::internal {

// Each returns kUnimplemented when its library was not found at build time, and
// kInvalidArgument naming the index of a pattern that does not compile ("pattern N: ...").
Result<std::unique_ptr<RuleMatcher>> MakeHyperscanMatcher(const std::vector<std::string>& patterns);
Result<std::unique_ptr<RuleMatcher>> MakeRe2Matcher(const std::vector<std::string>& patterns);
bool HaveHyperscan();
bool HaveRe2();

}  // namespace rsf::guard::internal
