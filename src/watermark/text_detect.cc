#include "rsf/watermark/text_detect.h"

#include <fmt/format.h>

namespace rsf::watermark {

TextDetection DetectText(const model::Tokenizer& tokenizer, std::string_view text, const Keyring& ring,
                         const TextDetectOptions& o) {
  TextDetection out;
  out.tokenizer = tokenizer.Digest();
  Detection& d = out.detection;
  std::vector<Watermarker> keys;
  if (!o.key_id.empty()) {
    const KeyEntry* e = ring.Find(o.key_id);
    if (!e) {
      d.verdict = Verdict::kUnknownKeyId;
      d.key_id = o.key_id;
      d.detail = fmt::format("key id '{}' is not in the keyring", o.key_id);
      return out;
    }
    keys.emplace_back(e->key, e->params);
  } else {
    keys = Watermarkers(ring);
  }
  const std::vector<int32_t> ids = tokenizer.Encode(text);
  for (int32_t id : ids) out.fallback_tokens += tokenizer.IsFallback(id);
  if (!ids.empty() && static_cast<double>(out.fallback_tokens) > o.max_fallback_fraction * static_cast<double>(ids.size())) {
    d.verdict = Verdict::kTokenizerMismatch;
    d.tokens = static_cast<int64_t>(ids.size());
    d.detail = fmt::format("{} of {} tokens fall outside the vocabulary of tokenizer {}: the text was not written "
                           "with this tokenizer's model",
                           out.fallback_tokens, ids.size(), out.tokenizer);
    return out;
  }
  d = DetectWithKeys(keys, ids, o.detect);
  if (ids.empty()) d.detail = "empty text";
  if (d.has_span) {
    const auto all = std::span<const int32_t>(ids);
    out.span_begin = tokenizer.Decode(all.first(static_cast<size_t>(d.span.begin))).size();
    out.span_end = tokenizer.Decode(all.first(static_cast<size_t>(d.span.end))).size();
  }
  return out;
}

Json DetectionToJson(const TextDetection& t) {
  const Detection& d = t.detection;
  Json j = {{"verdict", std::string(VerdictName(d.verdict))},
            {"key_id", d.key_id},
            {"tokenizer", t.tokenizer},
            {"tokens", d.tokens},
            {"scored", d.scored},
            {"repeats_skipped", d.repeats},
            {"fallback_tokens", t.fallback_tokens}};
  if (d.verdict == Verdict::kWatermarked || d.verdict == Verdict::kNotWatermarked ||
      d.verdict == Verdict::kInsufficientTokens) {
    j["scheme"] = std::string(SchemeName(d.params.scheme));
    j["params"] = Describe(d.params);
    j["score"] = d.score;
    j["z"] = d.z;
    j["p_value"] = d.p_value;
    j["log10_p"] = d.log10_p;
  }
  if (d.has_span) {
    j["span"] = {{"token_begin", d.span.begin}, {"token_end", d.span.end}, {"byte_begin", t.span_begin},
                 {"byte_end", t.span_end},      {"scored", d.span.scored},  {"score", d.span.score},
                 {"log10_p", d.span.log10_p},   {"windows_tested", d.span.windows}};
  }
  if (!d.detail.empty()) j["detail"] = d.detail;
  return j;
}

}  // namespace rsf::watermark
