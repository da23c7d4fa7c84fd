// include/rsf/model/model.h
//
// The one interface every model sits behind: OpenAI-compatible HTTP endpoints (vLLM,
// llama.cpp server, hosted APIs), llama.cpp in process, and the built-in reference language
// model. Evaluations, the gateway and the guard's judge talk to a ModelClient and never to a
// backend directly, so tests swap in a fake at this seam.
//
// A request is either a chat (messages) or a plain completion (prompt). Sampling parameters
// follow the OpenAI names. `top_logprobs` > 0 asks for that many alternatives per generated
// token (used to answer multiple-choice questions by log-probabilities).
//
// Thread safety: implementations are safe to call from many threads at once; each bounds its
// own concurrency (see the backend's options).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::model {

struct Message {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct SamplingParams {
  double temperature = 0.0;       // 0 = greedy
  double top_p = 1.0;
  int max_tokens = 256;
  std::optional<uint64_t> seed;   // reproducible sampling where the backend supports it
  std::vector<std::string> stop;  // stop sequences
  int top_logprobs = 0;           // alternatives per generated token, 0..20
  bool ignore_eos = false;        // in-process backends: never end before max_tokens
};

struct GenerateRequest {
  std::vector<Message> messages;      // chat mode, or
  std::optional<std::string> prompt;  // completion mode when set
  SamplingParams sampling;
};

struct TokenLogprob {
  std::string token;
  double logprob = 0;
  std::vector<std::pair<std::string, double>> top;  // most likely alternatives, best first
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct GenerateResponse {
  std::string text;
  std::string finish_reason;  // "stop", "length"
  std::vector<TokenLogprob> logprobs;  // one per generated token when asked for
  Usage usage;
  std::string model;  // the name the backend reported
};

// Receives generated text as it arrives (streaming). Returning false cancels the request,
// which then completes with what was generated so far.
using StreamCallback = std::function<bool(std::string_view delta)>;

// Who a model is: the name it is served under and, for weights rsf can hash, the digest of
// its signed manifest ("sha256:<hex>"; see manifest.h). Endpoints whose weights rsf cannot
// see report the digest configured for them, or "" when none was.
struct ModelIdentity {
  std::string name;
  std::string digest;
  std::string backend;  // "openai", "llama.cpp", "reference"
};

class ModelClient {
 public:
  virtual ~ModelClient() = default;

  // Generates one response. kInvalidArgument for a malformed request (names the field);
  // kUnavailable when the backend cannot be reached or keeps failing after its retries;
  // kDeadlineExceeded on time-out; kPermissionDenied when the endpoint rejects the key.
  virtual Result<GenerateResponse> Generate(const GenerateRequest& request,
                                            const StreamCallback* stream = nullptr) = 0;

  virtual ModelIdentity Identity() const = 0;
};

// In-process backends let a hook see and change the next-token logits before sampling: the
// green-list watermark adds its bias here. `context` holds the token ids so far (prompt and
// generated); `logits` has one entry per vocabulary token.
//
// A hook may also make the random draw itself (the distortion-free watermark does): Choose
// gets the candidates left after temperature and top-p with their probabilities (summing to
// 1) and returns true with `*chosen` set to one of them, or false to let the sampler draw.
// It is not called when the temperature is 0 (the arg-max is taken).
class SamplerHook {
 public:
  virtual ~SamplerHook() = default;
  virtual void AdjustLogits(std::span<const int32_t> context, std::span<float> logits) = 0;
  virtual bool Choose(std::span<const int32_t> /*context*/, std::span<const int32_t> /*candidates*/,
                      std::span<const double> /*probs*/, int32_t* /*chosen*/) {
    return false;
  }
};

}  // namespace rsf::model
