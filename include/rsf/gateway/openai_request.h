// include/rsf/gateway/openai_request.h
//
// The OpenAI-compatible request bodies the gateway accepts (`POST /v1/chat/completions` and
// `POST /v1/completions`), parsed strictly: a field of the wrong type or out of range is an
// error naming the field, never silently ignored, because a parameter a tier may not use must
// be seen to be refused. Unknown fields are kept out of the parsed request (and so never reach
// an upstream) but are not an error, as OpenAI clients send vendor extensions.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/model/model.h"

namespace rsf::gateway {

enum class Endpoint { kChat, kCompletion };

struct CompletionRequest {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;  // "name" or "name@version"
  std::vector<model::Message> messages;  // chat
  std::string prompt;                    // completion
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  int n = 1;
  std::optional<int> max_tokens;  // max_tokens or max_completion_tokens
  std::optional<double> temperature;
  std::optional<double> top_p;
  bool logprobs = false;
  int top_logprobs = 0;
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
  std::string user;

  // Every text a guard must see: the messages' contents, or the prompt.
  std::string PromptText() const;
  // Bytes of prompt text (for audit and token estimates).
  size_t PromptBytes() const;
};

// kInvalidArgument naming the field and what was expected ("messages[1].content: expected a
// string"), for invalid JSON, invalid UTF-8 (JSON strings must be valid UTF-8) and out-of-range
// values (n 1..128, max_tokens >= 1, temperature 0..2, top_p 0..1, top_logprobs 0..20, at most
// 4 stop sequences).
Result<CompletionRequest> ParseCompletionRequest(std::string_view body, Endpoint endpoint);

}  // namespace rsf::gateway
