// include/rsf/model/reference_lm.h
//
// The reference language model: a word-level interpolated trigram model estimated at start-up
// from a small corpus compiled into rsf (stories, question-and-answer drills and assistant
// dialogues, some of which refuse). It needs no files, so `rsf demo` and the tests run on a
// bare machine, and it goes through the same Sampler and SamplerHook as llama.cpp. It is a
// stand-in for plumbing, not a capable model: expect chance-level accuracy on real suites.
//
// Chat requests are rendered as "user: <content>\nassistant:" lines, the corpus's own format.
// Its identity digest is SHA-256 over the corpus and the algorithm version, so results name
// exactly this model.
//
// Thread safety: Generate is safe from many threads (the model is immutable after creation).
#pragma once

#include <memory>
#include <string>

#include "rsf/model/model.h"
#include "rsf/model/tokenizer.h"

namespace rsf::model {

struct ReferenceLmOptions {
  SamplerHook* hook = nullptr;  // must outlive the model
};

std::unique_ptr<ModelClient> MakeReferenceModel(const ReferenceLmOptions& options = {});

// The reference model's word-level tokenizer (what its sampler hook sees as token ids), for
// watermark detection on its text. Built once, shared.
std::shared_ptr<const Tokenizer> ReferenceTokenizerInstance();

// "sha256:<hex>" of the reference model's built-in weights (its corpus).
std::string ReferenceModelDigest();
// The bytes the digest covers, for a manifest.
std::string_view ReferenceModelWeights();

}  // namespace rsf::model
