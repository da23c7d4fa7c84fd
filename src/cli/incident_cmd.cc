// `rsf incident ...` and `rsf drill ...`: incident management and safety drills against a
// running gateway, through its admin API (docs/incidents.md). The gateway owns the ledger
// and the store, so these commands are clients: --gateway (or RSF_GATEWAY) and an admin key
// (--key or RSF_ADMIN_KEY; auditor keys can read).
#include <cstdlib>
#include <mutex>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "webhook_sink.h"
#include "rsf/incident/clocks.h"
#include "rsf/incident/drill.h"
#include "rsf/model/http.h"
#include "rsf/model/openai_wire.h"

namespace rsf::cli {
namespace {

struct IncidentArgs {
  std::string gateway, key, format = "table", out;
  std::string id, state, note, step, obligation, reference, drill, now, scenario;
  std::string kind, severity, title, summary, commander, description, category, reproduction, contact, pseudonym;
  std::vector<std::string> models, tiers, events, scenarios;
  bool drills = false, accept = false;
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

class Admin {
 public:
  explicit Admin(const IncidentArgs& a)
      : base_(a.gateway.empty() ? EnvOr("RSF_GATEWAY", "http://127.0.0.1:8080") : a.gateway),
        key_(a.key.empty() ? EnvOr("RSF_ADMIN_KEY", "") : a.key),
        http_(model::MakeHttpTransport()) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }
  const std::string& base() const { return base_; }
  const std::string& key() const { return key_; }

  Result<model::HttpResponse> Raw(const std::string& method, const std::string& path, const std::string& body, bool auth = true) {
    if (auth && key_.empty()) return InvalidArgumentError("an admin or auditor key is needed: --key or RSF_ADMIN_KEY");
    model::HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = body;
    req.timeout = std::chrono::milliseconds(15000);
    req.headers = {{"Content-Type", "application/json"}};
    if (auth || !key_.empty()) req.headers.emplace_back("Authorization", "Bearer " + key_);
    auto r = http_->Send(req);
    if (!r.ok()) return UnavailableError(fmt::format("gateway {}: {}", base_, r.status().message()));
    return r;
  }
  Result<Json> Call(const std::string& method, const std::string& path, const Json& body = nullptr, bool auth = true) {
    RSF_ASSIGN_OR_RETURN(auto r, Raw(method, path, body.is_null() ? "" : body.dump(), auth));
    Json j = Json::parse(r.body, nullptr, false);
    if (r.status >= 200 && r.status < 300 && !j.is_discarded()) return j;
    const std::string msg = fmt::format("{} {}: HTTP {}: {}", method, path, r.status,
                                        model::OpenAiErrorMessage(r.body));
    if (r.status == 401 || r.status == 403) return PermissionDeniedError(msg);
    if (r.status == 404) return NotFoundError(msg);
    if (r.status == 409) return FailedPreconditionError(msg);
    if (r.status >= 400 && r.status < 500) return InvalidArgumentError(msg);
    return UnavailableError(msg);
  }

 private:
  std::string base_, key_;
  std::unique_ptr<model::HttpTransport> http_;
};

void AddConnection(CLI::App* c, IncidentArgs& a) {
  c->add_option("--gateway", a.gateway, "Gateway base URL (default: $RSF_GATEWAY or http://127.0.0.1:8080)");
  c->add_option("--key", a.key, "Admin key (auditor keys may read; default: $RSF_ADMIN_KEY)");
}

std::string Short(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "…"; }

Status List(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  RSF_ASSIGN_OR_RETURN(Json j, admin.Call("GET", "/admin/v1/incidents" + (a.drill.empty() ? std::string() : "?drill=" + a.drill)));
  if (a.format == "json") {
    for (const auto& x : ArrayOr(j, "incidents")) ctx.out << x.dump() << "\n";
    return OkStatus();
  }
  ctx.out << fmt::format("{:<30} {:<19} {:<9} {:<10} {:<24} {}\n", "id", "kind", "severity", "state", "opened", "title");
  for (const auto& x : ArrayOr(j, "incidents")) {
    ctx.out << fmt::format("{:<30} {:<19} {:<9} {:<10} {:<24} {}{}\n", StringOr(x, "id"), StringOr(x, "kind"), StringOr(x, "severity"),
                           StringOr(x, "state"), StringOr(x, "opened"), Short(StringOr(x, "title"), 60),
                           BoolOr(x, "escalated") ? "  [escalated]" : "");
  }
  if (ArrayOr(j, "incidents").empty()) ctx.err << "No incidents" << (a.drill.empty() ? "" : " for drill " + a.drill) << ".\n";
  return OkStatus();
}

Status Show(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  RSF_ASSIGN_OR_RETURN(Json x, admin.Call("GET", "/admin/v1/incidents/" + a.id));
  if (a.format == "json") {
    ctx.out << x.dump(2) << "\n";
    return OkStatus();
  }
  auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.is_object() ? "sha256:" + StringOr(v, "sha256") : ""; };
  ctx.out << fmt::format("# {} — {}\n\n", StringOr(x, "id"), StringOr(x, "title"));
  ctx.out << fmt::format("kind {} · severity {} · state {} · commander {} · runbook {}{}{}\n", StringOr(x, "kind"), StringOr(x, "severity"),
                         StringOr(x, "state"), StringOr(x, "commander", "—"), StringOr(x, "runbook", "—"), BoolOr(x, "escalated") ? " · ESCALATED" : "",
                         StringOr(x, "drill").empty() ? "" : " · drill " + StringOr(x, "drill"));
  ctx.out << fmt::format("aware since {} · models {} · tiers {} · events {}\n", StringOr(x, "opened"), ArrayOr(x, "models").dump(), ArrayOr(x, "tiers").dump(),
                         ArrayOr(x, "events").dump());
  if (const std::string s = x.contains("summary") ? text(x["summary"]) : ""; !s.empty()) ctx.out << "\n" << s << "\n";
  ctx.out << "\n## Timeline\n\n";
  for (const auto& t : ArrayOr(x, "timeline")) {
    ctx.out << fmt::format("- {} {:<18} {:<22} {}{}\n", StringOr(t, "time"), StringOr(t, "what"), StringOr(t, "actor"),
                           t.contains("text") ? text(t["text"]) + " " : "", ObjectOr(t, "detail").empty() ? "" : ObjectOr(t, "detail").dump());
  }
  if (const Json& steps = ObjectOr(x, "steps"); !steps.empty()) {
    ctx.out << "\n## Runbook steps\n\n";
    for (const auto& [step, status] : steps.items()) ctx.out << fmt::format("- {}: {}\n", step, status.is_string() ? status.get<std::string>() : status.dump());
  }
  return OkStatus();
}

Status Open(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  Json body = {{"kind", a.kind}, {"severity", a.severity}, {"title", a.title}, {"summary", a.summary}, {"commander", a.commander},
               {"models", a.models}, {"tiers", a.tiers}, {"events", a.events}};
  RSF_ASSIGN_OR_RETURN(Json x, admin.Call("POST", "/admin/v1/incidents", body));
  ctx.out << StringOr(x, "id") << "\n";
  ctx.err << fmt::format("Opened {} ({} {}); runbook {}.\n", StringOr(x, "id"), StringOr(x, "kind"), StringOr(x, "severity"),
                         StringOr(x, "runbook").empty() ? "none matched" : StringOr(x, "runbook"));
  return OkStatus();
}

Status Change(CliContext& ctx, const IncidentArgs& a, const std::string& method, const std::string& path, const Json& body,
              const std::string& done) {
  Admin admin(a);
  RSF_ASSIGN_OR_RETURN(Json x, admin.Call(method, path, body));
  ctx.err << fmt::format("{}: {} (now {}).\n", StringOr(x, "id", a.id), done, StringOr(x, "state"));
  return OkStatus();
}

Status Clocks(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  std::string q;
  if (!a.now.empty()) q += "now=" + a.now;
  if (a.drills) q += std::string(q.empty() ? "" : "&") + "drills=1";
  RSF_ASSIGN_OR_RETURN(Json j, admin.Call("GET", "/admin/v1/clocks" + (q.empty() ? "" : "?" + q)));
  if (a.format == "json") {
    ctx.out << j.dump(2) << "\n";
    return OkStatus();
  }
  ctx.out << fmt::format("Regulatory and triage clocks at {}\n\n", StringOr(j, "now"));
  ctx.out << fmt::format("{:<30} {:<30} {:<40} {:<24} {}\n", "incident", "obligation", "authority", "due", "status");
  int overdue = 0;
  for (const auto& d : ArrayOr(j, "duties")) {
    const std::string st = StringOr(d, "status");
    std::string shown = st;
    if (st == "open" || st == "overdue") shown = incident::FormatRemaining(IntOr(d, "seconds_left"));
    if (st == "overdue") ++overdue;
    ctx.out << fmt::format("{:<30} {:<30} {:<40} {:<24} {}{}\n", StringOr(d, "incident"), StringOr(d, "obligation"),
                           Short(StringOr(d, "authority"), 40), StringOr(d, "due"), shown, BoolOr(d, "drill") ? " (drill)" : "");
  }
  if (overdue > 0) ctx.err << fmt::format("{} duty(ies) OVERDUE.\n", overdue);
  return OkStatus();
}

Status Draft(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  const std::string path = fmt::format("/admin/v1/incidents/{}/draft?obligation={}&format={}", a.id, a.obligation, a.format == "json" ? "json" : "md");
  RSF_ASSIGN_OR_RETURN(auto r, admin.Raw("GET", path, ""));
  if (r.status != 200) {
    const std::string msg = model::OpenAiErrorMessage(r.body);
    return r.status == 404 ? NotFoundError(msg) : InvalidArgumentError(msg);
  }
  std::string text = r.body;
  if (a.format == "json") {
    auto j = ParseJson(r.body, "the gateway's draft");
    if (!j.ok()) return UnavailableError(j.status().message());
    text = j->dump(2) + "\n";
  }
  if (a.out.empty()) {
    ctx.out << text;
    return OkStatus();
  }
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.out, text));
  ctx.err << "Wrote " << a.out << "\n";
  return OkStatus();
}

Status Report(CliContext& ctx, const IncidentArgs& a) {
  if (!a.accept) return InvalidArgumentError("--accept-safe-harbour is required: read the terms at GET /v1/flaw-reports/terms");
  Admin admin(a);
  Json body = {{"title", a.title}, {"description", a.description}, {"accept_safe_harbour", true}};
  if (!a.models.empty()) body["model"] = a.models.front();
  for (auto [k, v] : {std::pair{"category", a.category}, {"severity", a.severity}, {"reproduction", a.reproduction},
                      {"contact", a.contact}, {"pseudonym", a.pseudonym}}) {
    if (!v.empty()) body[k] = v;
  }
  RSF_ASSIGN_OR_RETURN(Json j, admin.Call("POST", "/v1/flaw-reports", body, false));
  ctx.out << StringOr(j, "id") << "\n";
  ctx.err << fmt::format("Report {} received (ledger #{}); incident {} opened, triage due {}.\n", StringOr(j, "id"),
                         UintOr(j, "ledger_index"), StringOr(j, "incident"), StringOr(j, "triage_due"));
  return OkStatus();
}

Result<std::vector<incident::Scenario>> LoadScenarios(CliContext& ctx, const std::vector<std::string>& files) {
  std::vector<incident::Scenario> out;
  for (const auto& f : files) {
    RSF_ASSIGN_OR_RETURN(std::string text, ctx.env.ReadFile(f));
    RSF_ASSIGN_OR_RETURN(auto s, incident::ParseScenario(text, f));
    out.push_back(std::move(s));
  }
  return out;
}

Status DrillRun(CliContext& ctx, const IncidentArgs& a) {
  RSF_ASSIGN_OR_RETURN(auto scenarios, LoadScenarios(ctx, a.scenarios));
  Admin admin(a);
  if (admin.key().empty()) return InvalidArgumentError("drill run: an admin key is needed (--key or RSF_ADMIN_KEY)");
  auto target = incident::MakeHttpDrillTarget(admin.base(), admin.key(), model::MakeHttpTransport());
  bool all = true;
  Json reports = Json::array();
  for (const auto& s : scenarios) {
    auto progress = [&](std::string_view line) {
      if (ctx.interactive) ctx.err << "  " << line << "\n";
    };
    RSF_ASSIGN_OR_RETURN(Json report, incident::RunDrill(s, *target, ctx.clock, progress));
    all = all && BoolOr(report, "passed");
    if (a.format == "json") {
      ctx.out << report.dump() << "\n";
    } else {
      ctx.out << incident::DrillReportMarkdown(report) << "\n";
    }
    if (!a.out.empty()) {
      RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(a.out));
      RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, StringOr(report, "id") + ".json"), report.dump(2) + "\n"));
      RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, StringOr(report, "id") + ".md"), incident::DrillReportMarkdown(report)));
    }
  }
  if (!all) return FailedPreconditionError("a drill missed its targets (see the report)");
  return OkStatus();
}

Status DrillHistory(CliContext& ctx, const IncidentArgs& a) {
  Admin admin(a);
  RSF_ASSIGN_OR_RETURN(Json j, admin.Call("GET", "/admin/v1/drills"));
  const Json& drills = ArrayOr(j, "drills");
  std::vector<Json> reports(drills.begin(), drills.end());
  std::string text = a.format == "json" ? j.dump(2) + "\n" : a.format == "html" ? incident::DrillHistoryHtml(reports) : incident::DrillHistoryMarkdown(reports);
  if (a.out.empty()) {
    ctx.out << text;
  } else {
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.out, text));
    ctx.err << "Wrote " << a.out << "\n";
  }
  return OkStatus();
}

}  // namespace

void AddIncidentCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<IncidentArgs>();
  auto* inc = app.add_subcommand("incident", "Incidents, flaw reports and regulatory clocks on a running gateway");
  inc->require_subcommand(1);
  auto run = [&ctx, a](Status (*fn)(CliContext&, const IncidentArgs&)) { return [&ctx, a, fn] { ctx.status = fn(ctx, *a); }; };

  auto* list = inc->add_subcommand("list", "List incidents (real ones; --drill ID or all for drills)");
  AddConnection(list, *a);
  list->add_option("--drill", a->drill, "A drill's id, or 'all'");
  list->add_option("--format", a->format, "table or json (JSON Lines)")->check(CLI::IsMember({"table", "json"}));
  list->callback(run(List));

  auto* show = inc->add_subcommand("show", "Show an incident with its timeline and runbook steps");
  AddConnection(show, *a);
  show->add_option("id", a->id, "Incident id")->required();
  show->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  show->callback(run(Show));

  auto* open = inc->add_subcommand("open", "Open an incident by hand (its runbook starts at once)");
  AddConnection(open, *a);
  open->add_option("--kind", a->kind, "misuse, jailbreak, capability_surprise, weights_security, data or outage")->required();
  open->add_option("--severity", a->severity, "low, medium, high or critical")->required();
  open->add_option("--title", a->title, "One line")->required();
  open->add_option("--summary", a->summary, "What is known (kept from auditors and drafts as a digest)");
  open->add_option("--commander", a->commander, "Incident commander (default: the runbook's)");
  open->add_option("--model", a->models, "Affected model (repeatable)");
  open->add_option("--tier", a->tiers, "Affected access tier (repeatable)");
  open->add_option("--event", a->events, "Reportable event, e.g. serious_incident (repeatable)");
  open->callback(run(Open));

  auto* triage = inc->add_subcommand("triage", "Set severity, commander, reportable events, models or tiers");
  AddConnection(triage, *a);
  triage->add_option("id", a->id, "Incident id")->required();
  triage->add_option("--severity", a->severity, "low, medium, high or critical");
  triage->add_option("--commander", a->commander, "Incident commander");
  triage->add_option("--event", a->events, "Reportable events (replaces the list; repeatable)");
  triage->add_option("--model", a->models, "Affected models (replaces the list)");
  triage->add_option("--tier", a->tiers, "Affected tiers (replaces the list)");
  triage->callback([&ctx, a, triage] {
    Json body = Json::object();
    if (!a->severity.empty()) body["severity"] = a->severity;
    if (!a->commander.empty()) body["commander"] = a->commander;
    if (triage->count("--event")) body["events"] = a->events;
    if (triage->count("--model")) body["models"] = a->models;
    if (triage->count("--tier")) body["tiers"] = a->tiers;
    ctx.status = Change(ctx, *a, "PATCH", "/admin/v1/incidents/" + a->id, body, "triaged");
  });

  auto* tr = inc->add_subcommand("transition", "Move an incident forward: triaged, contained, resolved, reviewed");
  AddConnection(tr, *a);
  tr->add_option("id", a->id, "Incident id")->required();
  tr->add_option("state", a->state, "The new state")->required()->check(CLI::IsMember({"triaged", "contained", "resolved", "reviewed"}));
  tr->add_option("--note", a->note, "Why");
  tr->callback([&ctx, a] {
    ctx.status = Change(ctx, *a, "POST", "/admin/v1/incidents/" + a->id + "/transition", {{"to", a->state}, {"note", a->note}}, "moved to " + a->state);
  });

  auto* note = inc->add_subcommand("note", "Add a note to the timeline");
  AddConnection(note, *a);
  note->add_option("id", a->id, "Incident id")->required();
  note->add_option("text", a->note, "The note")->required();
  note->callback([&ctx, a] { ctx.status = Change(ctx, *a, "POST", "/admin/v1/incidents/" + a->id + "/notes", {{"note", a->note}}, "note added"); });

  auto* approve = inc->add_subcommand("approve", "Approve a runbook step that waits for approval");
  AddConnection(approve, *a);
  approve->add_option("id", a->id, "Incident id")->required();
  approve->add_option("step", a->step, "Step id")->required();
  approve->callback([&ctx, a] {
    ctx.status = Change(ctx, *a, "POST", "/admin/v1/incidents/" + a->id + "/approve", {{"step", a->step}}, "step " + a->step + " approved");
  });

  auto* filed = inc->add_subcommand("filed", "Record that the report an obligation requires was filed");
  AddConnection(filed, *a);
  filed->add_option("id", a->id, "Incident id")->required();
  filed->add_option("--obligation", a->obligation, "The policy obligation's id")->required();
  filed->add_option("--reference", a->reference, "The authority's reference, if any");
  filed->callback([&ctx, a] {
    ctx.status = Change(ctx, *a, "POST", "/admin/v1/incidents/" + a->id + "/filed", {{"obligation", a->obligation}, {"reference", a->reference}},
                        "filed under " + a->obligation);
  });

  auto* clocks = inc->add_subcommand("clocks", "What is due to whom by when (overdue duties flagged)");
  AddConnection(clocks, *a);
  clocks->add_option("--now", a->now, "Compute at this RFC 3339 time instead of now");
  clocks->add_flag("--drills", a->drills, "Include drill incidents");
  clocks->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  clocks->callback(run(Clocks));

  auto* draft = inc->add_subcommand("draft", "A pre-filled report for an obligation (free text as digests)");
  AddConnection(draft, *a);
  draft->add_option("id", a->id, "Incident id")->required();
  draft->add_option("--obligation", a->obligation, "The policy obligation's id")->required();
  draft->add_option("--format", a->format, "md or json")->check(CLI::IsMember({"md", "json", "table"}));
  draft->add_option("--out", a->out, "Write to this file instead of stdout");
  draft->callback(run(Draft));

  auto* report = inc->add_subcommand("report", "Submit a flaw or vulnerability report (as an outside researcher)");
  report->add_option("--gateway", a->gateway, "Gateway base URL (default: $RSF_GATEWAY or http://127.0.0.1:8080)");
  report->add_option("--key", a->key, "API key (optional where anonymous reports are taken)");
  report->add_option("--title", a->title, "One line")->required();
  report->add_option("--description", a->description, "What you found")->required();
  report->add_option("--model", a->models, "The model");
  report->add_option("--category", a->category, "e.g. jailbreak, misuse, weights, data");
  report->add_option("--severity", a->severity, "Your estimate: low, medium, high or critical");
  report->add_option("--reproduction", a->reproduction, "How to reproduce");
  report->add_option("--contact", a->contact, "How to reach you");
  report->add_option("--pseudonym", a->pseudonym, "Report under this name");
  report->add_flag("--accept-safe-harbour", a->accept, "Accept the safe-harbour terms (GET /v1/flaw-reports/terms)");
  report->callback(run(Report));

  auto* sink = inc->add_subcommand("webhook-sink", "Receive runbook notifications locally and print them (until interrupted)");
  sink->add_option("--listen", a->gateway, "host:port to listen on (default 127.0.0.1:9911)");
  sink->callback([&ctx, a] {
    const std::string listen = a->gateway.empty() ? "127.0.0.1:9911" : a->gateway;
    const size_t colon = listen.rfind(':');
    int port = -1;
    try {
      port = colon == std::string::npos ? -1 : std::stoi(listen.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (port < 0 || port > 65535) {
      ctx.status = InvalidArgumentError(fmt::format("--listen: '{}' must be host:port", listen));
      return;
    }
    std::mutex mu;
    auto started = WebhookSink::Start(listen.substr(0, colon), static_cast<uint16_t>(port), [&](const std::string& target, const std::string& body) {
      std::lock_guard lock(mu);
      ctx.out << Json{{"received", FormatRfc3339(ctx.clock.Now())}, {"target", target}, {"body", Json::parse(body, nullptr, false)}}.dump() << std::endl;
    });
    if (!started.ok()) {
      ctx.status = started.status();
      return;
    }
    ctx.err << fmt::format("Listening for webhooks on {} (Ctrl-C to stop).\n", (*started)->url("/"));
    for (;;) ctx.clock.SleepFor(std::chrono::hours(1));
  });

  auto* drill = app.add_subcommand("drill", "Safety drills: injected scenarios, timed detection, containment and notification");
  drill->require_subcommand(1);
  auto* drun = drill->add_subcommand("run", "Run scenarios against a gateway in drill mode; the reports go to its ledger");
  AddConnection(drun, *a);
  drun->add_option("scenario", a->scenarios, "Scenario YAML files")->required()->check(CLI::ExistingFile);
  drun->add_option("--format", a->format, "md (default) or json")->check(CLI::IsMember({"md", "json", "table"}));
  drun->add_option("--out", a->out, "Also write each report (JSON and Markdown) to this directory");
  drun->callback(run(DrillRun));
  auto* dcheck = drill->add_subcommand("check", "Validate scenario files");
  dcheck->add_option("scenario", a->scenarios, "Scenario YAML files")->required();
  dcheck->callback([&ctx, a] {
    auto s = LoadScenarios(ctx, a->scenarios);
    ctx.status = s.status();
    if (s.ok()) {
      for (const auto& x : *s) ctx.out << fmt::format("{}: drill '{}' is valid ({} injection(s), {} probe(s))\n", x.file, x.id, x.inject.size(), x.contained.size());
    }
  });
  auto* hist = drill->add_subcommand("history", "Past drills with their times and trends");
  AddConnection(hist, *a);
  hist->add_option("--format", a->format, "md (default), html (with a chart) or json")->check(CLI::IsMember({"md", "html", "json", "table"}));
  hist->add_option("--out", a->out, "Write to this file instead of stdout");
  hist->callback(run(DrillHistory));
}

}  // namespace rsf::cli
