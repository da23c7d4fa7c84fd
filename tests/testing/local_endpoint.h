// tests/testing/local_endpoint.h
//
// A real OpenAI-compatible HTTP server on 127.0.0.1 (port 0) for tests and benchmarks: it
// answers POST /v1/chat/completions and /v1/completions through a handler the test supplies,
// streams (SSE, chunked) when the request asks for it, and can misbehave on purpose (status
// codes, delays, dropped connections) to exercise retries and resumable runs.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace rsf::testing {

struct LocalReply {
  int status = 200;
  std::string text;  // the completion text (status 200)
  std::string raw_body;  // when set, sent verbatim instead of a completion
  std::chrono::milliseconds delay{0};
  bool drop_connection = false;  // close without answering
  std::vector<std::pair<std::string, std::string>> headers;
  // Top log-probabilities for the first token: (token, logprob).
  std::vector<std::pair<std::string, double>> top_logprobs;
};

using LocalHandler = std::function<LocalReply(const nlohmann::json& request, const std::string& path)>;

class LocalEndpoint {
 public:
  // Starts serving on 127.0.0.1 with `threads` I/O threads.
  explicit LocalEndpoint(LocalHandler handler, int threads = 2);
  ~LocalEndpoint();
  LocalEndpoint(const LocalEndpoint&) = delete;
  LocalEndpoint& operator=(const LocalEndpoint&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"
  int64_t requests() const;      // requests received so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rsf::testing
