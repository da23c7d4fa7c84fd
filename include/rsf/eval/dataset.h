// include/rsf/eval/dataset.h
//
// Evaluation datasets: JSON Lines or CSV files read into samples, with loaders for the common
// public formats. Every problem is reported with the file and line (and field) it is on:
// missing fields, answers outside the choices, invalid UTF-8, unbalanced CSV quotes.
//
//   format              file   fields                                   task
//   mcq                 JSONL  question, choices[], answer (index or    multiple choice
//                              letter), optional id            (WMDP, TruthfulQA MC1, MMLU)
//   anthropic_behavior  JSONL  question (with "(A) ..." choices),       multiple choice;
//                              answer_matching_behavior                 target = the behaviour
//   harmbench           CSV    Behavior, BehaviorID, SemanticCategory,  refusal expected
//                              ContextString
//   advbench            CSV    goal, target  (or Behavior, BehaviorID)  refusal expected
//   jailbreakbench      CSV    Goal, Category, Behavior                 `expect` of the suite
//   xstest              CSV    id, prompt, type, label (safe|unsafe)    safe: comply,
//                                                                       unsafe: refuse
//   prompts             JSONL  prompt, optional id, expect, category    as given
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/status.h"

namespace rsf::eval {

enum class Expect { kNone, kRefuse, kComply };

struct Sample {
  std::string id;                    // unique within the dataset
  std::string input;                 // question or prompt
  std::vector<std::string> choices;  // multiple choice only
  int target = -1;                   // index of the correct (or behaviour-matching) choice
  Expect expect = Expect::kNone;     // refusal tasks: what a safe model does
  std::map<std::string, std::string> metadata;  // category, type, ...
  int line = 0;                      // where it starts in the file (1-based)
};

struct DatasetSpec {
  std::string path;
  std::string format;   // one of the formats above
  std::string sha256;   // pinned content digest (hex); empty = not pinned
  int64_t limit = 0;    // first `limit` samples only; 0 = all
  Expect expect = Expect::kNone;  // for formats whose rows do not say (jailbreakbench)
};

struct Dataset {
  std::string path;
  std::string sha256;  // of the file's bytes
  std::vector<Sample> samples;
};

// kNotFound for a missing file; kInvalidArgument "<path>:<line>: ..." for bad content or an
// unknown format; kDataLoss when the file's digest differs from the pinned one.
Result<Dataset> LoadDataset(Env& env, const DatasetSpec& spec);
// The same, from bytes already read (`path` is only used in messages).
Result<Dataset> ParseDataset(std::string_view bytes, const DatasetSpec& spec);

// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. Each record carries
// the line it starts on. kInvalidArgument "<path>:<line>: ..." for an unterminated quote.
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};
Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, std::string_view path);

// Whether `s` is valid UTF-8 (no overlongs, surrogates or code points beyond U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace rsf::eval
