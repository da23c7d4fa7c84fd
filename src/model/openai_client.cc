#include "rsf/model/openai_client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rsf/common/json.h"

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

Json RequestBody(const OpenAiOptions& o, const GenerateRequest& r, bool stream) {
  Json body = Json::object();
  body["model"] = o.model;
  const SamplingParams& s = r.sampling;
  if (r.prompt) {
    body["prompt"] = *r.prompt;
    if (s.top_logprobs > 0) body["logprobs"] = s.top_logprobs;
  } else {
    Json messages = Json::array();
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
    if (s.top_logprobs > 0) {
      body["logprobs"] = true;
      body["top_logprobs"] = s.top_logprobs;
    }
  }
  body["temperature"] = s.temperature;
  body["top_p"] = s.top_p;
  body["max_tokens"] = s.max_tokens;
  if (s.seed) body["seed"] = *s.seed;
  if (!s.stop.empty()) body["stop"] = s.stop;
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

void ParseUsage(const Json& j, Usage& usage) {
  auto it = j.find("usage");
  if (it == j.end() || !it->is_object()) return;
  usage.prompt_tokens = it->value("prompt_tokens", int64_t{0});
  usage.completion_tokens = it->value("completion_tokens", int64_t{0});
}

// Chat: choices[0].logprobs.content[{token, logprob, top_logprobs[{token, logprob}]}].
// Completions: choices[0].logprobs{tokens[], token_logprobs[], top_logprobs[{tok: lp}]}.
void ParseLogprobs(const Json& lp, std::vector<TokenLogprob>& out) {
  if (!lp.is_object()) return;
  if (auto c = lp.find("content"); c != lp.end() && c->is_array()) {
    for (const auto& t : *c) {
      TokenLogprob tl;
      tl.token = t.value("token", "");
      tl.logprob = t.value("logprob", 0.0);
      if (auto top = t.find("top_logprobs"); top != t.end() && top->is_array()) {
        for (const auto& a : *top) tl.top.emplace_back(a.value("token", ""), a.value("logprob", 0.0));
      }
      out.push_back(std::move(tl));
    }
    return;
  }
  auto tokens = lp.find("tokens");
  auto lps = lp.find("token_logprobs");
  auto tops = lp.find("top_logprobs");
  if (tokens == lp.end() || !tokens->is_array()) return;
  for (size_t i = 0; i < tokens->size(); ++i) {
    TokenLogprob tl;
    tl.token = (*tokens)[i].is_string() ? (*tokens)[i].get<std::string>() : "";
    if (lps != lp.end() && lps->is_array() && i < lps->size() && (*lps)[i].is_number()) {
      tl.logprob = (*lps)[i].get<double>();
    }
    if (tops != lp.end() && tops->is_array() && i < tops->size() && (*tops)[i].is_object()) {
      for (auto& [tok, v] : (*tops)[i].items()) {
        if (v.is_number()) tl.top.emplace_back(tok, v.get<double>());
      }
      std::sort(tl.top.begin(), tl.top.end(), [](auto& a, auto& b) { return a.second > b.second; });
    }
    out.push_back(std::move(tl));
  }
}

Result<GenerateResponse> ParseResponse(const std::string& body, bool chat) {
  auto parsed = ParseJson(body);
  if (!parsed.ok()) return UnavailableError("endpoint returned invalid JSON: " + parsed.status().message());
  const Json& j = *parsed;
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return UnavailableError("endpoint response has no choices[0]");
  }
  const Json& c = (*choices)[0];
  GenerateResponse out;
  if (chat) {
    auto m = c.find("message");
    if (m == c.end() || !m->is_object()) return UnavailableError("endpoint response has no choices[0].message");
    auto content = m->find("content");
    out.text = content != m->end() && content->is_string() ? content->get<std::string>() : "";
  } else {
    auto t = c.find("text");
    if (t == c.end() || !t->is_string()) return UnavailableError("endpoint response has no choices[0].text");
    out.text = t->get<std::string>();
  }
  if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) out.finish_reason = *f;
  if (auto lp = c.find("logprobs"); lp != c.end()) ParseLogprobs(*lp, out.logprobs);
  ParseUsage(j, out.usage);
  out.model = j.value("model", "");
  return out;
}

// Consumes server-sent events ("data: {...}\n\n", "data: [DONE]") as they arrive.
class SseReader {
 public:
  SseReader(bool chat, const StreamCallback* user, GenerateResponse& out)
      : chat_(chat), user_(user), out_(out) {}

  bool Feed(std::string_view chunk) {
    buffer_.append(chunk);
    size_t pos;
    while ((pos = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.starts_with("data:")) continue;
      std::string_view data = std::string_view(line).substr(5);
      while (!data.empty() && data.front() == ' ') data.remove_prefix(1);
      if (data == "[DONE]") {
        done_ = true;
        continue;
      }
      if (!Event(data)) return false;
    }
    return true;
  }
  bool done() const { return done_; }
  bool delivered() const { return delivered_; }
  const Status& error() const { return error_; }

 private:
  bool Event(std::string_view data) {
    auto parsed = ParseJson(data);
    if (!parsed.ok()) {
      error_ = UnavailableError("endpoint sent an invalid stream event: " + parsed.status().message());
      return false;
    }
    const Json& j = *parsed;
    ParseUsage(j, out_.usage);
    if (j.contains("model") && j["model"].is_string()) out_.model = j["model"];
    auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array() || choices->empty()) return true;
    const Json& c = (*choices)[0];
    std::string delta;
    if (chat_) {
      if (auto d = c.find("delta"); d != c.end() && d->is_object()) {
        if (auto t = d->find("content"); t != d->end() && t->is_string()) delta = *t;
      }
    } else if (auto t = c.find("text"); t != c.end() && t->is_string()) {
      delta = *t;
    }
    if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) out_.finish_reason = *f;
    if (auto lp = c.find("logprobs"); lp != c.end()) ParseLogprobs(*lp, out_.logprobs);
    if (delta.empty()) return true;
    out_.text += delta;
    delivered_ = true;
    return !user_ || (*user_)(delta);
  }

  bool chat_;
  const StreamCallback* user_;
  GenerateResponse& out_;
  std::string buffer_;
  bool done_ = false, delivered_ = false;
  Status error_;
};

std::string ErrorMessage(const HttpResponse& r) {
  auto parsed = ParseJson(r.body);
  if (parsed.ok() && parsed->is_object()) {
    auto e = parsed->find("error");
    if (e != parsed->end()) {
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        return (*e)["message"].get<std::string>();
      }
      if (e->is_string()) return e->get<std::string>();
    }
  }
  return r.body.substr(0, 200);
}

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
    http.body = RequestBody(o_, request, stream != nullptr).dump();

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
          if (!stream) return ParseResponse(r->body, chat);
          if (!sse.error().ok()) return sse.error();
          return out;
        }
        std::string msg = fmt::format("{} answered HTTP {}: {}", http.url, code, ErrorMessage(*r));
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
