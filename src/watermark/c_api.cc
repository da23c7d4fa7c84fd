// The C ABI of include/rsf/watermark/rsf_wm.h over Watermarker and Detect.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "rsf/watermark/detector.h"
#include "rsf/watermark/rsf_wm.h"
#include "rsf/watermark/watermark.h"

struct rsf_wm {
  rsf::watermark::Watermarker wm;
};

namespace {

void SetError(char* err, size_t len, const std::string& message) {
  if (!err || len == 0) return;
  const size_t n = std::min(len - 1, message.size());
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

}  // namespace

extern "C" {

int rsf_wm_abi_version(void) { return RSF_WM_ABI_VERSION; }

rsf_wm* rsf_wm_new(const uint8_t secret[32], const char* key_id, const rsf_wm_params* params, char* err,
                   size_t errlen) {
  using namespace rsf::watermark;
  if (!secret || !key_id || !params) {
    SetError(err, errlen, "secret, key_id and params must not be NULL");
    return nullptr;
  }
  if (params->scheme != RSF_WM_KGW && params->scheme != RSF_WM_GUMBEL) {
    SetError(err, errlen, "scheme: expected RSF_WM_KGW or RSF_WM_GUMBEL");
    return nullptr;
  }
  Params p;
  p.scheme = params->scheme == RSF_WM_KGW ? Scheme::kKgw : Scheme::kGumbel;
  p.gamma = params->gamma;
  p.delta = params->delta;
  p.context_width = params->context_width;
  if (rsf::Status s = ValidateParams(p); !s.ok()) {
    SetError(err, errlen, s.message());
    return nullptr;
  }
  Key key;
  key.id = key_id;
  if (rsf::Status s = ValidateKeyId(key.id); !s.ok()) {
    SetError(err, errlen, s.message());
    return nullptr;
  }
  std::memcpy(key.secret.data(), secret, key.secret.size());
  return new (std::nothrow) rsf_wm{Watermarker(key, p)};
}

void rsf_wm_free(rsf_wm* wm) { delete wm; }

int rsf_wm_adjust_logits(const rsf_wm* wm, const int32_t* context, size_t n_context, float* logits, size_t n_vocab) {
  if (!wm || (!context && n_context) || (!logits && n_vocab)) return RSF_WM_EINVAL;
  wm->wm.Bias({context, n_context}, {logits, n_vocab});
  return 0;
}

int rsf_wm_choose(const rsf_wm* wm, const int32_t* context, size_t n_context, const int32_t* candidates,
                  const double* probs, size_t n, int32_t* chosen) {
  if (!wm || (!context && n_context) || (!candidates && n) || (!probs && n) || !chosen) return RSF_WM_EINVAL;
  const int32_t pick = wm->wm.Pick({context, n_context}, {candidates, n}, {probs, n});
  if (pick < 0) return RSF_WM_ENOCHOICE;
  *chosen = pick;
  return 0;
}

int rsf_wm_detect(const rsf_wm* wm, const int32_t* tokens, size_t n, double alpha, int64_t min_tokens,
                  rsf_wm_result* out) {
  using namespace rsf::watermark;
  if (!wm || (!tokens && n) || !out || !(alpha > 0 && alpha < 1) || min_tokens < 1) return RSF_WM_EINVAL;
  DetectOptions o;
  o.alpha = alpha;
  o.min_tokens = min_tokens;
  const Detection d = Detect(wm->wm, {tokens, n}, o);
  out->verdict = d.verdict == Verdict::kWatermarked       ? RSF_WM_WATERMARKED
                 : d.verdict == Verdict::kNotWatermarked  ? RSF_WM_NOT_WATERMARKED
                                                          : RSF_WM_INSUFFICIENT_TOKENS;
  out->tokens = d.tokens;
  out->scored = d.scored;
  out->repeats = d.repeats;
  out->score = d.score;
  out->z = d.z;
  out->p_value = d.p_value;
  out->log10_p = d.log10_p;
  return 0;
}

}  // extern "C"
