// Runbooks (include/rsf/incident/runbook.h).
#include "rsf/incident/runbook.h"

#include <algorithm>
#include <map>
#include <set>

#include "incident/yaml_fields.h"
#include "rsf/policy/policy.h"

namespace rsf::incident {
namespace {

using rsf::internal::YamlReader;

const std::map<std::string, ActionKind, std::less<>>& Actions() {
  static const auto* m = new std::map<std::string, ActionKind, std::less<>>{
      {"revoke_key", ActionKind::kRevokeKey}, {"restrict_tier", ActionKind::kRestrictTier}, {"halt_model", ActionKind::kHaltModel},
      {"rollback", ActionKind::kRollback}, {"notify", ActionKind::kNotify}};
  return *m;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

RunbookStep ReadStep(const YamlReader& r, const YAML::Node& n, std::set<std::string>& ids) {
  r.Fields(n, "a runbook step", {"id", "action", "target", "webhook", "approval"});
  RunbookStep s;
  s.where = r.Where(n);
  if (!n["id"]) r.Fail(n, "a step needs an 'id'");
  s.id = r.String(n["id"], "id");
  if (!ids.insert(s.id).second) r.Fail(n["id"], fmt::format("duplicate step id '{}'", s.id));
  if (!n["action"]) r.Fail(n, fmt::format("step '{}' needs an 'action' (revoke_key, restrict_tier, halt_model, rollback, notify)", s.id));
  const std::string a = r.String(n["action"], "action");
  auto it = Actions().find(a);
  if (it == Actions().end()) r.Fail(n["action"], fmt::format("unknown action '{}' (revoke_key, restrict_tier, halt_model, rollback, notify)", a));
  s.action = it->second;
  if (IsContainment(s.action)) {
    if (!n["target"]) r.Fail(n, fmt::format("step '{}' ({}) needs a 'target' such as \"{{key}}\", \"{{tier}}\" or \"{{model}}\"", s.id, a));
    s.target = r.String(n["target"], "target");
    if (s.target.empty()) r.Fail(n["target"], "'target' must not be empty");
    if (s.target.front() == '{' && s.target != "{key}" && s.target != "{tier}" && s.target != "{model}" && s.target != "{channel}") {
      r.Fail(n["target"], fmt::format("'target' {} is not one of {{key}}, {{tier}}, {{model}}, {{channel}}", s.target));
    }
    if (n["webhook"]) r.Fail(n["webhook"], fmt::format("step '{}': 'webhook' belongs to notify steps", s.id));
  } else {
    if (!n["webhook"]) r.Fail(n, fmt::format("step '{}' (notify) needs a 'webhook' URL", s.id));
    s.webhook = r.String(n["webhook"], "webhook");
    if (s.webhook.rfind("http://", 0) != 0 && s.webhook.rfind("https://", 0) != 0) {
      r.Fail(n["webhook"], "'webhook' must be an http:// or https:// URL");
    }
    if (n["target"]) r.Fail(n["target"], fmt::format("step '{}': notify steps take 'webhook', not 'target'", s.id));
  }
  if (n["approval"]) s.approval = r.Bool(n["approval"], "approval");
  return s;
}

}  // namespace

std::string_view ActionName(ActionKind a) {
  for (const auto& [name, kind] : Actions()) {
    if (kind == a) return name;
  }
  return "unknown";
}

Result<Runbook> ParseRunbook(std::string_view yaml, std::string_view file) {
  RSF_ASSIGN_OR_RETURN(YAML::Node n, rsf::internal::LoadYaml(yaml, file));
  YamlReader r(file);
  Runbook b;
  b.file = std::string(file);
  try {
    r.Fields(n, "a runbook", {"runbook", "match", "commander", "escalate", "steps", "retries", "retry_delay"});
    if (!n["runbook"]) r.Fail(n, "a runbook needs 'runbook: <id>'");
    b.id = r.String(n["runbook"], "runbook");
    if (n["match"]) {
      const YAML::Node& m = n["match"];
      r.Fields(m, "match", {"kinds", "min_severity"});
      if (m["kinds"]) {
        for (const auto& k : r.Strings(m["kinds"], "kinds")) {
          auto kind = ParseKind(k);
          if (!kind) r.Fail(m["kinds"], fmt::format("unknown kind '{}' (kinds: {})", k, KindList()));
          b.kinds.push_back(*kind);
        }
      }
      if (m["min_severity"]) b.min_severity = internal::ReadSeverity(r, m["min_severity"], "min_severity");
    }
    if (n["commander"]) b.commander = r.String(n["commander"], "commander");
    if (n["escalate"]) {
      r.Fields(n["escalate"], "escalate", {"webhook"});
      if (n["escalate"]["webhook"]) b.escalate_webhook = r.String(n["escalate"]["webhook"], "webhook");
    }
    if (n["retries"]) b.retries = static_cast<int>(r.Int(n["retries"], "retries", 0, 20));
    if (n["retry_delay"]) {
      const std::string text = r.String(n["retry_delay"], "retry_delay");
      int64_t ms = -1;
      if (EndsWith(text, "ms")) {
        try {
          ms = std::stoll(text.substr(0, text.size() - 2));
        } catch (const std::exception&) {
        }
      } else if (auto d = policy::ParseDuration(text); d.ok()) {
        ms = *d * 1000;
      }
      if (ms < 0 || ms > 3600000) r.Fail(n["retry_delay"], "'retry_delay' must be a duration such as 500ms or 2s (at most 1h)");
      b.retry_delay = std::chrono::milliseconds(ms);
    }
    if (!n["steps"] || !n["steps"].IsSequence() || n["steps"].size() == 0) r.Fail(n, "a runbook needs a non-empty list of 'steps'");
    std::set<std::string> ids;
    for (const auto& s : n["steps"]) b.steps.push_back(ReadStep(r, s, ids));
  } catch (const YamlReader::Failure& f) {
    return f.status;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return b;
}

Result<std::vector<Runbook>> LoadRunbooks(Env& env, const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (EndsWith(p, ".yaml") || EndsWith(p, ".yml")) {
      files.push_back(p);
      continue;
    }
    auto names = env.ListDir(p);
    if (!names.ok()) return InvalidArgumentError(fmt::format("runbooks: {} is neither a .yaml file nor a readable directory: {}", p, names.status().message()));
    std::sort(names->begin(), names->end());
    for (const auto& n : *names) {
      if (EndsWith(n, ".yaml") || EndsWith(n, ".yml")) files.push_back(JoinPath(p, n));
    }
  }
  std::vector<Runbook> out;
  std::map<std::string, std::string> seen;
  for (const auto& f : files) {
    RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(f));
    RSF_ASSIGN_OR_RETURN(Runbook b, ParseRunbook(text, f));
    if (auto [it, fresh] = seen.emplace(b.id, f); !fresh) {
      return InvalidArgumentError(fmt::format("{}: runbook '{}' is also defined in {}", f, b.id, it->second));
    }
    out.push_back(std::move(b));
  }
  return out;
}

const Runbook* SelectRunbook(const std::vector<Runbook>& runbooks, Kind kind, Severity severity) {
  const Runbook* best = nullptr;
  for (const auto& b : runbooks) {
    if (!b.kinds.empty() && std::find(b.kinds.begin(), b.kinds.end(), kind) == b.kinds.end()) continue;
    if (severity < b.min_severity) continue;
    // More specific wins: one that names kinds over one for every kind, then the higher bar.
    if (!best || std::pair(!b.kinds.empty(), b.min_severity) > std::pair(!best->kinds.empty(), best->min_severity)) best = &b;
  }
  return best;
}

Result<std::string> ResolveTarget(const RunbookStep& step, const Incident& incident) {
  const std::string& t = step.target;
  if (t.empty() || t.front() != '{') return t;
  const std::string field = t.substr(1, t.size() - 2);
  if (auto it = incident.context.find(field); it != incident.context.end() && !it->second.empty()) return it->second;
  if (field == "model" && !incident.models.empty()) return incident.models.front();
  if (field == "tier" && !incident.tiers.empty()) return incident.tiers.front();
  return NotFoundError(fmt::format("step '{}': the incident does not name a {} to act on", step.id, field));
}

}  // namespace rsf::incident
