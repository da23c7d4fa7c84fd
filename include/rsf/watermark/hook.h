// include/rsf/watermark/hook.h
//
// The watermark as a SamplerHook for the in-process backends (llama.cpp and the reference
// model): kgw adds delta to the green logits before sampling; gumbel leaves the logits alone
// and makes the draw itself among the candidates temperature and top-p leave. With no
// preceding tokens to seed from (an empty context shorter than context_width), the position
// is left unwatermarked, as the detector never scores it.
//
// Thread safety: stateless after construction; one hook may serve concurrent generations.
#pragma once

#include <cstdint>
#include <span>

#include "rsf/model/model.h"
#include "rsf/watermark/watermark.h"

namespace rsf::watermark {

class WatermarkHook final : public model::SamplerHook {
 public:
  explicit WatermarkHook(Watermarker wm) : wm_(std::move(wm)) {}

  void AdjustLogits(std::span<const int32_t> context, std::span<float> logits) override;
  bool Choose(std::span<const int32_t> context, std::span<const int32_t> candidates, std::span<const double> probs,
              int32_t* chosen) override;

  const Watermarker& watermarker() const { return wm_; }

 private:
  Watermarker wm_;
};

}  // namespace rsf::watermark
