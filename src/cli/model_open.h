// src/cli/model_open.h: turning the --model flags into a ModelClient, with the weights gate
// for in-process backends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "rsf/ledger/ledger.h"
#include "rsf/model/manifest.h"
#include "rsf/model/model.h"

namespace CLI {
class App;
}

namespace rsf::cli {

struct ModelFlags {
  std::string spec;           // reference | openai:<base url> | gguf:<path>
  std::string name;           // served model name (openai)
  std::string api_key_env = "OPENAI_API_KEY";
  std::string digest;         // identity digest to report for an endpoint
  int max_concurrency = 64;
  int max_retries = 6;
  double timeout_s = 120;
  int gguf_parallel = 1;      // llama.cpp contexts (concurrent generations)
  int gguf_ctx = 2048;        // llama.cpp context length
  int gguf_threads = 1;       // llama.cpp threads per context
  bool allow_unsigned = false;
  std::vector<std::string> trust;  // verifier keys (or files) trusted to sign manifests
};

// Adds --model, --model-name, --api-key-env, --model-digest, --allow-unsigned, --trust,
// --max-retries, --timeout with `prefix` ("" or "judge-").
void AddModelFlags(CLI::App& cmd, ModelFlags& flags, const std::string& prefix, bool required);

struct OpenedModel {
  std::unique_ptr<model::ModelClient> client;
  std::string digest;  // from the weights gate, or the endpoint's configured digest
  std::vector<ledger::Hash> refs;  // the model.load entry, when gated
};

// In-process backends need `ledger` (the manifest check and the load record). `hook` (the
// watermark; must outlive the model) is only possible for them.
Result<OpenedModel> OpenModel(CliContext& ctx, const ModelFlags& flags, ledger::Ledger* ledger,
                              model::SamplerHook* hook = nullptr);

// "sha256:<hex>" of the reference model's built-in weights file, as a manifest lists it.
std::string ReferenceWeightsPath();

}  // namespace rsf::cli
