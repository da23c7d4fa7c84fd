// include/rsf/watermark/evaluation.h
//
// `rsf watermark eval`: how well the watermark is detected, measured on text a model really
// generates. Samples are generated twice from the same prompts and seeds, once with the
// watermark and once without; all detection runs on the re-tokenized text, as a third party
// would see it. Reported:
//   - true-positive rate at each false-positive rate (the detector's alpha) against the number
//     of tokens, clean and under attacks: random substitution, deletion and insertion of
//     tokens at each rate, and the watermarked tokens set inside unwatermarked text (found by
//     the span search, whose p-value is corrected for the windows tried);
//   - the measured false-positive rate against the nominal one, on unwatermarked samples
//     under the real key and under `null_keys` other random keys (samples x keys trials),
//     with a 95% Clopper-Pearson interval.
// Nothing is tuned: the parameters are the key's, the thresholds are the nominal alphas.
//
// Thread safety: one evaluation at a time per model and hook.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/model/model.h"
#include "rsf/model/tokenizer.h"
#include "rsf/watermark/watermark.h"

namespace rsf::watermark {

// Forwards to `inner` only while enabled, so one loaded model serves both kinds of sample.
class ToggleHook final : public model::SamplerHook {
 public:
  explicit ToggleHook(model::SamplerHook* inner) : inner_(inner) {}
  void set_enabled(bool on) { enabled_.store(on); }
  void AdjustLogits(std::span<const int32_t> context, std::span<float> logits) override {
    if (enabled_.load()) inner_->AdjustLogits(context, logits);
  }
  bool Choose(std::span<const int32_t> context, std::span<const int32_t> candidates, std::span<const double> probs,
              int32_t* chosen) override {
    return enabled_.load() && inner_->Choose(context, candidates, probs, chosen);
  }

 private:
  model::SamplerHook* inner_;
  std::atomic<bool> enabled_{false};
};

struct EvalOptions {
  int samples = 200;
  int tokens = 200;                          // generated per sample
  std::vector<int> lengths = {25, 50, 100, 200};
  std::vector<double> fprs = {1e-3, 1e-5};
  std::vector<double> rates = {0.1, 0.2, 0.3};
  int null_keys = 1000;
  int mix_context = 150;                     // unwatermarked tokens on each side of a mixed span
  double temperature = 1.0;
  uint64_t seed = 20261123;
  std::vector<std::string> prompts;          // empty: built-in story openings
  std::function<void(std::string_view stage, size_t done, size_t total)> progress;
};

struct TprCell {
  std::string attack;  // "clean", "substitute 10%", ..., "mixed"
  int length = 0;
  double fpr = 0;
  int64_t detected = 0, total = 0;
};

struct FprRow {
  std::string trials_of;  // "real key" or "N other keys"
  double nominal = 0;
  int64_t flagged = 0, trials = 0;
  double low95 = 0, high95 = 0;
  bool within = false;    // the nominal rate is at or above the interval's lower end
};

struct EvalReport {
  std::string model, params, key_id, tokenizer;
  EvalOptions options;
  int64_t samples = 0;
  double mean_tokens = 0;          // re-tokenized tokens per watermarked sample
  double scored_fraction = 0;      // scored / tokens at full length (repeats skipped)
  double generation_seconds = 0;
  std::vector<TprCell> tpr;
  std::vector<FprRow> fpr;
};

// `hook` must be the model's sampler hook, wrapping a WatermarkHook for `wm`.
Result<EvalReport> RunWatermarkEval(model::ModelClient& model, ToggleHook& hook, const Watermarker& wm,
                                    const model::Tokenizer& tokenizer, const EvalOptions& options);

Json EvalReportJson(const EvalReport& r);
std::string EvalReportMarkdown(const EvalReport& r);
std::string EvalReportHtml(const EvalReport& r);
// True-positive rate against tokens at the strictest false-positive rate, one line per attack.
std::string EvalReportSvg(const EvalReport& r);

// The Clopper-Pearson interval for k successes in n trials at 95%.
std::pair<double, double> ClopperPearson95(int64_t k, int64_t n);

}  // namespace rsf::watermark
