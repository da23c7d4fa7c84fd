#include "rsf/model/openai_client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rsf/common/json.h"
#include "rsf/model/openai_wire.h"

namespace rsf::model {
namespace {

// A counting semaphore whose limit is chosen at run time.
class Limiter {
 public:
  explicit Limiter(int limit) : free_(std::max(limit, 1)) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

class OpenAiClient final : public ModelClient {
 public:
  explicit OpenAiClient(OpenAiOptions o) : o_(std::move(o)), limiter_(o_.max_concurrency) {
    if (!o_.transport) o_.transport = MakeHttpTransport();
    if (!o_.sleep) o_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    while (!o_.base_url.empty() && o_.base_url.back() == '/') o_.base_url.pop_back();
  }

  Result<GenerateResponse> Generate(const GenerateRequest& request,
                                    const StreamCallback* stream) override {
    if (!request.prompt && request.messages.empty()) {
      return InvalidArgumentError("request: expected messages or a prompt");
    }
    if (request.sampling.top_logprobs < 0 || request.sampling.top_logprobs > 20) {
      return InvalidArgumentError("sampling.top_logprobs: expected 0..20");
    }
    const bool chat = !request.prompt;
    HttpRequest http;
    http.url = o_.base_url + (chat ? "/chat/completions" : "/completions");
    http.timeout = o_.timeout;
    http.headers.emplace_back("Content-Type", "application/json");
    if (!o_.api_key.empty()) http.headers.emplace_back("Authorization", "Bearer " + o_.api_key);
    http.body = OpenAiRequestBody(o_.model, request, stream != nullptr).dump();

    limiter_.Acquire();
    Result<GenerateResponse> r = WithRetries(http, chat, stream);
    limiter_.Release();
    return r;
  }

  ModelIdentity Identity() const override { return {o_.model, o_.digest, "openai"}; }

 private:
  Result<GenerateResponse> WithRetries(const HttpRequest& http, bool chat,
                                       const StreamCallback* stream) {
    Status last;
    for (int attempt = 0;; ++attempt) {
      std::chrono::milliseconds retry_after{-1};
      GenerateResponse out;
      SseReader sse(chat, stream, out);
      BodyCallback on_body = [&](std::string_view chunk) { return sse.Feed(chunk); };
      Result<HttpResponse> r = o_.transport->Send(http, stream ? &on_body : nullptr);
      if (r.ok()) {
        const int code = r->status;
        if (code >= 200 && code < 300) {
          if (!stream) return ParseOpenAiResponse(r->body, chat);
          if (!sse.error().ok()) return sse.error();
          return out;
        }
        std::string msg = fmt::format("{} answered HTTP {}: {}", http.url, code, OpenAiErrorMessage(r->body));
        if (code == 401 || code == 403) return PermissionDeniedError(msg);
        if (code != 429 && code < 500) return InvalidArgumentError(msg);
        last = UnavailableError(msg);
        if (std::string ra = r->Header("Retry-After"); !ra.empty()) {
          char* end = nullptr;
          double secs = std::strtod(ra.c_str(), &end);
          if (end != ra.c_str() && secs >= 0) retry_after = std::chrono::milliseconds(static_cast<int64_t>(secs * 1000));
        }
      } else {
        const StatusCode c = r.status().code();
        if (c != StatusCode::kUnavailable && c != StatusCode::kDeadlineExceeded) return r.status();
        last = r.status();
      }
      if (stream && sse.delivered()) return last;  // the caller already saw part of a reply
      if (attempt >= o_.max_retries) {
        return Status(last.code(), fmt::format("{} (gave up after {} attempts)", last.message(), attempt + 1));
      }
      auto delay = Backoff(attempt);
      if (retry_after.count() >= 0) delay = std::min(std::max(delay, retry_after), o_.max_backoff);
      spdlog::debug("model: retrying {} in {} ms: {}", http.url, delay.count(), last.message());
      o_.sleep(delay);
    }
  }

  std::chrono::milliseconds Backoff(int attempt) {
    const int64_t cap = std::min<int64_t>(o_.max_backoff.count(),
                                          o_.initial_backoff.count() << std::min(attempt, 20));
    std::lock_guard lock(rng_mu_);
    std::uniform_int_distribution<int64_t> d(0, std::max<int64_t>(cap, 0));
    return std::chrono::milliseconds(d(rng_));
  }

  OpenAiOptions o_;
  Limiter limiter_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

Result<std::unique_ptr<ModelClient>> MakeOpenAiClient(OpenAiOptions options) {
  RSF_RETURN_IF_ERROR(ParseUrl(options.base_url).status());
  if (options.model.empty()) return InvalidArgumentError("model: expected the endpoint's model name");
  return std::unique_ptr<ModelClient>(std::make_unique<OpenAiClient>(std::move(options)));
}

}  // namespace rsf::model
