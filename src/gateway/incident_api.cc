// src/gateway/incident_api.cc — incidents on the gateway: the monitor fed by every request,
// the responder that runs runbooks here, and the admin API under /admin/v1/incidents,
// /admin/v1/signals, /admin/v1/clocks and /admin/v1/drills (docs/incidents.md).
#include <fmt/format.h>

#include "gateway/gateway_impl.h"
#include "gateway/query.h"
#include "gateway/responses.h"
#include "rsf/incident/clocks.h"

namespace rsf::gateway {

using internal::Error;
using internal::FromStatus;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;
using internal::QueryParam;

namespace {

Result<std::vector<std::string>> OptStrings(const Json& j, const char* field) {
  std::vector<std::string> out;
  if (!j[field].is_array()) return InvalidArgumentError(fmt::format("{}: must be a list of strings", field));
  for (const auto& v : j[field]) {
    if (!v.is_string()) return InvalidArgumentError(fmt::format("{}: must be a list of strings", field));
    out.push_back(v.get<std::string>());
  }
  return out;
}

HttpOut NotFoundOr(const Status& s) {
  if (s.code() == StatusCode::kNotFound) return Error(404, "invalid_request_error", "not_found", s.message());
  if (s.code() == StatusCode::kFailedPrecondition) return Error(409, "invalid_request_error", "conflict", s.message());
  return FromStatus(s);
}

}  // namespace

Status Gateway::Impl::StartIncidents() {
  incidents = std::make_unique<incident::IncidentStore>(*store, *clock);
  actuator = MakeActuator();
  notifier = incident::MakeWebhookNotifier(model::MakeHttpTransport());
  AuditLog* audit = options.audit;
  responder = std::make_unique<incident::Responder>(
      *incidents, *actuator, *notifier,
      [audit](const std::string& type, const std::string& subject, const Json& body) { return audit->Event(type, subject, body); },
      *clock);
  return OkStatus();
}

void Gateway::Impl::ConfigureIncidents(const CompiledGateway& compiled) {
  responder->Configure(compiled.incident_policy, compiled.runbooks);
  auto next = std::make_shared<incident::Monitor>(compiled.incident_policy, *clock);
  std::lock_guard lock(monitor_mu);
  monitor = std::move(next);
}

void Gateway::Impl::Observe(const incident::Signal& signal, const std::vector<std::string>& names) {
  auto m = CurrentMonitor();
  if (!m) return;
  bool any = false;
  for (const auto& n : names) any = any || m->Watches(n);
  if (!any) return;
  for (const auto& d : m->Observe(signal, names)) {
    Count(fmt::format("rsf_gateway_incident_detections_total{{rule=\"{}\",drill=\"{}\"}}", d.rule->id, signal.drill.empty() ? "false" : "true"));
    responder->Submit(d);
  }
}

bool Gateway::Impl::DrillRefused(const HttpIn& in, HttpOut& out) {
  if (in.drill.empty()) return false;
  if (Current()->compiled.config.incidents.drill_mode) {
    if (in.drill.size() <= 64 && in.drill.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == std::string::npos) {
      return false;
    }
    out = Error(400, "invalid_request_error", "invalid_request", "x-rsf-drill: must be a drill id (letters, digits, - and _, at most 64)");
    return true;
  }
  Count("rsf_gateway_rejected_total{code=\"drill_mode_off\"}");
  out = Error(400, "invalid_request_error", "drill_mode_off",
              "this request is marked as drill traffic (x-rsf-drill) but the gateway is not in drill mode");
  return true;
}

std::string Gateway::Impl::OpenFromFlawReport(const FlawReport& report, uint64_t ledger_index, const std::string& drill) {
  incident::Incident x;
  const std::string& c = report.category;
  x.kind = c == "jailbreak" || c == "prompt_injection" ? incident::Kind::kJailbreak
           : c == "weights" || c == "security" || c == "weights_security" ? incident::Kind::kWeightsSecurity
           : c == "data" || c == "privacy" ? incident::Kind::kData
           : c == "capability" || c == "capability_surprise" ? incident::Kind::kCapabilitySurprise
                                                               : incident::Kind::kMisuse;
  x.severity = incident::ParseSeverity(report.severity).value_or(incident::Severity::kMedium);
  x.title = "Flaw report: " + report.title;
  x.source = "flaw_report:" + report.id;
  x.drill = drill;
  if (!report.model.empty()) {
    x.models.push_back(report.model);
    x.context["model"] = report.model;
  }
  x.evidence.push_back({{"type", "flaw_report"}, {"id", report.id}, {"ledger_index", ledger_index},
                        {"content_sha256", report.content_sha256}, {"reporter", report.reporter}});
  auto opened = responder->Open(std::move(x), "flaw_report:" + report.id);
  if (!opened.ok()) return "";
  return opened->id;
}

HttpOut Gateway::Impl::IncidentAdmin(const HttpIn& in, const ApiKey& key, const std::vector<std::string>& seg) {
  const bool admin = key.role == KeyRole::kAdmin;
  const std::string actor = "admin:" + key.id;
  const std::string& area = seg[0];
  auto not_found = [&] { return Error(404, "invalid_request_error", "not_found", fmt::format("no such admin endpoint: {} {}", in.method, in.target)); };
  Json body = Json::object();
  if (in.method != "GET" && !in.body.empty()) {
    auto parsed = ParseJson(in.body, "request body");
    if (!parsed.ok()) return FromStatus(parsed.status());
    if (!parsed->is_object()) return Error(400, "invalid_request_error", "invalid_request", "the request body must be a JSON object");
    body = std::move(*parsed);
  }
  HttpOut refused;
  if (DrillRefused(in, refused)) return refused;

  if (area == "clocks" && seg.size() == 1 && in.method == "GET") {
    TimePoint now = clock->Now();
    if (const std::string t = QueryParam(in.target, "now"); !t.empty()) {
      auto parsed = ParseRfc3339(t);
      if (!parsed.ok()) return Error(400, "invalid_request_error", "invalid_request", "now: " + parsed.status().message());
      now = *parsed;
    }
    auto all = incidents->List();
    if (!all.ok()) return FromStatus(all.status());
    const bool drills = QueryParam(in.target, "drills") == "1";
    std::vector<incident::Incident> chosen;
    for (auto& x : *all) {
      if (drills || x.drill.empty()) chosen.push_back(std::move(x));
    }
    const auto snap = Current();
    auto duties = incident::ComputeDuties(snap->compiled.policy.obligations, snap->compiled.incident_policy, chosen, now);
    if (!duties.ok()) return FromStatus(duties.status());
    Json list = Json::array();
    for (const auto& d : *duties) list.push_back(d.ToJson());
    return JsonOut(200, {{"now", FormatRfc3339(now)}, {"duties", list}});
  }

  if (area == "signals") {
    if (seg.size() != 1 || in.method != "POST") return not_found();
    const std::string name = StringOr(body, "name");
    if (name.empty()) return Error(400, "invalid_request_error", "invalid_request", "name: required (e.g. security.weights_access)");
    incident::Signal s{StringOr(body, "key"), StringOr(body, "tier"), StringOr(body, "model"), StringOr(body, "channel"), in.drill};
    auto logged = options.audit->Event("incident.signal", "signal:" + name,
                                       {{"actor", actor}, {"name", name}, {"key", s.key}, {"tier", s.tier}, {"model", s.model},
                                        {"channel", s.channel}, {"drill", s.drill}, {"detail", body.contains("detail") ? body["detail"] : Json::object()}});
    if (!logged.ok()) return Error(503, "server_error", "audit_unavailable", logged.status().message());
    Json fired = Json::array();
    if (auto m = CurrentMonitor()) {
      for (const auto& d : m->Observe(s, {name})) {
        fired.push_back(d.rule->id);
        responder->Submit(d);
      }
    }
    return JsonOut(202, {{"accepted", name}, {"rules_fired", fired}, {"ledger_index", *logged}});
  }

  if (area == "drills") {
    if (seg.size() == 1 && in.method == "GET") {
      auto list = incidents->ListDrills();
      if (!list.ok()) return FromStatus(list.status());
      return JsonOut(200, {{"drills", *list}});
    }
    if (!admin) return Error(403, "permission_error", "read_only_key", "auditor keys are read-only");
    if (seg.size() == 1 && in.method == "POST") {
      if (StringOr(body, "format") != "rsf-drill-report/1" || StringOr(body, "id").empty()) {
        return Error(400, "invalid_request_error", "invalid_request", "a drill report (format rsf-drill-report/1, with an id) is expected");
      }
      body["recorded_by"] = actor;
      auto logged = options.audit->Event("drill.report", "drill:" + StringOr(body, "id"), body);
      if (!logged.ok()) return Error(503, "server_error", "audit_unavailable", logged.status().message());
      body["ledger_index"] = *logged;
      if (Status s = incidents->PutDrill(body); !s.ok()) return FromStatus(s);
      return JsonOut(201, {{"id", body["id"]}, {"ledger_index", *logged}});
    }
    if (seg.size() == 3 && seg[2] == "restore" && in.method == "POST") {
      const std::string prefix = fmt::format("{} {}:", kDrillReasonPrefix, seg[1]);
      Json lifted = Json::array();
      for (const auto& h : control->Halts()) {
        if (h.reason.rfind(prefix, 0) != 0) continue;
        auto logged = options.audit->Event("gateway.admin", "gateway:drill",
                                           {{"actor", key.id}, {"action", h.kind == HaltKind::kTier ? "tier.lift" : "model.resume"},
                                            {"target", h.name}, {"params", {{"drill", seg[1]}}}});
        if (!logged.ok()) return Error(503, "server_error", "audit_unavailable", logged.status().message());
        if (Status s = control->Lift(h.kind, h.name); !s.ok()) return FromStatus(s);
        lifted.push_back({{"kind", h.kind == HaltKind::kTier ? "tier" : "model"}, {"name", h.name}});
      }
      return JsonOut(200, {{"drill", seg[1]}, {"lifted", lifted}});
    }
    return not_found();
  }

  // Incidents.
  if (seg.size() == 1 && in.method == "GET") {
    auto all = incidents->List();
    if (!all.ok()) return FromStatus(all.status());
    const std::string drill = QueryParam(in.target, "drill");
    Json list = Json::array();
    for (const auto& x : *all) {
      if (drill != "all" && x.drill != drill) continue;
      list.push_back(x.ToJson(admin));
    }
    return JsonOut(200, {{"incidents", list}});
  }
  if (seg.size() == 1 && in.method == "POST") {
    if (!admin) return Error(403, "permission_error", "read_only_key", "auditor keys are read-only");
    incident::Incident x;
    auto kind = incident::ParseKind(StringOr(body, "kind"));
    if (!kind) return Error(400, "invalid_request_error", "invalid_request", "kind: one of " + incident::KindList());
    auto sev = incident::ParseSeverity(StringOr(body, "severity"));
    if (!sev) return Error(400, "invalid_request_error", "invalid_request", "severity: low, medium, high or critical");
    x.kind = *kind;
    x.severity = *sev;
    x.title = StringOr(body, "title");
    if (x.title.empty() || x.title.size() > 200) return Error(400, "invalid_request_error", "invalid_request", "title: required, at most 200 bytes");
    x.summary = StringOr(body, "summary");
    x.commander = StringOr(body, "commander");
    for (const char* f : {"models", "tiers", "events"}) {
      if (!body.contains(f)) continue;
      auto v = OptStrings(body, f);
      if (!v.ok()) return FromStatus(v.status());
      (std::string_view(f) == "models" ? x.models : std::string_view(f) == "tiers" ? x.tiers : x.events) = *v;
    }
    if (!x.models.empty()) x.context["model"] = x.models.front();
    if (!x.tiers.empty()) x.context["tier"] = x.tiers.front();
    x.source = actor;
    x.drill = in.drill;
    auto opened = responder->Open(std::move(x), actor);
    if (!opened.ok()) return FromStatus(opened.status());
    Count("rsf_gateway_incidents_opened_total{source=\"admin\"}");
    return JsonOut(201, opened->ToJson(true));
  }
  if (seg.size() < 2) return not_found();
  const std::string id = seg[1];
  if (seg.size() == 2 && in.method == "GET") {
    auto x = incidents->Get(id);
    if (!x.ok()) return NotFoundOr(x.status());
    return JsonOut(200, x->ToJson(admin));
  }
  if (seg.size() == 3 && seg[2] == "draft" && in.method == "GET") {
    auto x = incidents->Get(id);
    if (!x.ok()) return NotFoundOr(x.status());
    const auto snap = Current();
    auto draft = incident::DraftReport(*x, snap->compiled.policy.obligations, snap->compiled.incident_policy,
                                       QueryParam(in.target, "obligation"), clock->Now());
    if (!draft.ok()) return NotFoundOr(draft.status());
    if (QueryParam(in.target, "format") == "md") return HttpOut{200, "text/markdown; charset=utf-8", draft->markdown, {}};
    return JsonOut(200, draft->json);
  }
  if (!admin) return Error(403, "permission_error", "read_only_key", "auditor keys are read-only");
  Result<incident::Incident> changed = NotFoundError("no such endpoint");
  if (seg.size() == 2 && in.method == "PATCH") {
    incident::TriagePatch p;
    if (body.contains("severity")) {
      p.severity = incident::ParseSeverity(StringOr(body, "severity"));
      if (!p.severity) return Error(400, "invalid_request_error", "invalid_request", "severity: low, medium, high or critical");
    }
    if (body.contains("commander")) p.commander = StringOr(body, "commander");
    for (const char* f : {"events", "models", "tiers"}) {
      if (!body.contains(f)) continue;
      auto v = OptStrings(body, f);
      if (!v.ok()) return FromStatus(v.status());
      (std::string_view(f) == "events" ? p.events : std::string_view(f) == "models" ? p.models : p.tiers) = *v;
    }
    changed = responder->Triage(id, p, actor);
  } else if (seg.size() == 3 && seg[2] == "transition" && in.method == "POST") {
    auto to = incident::ParseState(StringOr(body, "to"));
    if (!to) return Error(400, "invalid_request_error", "invalid_request", "to: triaged, contained, resolved or reviewed");
    changed = responder->Transition(id, *to, actor, StringOr(body, "note"));
  } else if (seg.size() == 3 && seg[2] == "notes" && in.method == "POST") {
    changed = responder->AddNote(id, actor, StringOr(body, "note"));
  } else if (seg.size() == 3 && seg[2] == "approve" && in.method == "POST") {
    changed = responder->Approve(id, StringOr(body, "step"), actor);
  } else if (seg.size() == 3 && seg[2] == "filed" && in.method == "POST") {
    const std::string ob = StringOr(body, "obligation");
    bool known = false;
    for (const auto& o : Current()->compiled.policy.obligations) known = known || o.id == ob;
    if (!known) return Error(400, "invalid_request_error", "invalid_request", fmt::format("obligation: '{}' is not an obligation of the policy", ob));
    changed = responder->File(id, ob, StringOr(body, "reference"), actor);
  } else {
    return not_found();
  }
  if (!changed.ok()) {
    if (changed.status().code() == StatusCode::kInvalidArgument) return FromStatus(changed.status());
    return NotFoundOr(changed.status());
  }
  return JsonOut(200, changed->ToJson(true));
}

}  // namespace rsf::gateway
