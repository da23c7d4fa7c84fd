// include/rsf/policy/diff.h
//
// DiffPolicies: what changed between two versions of a framework, in sentences a board can
// read. A change is marked as weakening the framework when it is structurally weaker:
// a domain, level, threshold, trigger, halt condition or obligation removed; a safeguard
// dropped from a standard; a lower RAND level; failing open on missing evidence; an early
// warning removed; fewer or optional signers; longer reporting clocks or review intervals; a
// stopping outcome removed. Changed conditions are shown old and new, not judged.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "rsf/policy/policy.h"

namespace rsf::policy {

struct PolicyChange {
  std::string area;      // "framework", "levels", "thresholds", ...
  std::string sentence;  // "Threshold 'cbrn-uplift': condition changed from ... to ..."
  bool weakens = false;
};

std::vector<PolicyChange> DiffPolicies(const Policy& before, const Policy& after);

}  // namespace rsf::policy
