// The policy's `incidents:` section and the signal monitor (include/rsf/incident/rules.h).
#include "rsf/incident/rules.h"

#include <algorithm>

#include "incident/yaml_fields.h"

namespace rsf::incident {
namespace {

using rsf::internal::YamlReader;
using internal::ReadDuration;
using internal::ReadKind;
using internal::ReadSeverity;

DetectionRule ReadRule(const YamlReader& r, const YAML::Node& n, const std::set<std::string>& seen) {
  r.Fields(n, "a detection rule",
           {"id", "signal", "per", "group_by", "count", "above", "min_events", "channel", "within", "cooldown", "open"});
  DetectionRule d;
  if (!n["id"]) r.Fail(n, "a detection rule needs an 'id'");
  d.id = r.String(n["id"], "id");
  if (seen.contains(d.id)) r.Fail(n["id"], fmt::format("duplicate rule id '{}'", d.id));
  d.where = r.Where(n);
  if (!n["signal"]) r.Fail(n, fmt::format("rule '{}' needs a 'signal' (e.g. guard.cbrn, guard.blocked, request)", d.id));
  d.signal = r.String(n["signal"], "signal");
  if (n["per"]) d.per = r.String(n["per"], "per");
  if (n["group_by"]) {
    const std::string g = r.String(n["group_by"], "group_by");
    static const std::map<std::string, GroupBy> kGroups = {
        {"key", GroupBy::kKey}, {"tier", GroupBy::kTier}, {"model", GroupBy::kModel}, {"channel", GroupBy::kChannel}, {"all", GroupBy::kAll}};
    auto it = kGroups.find(g);
    if (it == kGroups.end()) r.Fail(n["group_by"], "'group_by' must be key, tier, model, channel or all");
    d.group_by = it->second;
  }
  if (d.per.empty()) {
    if (!n["count"]) r.Fail(n, fmt::format("rule '{}' needs 'count' (or 'per' and 'above' for a rate)", d.id));
    d.count = static_cast<int>(r.Int(n["count"], "count", 1, 1000000));
    if (n["above"] || n["min_events"]) r.Fail(n, fmt::format("rule '{}': 'above' and 'min_events' need 'per'", d.id));
  } else {
    if (!n["above"]) r.Fail(n, fmt::format("rule '{}' has 'per' and so needs 'above' (a rate in [0, 1])", d.id));
    d.above = r.Number(n["above"], "above", 0, 1);
    if (n["min_events"]) d.min_events = static_cast<int>(r.Int(n["min_events"], "min_events", 1, 1000000));
    if (n["count"]) r.Fail(n["count"], fmt::format("rule '{}': a rate rule ('per') takes 'above', not 'count'", d.id));
  }
  if (n["channel"]) d.channel = r.String(n["channel"], "channel");
  if (!n["within"]) r.Fail(n, fmt::format("rule '{}' needs 'within' (e.g. 60s)", d.id));
  d.within = ReadDuration(r, n["within"], "within");
  if (n["cooldown"]) d.cooldown = ReadDuration(r, n["cooldown"], "cooldown");
  if (!n["open"]) r.Fail(n, fmt::format("rule '{}' needs 'open: {{kind, severity}}'", d.id));
  const YAML::Node& o = n["open"];
  r.Fields(o, "open", {"kind", "severity", "title"});
  if (!o["kind"] || !o["severity"]) r.Fail(o, "'open' needs 'kind' and 'severity'");
  d.kind = ReadKind(r, o["kind"]);
  d.severity = ReadSeverity(r, o["severity"]);
  d.title = o["title"] ? r.String(o["title"], "title") : fmt::format("Rule {}: {} {} within {} s", d.id, d.per.empty() ? d.count : 0,
                                                                           d.signal, d.within.count() / 1000);
  return d;
}

EventRule ReadEvent(const YamlReader& r, const YAML::Node& n) {
  r.Fields(n, "an event mapping", {"event", "kinds", "severities"});
  if (!n["event"]) r.Fail(n, "an event mapping needs 'event' (an obligation's event)");
  EventRule e;
  e.event = r.String(n["event"], "event");
  if (n["kinds"]) {
    if (!n["kinds"].IsSequence()) r.Fail(n["kinds"], "'kinds' must be a list");
    for (const auto& k : n["kinds"]) e.kinds.push_back(ReadKind(r, k));
  }
  if (n["severities"]) {
    if (!n["severities"].IsSequence()) r.Fail(n["severities"], "'severities' must be a list");
    for (const auto& s : n["severities"]) e.severities.push_back(ReadSeverity(r, s));
  }
  return e;
}

std::string_view GroupValue(GroupBy g, const Signal& s) {
  switch (g) {
    case GroupBy::kKey: return s.key;
    case GroupBy::kTier: return s.tier;
    case GroupBy::kModel: return s.model;
    case GroupBy::kChannel: return s.channel;
    case GroupBy::kAll: return {};
  }
  return {};
}

}  // namespace

Result<IncidentPolicy> LoadIncidentPolicy(std::string_view yaml, std::string_view file) {
  RSF_ASSIGN_OR_RETURN(YAML::Node root, rsf::internal::LoadYaml(yaml, file));
  YamlReader r(file);
  IncidentPolicy p;
  try {
    YAML::Node n = root;
    if (root.IsMap() && root["incidents"]) n = root["incidents"];
    else if (root.IsMap() && (root["rsf_policy"] || root["framework"])) return p;  // a policy without the section
    if (!n.IsDefined() || n.IsNull()) return p;
    r.Fields(n, "incidents", {"triage_within", "events", "rules"});
    if (n["triage_within"]) {
      p.triage_within = std::chrono::duration_cast<std::chrono::seconds>(ReadDuration(r, n["triage_within"], "triage_within"));
    }
    if (n["events"]) {
      if (!n["events"].IsSequence()) r.Fail(n["events"], "'events' must be a list");
      for (const auto& e : n["events"]) p.events.push_back(ReadEvent(r, e));
    }
    if (n["rules"]) {
      if (!n["rules"].IsSequence()) r.Fail(n["rules"], "'rules' must be a list");
      std::set<std::string> seen;
      for (const auto& rule : n["rules"]) {
        p.rules.push_back(ReadRule(r, rule, seen));
        seen.insert(p.rules.back().id);
      }
    }
  } catch (const YamlReader::Failure& f) {
    return f.status;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return p;
}

std::vector<std::string> EventsFor(const IncidentPolicy& policy, Kind kind, Severity severity) {
  std::vector<std::string> out;
  for (const auto& e : policy.events) {
    const bool kind_ok = e.kinds.empty() || std::find(e.kinds.begin(), e.kinds.end(), kind) != e.kinds.end();
    const bool sev_ok = e.severities.empty() || std::find(e.severities.begin(), e.severities.end(), severity) != e.severities.end();
    if (kind_ok && sev_ok && std::find(out.begin(), out.end(), e.event) == out.end()) out.push_back(e.event);
  }
  return out;
}

Monitor::Monitor(IncidentPolicy policy, const Clock& clock) : policy_(std::move(policy)), clock_(clock) {
  for (const auto& r : policy_.rules) {
    watched_.insert(r.signal);
    if (!r.per.empty()) watched_.insert(r.per);
  }
}

void Monitor::Sweep(int64_t now) {
  // Forget groups idle for longer than every window and cooldown, so per-key state stays
  // bounded by the keys active recently.
  int64_t longest = 0;
  for (const auto& r : policy_.rules) longest = std::max<int64_t>(longest, std::max(r.within.count(), r.cooldown.count()));
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = (now - it->second.last > longest && now >= it->second.quiet_until) ? windows_.erase(it) : std::next(it);
  }
  next_sweep_ = now + std::max<int64_t>(longest, 1000);
}

std::vector<Detection> Monitor::Observe(const Signal& signal, const std::vector<std::string>& names) {
  std::vector<Detection> fired;
  if (policy_.rules.empty()) return fired;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Steady().time_since_epoch()).count();
  std::lock_guard lock(mu_);
  if (now >= next_sweep_) Sweep(now);
  for (size_t i = 0; i < policy_.rules.size(); ++i) {
    const DetectionRule& rule = policy_.rules[i];
    if (!rule.channel.empty() && rule.channel != signal.channel) continue;
    const bool hit = std::find(names.begin(), names.end(), rule.signal) != names.end();
    const bool total = !rule.per.empty() && std::find(names.begin(), names.end(), rule.per) != names.end();
    if (!hit && !total) continue;
    const std::string_view group = GroupValue(rule.group_by, signal);
    std::string id = std::to_string(i);
    id.push_back('\x1f');
    id += signal.drill;
    id.push_back('\x1f');
    id += group;
    Window& w = windows_[id];
    w.last = now;
    const int64_t from = now - rule.within.count();
    if (hit) w.hits.push_back(now);
    if (total) w.totals.push_back(now);
    while (!w.hits.empty() && w.hits.front() <= from) w.hits.pop_front();
    while (!w.totals.empty() && w.totals.front() <= from) w.totals.pop_front();
    double observed = 0;
    bool fires = false;
    if (rule.per.empty()) {
      while (w.hits.size() > static_cast<size_t>(rule.count)) w.hits.pop_front();
      observed = static_cast<double>(w.hits.size());
      fires = w.hits.size() >= static_cast<size_t>(rule.count);
    } else if (w.totals.size() >= static_cast<size_t>(rule.min_events)) {
      observed = static_cast<double>(w.hits.size()) / static_cast<double>(w.totals.size());
      fires = observed > rule.above;
    }
    if (fires && now >= w.quiet_until) {
      fired.push_back({&rule, std::string(group), signal, observed, static_cast<int>(rule.per.empty() ? w.hits.size() : w.totals.size())});
      w.quiet_until = now + rule.cooldown.count();
      w.hits.clear();
      w.totals.clear();
    }
  }
  return fired;
}

}  // namespace rsf::incident
