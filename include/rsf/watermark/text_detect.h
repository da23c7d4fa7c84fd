// include/rsf/watermark/text_detect.h
//
// Detection on text: tokenize with the model's tokenizer (no model needed), then Detect under
// one named key or every key of the keyring. Gives a clear verdict instead of a misleading
// score when the text cannot be tested: empty or too short (insufficient_tokens), a key id
// the keyring does not hold (unknown_key_id), or text mostly outside the vocabulary, as text
// meant for another tokenizer is (tokenizer_mismatch).
//
// Thread safety: safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rsf/common/json.h"
#include "rsf/model/tokenizer.h"
#include "rsf/watermark/detector.h"
#include "rsf/watermark/keyring.h"

namespace rsf::watermark {

struct TextDetectOptions {
  DetectOptions detect;
  std::string key_id;                  // empty: try every key (p-value corrected for their number)
  double max_fallback_fraction = 0.5;  // more byte-fallback tokens than this: tokenizer_mismatch
};

struct TextDetection {
  Detection detection;
  std::string tokenizer;        // the tokenizer's digest
  int64_t fallback_tokens = 0;  // byte-fallback or unknown tokens in the text
  size_t span_begin = 0, span_end = 0;  // bytes of the decoded text, when detection.has_span
};

TextDetection DetectText(const model::Tokenizer& tokenizer, std::string_view text, const Keyring& ring,
                         const TextDetectOptions& options);

// The JSON form (docs/formats/watermark.md, "Detection results").
Json DetectionToJson(const TextDetection& d);

}  // namespace rsf::watermark
