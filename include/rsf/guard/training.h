// include/rsf/guard/training.h
//
// From labelled texts (labeled_data.h) to a guard model: normalise, extract features, choose
// the heads ("unsafe" and every taxonomy category with at least `min_positives` positive
// texts — fewer cannot be learned or calibrated honestly; those categories rely on rules and
// the judge), and train (linear_model.h). Deterministic: the same texts, options and seed give
// the same model file, byte for byte, on any machine (no threads, no unordered iteration,
// fixed hashes).
//
// Thread safety: pure function.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rsf/common/status.h"
#include "rsf/guard/labeled_data.h"
#include "rsf/guard/linear_model.h"

namespace rsf::guard {

struct GuardTrainOptions {
  FeatureOptions features;
  TrainOptions train;
  int min_positives = 100;
  size_t max_bytes = 64 * 1024;  // normalisation bound, as at inference
  // Recorded in the model: each training file's name (as given) and "sha256:<hex>" digest.
  std::vector<std::pair<std::string, std::string>> data_files;
  std::function<void(size_t done, size_t total)> progress;  // during feature extraction
};

// kInvalidArgument when there are no texts, or no safe or no unsafe ones.
Result<LinearModel> TrainGuardModel(const std::vector<LabeledText>& texts, const GuardTrainOptions& options);

}  // namespace rsf::guard
