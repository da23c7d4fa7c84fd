// include/rsf/guard/guard.h
//
// The guard: the library API the gateway, the curation pipeline and `rsf guard` call. One
// Classify() runs the layers in order on the normalised text:
//   1. rules (rules.h) — each match trips its category with the rule's action;
//   2. the linear model (linear_model.h) — the "unsafe" head, thresholded for a target
//      false-positive rate on benign text, decides whether the text is unsafe; the category
//      heads say which harm it is (the strongest head over its threshold, else the strongest
//      head if it is more likely than not, else "unsafe" unattributed);
//   3. the verdict marks texts whose unsafe probability falls in the configured band and that
//      no blocking rule decided as `uncertain`: the caller may send those to an LLM judge
//      (escalation.h) and fold its answer in with ApplyJudgement().
// The verdict's action is the most severe action among the categories tripped (allow, log,
// flag, block). Disabled categories never trip.
//
// Bounded work: input beyond the configuration's max_bytes is cut and the verdict says so.
//
// Thread safety: a Guard is immutable after Create; Classify is safe from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/guard/config.h"
#include "rsf/guard/linear_model.h"
#include "rsf/guard/rules.h"

namespace rsf::guard {

struct CategoryHit {
  std::string category;  // a category id, or "unsafe" when the model could not attribute it
  double probability = 0;  // the model head's (1 for rules)
  std::string by;          // "model", "rule:<id>" or "judge"
  Action action = Action::kBlock;
};

struct Verdict {
  Action action = Action::kAllow;
  double unsafe = 0;          // calibrated P(unsafe) from the model
  double unsafe_threshold = 0;
  std::vector<CategoryHit> hits;                       // what tripped, most severe first
  std::vector<std::pair<std::string, double>> scores;  // every model head
  bool uncertain = false;     // in the escalation band and not decided by a blocking rule
  std::string judge;          // "" (not judged), "unsafe", "safe" or "error: ..."
  bool truncated = false;     // input longer than max_bytes was cut
  size_t invalid_utf8 = 0;    // invalid byte sequences replaced
  size_t decoded_payloads = 0;
  size_t bytes = 0;           // input size

  bool blocked() const { return action == Action::kBlock; }
};

Json VerdictToJson(const Verdict& v);

struct LoadedModel {
  LinearModel model;
  std::string digest;  // "sha256:<hex>" of the model file
  std::string source;  // path, or "builtin"
};

// "builtin" loads the model compiled into rsf (models/guard/default.rsfguard); anything else
// is a path. Corrupt files are refused (kDataLoss), foreign ones too (kInvalidArgument).
Result<LoadedModel> LoadGuardModel(const std::string& spec);
// The compiled-in model file's bytes.
std::string_view BuiltinModelBytes();

class Guard {
 public:
  // kInvalidArgument when the model does not fit the configuration: its first head must be
  // "unsafe" and every other head a category the configuration defines.
  static Result<std::unique_ptr<Guard>> Create(GuardConfig config, LoadedModel model,
                                               RuleEngine engine = RuleEngine::kAuto);
  // Loads config.model and compiles config.rules.
  static Result<std::unique_ptr<Guard>> Load(GuardConfig config);

  Verdict Classify(std::string_view text) const;

  const GuardConfig& config() const { return config_; }
  const LinearModel& model() const { return model_.model; }
  const std::string& model_digest() const { return model_.digest; }
  RuleEngine rule_engine() const { return rules_->engine(); }

 private:
  Guard() = default;
  GuardConfig config_;
  LoadedModel model_;
  std::unique_ptr<RuleSet> rules_;
  std::vector<const CategoryPolicy*> head_policy_;  // per model head; nullptr for "unsafe"
  std::vector<double> head_threshold_;
  std::vector<const CategoryPolicy*> rule_policy_;  // per rule
};

}  // namespace rsf::guard
