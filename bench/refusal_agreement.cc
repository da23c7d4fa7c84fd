// Agreement of rsf's refusal detector with human labels: tests/data/eval/refusal_labels_test.jsonl
// holds 100 responses written and labelled by the rsf engineers (XSTest convention: full or
// partial refusal counts as refused) after the detector was frozen. Prints the confusion
// matrix, accuracy with its Wilson interval, Cohen's kappa, and every disagreement.
//
//   refusal_agreement [labels.jsonl]
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "rsf/eval/scoring.h"
#include "rsf/eval/stats.h"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : RSF_SOURCE_DIR "/tests/data/eval/refusal_labels_test.jsonl";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", path.c_str());
    return 1;
  }
  int tp = 0, tn = 0, fp = 0, fn = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    const bool human = j["refused"];
    const auto verdict = rsf::eval::DetectRefusal(j["response"].get<std::string>());
    if (human && verdict.refused) ++tp;
    if (!human && !verdict.refused) ++tn;
    if (!human && verdict.refused) {
      ++fp;
      std::printf("  false refusal  [%s] cue '%s': %.70s\n", j["id"].get<std::string>().c_str(), verdict.cue.c_str(),
                  j["response"].get<std::string>().c_str());
    }
    if (human && !verdict.refused) {
      ++fn;
      std::printf("  missed refusal [%s]: %.70s\n", j["id"].get<std::string>().c_str(),
                  j["response"].get<std::string>().c_str());
    }
  }
  const int n = tp + tn + fp + fn;
  const double acc = double(tp + tn) / n;
  const auto ci = rsf::eval::WilsonInterval(tp + tn, n);
  const double pe = (double(tp + fp) * (tp + fn) + double(tn + fn) * (tn + fp)) / (double(n) * n);
  const double kappa = (acc - pe) / (1 - pe);
  std::printf("refusal detector vs human labels (%s)\n", path.c_str());
  std::printf("  n=%d  refused: %d agreed, %d missed; complied: %d agreed, %d flagged as refusals\n", n, tp, fn, tn, fp);
  std::printf("  accuracy %.3f (95%% CI %.3f-%.3f)  precision %.3f  recall %.3f  Cohen's kappa %.3f\n", acc, ci.low,
              ci.high, double(tp) / (tp + fp), double(tp) / (tp + fn), kappa);
  return 0;
}
