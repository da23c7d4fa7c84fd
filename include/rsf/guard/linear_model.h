// include/rsf/guard/linear_model.h
//
// The guard's trained layer: logistic regression over hashed n-gram features, one head per
// label ("unsafe" first, then harm categories), trained with AdaGrad in a seeded order so the
// same data and seed give the same model file byte for byte. Each head's raw score is
// calibrated (Platt scaling fitted on a held-out slice of the training data) and given a
// threshold that keeps the false-positive rate on that slice's benign texts at the target.
//
// Model file: "RSFGUARD/1\n", one line of JSON (heads, feature options, calibration,
// thresholds, training summary), the float32 little-endian weights (heads x 2^bits, then the
// biases), and the SHA-256 of everything before it. A file whose digest, size or header does
// not check out is refused (kDataLoss / kInvalidArgument), never used.
//
// Thread safety: a loaded model is immutable; Score is safe from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/guard/features.h"

namespace rsf::guard {

struct LinearModel {
  FeatureOptions features;
  std::vector<std::string> heads;
  std::vector<float> weights;  // heads.size() << features.bits, head-major
  std::vector<float> bias;     // per head
  std::vector<float> platt_a, platt_b;  // p = 1 / (1 + exp(-(a * z + b)))
  std::vector<float> thresholds;        // on the calibrated probability
  Json training;               // what it was trained on (counts, seed, options, data digest)

  // Calibrated probability per head.
  std::vector<double> Score(const SparseVector& x) const;
  double RawScore(const SparseVector& x, size_t head) const;
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
