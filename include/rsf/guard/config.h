// include/rsf/guard/config.h
//
// What the guard enforces: its categories (taxonomy, action and threshold each), its rules,
// the model it loads, the band of uncertain scores it escalates to an LLM judge and the
// judge's budget. Written in YAML (docs/guard.md), either as a file of its own or as the
// `guard:` section of a policy file, so the policy that names the safeguards also configures
// them. Everything not written keeps its default: the default taxonomy (taxonomy.h), the
// built-in rules (rules.h) and the built-in model.
//
//   guard:
//     model: builtin                 # or a path to an RSFGUARD/1 file
//     max_bytes: 65536               # longer inputs are cut and flagged as truncated
//     unsafe: {action: block}        # the overall head; threshold from the model unless set
//     categories:                    # merged with the defaults by id
//       - {id: self_harm, action: flag}
//       - {id: elections, enabled: false}
//       - {id: export_control, name: Export control, action: block}
//     default_rules: true            # keep the built-in rules
//     rules:
//       - {id: codeword, category: cbrn, pattern: 'project\s+nightfall', action: block}
//     escalation: {band: [0.35, 0.8], max_in_flight: 4, per_minute: 120, timeout_ms: 15000}
//
// Errors name the file, line and column and what was expected (kInvalidArgument).
//
// Thread safety: a loaded configuration is immutable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::guard {

// What happens to text that trips a category, in increasing severity.
enum class Action { kAllow = 0, kLog = 1, kFlag = 2, kBlock = 3 };
std::string_view ActionName(Action a);
std::optional<Action> ParseAction(std::string_view name);

struct CategoryPolicy {
  std::string id, name, description, aligned;
  bool enabled = true;
  Action action = Action::kBlock;
  std::optional<double> threshold;  // on the category head's calibrated probability
};

struct Rule {
  std::string id;
  std::string category;  // a category id
  std::string pattern;   // a regular expression over the normalised (lower-case) text
  std::optional<Action> action;  // default: the category's action
  std::string where;     // "file:line" of its definition
};

struct EscalationOptions {
  bool enabled = true;
  double low = 0.35, high = 0.8;  // unsafe probabilities in [low, high) go to the judge
  int max_in_flight = 4;          // concurrent judge calls
  int per_minute = 120;           // judge calls started in any 60 s window
  int max_queue = 64;             // waiting beyond this is refused (counted, not judged)
  int timeout_ms = 15000;
};

struct GuardConfig {
  std::string model = "builtin";
  size_t max_bytes = 64 * 1024;
  Action unsafe_action = Action::kBlock;
  std::optional<double> unsafe_threshold;
  std::vector<CategoryPolicy> categories;
  std::vector<Rule> rules;
  EscalationOptions escalation;
  std::string source = "defaults";  // where it was loaded from

  const CategoryPolicy* FindCategory(std::string_view id) const;
};

// The defaults: the default taxonomy, all blocking except specialised advice (flag), and the
// built-in rules.
GuardConfig DefaultGuardConfig();

// Parses YAML text: a mapping with a `guard:` key (a policy file) or the guard mapping itself.
Result<GuardConfig> ParseGuardConfig(std::string_view yaml, std::string_view source);
Result<GuardConfig> LoadGuardConfig(const std::string& path);

}  // namespace rsf::guard
