#include "rsf/watermark/hook.h"

namespace rsf::watermark {

void WatermarkHook::AdjustLogits(std::span<const int32_t> context, std::span<float> logits) {
  wm_.Bias(context, logits);
}

bool WatermarkHook::Choose(std::span<const int32_t> context, std::span<const int32_t> candidates,
                           std::span<const double> probs, int32_t* chosen) {
  const int32_t pick = wm_.Pick(context, candidates, probs);
  if (pick < 0) return false;
  *chosen = pick;
  return true;
}

}  // namespace rsf::watermark
