// include/rsf/guard/linear_model.h
//
// The guard's trained layer: logistic regression over hashed n-gram features, one head per
// label ("unsafe" first, then harm categories), trained with AdaGrad in a seeded order so the
// same data and seed give the same model file byte for byte. Each head's raw score is
// calibrated (Platt scaling fitted on a held-out slice of the training data) and given a
// threshold that keeps the false-positive rate on that slice's benign texts at the target.
//
// Weights are trained in float and stored as int8 with one scale per head (calibration is fitted
// on the quantised model, the one that is served).
//
// Model file: "RSFGUARD/1\n", one line of JSON (heads, feature options, scales, biases,
// calibration, thresholds, training summary), the int8 weights (2^bits x heads, feature-major),
// and the SHA-256 of everything before it. A file whose digest, size or header does
// not check out is refused (kDataLoss / kInvalidArgument), never used.
//
// Thread safety: a loaded model is immutable; Score is safe from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/guard/features.h"

namespace rsf::guard {

struct LinearModel {
  static constexpr size_t kMaxHeads = 32;

  FeatureOptions features;
  std::vector<std::string> heads;
  // Quantised weights, feature-major: weights[bucket * heads.size() + head] * scale[head], so
  // one cache line holds a bucket's weights for every head.
  std::vector<int8_t> weights;
  std::vector<float> scale;    // per head
  std::vector<float> bias;     // per head
  std::vector<float> platt_a, platt_b;  // p = 1 / (1 + exp(-(a * z + b)))
  std::vector<float> thresholds;        // on the calibrated probability
  Json training;               // what it was trained on (counts, seed, options, data digest)

  // Calibrated probability per head.
  std::vector<double> Score(const SparseVector& x) const;
  // Calibrated probability per head of a normalised text, computed in one pass over its
  // n-grams (no feature vector is built); equal to Score(ExtractFeatures(text)) up to float
  // rounding. `out` has heads.size() entries.
  void ScoreText(std::string_view normalized, std::span<double> out) const;
  // Uncalibrated scores (logits) of every head into `out` (heads.size() entries).
  void RawScores(const SparseVector& x, std::span<double> out) const;
};

struct TrainExample {
  SparseVector x;
  std::vector<int8_t> y;  // per head: 1, 0, or -1 (unknown: the head skips this example)
};

struct TrainOptions {
  int epochs = 6;
  double learning_rate = 0.4;
  double l2 = 1e-7;
  uint64_t seed = 20261122;
  double calibration_fraction = 0.1;  // held out of training for calibration and thresholds
  double target_fpr = 0.02;           // on benign calibration texts
};

// kInvalidArgument for no examples, label vectors of the wrong size, or bad options.
Result<LinearModel> TrainLinearModel(const std::vector<TrainExample>& examples,
                                     const std::vector<std::string>& heads,
                                     const FeatureOptions& features, const TrainOptions& options);

std::string SerializeModel(const LinearModel& m);
Result<LinearModel> ParseModel(std::string_view bytes, std::string_view source);

// Area under the precision-recall curve (average precision) of scores against 0/1 labels.
double AveragePrecision(std::vector<std::pair<double, int>> scored);

}  // namespace rsf::guard
