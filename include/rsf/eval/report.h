// include/rsf/eval/report.h
//
// Evaluation runs as people read them: Markdown (one table per suite: mean, 95% interval, n,
// minimum detectable effect, interval method), and a self-contained HTML page (no external
// resources) with a forest plot per suite — each metric's estimate and interval on a shared
// axis — so overlapping intervals are seen at a glance.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "rsf/eval/runner.h"

namespace rsf::eval {

std::string RunMarkdown(const RunSummary& s);
std::string RunsHtml(const std::vector<RunSummary>& runs);

}  // namespace rsf::eval
