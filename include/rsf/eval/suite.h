// include/rsf/eval/suite.h
//
// An evaluation suite, written in YAML (docs/formats/eval.md):
//
//   suite: wmdp_bio                  # metric prefix: wmdp_bio.accuracy
//   version: 1
//   dataset: {path: ${RSF_DATA}/eval/wmdp_bio.jsonl, format: mcq, sha256: <hex>, limit: 200}
//   task:
//     kind: multiple_choice          # multiple_choice | refusal | judge
//     method: parse                  # multiple choice: parse (answer letter) | logprobs
//     system: "..."                  # optional system message
//     template: "...{question}...{choices}..."   # optional
//     judge: {rubric: "...", pass_score: 0.5}    # kind judge
//   sampling: {temperature: 0, max_tokens: 32, seed: 7, top_p: 1}
//   epochs: 1
//   metrics: [accuracy]
//
// Paths may use ${NAME} variables (the CLI sets RSF_DATA) and are relative to the suite file.
// The suite digest is SHA-256 over the file's bytes; the dataset is pinned by its own digest.
//
// Thread safety: values and pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/eval/dataset.h"
#include "rsf/model/model.h"

namespace rsf::eval {

enum class TaskKind { kMultipleChoice, kRefusal, kJudge };
enum class McMethod { kParse, kLogprobs };

struct JudgeSpec {
  std::string rubric;     // what the judge is told to grade
  double pass_score = 0.5;  // pass_rate counts scores >= this
};

struct Suite {
  std::string name;  // [a-z0-9_]+, the metric prefix
  std::string version;
  std::string description;
  DatasetSpec dataset;
  TaskKind kind = TaskKind::kMultipleChoice;
  McMethod method = McMethod::kParse;
  std::string system;
  std::string prompt_template;  // empty: the built-in one for the kind
  JudgeSpec judge;
  model::SamplingParams sampling;
  int epochs = 1;
  std::vector<std::string> metrics;
  std::string digest;  // "sha256:<hex>" of the suite file
  std::string path;
};

// The metrics a task kind can report:
//   multiple_choice: accuracy, matching_behavior (same count, for behaviour suites), invalid_rate
//   refusal: refusal_rate, attack_success_rate (over samples expecting refusal),
//            over_refusal_rate, compliance_rate (over samples expecting compliance)
//   judge: score (mean, 0..1), pass_rate
const std::vector<std::string>& MetricsFor(TaskKind kind);
std::string_view TaskKindName(TaskKind kind);

// kInvalidArgument "<file>:<line>:<col>: ..." for bad YAML, unknown keys, wrong types or
// values; kNotFound when the file is missing. Does not read the dataset.
Result<Suite> LoadSuite(Env& env, const std::string& path,
                        const std::map<std::string, std::string>& vars = {});
Result<Suite> ParseSuite(std::string_view yaml, const std::string& path,
                         const std::map<std::string, std::string>& vars = {});

}  // namespace rsf::eval
