// include/rsf/guard/evaluation.h
//
// How well a guard does on labelled texts (labeled_data.h), as `rsf guard eval` reports it:
//   - the verdict against the label: a text counts as flagged when its action is flag or
//     block; confusion matrix, precision, recall, F1 and false-positive rate;
//   - every model head: AUPRC (average precision) of its calibrated probability, precision,
//     recall and F1 at its threshold, and the precision-recall curve;
//   - every labelled category: how many of its texts were flagged at all, and how many were
//     attributed to it;
//   - per data source: texts flagged against texts labelled unsafe (where a guard is weak);
//   - rules: texts matched by a rule, safe and unsafe (the rules' precision).
// Reports come as JSON, Markdown, and a self-contained HTML page with the curves as SVG.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/guard/guard.h"
#include "rsf/guard/labeled_data.h"

namespace rsf::guard {

struct Confusion {
  size_t tp = 0, fp = 0, tn = 0, fn = 0;
  double Precision() const;
  double Recall() const;
  double F1() const;
  double Fpr() const;
};

struct HeadMetrics {
  std::string head;
  size_t positives = 0, negatives = 0;
  double auprc = 0;
  double threshold = 0;
  Confusion at_threshold;
  std::vector<std::pair<double, double>> pr_curve;  // (recall, precision), recall ascending
};

struct CategoryMetrics {
  std::string category;
  size_t positives = 0;
  size_t flagged = 0;     // flagged or blocked for any reason
  size_t attributed = 0;  // with a hit naming this category
};

struct SourceMetrics {
  std::string source;
  size_t texts = 0, unsafe = 0, flagged = 0;
};

struct GuardEvalReport {
  std::string data;  // what was evaluated (path) and its digest
  std::string data_digest;
  std::string model_digest, config_source, rule_engine;
  size_t texts = 0, unsafe = 0;
  Confusion verdict;
  std::vector<HeadMetrics> heads;
  std::vector<CategoryMetrics> categories;
  std::vector<SourceMetrics> sources;
  size_t rule_matched_safe = 0, rule_matched_unsafe = 0;
  size_t uncertain = 0, truncated = 0;
  double seconds = 0;
};

GuardEvalReport EvaluateGuard(const Guard& guard, const std::vector<LabeledText>& texts);

Json GuardEvalToJson(const GuardEvalReport& r);
std::string GuardEvalMarkdown(const GuardEvalReport& r);
std::string GuardEvalHtml(const GuardEvalReport& r);

}  // namespace rsf::guard
