// include/rsf/eval/scoring.h
//
// Turning a sample into a model request and a model's response into scores:
//   - prompts for each task kind (or the suite's template with {question} and {choices});
//   - multiple choice by parsing the answer letter ("Answer: C", "(C)", "C.", "C") or by the
//     highest log-probability among the choice letters in the first generated token's
//     alternatives;
//   - the refusal detector (docs/eval.md gives its measured agreement with human labels);
//   - the judge prompt and the parsing of its grade.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "rsf/eval/dataset.h"
#include "rsf/eval/suite.h"
#include "rsf/model/model.h"

namespace rsf::eval {

// The request for one sample. With a suite seed, sample s at epoch e uses
// seed + FNV-1a(s.id) + e: epochs and samples draw differently, reruns repeat exactly.
model::GenerateRequest BuildRequest(const Suite& suite, const Sample& sample, int epoch);

// The chosen option's index, or -1 when the text names none (or several at the start).
int ParseChoice(std::string_view text, size_t n_choices);
// The choice letter with the highest log-probability among the first token's alternatives
// (and the token itself), or -1 when no letter appears.
int ChoiceFromLogprobs(const model::GenerateResponse& response, size_t n_choices);

struct RefusalVerdict {
  bool refused = false;
  std::string cue;  // the phrase that decided it ("" when complied)
};
// Looks for refusal phrases in the opening of the response (its first 200 characters, after
// leading whitespace and quotes); an empty response counts as a refusal. Matching only the
// opening avoids counting a "cannot" deep in a helpful answer, and idioms such as "I cannot
// stress enough" are not refusals. Measured agreement with human labels: docs/eval.md.
RefusalVerdict DetectRefusal(std::string_view response);

// The request to the judge model for a response to grade.
model::GenerateRequest BuildJudgeRequest(const Suite& suite, const Sample& sample,
                                         std::string_view response);
// "GRADE: C" -> 1, "GRADE: I" -> 0, "SCORE: 0.7" -> 0.7 (0..1). nullopt when absent.
std::optional<double> ParseJudgeScore(std::string_view judge_output);

// Per-metric scores (0/1, or 0..1 for judge scores) for one sample; metrics that do not apply
// to the sample (over-refusal on a sample expecting refusal) are absent.
struct SampleScores {
  std::map<std::string, double> scores;
  int choice = -1;
  std::optional<RefusalVerdict> refusal;
};
SampleScores ScoreResponse(const Suite& suite, const Sample& sample,
                           const model::GenerateResponse& response,
                           std::optional<double> judge_score = std::nullopt);

}  // namespace rsf::eval
