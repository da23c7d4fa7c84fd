// src/gateway/gateway.cc — rsfd's filter chain (include/rsf/gateway/gateway.h). No network
// code here: http_server.cc reads requests and writes what Route() decides.
#include "rsf/gateway/gateway.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "gateway/exchange.h"
#include "rsf/common/id.h"
#include "rsf/common/sha256.h"
#include "rsf/gateway/openai_request.h"
#include "rsf/gateway/tier_policy.h"
#include "rsf/model/openai_client.h"
#include "rsf/model/reference_lm.h"

namespace rsf::gateway {

using internal::HttpIn;
using internal::HttpOut;
using internal::Routed;

namespace {

constexpr size_t kHoldBack = 64;  // bytes of streamed output kept back until the guard has seen what follows

// Messages may quote what the client sent, which need not be valid UTF-8: replace, never throw.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpOut JsonOut(int status, const Json& body) { return HttpOut{status, "application/json", Dump(body) + "\n", {}, {}}; }

HttpOut Error(int status, std::string_view type, std::string_view code, std::string_view message) {
  return JsonOut(status, Json{{"error", {{"message", message}, {"type", type}, {"code", code}}}});
}

HttpOut FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return Error(400, "invalid_request_error", "invalid_request", s.message());
    case StatusCode::kPermissionDenied: return Error(403, "permission_error", "not_allowed_for_tier", s.message());
    case StatusCode::kNotFound: return Error(404, "invalid_request_error", "model_not_found", s.message());
    case StatusCode::kResourceExhausted: return Error(429, "rate_limit_error", "rate_limited", s.message());
    case StatusCode::kDeadlineExceeded: return Error(504, "server_error", "upstream_timeout", s.message());
    case StatusCode::kUnavailable: return Error(502, "server_error", "upstream_unavailable", s.message());
    default: return Error(500, "server_error", "internal", s.message());
  }
}

// Whether a verdict stops the request under a tier's guard mode.
bool Blocks(GuardMode mode, const guard::Verdict& v) {
  switch (mode) {
    case GuardMode::kStrict: return v.blocked();
    case GuardMode::kRelaxed:
      for (const auto& h : v.hits) {
        if (h.by.rfind("rule:", 0) == 0 && h.action == guard::Action::kBlock) return true;
      }
      return false;
    case GuardMode::kLogOnly:
    case GuardMode::kOff: return false;
  }
  return true;
}

Json VerdictSummary(const guard::Verdict& v, bool blocked) {
  Json hits = Json::array();
  for (const auto& h : v.hits) hits.push_back({{"category", h.category}, {"by", h.by}, {"action", guard::ActionName(h.action)}});
  return {{"action", guard::ActionName(v.action)}, {"unsafe", v.unsafe}, {"blocked", blocked}, {"hits", hits}};
}

int64_t UnixSeconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
}

}  // namespace

struct Gateway::Impl final : internal::Handler {
  CompiledGateway compiled;
  store::Store* store = nullptr;
  std::unique_ptr<KeyRing> keys;
  std::unique_ptr<guard::Guard> guard;
  const Clock* clock = nullptr;
  GatewayOptions options;
  std::map<std::string, std::unique_ptr<model::ModelClient>> backends;
  std::unique_ptr<internal::HttpServer> server;
  std::unique_ptr<IdGenerator> ids;

  // Counters for /metrics, by name with labels.
  mutable std::mutex metrics_mu;
  std::map<std::string, uint64_t> counters;
  // Failed authentications per client address in the current minute.
  std::mutex auth_mu;
  std::map<std::string, std::pair<int64_t, int>> failed_auth;

  void Count(const std::string& series, uint64_t n = 1) {
    std::lock_guard lock(metrics_mu);
    counters[series] += n;
  }

  HttpOut Reject(int status, std::string_view message, std::string_view code) override {
    Count(fmt::format("rsf_gateway_rejected_total{{code=\"{}\"}}", code));
    return Error(status, "invalid_request_error", code, message);
  }

  // Authentication with a per-address limit on failures.
  Result<ApiKey> Authenticate(const HttpIn& in, HttpOut& denied) {
    const int64_t minute = UnixSeconds(*clock) / 60;
    {
      std::lock_guard lock(auth_mu);
      auto it = failed_auth.find(in.client);
      if (it != failed_auth.end() && it->second.first == minute && it->second.second >= compiled.config.failed_auth_per_minute) {
        Count("rsf_gateway_auth_failures_total{reason=\"rate_limited\"}");
        denied = Error(429, "rate_limit_error", "too_many_failed_authentications",
                       "too many failed authentications from this address; try again in a minute");
        denied.extra_header_name = "Retry-After";
        denied.extra_header_value = std::to_string(60 - UnixSeconds(*clock) % 60);
        return PermissionDeniedError("rate limited");
      }
    }
    std::string_view auth = in.authorization;
    Result<ApiKey> key = PermissionDeniedError("missing API key");
    if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
      key = keys->Authenticate(auth.substr(7));
    }
    if (!key.ok()) {
      {
        std::lock_guard lock(auth_mu);
        auto& [m, n] = failed_auth[in.client];
        if (m != minute) {
          m = minute;
          n = 0;
        }
        ++n;
        if (failed_auth.size() > 100000) failed_auth.clear();  // bounded memory under a spray of addresses
      }
      Count("rsf_gateway_auth_failures_total{reason=\"invalid_key\"}");
      denied = Error(401, "authentication_error", "invalid_api_key",
                     auth.empty() ? "missing API key: send Authorization: Bearer <key>" : "invalid API key");
      return key.status();
    }
    return key;
  }

  Routed Route(HttpIn& in) override {
    Routed r;
    const std::string path = in.target.substr(0, in.target.find('?'));
    // Metrics label: only the known endpoints, so clients cannot grow the series (or inject
    // quotes into the exposition) by asking for arbitrary paths.
    std::string_view label = "other";
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
      label = path;
      r.response = path == "/healthz"   ? JsonOut(200, {{"status", "ok"}})
                   : path == "/readyz" ? JsonOut(200, {{"status", "ready"}, {"models", backends.size()}})
                                       : HttpOut{200, "text/plain; version=0.0.4", MetricsText(), {}, {}};
    } else if (path == "/v1/models") {
      label = path;
      if (in.method != "GET") {
        MethodNotAllowed(r, "GET");
      } else {
        r.response = Models(in);
      }
    } else if (path == "/v1/chat/completions" || path == "/v1/completions") {
      label = path;
      if (in.method != "POST") {
        MethodNotAllowed(r, "POST");
      } else {
        Completion(in, path == "/v1/chat/completions" ? Endpoint::kChat : Endpoint::kCompletion, r);
      }
    } else {
      r.response = Error(404, "invalid_request_error", "not_found", "no such endpoint: " + path);
    }
    Count(fmt::format("rsf_gateway_responses_total{{path=\"{}\",code=\"{}\"}}", label,
                      r.job ? "pending" : std::to_string(r.response.status)));
    return r;
  }

  void MethodNotAllowed(Routed& r, std::string_view allowed) {
    r.response = Error(405, "invalid_request_error", "method_not_allowed", fmt::format("use {}", allowed));
    r.response.extra_header_name = "Allow";
    r.response.extra_header_value = std::string(allowed);
  }

  HttpOut Models(const HttpIn& in) {
    HttpOut denied;
    auto key = Authenticate(in, denied);
    if (!key.ok()) return denied;
    const TierPolicy* tier = compiled.config.FindTier(key->tier);
    Json data = Json::array();
    for (const auto& m : compiled.models) {
      if (key->role != KeyRole::kClient || (tier && TierMaySee(*tier, m))) {
        data.push_back({{"id", m.route.name}, {"object", "model"}, {"owned_by", "rsf"},
                        {"rsf", {{"decision", m.decision.outcome}, {"level", m.decision.level},
                                 {"statement_sha256", m.decision.statement_sha256}}}});
      }
    }
    return JsonOut(200, {{"object", "list"}, {"data", data}});
  }

  void Completion(HttpIn& in, Endpoint endpoint, Routed& r) {
    const auto start = clock->Steady();
    HttpOut denied;
    auto key = Authenticate(in, denied);
    if (!key.ok()) {
      r.response = denied;
      return;
    }
    const TierPolicy* tier = compiled.config.FindTier(key->tier);
    if (key->role != KeyRole::kClient || !tier) {
      r.response = Error(403, "permission_error", "not_a_client_key", "this key may not call model endpoints");
      return;
    }
    auto parsed = ParseCompletionRequest(in.body, endpoint);
    if (!parsed.ok()) {
      r.response = FromStatus(parsed.status());
      return;
    }
    CompletionRequest req = std::move(*parsed);
    if (Status s = ApplyTierPolicy(compiled, *tier, req); !s.ok()) {
      r.response = FromStatus(s);
      return;
    }
    if (req.stream && req.n > 1) {
      r.response = Error(400, "invalid_request_error", "invalid_request", "n: streaming supports n = 1 only");
      return;
    }
    Json audit = {{"type", "gateway.request"}, {"key_id", key->id}, {"tenant", key->tenant}, {"tier", tier->id},
                  {"model", req.model}, {"endpoint", endpoint == Endpoint::kChat ? "chat" : "completion"},
                  {"stream", req.stream}, {"prompt_bytes", req.PromptBytes()},
                  {"prompt_sha256", Sha256Hex(req.PromptText())}};
    // Guard on the prompt.
    if (tier->guard != GuardMode::kOff) {
      if (!guard) {
        if (!tier->guard_fail_open) {
          r.response = Error(503, "server_error", "guard_unavailable", "the safety filter is unavailable; the request was not served");
          Finish(audit, r.response.status, start);
          return;
        }
      } else {
        const guard::Verdict v = guard->Classify(req.PromptText());
        const bool blocked = Blocks(tier->guard, v);
        audit["guard_prompt"] = VerdictSummary(v, blocked);
        if (v.action != guard::Action::kAllow) Count(fmt::format("rsf_gateway_guard_verdicts_total{{stage=\"prompt\",action=\"{}\"}}", guard::ActionName(v.action)));
        if (blocked) {
          r.response = Error(400, "invalid_request_error", "content_filter",
                             "the prompt was blocked by the safety filter" +
                                 (v.hits.empty() ? std::string() : " (category: " + v.hits.front().category + ")"));
          Finish(audit, 400, start);
          return;
        }
      }
    }
    model::ModelClient* backend = backends.at(req.model).get();
    auto job = std::make_shared<internal::Job>();
    job->stream = req.stream;
    const GuardMode mode = guard ? tier->guard : GuardMode::kOff;
    job->run = [this, backend, req = std::move(req), audit = std::move(audit), mode, start](const internal::Emit& emit) mutable {
      HttpOut out = req.stream ? RunStream(*backend, req, mode, emit, audit) : RunOnce(*backend, req, mode, audit);
      Finish(audit, out.status, start);
      return out;
    };
    r.job = std::move(job);
  }

  static model::GenerateRequest ToBackend(const CompletionRequest& req) {
    model::GenerateRequest g;
    if (req.endpoint == Endpoint::kChat) {
      g.messages = req.messages;
    } else {
      g.prompt = req.prompt;
    }
    g.sampling.temperature = req.temperature.value_or(1.0);
    g.sampling.top_p = req.top_p.value_or(1.0);
    g.sampling.max_tokens = req.max_tokens.value_or(256);
    g.sampling.seed = req.seed;
    g.sampling.stop = req.stop;
    g.sampling.top_logprobs = req.top_logprobs;
    return g;
  }

  // Guards a response: true when it must be withheld.
  bool ResponseBlocked(GuardMode mode, std::string_view text, Json& audit) {
    if (mode == GuardMode::kOff || text.empty()) return false;
    const guard::Verdict v = guard->Classify(text);
    const bool blocked = Blocks(mode, v);
    audit["guard_response"] = VerdictSummary(v, blocked);
    if (v.action != guard::Action::kAllow) Count(fmt::format("rsf_gateway_guard_verdicts_total{{stage=\"response\",action=\"{}\"}}", guard::ActionName(v.action)));
    return blocked;
  }

  HttpOut RunOnce(model::ModelClient& backend, const CompletionRequest& req, GuardMode mode, Json& audit) {
    const bool chat = req.endpoint == Endpoint::kChat;
    Json choices = Json::array();
    int64_t prompt_tokens = 0, completion_tokens = 0;
    std::string all;
    for (int i = 0; i < req.n; ++i) {
      auto res = backend.Generate(ToBackend(req));
      if (!res.ok()) return FromStatus(res.status());
      std::string finish = res->finish_reason;
      std::string text = res->text;
      if (ResponseBlocked(mode, text, audit)) {
        text.clear();
        finish = "content_filter";
      }
      all += text;
      prompt_tokens = res->usage.prompt_tokens;
      completion_tokens += res->usage.completion_tokens;
      Json choice = {{"index", i}, {"finish_reason", finish}};
      if (chat) {
        choice["message"] = {{"role", "assistant"}, {"content", text}};
      } else {
        choice["text"] = text;
      }
      choices.push_back(choice);
    }
    audit["response_bytes"] = all.size();
    audit["response_sha256"] = Sha256Hex(all);
    audit["usage"] = {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}};
    Json body = {{"id", ids->Next(chat ? "chatcmpl-" : "cmpl-")}, {"object", chat ? "chat.completion" : "text_completion"},
                 {"created", UnixSeconds(*clock)}, {"model", req.model}, {"choices", choices},
                 {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
                            {"total_tokens", prompt_tokens + completion_tokens}}}};
    return JsonOut(200, body);
  }

  HttpOut RunStream(model::ModelClient& backend, const CompletionRequest& req, GuardMode mode, const internal::Emit& emit, Json& audit) {
    const bool chat = req.endpoint == Endpoint::kChat;
    const std::string id = ids->Next(chat ? "chatcmpl-" : "cmpl-");
    const int64_t created = UnixSeconds(*clock);
    auto chunk = [&](std::string_view text, const Json& finish) {
      Json choice = {{"index", 0}, {"finish_reason", finish}};
      if (chat) {
        choice["delta"] = text.empty() && finish.is_null() ? Json{{"role", "assistant"}} : Json{{"content", text}};
      } else {
        choice["text"] = text;
      }
      Json c = {{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"created", created},
                {"model", req.model}, {"choices", Json::array({choice})}};
      return "data: " + Dump(c) + "\n\n";
    };
    std::string text;     // everything generated
    size_t released = 0;  // bytes of it sent
    bool blocked = false, client_gone = false;
    if (chat && !emit(chunk("", nullptr))) return HttpOut{499, "application/json", "", {}, {}};
    // Releases what the guard has cleared, keeping kHoldBack bytes (at a UTF-8 boundary).
    auto release = [&](bool final) {
      size_t upto = final ? text.size() : (text.size() > kHoldBack ? text.size() - kHoldBack : 0);
      while (upto > released && upto < text.size() && (static_cast<unsigned char>(text[upto]) & 0xC0) == 0x80) --upto;
      if (upto <= released) return true;
      if (ResponseBlocked(mode, text, audit)) {
        blocked = true;
        return false;
      }
      const bool ok = emit(chunk(std::string_view(text).substr(released, upto - released), nullptr));
      released = upto;
      return ok;
    };
    size_t last_check = 0;
    const model::StreamCallback cb = [&](std::string_view delta) {
      text.append(delta);
      if (text.size() - last_check < kHoldBack) return true;  // guard every kHoldBack bytes
      last_check = text.size();
      if (!release(false)) {
        client_gone = !blocked;
        return false;
      }
      return true;
    };
    auto res = backend.Generate(ToBackend(req), &cb);
    if (!res.ok() && released == 0 && !blocked) return FromStatus(res.status());
    std::string finish = res.ok() ? res->finish_reason : "error";
    if (!blocked && !client_gone) release(true);
    if (blocked) finish = "content_filter";
    audit["response_bytes"] = released;
    audit["response_sha256"] = Sha256Hex(std::string_view(text).substr(0, released));
    if (client_gone) return HttpOut{499, "application/json", "", {}, {}};
    emit(chunk("", finish));
    if (req.include_usage && res.ok()) {
      Json u = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", req.model},
                {"choices", Json::array()},
                {"usage", {{"prompt_tokens", res->usage.prompt_tokens}, {"completion_tokens", res->usage.completion_tokens},
                           {"total_tokens", res->usage.prompt_tokens + res->usage.completion_tokens}}}};
      emit("data: " + Dump(u) + "\n\n");
    }
    emit("data: [DONE]\n\n");
    return HttpOut{200, "text/event-stream", "", {}, {}};
  }

  void Finish(Json& audit, int status, std::chrono::steady_clock::time_point start) {
    const double ms = std::chrono::duration<double, std::milli>(clock->Steady() - start).count();
    audit["status"] = status;
    audit["latency_ms"] = ms;
    audit["time"] = FormatRfc3339(clock->Now());
    Count(fmt::format("rsf_gateway_requests_total{{model=\"{}\",status=\"{}\"}}", audit.value("model", ""), status));
    if (options.audit) options.audit(audit);
  }

  std::string MetricsText() const {
    std::string out =
        "# HELP rsf_gateway_requests_total Model requests by model and final status.\n"
        "# TYPE rsf_gateway_requests_total counter\n";
    std::lock_guard lock(metrics_mu);
    std::string last_family = "rsf_gateway_requests_total";
    for (const auto& [series, n] : counters) {
      const std::string family = series.substr(0, series.find('{'));
      if (family != last_family) {
        out += "# TYPE " + family + " counter\n";
        last_family = family;
      }
      out += series + " " + std::to_string(n) + "\n";
    }
    return out;
  }
};

BackendFactory DefaultBackends() {
  return [](const ServedModel& m) -> Result<std::unique_ptr<model::ModelClient>> {
    if (m.route.backend == "reference") return model::MakeReferenceModel();
    model::OpenAiOptions o;
    o.base_url = m.route.upstreams.front().url + "/v1";
    o.model = m.route.upstreams.front().served_name.empty() ? m.route.name : m.route.upstreams.front().served_name;
    o.max_retries = 1;
    return model::MakeOpenAiClient(o);
  };
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() { Stop(); }

Result<std::unique_ptr<Gateway>> Gateway::Create(CompiledGateway compiled, store::Store& store,
                                                 std::unique_ptr<guard::Guard> guard, const Clock& clock,
                                                 const BackendFactory& backends, GatewayOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->store = &store;
  impl->clock = &clock;
  impl->guard = std::move(guard);
  impl->options = std::move(options);
  impl->ids = std::make_unique<IdGenerator>(clock);
  RSF_ASSIGN_OR_RETURN(impl->keys, KeyRing::Open(store, clock));
  for (const auto& m : compiled.models) {
    RSF_ASSIGN_OR_RETURN(auto client, backends(m));
    impl->backends.emplace(m.route.name, std::move(client));
  }
  impl->compiled = std::move(compiled);
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Result<uint16_t> Gateway::Start(const std::string& host, uint16_t port) {
  internal::HttpServer::Options o;
  o.io_threads = impl_->options.io_threads;
  o.worker_threads = impl_->options.worker_threads;
  o.max_body_bytes = impl_->compiled.config.max_body_bytes;
  o.header_timeout_ms = impl_->compiled.config.header_timeout_ms;
  o.request_timeout_ms = impl_->compiled.config.request_timeout_ms;
  impl_->server = internal::HttpServer::Make(*impl_, o);
  std::string error;
  const int bound = impl_->server->Start(host, port, &error);
  if (bound < 0) {
    impl_->server.reset();
    return UnavailableError(error);
  }
  return static_cast<uint16_t>(bound);
}

void Gateway::Stop() {
  if (impl_ && impl_->server) {
    impl_->server->Stop();
    impl_->server.reset();
  }
}

KeyRing& Gateway::keys() { return *impl_->keys; }
std::string Gateway::MetricsText() const { return impl_->MetricsText(); }

}  // namespace rsf::gateway
