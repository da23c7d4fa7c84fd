// include/rsf/model/tokenizer.h
//
// Text <-> token ids without a model: what the watermark detector needs to score text that a
// model produced. LoadGgufTokenizer reads only a GGUF file's metadata (the vocabulary, never
// the tensors) and tokenizes as llama.cpp's SentencePiece-style ("llama") tokenizer does:
// spaces become U+2581, the best-scoring adjacent merge is applied until none is left, and
// characters outside the vocabulary fall back to <0xXX> byte tokens.
//
// One deliberate difference from llama.cpp: the leading space that SentencePiece adds is not
// added when the text already starts with one, because text decoded from a model's output
// already carries it; so Encode(Decode(ids)) gives back the generated ids.
//
// Thread safety: a Tokenizer is immutable after loading and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::model {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Token ids of `text` (no beginning-of-sequence token).
  virtual std::vector<int32_t> Encode(std::string_view text) const = 0;
  // The text of `ids`; ids outside the vocabulary and control tokens give nothing.
  virtual std::string Decode(std::span<const int32_t> ids) const = 0;
  virtual int32_t VocabSize() const = 0;
  // True for the unknown token and byte-fallback tokens: text the vocabulary does not cover.
  virtual bool IsFallback(int32_t id) const = 0;
  // "sha256:<hex>" over the vocabulary (docs/formats/watermark.md), naming the tokenizer.
  virtual std::string Digest() const = 0;
};

// The vocabulary of a GGUF file whose tokenizer.ggml.model is "llama". kInvalidArgument
// naming the file and the field when it is not a GGUF file, is truncated, or has another
// tokenizer; kNotFound when the file does not exist.
Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const std::string& path);

}  // namespace rsf::model
