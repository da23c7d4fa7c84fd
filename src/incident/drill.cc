// Drill scenarios, the drill runner and its reports (include/rsf/incident/drill.h).
#include "rsf/incident/drill.h"

#include <algorithm>
#include <map>
#include <set>

#include "incident/yaml_fields.h"
#include "rsf/common/encoding.h"
#include "rsf/common/id.h"

namespace rsf::incident {
namespace {

using rsf::internal::YamlReader;
using internal::ReadDuration;
using Ms = std::chrono::milliseconds;

Json ToJsonNode(const YamlReader& r, const YAML::Node& n, std::string_view field) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& x : n) a.push_back(ToJsonNode(r, x, field));
    return a;
  }
  if (n.IsMap()) {
    Json o = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it) o[it->first.as<std::string>("")] = ToJsonNode(r, it->second, field);
    return o;
  }
  r.Fail(n, fmt::format("'{}' holds a value that is not text, a list or a mapping", field));
}

std::string KeyRef(const YamlReader& r, const YAML::Node& n, const std::set<std::string>& keys) {
  const std::string k = r.String(n, "key");
  if (!keys.contains(k)) r.Fail(n, fmt::format("key '{}' is not declared under 'keys'", k));
  return k;
}

double Seconds(Ms d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

Result<Scenario> ParseScenario(std::string_view yaml, std::string_view file) {
  RSF_ASSIGN_OR_RETURN(YAML::Node n, rsf::internal::LoadYaml(yaml, file));
  YamlReader r(file);
  Scenario s;
  s.file = std::string(file);
  try {
    r.Fields(n, "a drill scenario", {"drill", "description", "keys", "inject", "expect", "targets", "timeout"});
    if (!n["drill"]) r.Fail(n, "a scenario needs 'drill: <id>'");
    s.id = r.String(n["drill"], "drill");
    if (n["description"]) s.description = r.String(n["description"], "description");
    std::set<std::string> keys;
    if (n["keys"]) {
      if (!n["keys"].IsMap()) r.Fail(n["keys"], "'keys' must map a key name to a tier");
      for (auto it = n["keys"].begin(); it != n["keys"].end(); ++it) {
        const std::string name = it->first.as<std::string>("");
        s.keys.emplace_back(name, r.String(it->second, "keys." + name));
        keys.insert(name);
      }
    }
    if (!n["inject"] || !n["inject"].IsSequence() || n["inject"].size() == 0) r.Fail(n, "a scenario needs a non-empty 'inject' list");
    for (const auto& item : n["inject"]) {
      r.Fields(item, "an injection", {"requests", "flaw_report", "signal"});
      if (item.size() != 1) r.Fail(item, "an injection is one of requests, flaw_report or signal");
      Injection in;
      in.where = r.Where(item);
      if (const YAML::Node q = item["requests"]) {
        r.Fields(q, "requests", {"key", "model", "prompt", "count"});
        if (!q["key"] || !q["model"] || !q["prompt"]) r.Fail(q, "'requests' needs key, model and prompt");
        in.key = KeyRef(r, q["key"], keys);
        in.model = r.String(q["model"], "model");
        in.prompt = r.String(q["prompt"], "prompt");
        if (q["count"]) in.count = static_cast<int>(r.Int(q["count"], "count", 1, 100000));
      } else if (const YAML::Node f = item["flaw_report"]) {
        in.type = Injection::Type::kFlawReport;
        if (!f.IsMap() || !f["title"] || !f["description"]) r.Fail(f, "'flaw_report' needs at least title and description");
        in.body = ToJsonNode(r, f, "flaw_report");
        in.body["accept_safe_harbour"] = true;
      } else {
        const YAML::Node g = item["signal"];
        in.type = Injection::Type::kSignal;
        r.Fields(g, "signal", {"name", "model", "tier", "key", "channel", "detail"});
        if (!g["name"]) r.Fail(g, "'signal' needs a name (e.g. security.weights_access)");
        in.body = ToJsonNode(r, g, "signal");
      }
      s.inject.push_back(std::move(in));
    }
    if (!n["expect"]) r.Fail(n, "a scenario needs 'expect' (incident, contained, notified)");
    const YAML::Node& e = n["expect"];
    r.Fields(e, "expect", {"incident", "contained", "notified"});
    if (!e["incident"] || !e["incident"]["kind"]) r.Fail(e, "'expect' needs 'incident: {kind, severity}'");
    r.Fields(e["incident"], "expect.incident", {"kind", "severity"});
    s.kind = internal::ReadKind(r, e["incident"]["kind"]);
    if (e["incident"]["severity"]) s.severity = internal::ReadSeverity(r, e["incident"]["severity"]);
    if (e["contained"]) {
      if (!e["contained"].IsSequence()) r.Fail(e["contained"], "'contained' must be a list of probes");
      for (const auto& p : e["contained"]) {
        r.Fields(p, "a probe", {"key", "model", "status"});
        if (!p["key"] || !p["model"] || !p["status"]) r.Fail(p, "a probe needs key, model and status (a list of HTTP codes)");
        DrillProbe probe;
        probe.where = r.Where(p);
        probe.key = KeyRef(r, p["key"], keys);
        probe.model = r.String(p["model"], "model");
        if (!p["status"].IsSequence()) r.Fail(p["status"], "'status' must be a list of HTTP codes");
        for (const auto& c : p["status"]) probe.status.push_back(static_cast<int>(r.Int(c, "status", 100, 599)));
        s.contained.push_back(std::move(probe));
      }
    }
    if (e["notified"]) s.notified = r.Bool(e["notified"], "notified");
    if (n["targets"]) {
      const YAML::Node& t = n["targets"];
      r.Fields(t, "targets", {"detect", "contain", "notify"});
      if (t["detect"]) s.detect_target = ReadDuration(r, t["detect"], "detect");
      if (t["contain"]) s.contain_target = ReadDuration(r, t["contain"], "contain");
      if (t["notify"]) s.notify_target = ReadDuration(r, t["notify"], "notify");
    }
    if (n["timeout"]) s.timeout = ReadDuration(r, n["timeout"], "timeout");
  } catch (const YamlReader::Failure& f) {
    return f.status;
  } catch (const YAML::Exception& ex) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file, ex.mark.line + 1, ex.mark.column + 1, ex.msg));
  }
  return s;
}

Result<Json> RunDrill(const Scenario& s, DrillTarget& target, const Clock& clock, const std::function<void(std::string_view)>& progress) {
  auto say = [&](std::string_view line) {
    if (progress) progress(line);
  };
  IdGenerator ids(clock);
  const std::string drill = ids.Next("drill-");
  Json report = {{"format", "rsf-drill-report/1"}, {"id", drill}, {"scenario", s.id}, {"description", s.description},
                 {"started", FormatRfc3339(clock.Now())}};
  // Keys.
  std::map<std::string, std::pair<std::string, std::string>> keys;  // name -> id, secret
  for (const auto& [name, tier] : s.keys) {
    RSF_ASSIGN_OR_RETURN(auto k, target.CreateKey(fmt::format("{} {}", drill, name), tier));
    keys[name] = k;
  }
  say(fmt::format("drill {} ({}): {} key(s) ready; injecting", drill, s.id, keys.size()));
  // Whole milliseconds, as the gateway's timestamps are.
  const TimePoint t0 = std::chrono::time_point_cast<Ms>(clock.Now());
  auto since = [&](TimePoint t) { return std::chrono::duration_cast<Ms>(t - t0); };
  Json injected = Json::array();
  for (const auto& in : s.inject) {
    switch (in.type) {
      case Injection::Type::kRequests: {
        std::map<int, int> statuses;
        for (int i = 0; i < in.count; ++i) {
          RSF_ASSIGN_OR_RETURN(int st, target.Chat(keys[in.key].second, in.model, in.prompt, drill));
          ++statuses[st];
        }
        Json st = Json::object();
        for (auto [code, n] : statuses) st[std::to_string(code)] = n;
        injected.push_back({{"requests", in.count}, {"key", in.key}, {"model", in.model}, {"statuses", st}});
        break;
      }
      case Injection::Type::kFlawReport:
        RSF_RETURN_IF_ERROR(target.FlawReport(in.body, drill));
        injected.push_back({{"flaw_report", StringOr(in.body, "title")}});
        break;
      case Injection::Type::kSignal:
        RSF_RETURN_IF_ERROR(target.Signal(in.body, drill));
        injected.push_back({{"signal", StringOr(in.body, "name")}});
        break;
    }
  }
  report["injected"] = injected;
  report["injection_s"] = Seconds(since(clock.Now()));
  say(fmt::format("injected in {:.3f} s; waiting for detection", Seconds(since(clock.Now()))));

  // Detection.
  Json incident;
  std::optional<Ms> detect, contain, notify;
  std::vector<std::string> problems;
  auto poll_incident = [&]() -> Status {
    RSF_ASSIGN_OR_RETURN(auto list, target.Incidents(drill));
    for (const auto& x : list) {
      if (StringOr(x, "kind") == KindName(s.kind)) incident = x;
    }
    return OkStatus();
  };
  while (since(clock.Now()) < s.timeout) {
    RSF_RETURN_IF_ERROR(poll_incident());
    if (!incident.is_null()) break;
    clock.SleepFor(Ms(50));
  }
  if (incident.is_null()) {
    problems.push_back(fmt::format("no {} incident was opened within {} s", KindName(s.kind), Seconds(s.timeout)));
  } else {
    auto opened = ParseRfc3339(StringOr(incident, "opened"));
    if (opened.ok()) detect = std::max(Ms(0), since(*opened));
    if (s.severity && StringOr(incident, "severity") != SeverityName(*s.severity)) {
      problems.push_back(fmt::format("the incident's severity is {}, expected {}", StringOr(incident, "severity"), SeverityName(*s.severity)));
    }
    say(fmt::format("detected: incident {} ({} {}) after {:.3f} s", StringOr(incident, "id"), StringOr(incident, "kind"),
                    StringOr(incident, "severity"), detect ? Seconds(*detect) : -1.0));
  }
  // Containment, verified by probing.
  Json probes = Json::array();
  if (!incident.is_null() && !s.contained.empty()) {
    std::vector<int> last(s.contained.size(), 0);
    while (since(clock.Now()) < s.timeout) {
      bool all = true;
      for (size_t i = 0; i < s.contained.size(); ++i) {
        const DrillProbe& p = s.contained[i];
        RSF_ASSIGN_OR_RETURN(last[i], target.Chat(keys[p.key].second, p.model, "Tell me a story", drill));
        all = all && std::find(p.status.begin(), p.status.end(), last[i]) != p.status.end();
      }
      if (all) {
        contain = since(clock.Now());
        break;
      }
      clock.SleepFor(Ms(100));
    }
    for (size_t i = 0; i < s.contained.size(); ++i) {
      probes.push_back({{"key", s.contained[i].key}, {"model", s.contained[i].model}, {"expected", s.contained[i].status}, {"last", last[i]}});
    }
    if (!contain) problems.push_back(fmt::format("containment did not hold within {} s (probes: {})", Seconds(s.timeout), probes.dump()));
    else say(fmt::format("contained: every probe answered as expected after {:.3f} s", Seconds(*contain)));
  }
  // Notification.
  if (!incident.is_null() && s.notified) {
    while (since(clock.Now()) < s.timeout) {
      RSF_RETURN_IF_ERROR(poll_incident());
      for (const auto& t : ArrayOr(incident, "timeline")) {
        if (StringOr(t, "what") != "notified") continue;
        auto at = ParseRfc3339(StringOr(t, "time"));
        if (at.ok()) notify = std::max(Ms(0), since(*at));
        break;
      }
      if (notify) break;
      clock.SleepFor(Ms(100));
    }
    if (!notify) problems.push_back(fmt::format("no notification was delivered within {} s", Seconds(s.timeout)));
    else say(fmt::format("notified after {:.3f} s", Seconds(*notify)));
  }
  auto metric = [&](const std::optional<Ms>& v, Ms target_ms, bool wanted) -> Json {
    if (!wanted) return nullptr;
    return {{"seconds", v ? Json(Seconds(*v)) : Json(nullptr)}, {"target_s", Seconds(target_ms)}, {"met", v && *v <= target_ms}};
  };
  report["incident"] = incident.is_null() ? Json(nullptr)
                                          : Json{{"id", incident["id"]}, {"kind", incident["kind"]}, {"severity", incident["severity"]},
                                                 {"runbook", StringOr(incident, "runbook")}, {"escalated", BoolOr(incident, "escalated")}};
  report["detect"] = metric(detect, s.detect_target, true);
  report["contain"] = metric(contain, s.contain_target, !s.contained.empty());
  report["notify"] = metric(notify, s.notify_target, s.notified);
  report["probes"] = probes;
  bool passed = problems.empty();
  for (const char* m : {"detect", "contain", "notify"}) {
    if (!report[m].is_null() && !report[m]["met"].get<bool>()) {
      passed = false;
      if (report[m]["seconds"].is_number()) {
        problems.push_back(fmt::format("{} took {:.3f} s, target {} s", m, report[m]["seconds"].get<double>(), report[m]["target_s"].get<double>()));
      }
    }
  }
  report["passed"] = passed;
  report["problems"] = problems;
  report["finished"] = FormatRfc3339(clock.Now());
  // Clean up: lift the drill's containment, revoke its keys.
  auto restored = target.Restore(drill);
  report["restored"] = restored.ok() ? *restored : Json{{"error", restored.status().message()}};
  for (const auto& [name, k] : keys) {
    if (Status st = target.RevokeKey(k.first); !st.ok() && st.code() != StatusCode::kNotFound) {
      report["problems"].push_back(fmt::format("could not revoke drill key {}: {}", name, st.message()));
    }
  }
  RSF_ASSIGN_OR_RETURN(uint64_t index, target.Record(report));
  report["ledger_index"] = index;
  say(fmt::format("drill {}: {}; report in the ledger as #{}", drill, passed ? "PASSED" : "FAILED", index));
  return report;
}

namespace {

// One measure of a report ({seconds, target_s, met}, or null when not measured). Reports can
// come back from a gateway's store, so nothing here trusts their shape.
std::string Cell(const Json& r, const char* measure) {
  const Json& m = ObjectOr(r, measure);
  if (m.empty()) return "—";
  if (!m.contains("seconds") || !m["seconds"].is_number()) return fmt::format("missed (target {} s)", NumberOr(m, "target_s"));
  return fmt::format("{:.3f} s {} (target {} s)", NumberOr(m, "seconds"), BoolOr(m, "met") ? "✓" : "✗", NumberOr(m, "target_s"));
}

double Secs(const Json& r, const char* m) { return NumberOr(ObjectOr(r, m), "seconds", -1); }

}  // namespace

std::string DrillReportMarkdown(const Json& r) {
  std::string md = fmt::format("# Drill {} — {}\n\n{}\n\n", StringOr(r, "scenario"), BoolOr(r, "passed") ? "passed" : "FAILED",
                               StringOr(r, "description"));
  md += fmt::format("Drill `{}`, {} → {}; ledger entry #{}.\n\n", StringOr(r, "id"), StringOr(r, "started"), StringOr(r, "finished"),
                    UintOr(r, "ledger_index"));
  md += "| measure | time from the first injected event |\n|---|---|\n";
  md += fmt::format("| detect (incident opened) | {} |\n| contain (verified by probes) | {} |\n| notify (webhook delivered) | {} |\n\n",
                    Cell(r, "detect"), Cell(r, "contain"), Cell(r, "notify"));
  if (r.contains("incident") && r["incident"].is_object()) {
    md += fmt::format("Incident `{}`: {} / {}, runbook `{}`{}.\n\n", StringOr(r["incident"], "id"), StringOr(r["incident"], "kind"),
                      StringOr(r["incident"], "severity"), StringOr(r["incident"], "runbook"),
                      BoolOr(r["incident"], "escalated") ? ", escalated" : "");
  }
  for (const auto& p : ArrayOr(r, "problems")) md += "- " + (p.is_string() ? p.get<std::string>() : p.dump()) + "\n";
  return md;
}

std::string DrillHistoryMarkdown(const std::vector<Json>& reports) {
  std::string md = "| drill | scenario | started | result | detect s | contain s | notify s |\n|---|---|---|---|---|---|---|\n";
  auto num = [](double v) { return v < 0 ? std::string("—") : fmt::format("{:.3f}", v); };
  for (const auto& r : reports) {
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", StringOr(r, "id"), StringOr(r, "scenario"), StringOr(r, "started"),
                      BoolOr(r, "passed") ? "passed" : "FAILED", num(Secs(r, "detect")), num(Secs(r, "contain")), num(Secs(r, "notify")));
  }
  // Trend per scenario: first and latest run.
  std::map<std::string, std::vector<const Json*>> by;
  for (const auto& r : reports) by[StringOr(r, "scenario")].push_back(&r);
  md += "\n| scenario | runs | passed | detect s (first → latest) | contain s (first → latest) |\n|---|---|---|---|---|\n";
  for (const auto& [name, runs] : by) {
    int ok = 0;
    for (const auto* r : runs) ok += BoolOr(*r, "passed") ? 1 : 0;
    md += fmt::format("| {} | {} | {} | {} → {} | {} → {} |\n", name, runs.size(), ok, num(Secs(*runs.front(), "detect")),
                      num(Secs(*runs.back(), "detect")), num(Secs(*runs.front(), "contain")), num(Secs(*runs.back(), "contain")));
  }
  return md;
}

std::string DrillHistoryHtml(const std::vector<Json>& reports) {
  // One inline SVG: detect and contain times per run, in order, against the slowest target.
  const int w = 720, h = 260, left = 48, bottom = 30, top = 16;
  double ymax = 1;
  for (const auto& r : reports) {
    for (const char* m : {"detect", "contain"}) {
      ymax = std::max(ymax, Secs(r, m));
      ymax = std::max(ymax, NumberOr(ObjectOr(r, m), "target_s"));
    }
  }
  ymax *= 1.1;
  const size_t n = std::max<size_t>(reports.size(), 1);
  auto x = [&](size_t i) { return left + (w - left - 10) * (n == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(n - 1)); };
  auto y = [&](double v) { return top + (h - top - bottom) * (1 - v / ymax); };
  std::string svg = fmt::format(R"(<svg role="img" aria-label="Drill times per run" viewBox="0 0 {} {}" width="{}" height="{}">)", w, h, w, h);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#555"/>)", left, h - bottom, w - 10, h - bottom);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#555"/>)", left, top, left, h - bottom);
  for (int t = 0; t <= 4; ++t) {
    const double v = ymax * t / 4;
    svg += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{:.1f} s</text>)", left - 4, y(v) + 4, v);
  }
  for (const auto& [m, color] : {std::pair{"detect", "#1f77b4"}, std::pair{"contain", "#d62728"}}) {
    std::string pts;
    for (size_t i = 0; i < reports.size(); ++i) {
      const double v = Secs(reports[i], m);
      if (v < 0) continue;
      pts += fmt::format("{:.1f},{:.1f} ", x(i), y(v));
      svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"><title>{} {}: {:.3f} s</title></circle>)", x(i), y(v), color,
                         HtmlEscape(StringOr(reports[i], "scenario")), m, v);
    }
    svg += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}"/>)", pts, color);
  }
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="#1f77b4">detect</text><text x="{}" y="{}" font-size="12" fill="#d62728">contain</text></svg>)",
                     w - 120, top + 4, w - 60, top + 4);
  std::string rows;
  for (const auto& r : reports) {
    rows += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td></tr>\n",
                        HtmlEscape(StringOr(r, "id")), HtmlEscape(StringOr(r, "scenario")), HtmlEscape(StringOr(r, "started")), BoolOr(r, "passed") ? "passed" : "FAILED", Secs(r, "detect"),
                        Secs(r, "contain"));
  }
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rsf drill history</title>"
         "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:4px 8px}</style></head><body><h1>Drill history</h1>" +
         svg + "<table><thead><tr><th>drill</th><th>scenario</th><th>started</th><th>result</th><th>detect s</th><th>contain s</th></tr></thead><tbody>" +
         rows + "</tbody></table></body></html>\n";
}

}  // namespace rsf::incident
