// Built when no llama.cpp was found: the GGUF backend reports that clearly.
#include "rsf/model/llama_backend.h"

namespace rsf::model {

bool LlamaAvailable() { return false; }

Result<std::unique_ptr<ModelClient>> OpenLlamaModel(const LlamaOptions& options, ModelIdentity) {
  return UnimplementedError(options.path +
                            ": this rsf was built without llama.cpp (run scripts/fetch_llama.sh, or install "
                            "llama.cpp, and rebuild); an OpenAI-compatible llama.cpp server works with "
                            "--model openai:<url>");
}

}  // namespace rsf::model
