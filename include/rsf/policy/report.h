// include/rsf/policy/report.h
//
// The assessment as a board and an auditor read it: Markdown, and a self-contained HTML page
// (no external resources; works offline) with one chart per threshold showing each metric's
// estimate and confidence interval against the threshold and early-warning bounds.
//
// Thread safety: stateless.
#pragma once

#include <string>

#include "rsf/policy/assess.h"

namespace rsf::policy {

std::string AssessmentMarkdown(const Policy& policy, const Assessment& a);
std::string AssessmentHtml(const Policy& policy, const Assessment& a);

}  // namespace rsf::policy
