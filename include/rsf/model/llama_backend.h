// include/rsf/model/llama_backend.h
//
// llama.cpp in process, for GGUF models. Built when CMake finds a system llama.cpp
// (find_package(llama)) or the copy scripts/fetch_llama.sh provisions from the npm registry;
// otherwise LlamaAvailable() is false and OpenLlamaModel returns kUnimplemented.
//
// Weights go through the gate first (manifest.h: OpenWeights), so only signed weights load and
// every load is in the ledger. Generation runs llama.cpp's forward pass and rsf's own Sampler
// (temperature, top-p, seed, log-probabilities) with the SamplerHook the watermark uses.
// Chat requests use the model's chat template when the GGUF carries one, else the
// "role: content" lines of the reference model.
//
// Thread safety: Generate is safe from many threads; up to `parallel` contexts decode at
// once, further callers wait for a free one.
#pragma once

#include <memory>
#include <string>

#include "rsf/model/manifest.h"
#include "rsf/model/model.h"

namespace rsf::model {

struct LlamaOptions {
  std::string path;        // the GGUF file (already through the weights gate)
  int n_ctx = 2048;        // context length per sequence (capped by the model's)
  int n_threads = 0;       // 0: hardware concurrency
  int parallel = 1;        // contexts (concurrent generations)
  SamplerHook* hook = nullptr;  // must outlive the model
  // Where the ggml CPU back-ends are (libggml-cpu-*.so); empty: RSF_LLAMA_BACKEND_DIR from the
  // environment, else the directory rsf was built against.
  std::string backend_dir;
};

bool LlamaAvailable();

// kInvalidArgument when the file is not a loadable GGUF model; kUnimplemented when rsf was
// built without llama.cpp. `identity` is what results will name (from the weights gate).
Result<std::unique_ptr<ModelClient>> OpenLlamaModel(const LlamaOptions& options, ModelIdentity identity);

}  // namespace rsf::model
