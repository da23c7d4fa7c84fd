// src/gateway/gateway.cc — rsfd's life cycle, routing, authentication and metrics
// (include/rsf/gateway/gateway.h). No network code here: http_server.cc reads requests and
// writes what Route() decides; completion.cc and admin_api.cc handle the endpoints.
#include "rsf/gateway/gateway.h"

#include <fmt/format.h>

#include <chrono>
#include <set>

#include "gateway/gateway_impl.h"
#include "gateway/responses.h"
#include "rsf/common/log.h"
#include "rsf/gateway/rollout.h"
#include "rsf/gateway/tier_policy.h"
#include "rsf/model/reference_lm.h"
#include "rsf/watermark/hook.h"

namespace rsf::gateway {

using internal::Error;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;
using internal::Routed;

namespace {

int64_t UnixSeconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
}

bool SameKey(const std::optional<watermark::KeyEntry>& a, const std::optional<watermark::KeyEntry>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->key.id == b->key.id && a->key.secret == b->key.secret && watermark::Describe(a->params) == watermark::Describe(b->params);
}

bool SameBackend(const ServedModel& a, const ServedModel& b) {
  return a.route.backend == b.route.backend && a.route.upstreams == b.route.upstreams &&
         a.route.upstream == b.route.upstream && SameKey(a.watermark, b.watermark);
}

// An in-process model with the watermark hook it samples through (the hook outlives it).
class WatermarkedModel final : public model::ModelClient {
 public:
  explicit WatermarkedModel(const watermark::KeyEntry& key)
      : hook_(std::make_unique<watermark::WatermarkHook>(watermark::Watermarker(key.key, key.params))),
        model_(model::MakeReferenceModel({.hook = hook_.get()})) {}
  Result<model::GenerateResponse> Generate(const model::GenerateRequest& r, const model::StreamCallback* s) override {
    return model_->Generate(r, s);
  }
  model::ModelIdentity Identity() const override { return model_->Identity(); }

 private:
  std::unique_ptr<watermark::WatermarkHook> hook_;
  std::unique_ptr<model::ModelClient> model_;
};

// What the ledger keeps of a configuration: enough to tell which decisions bound what.
Json ConfigRecord(const Snapshot& s) {
  Json models = Json::array();
  for (const auto& m : s.compiled.models) {
    Json model = {{"id", m.route.id()}, {"backend", m.route.backend}, {"decision", m.decision.outcome},
                  {"level", m.decision.level}, {"statement_sha256", m.decision.statement_sha256},
                  {"tiers", m.tiers}};
    if (m.watermark) model["watermark"] = {{"key_id", m.watermark->key.id}, {"params", watermark::Describe(m.watermark->params)}};
    models.push_back(std::move(model));
  }
  Json tiers = Json::array();
  for (const auto& t : s.compiled.config.tiers) {
    tiers.push_back({{"id", t.id}, {"models", t.models}, {"guard", GuardModeName(t.guard)}, {"safe_harbour", t.safe_harbour},
                     {"auditor", t.auditor}, {"requests_per_minute", t.requests_per_minute},
                     {"tokens_per_minute", t.tokens_per_minute}});
  }
  Json rollouts = Json::array();
  for (const auto& r : s.compiled.config.rollouts) rollouts.push_back(RolloutToJson(r));
  return {{"config_source", s.base.config.source}, {"config_sha256", s.base.config.sha256},
          {"policy", s.compiled.policy.framework.id + "@" + s.compiled.policy.framework.version},
          {"models", models}, {"tiers", tiers}, {"rollout", rollouts}};
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> Gateway::Impl::Build(CompiledGateway base, const Snapshot* previous) {
  auto s = std::make_shared<Snapshot>();
  s->compiled = base;
  for (const auto& [id, patch] : control->TierPatches()) {
    for (auto& tier : s->compiled.config.tiers) {
      if (tier.id != id) continue;
      if (Status st = ApplyTierPatch(tier, patch); !st.ok()) return FailedPreconditionError("stored tier change: " + st.message());
      RSF_RETURN_IF_ERROR(CheckTierAgainstDecisions(s->compiled, tier));
    }
  }
  std::set<std::string> names;
  for (const auto& m : s->compiled.models) names.insert(m.route.name);
  for (const auto& name : names) {
    if (auto r = control->RolloutOverride(name)) {
      if (Status st = CheckRollout(s->compiled, *r); !st.ok()) return FailedPreconditionError("stored rollout change: " + st.message());
      auto& list = s->compiled.config.rollouts;
      std::erase_if(list, [&](const Rollout& x) { return x.model == name; });
      list.push_back(*r);
    }
  }
  for (const auto& m : s->compiled.models) {
    if (previous) {
      const ServedModel* old = previous->compiled.FindModel(m.route.id());
      if (old && SameBackend(*old, m)) {
        auto b = previous->backends.find(m.route.id());
        auto p = previous->pools.find(m.route.id());
        if (b != previous->backends.end()) s->backends.emplace(m.route.id(), b->second);
        if (p != previous->pools.end()) s->pools.emplace(m.route.id(), p->second);
        if (b != previous->backends.end() || p != previous->pools.end()) continue;
      }
    }
    RSF_ASSIGN_OR_RETURN(auto client, backend_factory(m));
    if (client) {
      s->backends.emplace(m.route.id(), std::shared_ptr<model::ModelClient>(std::move(client)));
    } else if (m.route.backend == "upstream") {
      RSF_ASSIGN_OR_RETURN(auto pool, UpstreamPool::Make(m.route, *clock));
      s->pools.emplace(m.route.id(), std::move(pool));
    } else {
      return InternalError("gateway: no backend for model '" + m.route.id() + "'");
    }
  }
  s->base = std::move(base);
  return std::shared_ptr<const Snapshot>(std::move(s));
}

Status Gateway::Impl::Install(CompiledGateway base) {
  auto prev = Current();
  RSF_ASSIGN_OR_RETURN(auto next, Build(std::move(base), prev.get()));
  RSF_RETURN_IF_ERROR(options.audit->Event("gateway.config", "gateway:config", ConfigRecord(*next)).status());
  if (server) {
    for (const auto& [id, pool] : next->pools) {
      if (!prev || !prev->pools.contains(id) || prev->pools.at(id) != pool) server->Watch(pool);
    }
  }
  if (responder) ConfigureIncidents(next->base);
  std::lock_guard lock(snapshot_mu);
  snapshot = std::move(next);
  return OkStatus();
}

Status Gateway::Impl::Rebuild() {
  auto prev = Current();
  RSF_ASSIGN_OR_RETURN(auto next, Build(prev->base, prev.get()));
  std::lock_guard lock(snapshot_mu);
  snapshot = std::move(next);
  return OkStatus();
}

Status Gateway::Impl::OnKeysChanged() { return keys->Reload(); }

Status Gateway::Impl::OnControlChanged() {
  const uint64_t before = control->overrides_generation();
  RSF_RETURN_IF_ERROR(control->Reload());
  if (control->overrides_generation() == before) return OkStatus();
  std::lock_guard lock(admin_mu);
  return Rebuild();
}

void Gateway::Impl::Count(const std::string& series, uint64_t n) {
  std::lock_guard lock(metrics_mu);
  counters[series] += n;
}

HttpOut Gateway::Impl::Reject(int status, std::string_view message, std::string_view code) {
  Count(fmt::format("rsf_gateway_rejected_total{{code=\"{}\"}}", code));
  return Error(status, "invalid_request_error", code, message);
}

Result<ApiKey> Gateway::Impl::Authenticate(const HttpIn& in, HttpOut& denied) {
  const int64_t minute = UnixSeconds(*clock) / 60;
  const int limit = Current()->compiled.config.failed_auth_per_minute;
  {
    std::lock_guard lock(auth_mu);
    auto it = failed_auth.find(in.client);
    if (it != failed_auth.end() && it->second.first == minute && it->second.second >= limit) {
      Count("rsf_gateway_auth_failures_total{reason=\"rate_limited\"}");
      denied = Error(429, "rate_limit_error", "too_many_failed_authentications",
                     "too many failed authentications from this address; try again in a minute");
      denied.headers.emplace_back("Retry-After", std::to_string(60 - UnixSeconds(*clock) % 60));
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

Routed Gateway::Impl::Route(HttpIn& in) {
  Routed r;
  const std::string path = in.target.substr(0, in.target.find('?'));
  // Metrics label: only the known endpoints, so clients cannot grow the series (or inject
  // quotes into the exposition) by asking for arbitrary paths.
  std::string_view label = "other";
  auto method_not_allowed = [&](std::string_view allowed) {
    r.response = Error(405, "invalid_request_error", "method_not_allowed", fmt::format("use {}", allowed));
    r.response.headers.emplace_back("Allow", std::string(allowed));
  };
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    label = path;
    if (path == "/healthz") {
      r.response = JsonOut(200, {{"status", "ok"}});
    } else if (path == "/readyz") {
      const bool audit_ok = options.audit->healthy() || !Current()->compiled.config.audit_fail_closed;
      r.response = JsonOut(audit_ok ? 200 : 503, {{"status", audit_ok ? "ready" : "audit_unavailable"},
                                                  {"models", Current()->backends.size()}});
    } else {
      r.response = HttpOut{200, "text/plain; version=0.0.4", MetricsText(), {}};
    }
  } else if (path == "/v1/models") {
    label = path;
    if (in.method != "GET") {
      method_not_allowed("GET");
    } else {
      r.response = Models(in);
    }
  } else if (path == "/v1/chat/completions" || path == "/v1/completions") {
    label = path;
    if (in.method != "POST") {
      method_not_allowed("POST");
    } else {
      Completion(in, path == "/v1/chat/completions" ? Endpoint::kChat : Endpoint::kCompletion, r);
    }
  } else if (path == "/v1/watermark/detect") {
    label = path;
    if (in.method != "POST") {
      method_not_allowed("POST");
    } else {
      r.response = WatermarkDetect(in);
    }
  } else if (path.rfind("/v1/flaw-reports", 0) == 0) {
    label = "/v1/flaw-reports";
    r.response = FlawReports(in, path);
  } else if (path.rfind("/admin/v1/", 0) == 0) {
    label = "/admin/v1";
    r.response = Admin(in, path);
  } else if (path == "/console" || path.rfind("/console/", 0) == 0) {
    label = "/console";
    r.response = ConsoleFile(in, path);
  } else {
    r.response = Error(404, "invalid_request_error", "not_found", "no such endpoint: " + path);
  }
  Count(fmt::format("rsf_gateway_responses_total{{path=\"{}\",code=\"{}\"}}", label,
                    r.job ? "pending" : std::to_string(r.response.status)));
  return r;
}

HttpOut Gateway::Impl::Models(const HttpIn& in) {
  HttpOut denied;
  auto key = Authenticate(in, denied);
  if (!key.ok()) return denied;
  auto snap = Current();
  const TierPolicy* tier = snap->compiled.config.FindTier(key->tier);
  Json data = Json::array();
  std::set<std::string> rolled;
  for (const auto& m : snap->compiled.models) {
    if (key->role != KeyRole::kClient || (tier && TierMaySee(*tier, m))) {
      Json rsf = {{"decision", m.decision.outcome}, {"level", m.decision.level},
                  {"statement_sha256", m.decision.statement_sha256}};
      if (auto why = control->Stopped(m.route, key->tier)) rsf["halted"] = why->message;
      data.push_back({{"id", m.route.id()}, {"object", "model"}, {"owned_by", "rsf"}, {"rsf", rsf}});
      if (!m.route.version.empty() && snap->compiled.config.FindRollout(m.route.name)) rolled.insert(m.route.name);
    }
  }
  for (const auto& name : rolled) {
    data.push_back({{"id", name}, {"object", "model"}, {"owned_by", "rsf"}, {"rsf", {{"rollout", true}}}});
  }
  return JsonOut(200, {{"object", "list"}, {"data", data}});
}

std::string Gateway::Impl::MetricsText() const {
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
  if (replication) {
    out += "# HELP rsf_gateway_replicas Replicas sharing the store (heartbeat in the last 10 s).\n"
           "# TYPE rsf_gateway_replicas gauge\nrsf_gateway_replicas " +
           std::to_string(replication->replicas()) + "\n";
  }
  out += "# TYPE rsf_gateway_in_flight gauge\nrsf_gateway_in_flight " +
         std::to_string(server ? server->InFlight() : 0) + "\n";
  if (options.extra_metrics) out += options.extra_metrics();
  // Upstreams: 1 while an upstream may take requests (healthy, circuit not open).
  auto snap = Current();
  if (!snap->pools.empty()) {
    out += "# HELP rsf_gateway_upstream_up Whether an upstream may take requests (healthy, circuit not open).\n"
           "# TYPE rsf_gateway_upstream_up gauge\n";
    std::string requests = "# TYPE rsf_gateway_upstream_requests_total counter\n";
    std::string failures = "# TYPE rsf_gateway_upstream_failures_total counter\n";
    for (const auto& [id, pool] : snap->pools) {
      for (const auto& u : pool->States()) {
        const bool up = u.healthy && u.circuit != UpstreamPool::Circuit::kOpen;
        const std::string labels = fmt::format("{{model=\"{}\",upstream=\"{}\"}}", id, u.url);
        out += fmt::format("rsf_gateway_upstream_up{} {}\n", labels, up ? 1 : 0);
        requests += fmt::format("rsf_gateway_upstream_requests_total{} {}\n", labels, u.requests);
        failures += fmt::format("rsf_gateway_upstream_failures_total{} {}\n", labels, u.failures);
      }
    }
    out += requests + failures;
  }
  return out;
}

BackendFactory DefaultBackends() {
  return [](const ServedModel& m) -> Result<std::unique_ptr<model::ModelClient>> {
    if (m.route.backend == "reference") {
      if (m.watermark) return std::unique_ptr<model::ModelClient>(std::make_unique<WatermarkedModel>(*m.watermark));
      return model::MakeReferenceModel();
    }
    return std::unique_ptr<model::ModelClient>();  // upstreams: the gateway calls them itself
  };
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() { Stop(); }

Result<std::unique_ptr<Gateway>> Gateway::Create(CompiledGateway compiled, store::Store& store,
                                                 std::unique_ptr<guard::Guard> guard, const Clock& clock,
                                                 const BackendFactory& backends, GatewayOptions options) {
  if (!options.audit) return InvalidArgumentError("gateway: an audit log is required (GatewayOptions::audit)");
  auto impl = std::make_unique<Impl>(clock);
  impl->store = &store;
  impl->guard = std::move(guard);
  impl->options = std::move(options);
  impl->backend_factory = backends;
  impl->ids = std::make_unique<IdGenerator>(clock);
  impl->flaws = std::make_unique<FlawReportStore>(store);
  impl->traffic = std::make_unique<TrafficHistory>(clock);
  impl->drain_timeout_ms = compiled.config.drain_timeout_ms;
  RSF_ASSIGN_OR_RETURN(impl->keys, KeyRing::Open(store, clock));
  RSF_ASSIGN_OR_RETURN(impl->control, ControlState::Open(store, clock));
  RSF_RETURN_IF_ERROR(impl->StartIncidents());
  const ReplicasConfig replicas = compiled.config.replicas;
  RSF_RETURN_IF_ERROR(impl->Install(std::move(compiled)));
  if (store.distributed()) {
    Impl* self = impl.get();
    internal::Replication::Hooks hooks;
    hooks.keys_changed = [self] { return self->OnKeysChanged(); };
    hooks.control_changed = [self] { return self->OnControlChanged(); };
    hooks.failed = [self](std::string_view what, const Status& s) {
      self->Count(fmt::format("rsf_gateway_replication_errors_total{{what=\"{}\"}}", what));
      RSF_LOG_WARN("rsfd: replication ({}): {}", what, s.ToString());
    };
    impl->shared_limiter = std::make_unique<SharedRateLimiter>(
        store, clock, [self] { return self->replication ? self->replication->replicas() : 1; },
        [failed = hooks.failed](const Status& s) { failed("rate_limits", s); });
    hooks.tick = [self, failed = hooks.failed] {
      if (Status s = self->shared_limiter->Flush(); !s.ok()) failed("rate_limits", s);
      return OkStatus();
    };
    RSF_ASSIGN_OR_RETURN(impl->replication,
                         internal::Replication::Start(store, clock, replicas, std::move(hooks)));
  }
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Result<uint16_t> Gateway::Start(const std::string& host, uint16_t port) {
  const GatewayConfig& c = impl_->Current()->compiled.config;
  internal::HttpServer::Options o;
  o.io_threads = impl_->options.io_threads;
  o.worker_threads = impl_->options.worker_threads;
  o.max_body_bytes = c.max_body_bytes;
  o.header_timeout_ms = c.header_timeout_ms;
  o.request_timeout_ms = c.request_timeout_ms;
  impl_->server = internal::HttpServer::Make(*impl_, o);
  std::string error;
  const int bound = impl_->server->Start(host, port, &error);
  if (bound < 0) {
    impl_->server.reset();
    return UnavailableError(error);
  }
  for (const auto& [id, pool] : impl_->Current()->pools) impl_->server->Watch(pool);
  return static_cast<uint16_t>(bound);
}

void Gateway::Stop() {
  if (impl_ && impl_->server) {
    impl_->server->Stop(std::chrono::milliseconds(impl_->drain_timeout_ms));
    impl_->server.reset();
    (void)impl_->options.audit->Flush();
  }
  // Leaving: the shares of the rate limits this replica holds go back to the others.
  if (impl_ && impl_->shared_limiter) (void)impl_->shared_limiter->Release();
}

Status Gateway::Reload(CompiledGateway compiled) {
  std::lock_guard lock(impl_->admin_mu);
  return impl_->Install(std::move(compiled));
}

Status Gateway::ReloadFromSource() {
  if (!impl_->options.reload) return FailedPreconditionError("this gateway was started without a configuration file to reload");
  RSF_ASSIGN_OR_RETURN(CompiledGateway c, impl_->options.reload());
  return Reload(std::move(c));
}

KeyRing& Gateway::keys() { return *impl_->keys; }
ControlState& Gateway::control() { return *impl_->control; }
std::string Gateway::MetricsText() const { return impl_->MetricsText(); }

}  // namespace rsf::gateway
