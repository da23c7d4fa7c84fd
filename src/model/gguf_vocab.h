// src/model/gguf_vocab.h
//
// The tokenizer fields of a GGUF file's metadata (GGUF v2 and v3, little-endian), read
// without touching the tensors that follow them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::model::internal {

struct GgufVocab {
  std::string model;                // tokenizer.ggml.model, e.g. "llama"
  std::vector<std::string> tokens;  // tokenizer.ggml.tokens
  std::vector<float> scores;        // tokenizer.ggml.scores (0 when absent)
  std::vector<int32_t> types;       // tokenizer.ggml.token_type (1 normal when absent)
  int32_t unk = -1, bos = -1, eos = -1;
  bool add_space_prefix = true;     // tokenizer.ggml.add_space_prefix
};

// Token types, as llama.cpp numbers them.
inline constexpr int32_t kTokenNormal = 1, kTokenUnknown = 2, kTokenControl = 3, kTokenUserDefined = 4,
                         kTokenUnused = 5, kTokenByte = 6;

Result<GgufVocab> ReadGgufVocab(const std::string& path);

}  // namespace rsf::model::internal
