#include "model_open.h"

#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "io.h"
#include "rsf/common/sha256.h"
#include "rsf/model/llama_backend.h"
#include "rsf/model/openai_client.h"
#include "rsf/model/reference_lm.h"

namespace rsf::cli {

std::string ReferenceWeightsPath() { return "builtin:rsf-reference-lm"; }

void AddModelFlags(CLI::App& cmd, ModelFlags& f, const std::string& prefix, bool required) {
  const std::string who = prefix.empty() ? "" : "Judge: ";  // the judge's flags say so
  auto* m = cmd.add_option("--" + prefix + "model", f.spec,
                           (prefix.empty() ? "Model" : "Judge model") + std::string(": 'reference' (built in), 'openai:<base url>' (an OpenAI-compatible "
                           "endpoint, e.g. openai:http://127.0.0.1:8000/v1) or 'gguf:<path>'"));
  if (required) m->required();
  cmd.add_option("--" + prefix + "model-name", f.name, who + "The model name the endpoint serves (openai)");
  cmd.add_option("--" + prefix + "api-key-env", f.api_key_env,
                 who + "Environment variable holding the endpoint's API key (never logged)")
      ->capture_default_str();
  cmd.add_option("--" + prefix + "model-digest", f.digest,
                 who + "Identity digest to record for an endpoint's model (sha256:<hex> of its signed manifest)");
  cmd.add_option("--" + prefix + "max-concurrency", f.max_concurrency, who + "Most requests in flight to the endpoint")
      ->capture_default_str();
  cmd.add_option("--" + prefix + "max-retries", f.max_retries, who + "Retries on 429, 5xx and time-outs")
      ->capture_default_str();
  cmd.add_option("--" + prefix + "timeout", f.timeout_s, who + "Seconds per request attempt")->capture_default_str();
  cmd.add_option("--" + prefix + "gguf-parallel", f.gguf_parallel, who + "gguf: llama.cpp contexts decoding at once")
      ->capture_default_str();
  cmd.add_option("--" + prefix + "gguf-ctx", f.gguf_ctx, who + "gguf: context length in tokens")->capture_default_str();
  cmd.add_option("--" + prefix + "gguf-threads", f.gguf_threads,
                 who + "gguf: threads per context (1 suits small models; raise for large ones, keeping "
                 "threads x parallel <= cores)")
      ->capture_default_str();
  if (prefix.empty()) {
    cmd.add_flag("--allow-unsigned", f.allow_unsigned,
                 who + "Load in-process weights that no signed manifest lists (recorded in the ledger)");
    cmd.add_option("--trust", f.trust, who + "Verifier key (or file) trusted to sign model manifests; repeatable");
  }
}

Result<OpenedModel> OpenModel(CliContext& ctx, const ModelFlags& f, ledger::Ledger* ledger, model::SamplerHook* hook) {
  OpenedModel out;
  model::WeightsPolicy policy;
  policy.allow_unsigned = f.allow_unsigned;
  for (const auto& t : f.trust) {
    RSF_ASSIGN_OR_RETURN(auto v, LoadVerifier(ctx, t));
    policy.trusted.push_back(v);
  }
  if (f.spec == "reference") {
    if (!ledger) {
      return InvalidArgumentError("--model reference: in-process models need --ledger (to check the signed "
                                  "manifest and record the load)");
    }
    RSF_ASSIGN_OR_RETURN(auto w, model::GateWeights(*ledger, ctx.clock, ReferenceWeightsPath(),
                                                    Sha256Hex(model::ReferenceModelWeights()), "reference", policy));
    out.client = model::MakeReferenceModel({.hook = hook});
    out.digest = w.digest;
    out.refs.push_back(w.load_entry.leaf_hash);
    return out;
  }
  if (f.spec.starts_with("openai:")) {
    if (hook) {
      return InvalidArgumentError("--model openai:...: the watermark is embedded while sampling, which only the "
                                  "in-process backends (reference, gguf:) let rsf do");
    }
    model::OpenAiOptions o;
    o.base_url = f.spec.substr(7);
    o.model = f.name;
    if (o.model.empty()) return InvalidArgumentError("--model openai:...: --model-name is required");
    if (const char* key = std::getenv(f.api_key_env.c_str()); key) o.api_key = key;
    o.digest = f.digest;
    o.max_concurrency = f.max_concurrency;
    o.max_retries = f.max_retries;
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000));
    RSF_ASSIGN_OR_RETURN(out.client, model::MakeOpenAiClient(std::move(o)));
    out.digest = f.digest;
    return out;
  }
  if (f.spec.starts_with("gguf:")) {
    const std::string path = f.spec.substr(5);
    if (!model::LlamaAvailable()) {
      model::LlamaOptions lo;
      lo.path = path;
      return model::OpenLlamaModel(lo, {}).status();
    }
    if (!ledger) {
      return InvalidArgumentError("--model gguf:...: in-process models need --ledger (to check the signed "
                                  "manifest and record the load)");
    }
    RSF_ASSIGN_OR_RETURN(auto w, model::OpenWeights(ctx.env, *ledger, ctx.clock, path, "llama.cpp", policy));
    model::LlamaOptions lo;
    lo.path = path;
    lo.parallel = f.gguf_parallel;
    lo.n_ctx = f.gguf_ctx;
    lo.n_threads = f.gguf_threads;
    lo.hook = hook;
    RSF_ASSIGN_OR_RETURN(out.client, model::OpenLlamaModel(lo, {w.name, w.digest, "llama.cpp"}));
    out.digest = w.digest;
    out.refs.push_back(w.load_entry.leaf_hash);
    return out;
  }
  return InvalidArgumentError(fmt::format(
      "--model '{}': expected 'reference', 'openai:<base url>' or 'gguf:<path>'", f.spec));
}

}  // namespace rsf::cli
