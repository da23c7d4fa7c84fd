#include "rsf/eval/report.h"

#include <gtest/gtest.h>

namespace rsf::eval {
namespace {

RunSummary Complete() {
  RunSummary s;
  s.suite = "refusal_smoke";
  s.run_dir = "runs/refusal_smoke";
  s.model = {"m<1>", "sha256:ab", "openai"};
  s.expected = s.completed = 40;
  s.complete = true;
  s.metrics.push_back({"refusal_smoke.refusal_rate", 0.45, 0.26, 0.66, 20, 0.11, 0.31, "wilson"});
  return s;
}

TEST(ReportTest, MarkdownHasOneRowPerMetric) {
  std::string md = RunMarkdown(Complete());
  EXPECT_NE(md.find("| refusal_smoke.refusal_rate | 0.4500 | [0.2600, 0.6600] | 20 | 0.3100 | wilson |"), std::string::npos) << md;
  RunSummary failed = Complete();
  failed.metrics.clear();
  failed.complete = false;
  failed.errors = 2;
  failed.error_examples = {"p1#0: UNAVAILABLE: down"};
  md = RunMarkdown(failed);
  EXPECT_NE(md.find("**2 failed**"), std::string::npos);
  EXPECT_NE(md.find("- p1#0: UNAVAILABLE: down"), std::string::npos);
}

TEST(ReportTest, HtmlIsSelfContainedWithAForestPlotAndEscapesNames) {
  std::string html = RunsHtml({Complete()});
  EXPECT_NE(html.find("<svg role=\"img\""), std::string::npos);
  EXPECT_NE(html.find("refusal_rate</text>"), std::string::npos);
  EXPECT_NE(html.find("m&lt;1&gt;"), std::string::npos);
  EXPECT_EQ(html.find("m<1>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no external resources
}

}  // namespace
}  // namespace rsf::eval
