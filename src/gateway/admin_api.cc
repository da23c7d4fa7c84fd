// src/gateway/admin_api.cc — the admin API (/admin/v1/...) and the flaw-report intake
// (/v1/flaw-reports). docs/gateway.md documents both. Every change is written to the ledger
// ("gateway.admin": who, what, on what, with which parameters, never a secret) before it takes
// effect; a change that then fails is logged again with its error.
#include <fmt/format.h>

#include "gateway/gateway_impl.h"
#include "gateway/responses.h"
#include "rsf/gateway/rollout.h"

namespace rsf::gateway {

using internal::Error;
using internal::FromStatus;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;

namespace {

// Splits "/admin/v1/a/b/c" into {"a", "b", "c"}.
std::vector<std::string> Segments(std::string_view path, std::string_view prefix) {
  std::vector<std::string> out;
  path.remove_prefix(prefix.size());
  while (!path.empty()) {
    const size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

Result<Json> Body(const HttpIn& in) {
  if (in.body.empty()) return Json::object();
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(in.body, "request body"));
  if (!j.is_object()) return InvalidArgumentError("the request body must be a JSON object");
  return j;
}

}  // namespace

HttpOut Gateway::Impl::Admin(const HttpIn& in, std::string_view path) {
  HttpOut denied;
  auto key = Authenticate(in, denied);
  if (!key.ok()) return denied;
  if (key->role == KeyRole::kClient) return Error(403, "permission_error", "not_an_admin_key", "the admin API needs an admin or auditor key");
  const bool read = in.method == "GET";
  if (!read && key->role != KeyRole::kAdmin) return Error(403, "permission_error", "read_only_key", "auditor keys are read-only");
  const std::vector<std::string> seg = Segments(path, "/admin/v1/");
  if (!seg.empty() && (seg[0] == "incidents" || seg[0] == "signals" || seg[0] == "clocks" || seg[0] == "drills")) {
    return IncidentAdmin(in, *key, seg);
  }
  if (!seg.empty() && (seg[0] == "console" || seg[0] == "ledger")) return ConsoleAdmin(in, *key, seg);
  auto body = Body(in);
  if (!read && !body.ok()) return FromStatus(body.status());
  auto not_found = [&] { return Error(404, "invalid_request_error", "not_found", fmt::format("no such admin endpoint: {} {}", in.method, path)); };
  auto snap = Current();

  // Logs the action, then applies it; the response carries the ledger index.
  auto act = [&](std::string action, std::string target, Json params, const std::function<Result<Json>()>& apply) -> HttpOut {
    std::lock_guard lock(admin_mu);
    Json record = {{"actor", key->id}, {"action", action}, {"target", target}, {"params", params}};
    auto logged = options.audit->Event("gateway.admin", "gateway:" + target, record);
    if (!logged.ok()) {
      return Error(503, "server_error", "audit_unavailable", "the ledger cannot be written, so nothing was changed: " + logged.status().message());
    }
    Count(fmt::format("rsf_gateway_admin_actions_total{{action=\"{}\"}}", action));
    auto result = apply();
    if (!result.ok()) {
      record["action"] = action + ".failed";
      record["error"] = result.status().message();
      record["intent_index"] = *logged;
      (void)options.audit->Event("gateway.admin", "gateway:" + target, record);
      return FromStatus(result.status());
    }
    Json out = *result;
    out["ledger_index"] = *logged;
    return JsonOut(200, out);
  };

  if (seg.size() == 1 && seg[0] == "status" && read) {
    Json halts = Json::array();
    for (const auto& h : control->Halts()) halts.push_back(h.ToJson());
    Json models = Json::array();
    for (const auto& m : snap->compiled.models) {
      Json entry = {{"id", m.route.id()}, {"decision", m.decision.outcome}, {"level", m.decision.level},
                    {"tiers", m.tiers}, {"required_safeguards", m.required_safeguards},
                    {"statement_sha256", m.decision.statement_sha256}, {"backend", m.route.backend}};
      if (auto pool = snap->pools.find(m.route.id()); pool != snap->pools.end()) {
        Json ups = Json::array();
        for (const auto& u : pool->second->States()) {
          ups.push_back({{"url", u.url}, {"healthy", u.healthy}, {"circuit", CircuitName(u.circuit)},
                         {"requests", u.requests}, {"failures", u.failures}});
        }
        entry["upstreams"] = std::move(ups);
      }
      models.push_back(std::move(entry));
    }
    return JsonOut(200, {{"config_sha256", snap->base.config.sha256}, {"models", models}, {"halts", halts},
                         {"audit_healthy", options.audit->healthy()}, {"in_flight", server ? server->InFlight() : 0}});
  }

  // Keys.
  if (!seg.empty() && seg[0] == "keys") {
    if (seg.size() == 1 && read) {
      Json list = Json::array();
      for (const auto& k : keys->List()) list.push_back(k.ToPublicJson());
      return JsonOut(200, {{"keys", list}});
    }
    if (seg.size() == 1 && in.method == "POST") {
      NewKey spec;
      spec.name = StringOr(*body, "name");
      spec.tenant = StringOr(*body, "tenant");
      spec.tier = StringOr(*body, "tier");
      const auto role = ParseKeyRole(body->contains("role") ? StringOr(*body, "role") : "client");
      if (!role) return Error(400, "invalid_request_error", "invalid_request", "role: must be client, admin or auditor");
      spec.role = *role;
      if (spec.role == KeyRole::kClient && !snap->compiled.config.FindTier(spec.tier)) {
        return Error(400, "invalid_request_error", "invalid_request", fmt::format("tier: '{}' is not a tier of this gateway", spec.tier));
      }
      return act("key.create", "key", {{"name", spec.name}, {"tenant", spec.tenant}, {"tier", spec.tier}, {"role", KeyRoleName(spec.role)}},
                 [&]() -> Result<Json> {
                   RSF_ASSIGN_OR_RETURN(auto created, keys->Create(spec));
                   return Json{{"key", created.second}, {"record", created.first.ToPublicJson()}};
                 });
    }
    if (seg.size() == 2 && in.method == "DELETE") {
      return act("key.revoke", "key:" + seg[1], Json::object(), [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(keys->Revoke(seg[1]));
        return Json{{"revoked", seg[1]}};
      });
    }
    return not_found();
  }

  // Tiers: limits, and the kill switch's restriction.
  if (!seg.empty() && seg[0] == "tiers") {
    if (seg.size() == 1 && read) {
      Json list = Json::array();
      for (const auto& t : snap->compiled.config.tiers) {
        list.push_back({{"id", t.id}, {"models", t.models}, {"guard", GuardModeName(t.guard)}, {"guard_fail_open", t.guard_fail_open},
                        {"safe_harbour", t.safe_harbour}, {"auditor", t.auditor}, {"max_tokens", t.max_tokens}, {"max_n", t.max_n},
                        {"temperature", {t.min_temperature, t.max_temperature}}, {"logprobs", t.allow_logprobs},
                        {"max_top_logprobs", t.max_top_logprobs}, {"requests_per_minute", t.requests_per_minute},
                        {"tokens_per_minute", t.tokens_per_minute}, {"tier_requests_per_minute", t.tier_requests_per_minute},
                        {"tier_tokens_per_minute", t.tier_tokens_per_minute}});
      }
      return JsonOut(200, {{"tiers", list}});
    }
    if (seg.size() < 2 || !snap->compiled.config.FindTier(seg[1])) return Error(404, "invalid_request_error", "not_found", "no such tier");
    const std::string id = seg[1];
    if (seg.size() == 2 && in.method == "PATCH") {
      // Validate first: the patched tier must still agree with every decision.
      TierPolicy patched = *snap->compiled.config.FindTier(id);
      Json merged = control->TierPatches()[id];
      if (!merged.is_object()) merged = Json::object();
      merged.update(*body);
      if (Status s = ApplyTierPatch(patched, *body); !s.ok()) return FromStatus(s);
      if (Status s = CheckTierAgainstDecisions(snap->compiled, patched); !s.ok()) {
        return Error(409, "invalid_request_error", "contradicts_decision", s.message());
      }
      return act("tier.update", "tier:" + id, *body, [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->SetTierPatch(id, merged));
        RSF_RETURN_IF_ERROR(Rebuild());
        return Json{{"tier", id}, {"patch", merged}};
      });
    }
    if (seg.size() == 3 && seg[2] == "restrict" && in.method == "POST") {
      const std::string reason = StringOr(*body, "reason");
      return act("tier.restrict", "tier:" + id, {{"reason", reason}}, [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->Halt(HaltKind::kTier, id, reason, key->id));
        return Json{{"restricted", id}};
      });
    }
    if (seg.size() == 3 && seg[2] == "lift" && in.method == "POST") {
      return act("tier.lift", "tier:" + id, Json::object(), [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->Lift(HaltKind::kTier, id));
        return Json{{"lifted", id}};
      });
    }
    return not_found();
  }

  // Models: the kill switch.
  if (!seg.empty() && seg[0] == "models" && seg.size() == 3 && in.method == "POST") {
    const std::string name = seg[1];
    bool known = false;
    for (const auto& m : snap->compiled.models) known = known || m.route.name == name || m.route.id() == name;
    if (!known) return Error(404, "invalid_request_error", "not_found", fmt::format("no model '{}'", name));
    if (seg[2] == "halt") {
      const std::string reason = StringOr(*body, "reason");
      return act("model.halt", "model:" + name, {{"reason", reason}}, [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->Halt(HaltKind::kModel, name, reason, key->id));
        return Json{{"halted", name}};
      });
    }
    if (seg[2] == "resume") {
      return act("model.resume", "model:" + name, Json::object(), [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->Lift(HaltKind::kModel, name));
        return Json{{"resumed", name}};
      });
    }
    return not_found();
  }

  // Rollout.
  if (!seg.empty() && seg[0] == "rollout") {
    if (seg.size() == 1 && read) {
      Json list = Json::array();
      for (const auto& r : snap->compiled.config.rollouts) list.push_back(RolloutToJson(r));
      return JsonOut(200, {{"rollout", list}});
    }
    if (seg.size() >= 2 && !snap->compiled.config.FindRollout(seg[1])) {
      return Error(404, "invalid_request_error", "not_found", fmt::format("model '{}' has no rollout", seg.size() > 1 ? seg[1] : ""));
    }
    if (seg.size() == 2 && in.method == "PUT") {
      auto r = RolloutFromJson(*body, seg[1]);
      if (!r.ok()) return FromStatus(r.status());
      if (Status s = CheckRollout(snap->compiled, *r); !s.ok()) return FromStatus(s);
      return act("rollout.set", "rollout:" + seg[1], RolloutToJson(*r), [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->SetRollout(*r));
        RSF_RETURN_IF_ERROR(Rebuild());
        return RolloutToJson(*r);
      });
    }
    if (seg.size() == 3 && seg[2] == "rollback" && in.method == "POST") {
      Rollout r = *snap->compiled.config.FindRollout(seg[1]);
      for (auto& ch : r.channels) {
        ch.basis_points = 0;
        ch.allowlist.clear();
      }
      return act("rollout.rollback", "rollout:" + seg[1], Json::object(), [&]() -> Result<Json> {
        RSF_RETURN_IF_ERROR(control->SetRollout(r));
        RSF_RETURN_IF_ERROR(Rebuild());
        return RolloutToJson(r);
      });
    }
    return not_found();
  }

  // Flaw reports (content for admins, digests for auditors).
  if (!seg.empty() && seg[0] == "flaw-reports" && read) {
    const bool content = key->role == KeyRole::kAdmin;
    if (seg.size() == 1) {
      auto list = flaws->List();
      if (!list.ok()) return FromStatus(list.status());
      Json out = Json::array();
      for (const auto& f : *list) out.push_back(f.ToJson(content));
      return JsonOut(200, {{"flaw_reports", out}});
    }
    if (seg.size() == 2) {
      auto f = flaws->Get(seg[1]);
      if (!f.ok()) return f.status().code() == StatusCode::kNotFound ? Error(404, "invalid_request_error", "not_found", f.status().message()) : FromStatus(f.status());
      return JsonOut(200, f->ToJson(content));
    }
  }

  if (seg.size() == 1 && seg[0] == "reload" && in.method == "POST") {
    if (!options.reload) return Error(409, "invalid_request_error", "conflict", "this gateway has no configuration file to reload");
    auto compiled = options.reload();
    if (!compiled.ok()) return Error(400, "invalid_request_error", "invalid_configuration", compiled.status().message());
    auto shared = std::make_shared<CompiledGateway>(std::move(*compiled));
    return act("config.reload", "config", {{"config_sha256", shared->config.sha256}}, [&]() -> Result<Json> {
      RSF_RETURN_IF_ERROR(Install(std::move(*shared)));
      return Json{{"config_sha256", Current()->base.config.sha256}};
    });
  }
  if (read) return not_found();
  return Error(404, "invalid_request_error", "not_found", fmt::format("no such admin endpoint: {} {}", in.method, path));
}

HttpOut Gateway::Impl::FlawReports(const HttpIn& in, std::string_view path) {
  const FlawIntake& intake = Current()->compiled.config.flaw_reports;
  if (HttpOut refused; DrillRefused(in, refused)) return refused;
  if (!intake.enabled) return Error(404, "invalid_request_error", "not_found", "flaw reports are not taken here");
  if (path == "/v1/flaw-reports/terms") {
    if (in.method != "GET") return Error(405, "invalid_request_error", "method_not_allowed", "use GET");
    return JsonOut(200, {{"safe_harbour", kSafeHarbourTerms}});
  }
  if (path != "/v1/flaw-reports") return Error(404, "invalid_request_error", "not_found", "no such endpoint");
  if (in.method != "POST") {
    HttpOut out = Error(405, "invalid_request_error", "method_not_allowed", "use POST");
    out.headers.emplace_back("Allow", "POST");
    return out;
  }
  std::string reporter = "anonymous";
  if (!in.authorization.empty()) {
    HttpOut denied;
    auto key = Authenticate(in, denied);
    if (!key.ok()) return denied;
    reporter = "key:" + key->id;
  } else if (!intake.anonymous) {
    return Error(401, "authentication_error", "invalid_api_key", "flaw reports here need an API key");
  }
  // A drill's reports have a budget of their own: drills never use up real reporters' quota.
  const Quota q{in.drill.empty() ? "flaw:" + in.client : "flaw-drill:" + in.drill, intake.per_minute, 0};
  const Admission adm = limiter.Admit(std::span<const Quota>(&q, 1), 0);
  if (!adm.admitted) {
    HttpOut out = Error(429, "rate_limit_error", "rate_limited", "too many reports from this address; retry later");
    out.headers.emplace_back("Retry-After", std::to_string(adm.retry_after_seconds));
    return out;
  }
  if (in.body.size() > intake.max_bytes) {
    return Error(413, "invalid_request_error", "body_too_large", fmt::format("a flaw report may be at most {} bytes", intake.max_bytes));
  }
  auto report = ParseFlawReport(in.body);
  if (!report.ok()) return FromStatus(report.status());
  if (!report->reporter.empty()) reporter = "pseudonym:" + report->reporter;  // the reporter chose a pseudonym
  report->reporter = reporter;
  report->id = ids->Next("fr-");
  report->received = FormatRfc3339(clock->Now());
  if (Status s = flaws->Put(*report); !s.ok()) return Error(503, "server_error", "store_unavailable", s.message());
  auto logged = options.audit->Event("flaw.report", "flaw-report:" + report->id, report->ToJson(false));
  if (!logged.ok()) {
    (void)flaws->Delete(report->id);
    return Error(503, "server_error", "audit_unavailable", "the report could not be recorded; please retry");
  }
  if (in.drill.empty()) Count("rsf_gateway_flaw_reports_total");
  // Every report opens an incident in `reported`, so the triage clock runs from now.
  const std::string incident_id = OpenFromFlawReport(*report, *logged, in.drill);
  const auto triage = Current()->compiled.incident_policy.triage_within;
  return JsonOut(201, {{"id", report->id}, {"status", report->status}, {"received", report->received},
                       {"content_sha256", report->content_sha256}, {"ledger_index", *logged},
                       {"incident", incident_id}, {"triage_due", FormatRfc3339(clock->Now() + triage)},
                       {"safe_harbour", kSafeHarbourTerms}});
}

}  // namespace rsf::gateway
