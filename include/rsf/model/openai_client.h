// include/rsf/model/openai_client.h
//
// A ModelClient for OpenAI-compatible endpoints (vLLM, llama.cpp server, hosted APIs):
// POST <base_url>/chat/completions for chat requests and <base_url>/completions for prompts,
// with streaming (server-sent events), log-probabilities, seeds and sampling parameters.
//
// Failures are retried with exponential back-off and full jitter (a delay drawn uniformly
// from [0, min(max_backoff, initial_backoff * 2^attempt)]), honouring Retry-After, on HTTP
// 429 and 5xx, on time-outs and on broken connections. A streamed request is retried only if
// nothing was delivered yet. At most `max_concurrency` requests are in flight at once; other
// callers wait. The API key is sent as a bearer token and never logged or returned in errors.
//
// Thread safety: Generate is safe from many threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rsf/model/http.h"
#include "rsf/model/model.h"

namespace rsf::model {

struct OpenAiOptions {
  std::string base_url;  // e.g. "http://127.0.0.1:8000/v1"
  std::string model;     // the model name the endpoint serves
  std::string api_key;   // empty: no Authorization header
  std::string digest;    // identity digest to report for results ("" when unknown)
  std::chrono::milliseconds timeout{120000};  // per attempt
  int max_retries = 6;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  int max_concurrency = 64;
  // Seams for tests: where requests go (default: MakeHttpTransport()) and how the client
  // waits between attempts (default: std::this_thread::sleep_for).
  std::shared_ptr<HttpTransport> transport;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// kInvalidArgument when base_url is not http(s) or model is empty.
Result<std::unique_ptr<ModelClient>> MakeOpenAiClient(OpenAiOptions options);

}  // namespace rsf::model
