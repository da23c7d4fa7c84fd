// include/rsf/policy/lint.h
//
// LintPolicy: judges a loaded policy against what published frontier safety frameworks have
// in common and what the Frontier AI Safety Commitments (Seoul, 2024) ask for: a named
// accountable officer, thresholds that map to safeguards, both a deployment and a security
// standard at every level, halt conditions, an evaluation cadence, external review, incident
// reporting, early-warning lines, and fail-closed handling of missing evidence. Each finding
// has a severity, a stable code, a location and a sentence saying what to do.
//
// Thread safety: stateless.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "rsf/policy/policy.h"

namespace rsf::policy {

enum class Severity { kError, kWarning, kInfo };
std::string_view SeverityName(Severity s);

struct LintFinding {
  Severity severity = Severity::kError;
  std::string code;  // stable, e.g. "no-accountable-officer"
  Location where;
  std::string message;
};

struct LintOptions {
  // When non-empty, every metric a condition reads must be one of these (an evaluation
  // catalogue); others are errors ("unknown-metric").
  std::set<std::string> known_metrics;
};

// Findings sorted by location. Documented codes: docs/policy-language.md §Lint.
std::vector<LintFinding> LintPolicy(const Policy& policy, const LintOptions& options = {});

}  // namespace rsf::policy
