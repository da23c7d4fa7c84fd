// src/gateway/completion.cc — the filter chain of the model endpoints (gateway.h lists the
// steps in order) and the backend call with the response guard, on a worker thread.
#include <fmt/format.h>

#include <chrono>

#include "gateway/gateway_impl.h"
#include "gateway/responses.h"
#include "rsf/common/sha256.h"
#include "rsf/gateway/rollout.h"
#include "rsf/gateway/tier_policy.h"
#include "rsf/model/openai_wire.h"
#include "rsf/watermark/watermark.h"

namespace rsf::gateway {

using internal::Dump;
using internal::Error;
using internal::FromStatus;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;
using internal::Routed;

namespace {

constexpr size_t kHoldBack = 64;  // bytes of streamed output kept back until the guard has seen what follows

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

model::GenerateRequest ToBackend(const CompletionRequest& req) {
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

std::string_view StopCode(const Stop& s) { return s.kind == HaltKind::kTier ? "tier_restricted" : "model_halted"; }

HttpOut Stopped(const Stop& s) {
  return s.kind == HaltKind::kTier ? Error(403, "permission_error", StopCode(s), s.message)
                                   : Error(503, "server_error", StopCode(s), s.message);
}

}  // namespace

// One request's run after the filter chain admitted it: the backend call, the response guard,
// the kill switch for requests in flight, and the audit record.
struct Call {
  explicit Call(Gateway::Impl& g) : gw(g) {}

  Gateway::Impl& gw;
  std::shared_ptr<const Snapshot> snap;  // keeps the backend alive across a reload
  const ServedModel* model = nullptr;
  std::string tier;
  GuardMode mode = GuardMode::kStrict;
  CompletionRequest req;
  Json audit;
  std::vector<Quota> quotas;
  int64_t estimate = 0;
  std::chrono::steady_clock::time_point start;
  uint64_t generation = 0;
  std::optional<Stop> halted;  // why the kill switch stopped it
  std::string key_id, channel, drill;  // drill: the drill's id for drill traffic
  std::vector<std::string> signals;    // for the incident monitor: guard.<category>, guard.blocked

  void Signal(const guard::Verdict& v, bool stopped) {
    for (const auto& h : v.hits) {
      if (h.action == guard::Action::kAllow) continue;
      std::string name = "guard." + h.category;
      if (std::find(signals.begin(), signals.end(), name) == signals.end()) signals.push_back(std::move(name));
    }
    if (stopped && std::find(signals.begin(), signals.end(), "guard.blocked") == signals.end()) signals.push_back("guard.blocked");
  }

  // True when the kill switch now stops this request (cheap unless the state changed).
  bool Halted() {
    const uint64_t g = gw.control->generation();
    if (g == generation) return halted.has_value();
    generation = g;
    halted = gw.control->Stopped(model->route, tier);
    return halted.has_value();
  }

  // Guards a response: true when it must be withheld.
  bool ResponseBlocked(std::string_view output) {
    if (mode == GuardMode::kOff || output.empty()) return false;
    const guard::Verdict v = gw.guard->Classify(output);
    const bool stop = Blocks(mode, v);
    audit["guard_response"] = VerdictSummary(v, stop);
    Signal(v, stop);
    if (v.action != guard::Action::kAllow && drill.empty()) {
      gw.Count(fmt::format("rsf_gateway_guard_verdicts_total{{stage=\"response\",action=\"{}\"}}", guard::ActionName(v.action)));
    }
    return stop;
  }

  HttpOut HaltedOut() {
    audit["halted"] = halted->message;
    return Stopped(*halted);
  }

  // --- the response, built as the backend's output arrives (on a worker thread for an
  // in-process backend, on the connection's strand for an upstream)
  bool chat = false;
  std::string id;
  int64_t created = 0;
  std::string text;          // streamed: everything generated
  size_t released = 0;       // streamed: bytes of it sent
  size_t last_check = 0;     // streamed: where the guard last looked
  bool role_sent = false;    // streamed chat: the first (role) chunk went out
  bool blocked = false, client_gone = false;
  Json choices = Json::array();  // unstreamed: the choices so far
  std::string all;               // unstreamed: their text
  int64_t prompt_tokens = 0, completion_tokens = 0;

  void Begin() {
    chat = req.endpoint == Endpoint::kChat;
    id = gw.ids->Next(chat ? "chatcmpl-" : "cmpl-");
    created = UnixSeconds(*gw.clock);
  }

  std::string Chunk(std::string_view piece, const Json& finish) const {
    Json choice = {{"index", 0}, {"finish_reason", finish}};
    if (chat) {
      choice["delta"] = piece.empty() && finish.is_null() ? Json{{"role", "assistant"}} : Json{{"content", piece}};
    } else {
      choice["text"] = piece;
    }
    Json c = {{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"created", created},
              {"model", model->route.id()}, {"choices", Json::array({choice})}};
    return "data: " + Dump(c) + "\n\n";
  }

  // Sends a chunk; a chat stream opens with the role chunk.
  bool Send(std::string_view piece, const Json& finish, const internal::Emit& emit) {
    if (chat && !role_sent) {
      role_sent = true;
      if (!emit(Chunk("", nullptr))) return false;
    }
    return emit(Chunk(piece, finish));
  }

  // Streamed: releases what the guard has cleared, keeping kHoldBack bytes (at a UTF-8
  // boundary) unless `final`. False when the guard blocked or the client has gone.
  bool Release(bool final, const internal::Emit& emit) {
    size_t upto = final ? text.size() : (text.size() > kHoldBack ? text.size() - kHoldBack : 0);
    while (upto > released && upto < text.size() && (static_cast<unsigned char>(text[upto]) & 0xC0) == 0x80) --upto;
    if (upto <= released) return true;
    if (ResponseBlocked(text)) {
      blocked = true;
      return false;
    }
    const bool ok = Send(std::string_view(text).substr(released, upto - released), nullptr, emit);
    released = upto;
    return ok;
  }

  // One piece of generated text; false to stop generating (kill switch, guard, client gone).
  bool OnDelta(std::string_view delta, const internal::Emit& emit) {
    if (Halted()) return false;
    if (!req.stream) return true;
    text.append(delta);
    if (text.size() - last_check < kHoldBack) return true;  // guard every kHoldBack bytes
    last_check = text.size();
    if (!Release(false, emit)) {
      client_gone = !blocked;
      return false;
    }
    return true;
  }

  // The end of one generation: the response, or nullopt when another choice follows.
  std::optional<HttpOut> End(const Result<model::GenerateResponse>& res, const internal::Emit& emit) {
    return req.stream ? EndStream(res, emit) : EndChoice(res);
  }

  std::optional<HttpOut> EndChoice(const Result<model::GenerateResponse>& res) {
    if (Halted()) return HaltedOut();
    if (!res.ok()) return FromStatus(res.status());
    std::string finish = res->finish_reason;
    std::string out_text = res->text;
    if (ResponseBlocked(out_text)) {
      out_text.clear();
      finish = "content_filter";
    }
    all += out_text;
    prompt_tokens = res->usage.prompt_tokens;
    completion_tokens += res->usage.completion_tokens;
    Json choice = {{"index", choices.size()}, {"finish_reason", finish}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", out_text}};
    } else {
      choice["text"] = out_text;
    }
    choices.push_back(std::move(choice));
    if (static_cast<int>(choices.size()) < req.n) return std::nullopt;
    Usage(all, prompt_tokens, completion_tokens);
    Json body = {{"id", id}, {"object", chat ? "chat.completion" : "text_completion"}, {"created", created},
                 {"model", model->route.id()}, {"choices", choices},
                 {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
                            {"total_tokens", prompt_tokens + completion_tokens}}}};
    if (model->watermark) {
      body["rsf"] = {{"watermark", {{"key_id", model->watermark->key.id},
                                    {"scheme", watermark::SchemeName(model->watermark->params.scheme)},
                                    {"params", watermark::Describe(model->watermark->params)}}}};
    }
    return JsonOut(200, body);
  }

  HttpOut EndStream(const Result<model::GenerateResponse>& res, const internal::Emit& emit) {
    const bool halted_now = Halted();
    const bool started = role_sent || released > 0;
    if (!res.ok() && !started && !blocked && !halted_now && !client_gone) return FromStatus(res.status());
    if (halted_now && !started) return HaltedOut();
    std::string finish = res.ok() ? res->finish_reason : "error";
    if (!blocked && !client_gone && !halted_now) client_gone = !Release(true, emit) && !blocked;
    if (blocked) finish = "content_filter";
    Usage(std::string_view(text).substr(0, released), res.ok() ? res->usage.prompt_tokens : 0,
          res.ok() ? res->usage.completion_tokens : 0);
    if (client_gone) return HttpOut{499, "application/json", "", {}};
    if (halted_now) {
      // Mid-stream: an error event (the OpenAI convention), then the end of the stream.
      audit["halted"] = halted->message;
      emit("data: " + Dump({{"error", {{"message", halted->message}, {"type", "server_error"}, {"code", StopCode(*halted)}}}}) + "\n\n");
      emit("data: [DONE]\n\n");
      return HttpOut{halted->kind == HaltKind::kTier ? 403 : 503, "text/event-stream", "", {}};
    }
    Send("", finish, emit);
    if (!res.ok()) {
      // The model failed mid-stream (an upstream reset or timed out): say why, as an error
      // event, and count the request as the failure it was.
      HttpOut failed = FromStatus(res.status());
      emit("data: " + failed.body + "\n\n");
      emit("data: [DONE]\n\n");
      return HttpOut{failed.status, "text/event-stream", "", {}};
    }
    if (req.include_usage && res.ok()) {
      Json u = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model->route.id()},
                {"choices", Json::array()},
                {"usage", {{"prompt_tokens", res->usage.prompt_tokens}, {"completion_tokens", res->usage.completion_tokens},
                           {"total_tokens", res->usage.prompt_tokens + res->usage.completion_tokens}}}};
      emit("data: " + Dump(u) + "\n\n");
    }
    emit("data: [DONE]\n\n");
    return HttpOut{200, "text/event-stream", "", {}};
  }

  // An in-process backend, on a worker thread.
  HttpOut RunInProcess(const internal::Emit& emit) {
    model::ModelClient& backend = *snap->backends.at(model->route.id());
    // Even unstreamed, the output arrives through a callback so the kill switch can stop it
    // mid-generation.
    const model::StreamCallback cb = [&](std::string_view delta) { return OnDelta(delta, emit); };
    for (;;) {
      auto res = backend.Generate(ToBackend(req), &cb);
      if (auto out = End(res, emit)) return std::move(*out);
    }
  }

  void Usage(std::string_view sent, int64_t prompt, int64_t completion) {
    audit["response_bytes"] = sent.size();
    audit["response_sha256"] = Sha256Hex(sent);
    audit["usage"] = {{"prompt_tokens", prompt}, {"completion_tokens", completion}};
    // Quotas were charged the estimate; correct them to what was used.
    gw.QuotaLimiter().Adjust(quotas, prompt + completion - estimate);
    estimate = prompt + completion;
  }

  void Finish(int status) {
    const double ms = std::chrono::duration<double, std::milli>(gw.clock->Steady() - start).count();
    audit["status"] = status;
    audit["latency_ms"] = ms;
    audit["time"] = FormatRfc3339(gw.clock->Now());
    if (drill.empty()) {
      gw.Count(fmt::format("rsf_gateway_requests_total{{model=\"{}\",status=\"{}\"}}", model->route.id(), status));
      const bool withheld = std::find(signals.begin(), signals.end(), "guard.blocked") != signals.end();
      gw.traffic->Record(tier, status, withheld, !withheld && !signals.empty());
    } else {
      gw.Count(fmt::format("rsf_gateway_drill_requests_total{{status=\"{}\"}}", status));
    }
    gw.options.audit->Request(std::move(audit));
    signals.push_back("request");
    gw.Observe({key_id, tier, model->route.id(), channel, drill}, signals);
  }
};

namespace {

// The call as the HTTP layer makes it to an upstream: always streamed (so the kill switch and
// the response guard act mid-generation, as for in-process backends), read with the OpenAI
// stream reader, one exchange per choice.
std::shared_ptr<internal::UpstreamCall> UpstreamJob(const std::shared_ptr<Call>& call, std::shared_ptr<UpstreamPool> pool,
                                                    std::function<void(HttpOut&)> finish) {
  struct State {
    model::GenerateRequest request;
    model::GenerateResponse out;
    std::optional<model::SseReader> sse;
    const internal::Emit* emit = nullptr;
    model::StreamCallback on_delta;
  };
  auto st = std::make_shared<State>();
  st->request = ToBackend(call->req);
  st->on_delta = [call, raw = st.get()](std::string_view delta) { return call->OnDelta(delta, *raw->emit); };
  auto u = std::make_shared<internal::UpstreamCall>();
  u->pool = std::move(pool);
  u->path = call->chat ? "/v1/chat/completions" : "/v1/completions";
  u->body = [st](const std::string& model) { return Dump(model::OpenAiRequestBody(model, st->request, true)); };
  u->on_body = [call, st](std::string_view bytes, const internal::Emit& emit) {
    st->emit = &emit;
    if (!st->sse) st->sse.emplace(call->chat, &st->on_delta, st->out);
    return st->sse->Feed(bytes);
  };
  u->on_end = [call, st, finish = std::move(finish)](const Status& status, const internal::Emit& emit) {
    Result<model::GenerateResponse> res = st->out;
    if (st->sse && !st->sse->error().ok()) {
      res = st->sse->error();
    } else if (!status.ok()) {
      res = status;
    }
    std::optional<HttpOut> out = call->End(res, emit);
    st->sse.reset();
    st->out = {};
    if (out) finish(*out);
    return out;
  };
  return u;
}

}  // namespace

void Gateway::Impl::Completion(HttpIn& in, Endpoint endpoint, Routed& r) {
  const auto start = clock->Steady();
  if (DrillRefused(in, r.response)) return;
  HttpOut denied;
  auto key = Authenticate(in, denied);
  if (!key.ok()) {
    r.response = denied;
    return;
  }
  auto snap = Current();
  const GatewayConfig& config = snap->compiled.config;
  const TierPolicy* tier = config.FindTier(key->tier);
  if (key->role != KeyRole::kClient || !tier) {
    r.response = Error(403, "permission_error", "not_a_client_key", "this key may not call model endpoints");
    return;
  }
  if (config.audit_fail_closed && !options.audit->healthy()) {
    r.response = Error(503, "server_error", "audit_unavailable", "the audit log cannot be written; the request was not served");
    return;
  }
  auto parsed = ParseCompletionRequest(in.body, endpoint);
  if (!parsed.ok()) {
    r.response = FromStatus(parsed.status());
    return;
  }
  CompletionRequest req = std::move(*parsed);
  const std::string bare = req.model.substr(0, req.model.find('@'));
  auto assigned = ResolveModel(snap->compiled, config.FindRollout(bare), *tier, *key, req.model);
  if (!assigned.ok()) {
    r.response = FromStatus(assigned.status());
    return;
  }
  if (Status s = ApplyTierPolicy(*tier, req); !s.ok()) {
    r.response = FromStatus(s);
    return;
  }
  if (req.stream && req.n > 1) {
    r.response = Error(400, "invalid_request_error", "invalid_request", "n: streaming supports n = 1 only");
    return;
  }
  auto call = std::make_shared<Call>(*this);
  call->snap = snap;
  call->model = assigned->model;
  call->tier = tier->id;
  call->mode = guard ? tier->guard : GuardMode::kOff;
  call->start = start;
  call->generation = control->generation();
  call->key_id = key->id;
  call->channel = assigned->channel;
  call->drill = in.drill;
  if (auto why = control->Stopped(call->model->route, tier->id)) {
    Count(fmt::format("rsf_gateway_kill_switch_refusals_total{{kind=\"{}\"}}", why->kind == HaltKind::kTier ? "tier" : "model"));
    r.response = Stopped(*why);
    return;
  }
  // Quotas: the estimate (prompt bytes / 4 + the most it may generate) is charged now and
  // corrected when the request ends.
  call->quotas = {{"key:" + key->id, tier->requests_per_minute, tier->tokens_per_minute},
                  {"tier:" + tier->id, tier->tier_requests_per_minute, tier->tier_tokens_per_minute}};
  call->estimate = static_cast<int64_t>(req.PromptBytes() / 4) + int64_t{*req.max_tokens} * req.n;
  const Admission adm = QuotaLimiter().Admit(call->quotas, call->estimate);
  internal::Headers headers;
  if (adm.limit_requests >= 0) {
    headers.emplace_back("x-ratelimit-limit-requests", std::to_string(adm.limit_requests));
    headers.emplace_back("x-ratelimit-remaining-requests", std::to_string(adm.remaining_requests));
  }
  if (adm.limit_tokens >= 0) {
    headers.emplace_back("x-ratelimit-limit-tokens", std::to_string(adm.limit_tokens));
    headers.emplace_back("x-ratelimit-remaining-tokens", std::to_string(adm.remaining_tokens));
  }
  if (!adm.admitted) {
    Count(fmt::format("rsf_gateway_rate_limited_total{{tier=\"{}\"}}", tier->id));
    r.response = Error(429, "rate_limit_error", "rate_limited",
                       fmt::format("rate limit reached ({}); retry after {} s", adm.limited_by, adm.retry_after_seconds));
    r.response.headers = std::move(headers);
    r.response.headers.emplace_back("Retry-After", std::to_string(adm.retry_after_seconds));
    return;
  }
  const ServedModel* m = call->model;
  call->audit = {{"type", "gateway.request"}, {"key_id", key->id}, {"tenant", key->tenant}, {"tier", tier->id},
                 {"model", m->route.id()}, {"channel", assigned->channel},
                 {"decision_sha256", m->decision.statement_sha256},
                 {"endpoint", endpoint == Endpoint::kChat ? "chat" : "completion"},
                 {"stream", req.stream}, {"prompt_bytes", req.PromptBytes()},
                 {"prompt_sha256", Sha256Hex(req.PromptText())}};
  if (!in.drill.empty()) call->audit["drill"] = in.drill;  // drill traffic, never counted as real
  // Guard on the prompt.
  if (tier->guard != GuardMode::kOff) {
    if (!guard) {
      if (!tier->guard_fail_open) {
        r.response = Error(503, "server_error", "guard_unavailable", "the safety filter is unavailable; the request was not served");
        call->Usage("", 0, 0);
        call->Finish(r.response.status);
        return;
      }
    } else {
      const guard::Verdict v = guard->Classify(req.PromptText());
      const bool blocked = Blocks(tier->guard, v);
      call->audit["guard_prompt"] = VerdictSummary(v, blocked);
      call->Signal(v, blocked);
      if (v.action != guard::Action::kAllow && in.drill.empty()) {
        Count(fmt::format("rsf_gateway_guard_verdicts_total{{stage=\"prompt\",action=\"{}\"}}", guard::ActionName(v.action)));
      }
      if (blocked) {
        r.response = Error(400, "invalid_request_error", "content_filter",
                           "the prompt was blocked by the safety filter" +
                               (v.hits.empty() ? std::string() : " (category: " + v.hits.front().category + ")"));
        call->Usage("", 0, 0);
        call->Finish(400);
        return;
      }
    }
  }
  if (m->watermark) {
    // Which key and scheme marked the text, for whoever must later prove where it came from.
    headers.emplace_back("x-rsf-watermark", fmt::format("key_id={}; scheme={}; params={}", m->watermark->key.id,
                                                        watermark::SchemeName(m->watermark->params.scheme),
                                                        watermark::Describe(m->watermark->params)));
    call->audit["watermark"] = {{"key_id", m->watermark->key.id}, {"params", watermark::Describe(m->watermark->params)}};
  }
  call->req = std::move(req);
  call->Begin();
  auto job = std::make_shared<internal::Job>();
  job->stream = call->req.stream;
  job->headers = std::move(headers);
  // The end of the request: rate-limit headers on a plain response, and the audit record.
  auto finish = [call, headers = job->headers](HttpOut& out) {
    if (!call->req.stream) out.headers.insert(out.headers.end(), headers.begin(), headers.end());
    call->Finish(out.status);
  };
  if (auto pool = snap->pools.find(m->route.id()); pool != snap->pools.end()) {
    job->upstream = UpstreamJob(call, pool->second, finish);
  } else {
    job->run = [call, finish](const internal::Emit& emit) {
      HttpOut out = call->RunInProcess(emit);
      finish(out);
      return out;
    };
  }
  r.job = std::move(job);
}

}  // namespace rsf::gateway
