// src/gateway/config.cc
#include "rsf/gateway/config.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/yaml_reader.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/store/open.h"

namespace rsf::gateway {
namespace {

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return JoinPath(base_dir, path);
}

GuardMode ReadGuardMode(const rsf::internal::YamlReader& r, const YAML::Node& n) {
  const std::string s = r.String(n, "guard");
  for (GuardMode m : {GuardMode::kStrict, GuardMode::kRelaxed, GuardMode::kLogOnly, GuardMode::kOff}) {
    if (GuardModeName(m) == s) return m;
  }
  r.Fail(n, fmt::format("'guard' must be strict, relaxed, log_only or off, not '{}'", s));
}

TierPolicy ReadTier(const rsf::internal::YamlReader& r, const YAML::Node& n) {
  r.Fields(n, "a tier",
           {"id", "models", "guard", "guard_fail_open", "safe_harbour", "auditor", "max_tokens", "max_n",
            "temperature", "logprobs", "max_top_logprobs", "requests_per_minute", "tokens_per_minute",
            "tier_requests_per_minute", "tier_tokens_per_minute"});
  if (!n["id"]) r.Fail(n, "a tier needs 'id'");
  TierPolicy t;
  t.where = r.Where(n);
  t.id = r.String(n["id"], "id");
  if (t.id.empty()) r.Fail(n["id"], "a tier's 'id' must not be empty");
  if (n["models"]) t.models = r.Strings(n["models"], "models");
  if (n["guard"]) t.guard = ReadGuardMode(r, n["guard"]);
  if (n["guard_fail_open"]) t.guard_fail_open = r.Bool(n["guard_fail_open"], "guard_fail_open");
  if (n["safe_harbour"]) t.safe_harbour = r.Bool(n["safe_harbour"], "safe_harbour");
  if (n["auditor"]) t.auditor = r.Bool(n["auditor"], "auditor");
  if (n["max_tokens"]) t.max_tokens = static_cast<int>(r.Int(n["max_tokens"], "max_tokens", 1, 1 << 20));
  if (n["max_n"]) t.max_n = static_cast<int>(r.Int(n["max_n"], "max_n", 1, 128));
  if (const YAML::Node temp = n["temperature"]) {
    if (!temp.IsSequence() || temp.size() != 2) r.Fail(temp, "'temperature' must be [min, max]");
    t.min_temperature = r.Number(temp[0], "temperature", 0, 2);
    t.max_temperature = r.Number(temp[1], "temperature", 0, 2);
    if (t.min_temperature > t.max_temperature) r.Fail(temp, "'temperature': min is above max");
  }
  if (n["logprobs"]) t.allow_logprobs = r.Bool(n["logprobs"], "logprobs");
  if (n["max_top_logprobs"]) t.max_top_logprobs = static_cast<int>(r.Int(n["max_top_logprobs"], "max_top_logprobs", 0, 20));
  if (n["requests_per_minute"]) t.requests_per_minute = r.Int(n["requests_per_minute"], "requests_per_minute", 0, INT64_MAX);
  if (n["tokens_per_minute"]) t.tokens_per_minute = r.Int(n["tokens_per_minute"], "tokens_per_minute", 0, INT64_MAX);
  if (n["tier_requests_per_minute"]) t.tier_requests_per_minute = r.Int(n["tier_requests_per_minute"], "tier_requests_per_minute", 0, INT64_MAX);
  if (n["tier_tokens_per_minute"]) t.tier_tokens_per_minute = r.Int(n["tier_tokens_per_minute"], "tier_tokens_per_minute", 0, INT64_MAX);
  if (t.guard == GuardMode::kRelaxed && !t.safe_harbour && !t.auditor) {
    r.Fail(n["guard"], fmt::format("tier '{}': guard 'relaxed' is for safe-harbour or auditor tiers", t.id));
  }
  return t;
}

int Millis(const rsf::internal::YamlReader& r, const YAML::Node& n, std::string_view field) {
  return static_cast<int>(r.Int(n, field, 1, 3600 * 1000));
}

void ReadUpstreamSettings(const rsf::internal::YamlReader& r, const YAML::Node& n, UpstreamSettings& s) {
  if (const YAML::Node t = n["timeouts"]) {
    r.Fields(t, "'timeouts'", {"connect_ms", "first_byte_ms", "idle_ms", "attempts"});
    if (t["connect_ms"]) s.connect_timeout_ms = Millis(r, t["connect_ms"], "connect_ms");
    if (t["first_byte_ms"]) s.first_byte_timeout_ms = Millis(r, t["first_byte_ms"], "first_byte_ms");
    if (t["idle_ms"]) s.idle_timeout_ms = Millis(r, t["idle_ms"], "idle_ms");
    if (t["attempts"]) s.max_attempts = static_cast<int>(r.Int(t["attempts"], "attempts", 1, 10));
  }
  if (const YAML::Node c = n["circuit_breaker"]) {
    r.Fields(c, "'circuit_breaker'", {"failures", "open_ms"});
    if (c["failures"]) s.failures_to_open = static_cast<int>(r.Int(c["failures"], "failures", 1, 1000));
    if (c["open_ms"]) s.open_ms = Millis(r, c["open_ms"], "open_ms");
  }
  if (const YAML::Node h = n["health_check"]) {
    r.Fields(h, "'health_check'", {"path", "interval_ms", "timeout_ms", "unhealthy_after", "healthy_after"});
    if (!h["path"]) r.Fail(h, "'health_check' needs 'path' (e.g. /health)");
    s.health_path = r.String(h["path"], "path");
    if (s.health_path.empty() || s.health_path[0] != '/') r.Fail(h["path"], "'path' must start with /");
    if (h["interval_ms"]) s.health_interval_ms = static_cast<int>(r.Int(h["interval_ms"], "interval_ms", 10, 3600 * 1000));
    if (h["timeout_ms"]) s.health_timeout_ms = Millis(r, h["timeout_ms"], "timeout_ms");
    if (h["unhealthy_after"]) s.unhealthy_after = static_cast<int>(r.Int(h["unhealthy_after"], "unhealthy_after", 1, 100));
    if (h["healthy_after"]) s.healthy_after = static_cast<int>(r.Int(h["healthy_after"], "healthy_after", 1, 100));
  }
}

ModelRoute ReadModel(const rsf::internal::YamlReader& r, const YAML::Node& n, std::string_view base_dir) {
  r.Fields(n, "a model", {"name", "version", "backend", "upstreams", "timeouts", "circuit_breaker", "health_check", "decision", "assessment", "safeguards", "watermark"});
  for (const char* f : {"name", "decision"}) {
    if (!n[f]) r.Fail(n, fmt::format("a model needs '{}'", f));
  }
  ModelRoute m;
  m.where = r.Where(n);
  m.name = r.String(n["name"], "name");
  if (m.name.empty() || m.name.find('@') != std::string::npos) r.Fail(n["name"], "a model's 'name' must be non-empty, without '@'");
  if (n["version"]) {
    m.version = r.String(n["version"], "version");
    if (m.version.empty() || m.version.find('@') != std::string::npos) r.Fail(n["version"], "'version' must be non-empty, without '@'");
  }
  m.decision_file = Resolve(base_dir, r.String(n["decision"], "decision"));
  if (n["assessment"]) m.assessment_file = Resolve(base_dir, r.String(n["assessment"], "assessment"));
  if (n["backend"]) m.backend = r.String(n["backend"], "backend");
  if (m.backend != "upstream" && m.backend != "reference") {
    r.Fail(n["backend"], fmt::format("'backend' must be upstream or reference, not '{}'", m.backend));
  }
  if (const YAML::Node ups = n["upstreams"]) {
    if (!ups.IsSequence()) r.Fail(ups, "'upstreams' must be a list");
    for (const auto& u : ups) {
      r.Fields(u, "an upstream", {"url", "weight", "model"});
      if (!u["url"]) r.Fail(u, "an upstream needs 'url'");
      Upstream up;
      up.url = r.String(u["url"], "url");
      if (up.url.rfind("http://", 0) != 0) r.Fail(u["url"], "an upstream 'url' must start with http://");
      while (!up.url.empty() && up.url.back() == '/') up.url.pop_back();
      if (u["weight"]) up.weight = static_cast<int>(r.Int(u["weight"], "weight", 1, 1000));
      if (u["model"]) up.served_name = r.String(u["model"], "model");
      m.upstreams.push_back(up);
    }
  }
  if (m.backend == "upstream" && m.upstreams.empty()) r.Fail(n, fmt::format("model '{}': backend upstream needs 'upstreams'", m.name));
  if (m.backend == "reference" && !m.upstreams.empty()) r.Fail(n["upstreams"], "backend reference takes no 'upstreams'");
  ReadUpstreamSettings(r, n, m.upstream);
  if (m.backend == "reference") {
    for (const char* f : {"timeouts", "circuit_breaker", "health_check"}) {
      if (n[f]) r.Fail(n[f], fmt::format("backend reference takes no '{}'", f));
    }
  }
  if (const YAML::Node w = n["watermark"]) {
    if (w.IsScalar()) {
      m.watermark = r.Bool(w, "watermark");
    } else {
      r.Fields(w, "watermark", {"key"});
      m.watermark = true;
      if (w["key"]) m.watermark_key = r.String(w["key"], "key");
    }
    if (m.watermark && m.backend != "reference") {
      r.Fail(w, fmt::format("model '{}': the watermark is embedded while sampling, which only an in-process backend "
                            "(reference) lets the gateway do", m.name));
    }
  }
  if (const YAML::Node sg = n["safeguards"]) {
    if (!sg.IsMap()) r.Fail(sg, "'safeguards' must map safeguard ids to what provides them (guard or watermark)");
    for (auto it = sg.begin(); it != sg.end(); ++it) {
      const std::string id = r.String(it->first, "safeguards");
      const std::string by = r.String(it->second, id);
      if (by != "guard" && by != "watermark") {
        r.Fail(it->second, fmt::format("safeguard '{}': the gateway provides 'guard' or 'watermark', not '{}'", id, by));
      }
      m.safeguards[id] = by;
    }
  }
  return m;
}

Rollout ReadRollout(const rsf::internal::YamlReader& r, const YAML::Node& n) {
  r.Fields(n, "a rollout", {"model", "stable", "sticky", "channels"});
  for (const char* f : {"model", "stable"}) {
    if (!n[f]) r.Fail(n, fmt::format("a rollout needs '{}'", f));
  }
  Rollout ro;
  ro.where = r.Where(n);
  ro.model = r.String(n["model"], "model");
  ro.stable = r.String(n["stable"], "stable");
  if (n["sticky"]) {
    const std::string by = r.String(n["sticky"], "sticky");
    if (by != "key" && by != "tenant") r.Fail(n["sticky"], "'sticky' must be key or tenant");
    ro.sticky_by_tenant = by == "tenant";
  }
  if (const YAML::Node chs = n["channels"]) {
    if (!chs.IsSequence()) r.Fail(chs, "'channels' must be a list");
    for (const auto& c : chs) {
      r.Fields(c, "a rollout channel", {"name", "version", "percent", "allowlist"});
      for (const char* f : {"name", "version"}) {
        if (!c[f]) r.Fail(c, fmt::format("a rollout channel needs '{}'", f));
      }
      RolloutChannel ch;
      ch.name = r.String(c["name"], "name");
      ch.version = r.String(c["version"], "version");
      if (c["percent"]) ch.basis_points = static_cast<int>(r.Number(c["percent"], "percent", 0, 100) * 100 + 0.5);
      if (c["allowlist"]) ch.allowlist = r.Strings(c["allowlist"], "allowlist");
      for (const auto& a : ch.allowlist) {
        if (a.rfind("key:", 0) != 0 && a.rfind("tenant:", 0) != 0) {
          r.Fail(c["allowlist"], fmt::format("allowlist entry '{}' must be key:<id> or tenant:<name>", a));
        }
      }
      ro.channels.push_back(std::move(ch));
    }
  }
  return ro;
}

}  // namespace

std::string_view GuardModeName(GuardMode m) {
  switch (m) {
    case GuardMode::kStrict: return "strict";
    case GuardMode::kRelaxed: return "relaxed";
    case GuardMode::kLogOnly: return "log_only";
    case GuardMode::kOff: return "off";
  }
  return "strict";
}

const TierPolicy* GatewayConfig::FindTier(std::string_view id) const {
  for (const auto& t : tiers) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const Rollout* GatewayConfig::FindRollout(std::string_view model) const {
  for (const auto& r : rollouts) {
    if (r.model == model) return &r;
  }
  return nullptr;
}

Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml, std::string_view source, std::string_view base_dir) {
  rsf::internal::YamlReader r(source);
  GatewayConfig c;
  c.source = std::string(source);
  c.sha256 = Sha256Hex(yaml);
  try {
    RSF_ASSIGN_OR_RETURN(YAML::Node root, rsf::internal::LoadYaml(yaml, source));
    r.Fields(root, "the gateway configuration",
             {"listen", "store", "ledger", "policy", "guard", "watermark", "limits", "audit", "flaw_reports", "incidents", "console", "replicas", "models", "tiers", "rollout"});
    if (!root["policy"]) r.Fail(root, "the gateway configuration needs 'policy' (the policy its decisions are signed under)");
    if (root["listen"]) c.listen = r.String(root["listen"], "listen");
    if (c.listen.rfind(':') == std::string::npos) r.Fail(root["listen"], "'listen' must be host:port");
    if (root["store"]) c.store = r.String(root["store"], "store");
    if (store::IsPostgresUri(c.store)) {
      const size_t start = c.store.find("://") + 3;
      const std::string authority = c.store.substr(start, c.store.find_first_of("/?", start) - start);
      const size_t at = authority.rfind('@');
      if (c.store.find("password=") != std::string::npos ||
          (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos)) {
        r.Fail(root["store"], "'store' must not hold a password: give it through PGPASSWORD or ~/.pgpass");
      }
    } else {
      c.store = Resolve(base_dir, c.store);
    }
    if (root["ledger"]) c.ledger_dir = Resolve(base_dir, r.String(root["ledger"], "ledger"));
    if (const YAML::Node rep = root["replicas"]) {
      r.Fields(rep, "replicas", {"reload_s", "shared_ledger", "ledger_wait_ms"});
      if (rep["reload_s"]) c.replicas.reload_s = static_cast<int>(r.Int(rep["reload_s"], "reload_s", 1, 3600));
      if (rep["shared_ledger"]) c.replicas.shared_ledger = r.Bool(rep["shared_ledger"], "shared_ledger");
      if (rep["ledger_wait_ms"]) {
        c.replicas.ledger_wait_ms = static_cast<int>(r.Int(rep["ledger_wait_ms"], "ledger_wait_ms", 100, 600000));
      }
    }
    if (const YAML::Node a = root["audit"]) {
      r.Fields(a, "audit", {"flush_ms", "fail_closed"});
      if (a["flush_ms"]) c.audit_flush_ms = static_cast<int>(r.Int(a["flush_ms"], "flush_ms", 1, 60000));
      if (a["fail_closed"]) c.audit_fail_closed = r.Bool(a["fail_closed"], "fail_closed");
    }
    if (const YAML::Node f = root["flaw_reports"]) {
      r.Fields(f, "flaw_reports", {"enabled", "anonymous", "per_minute", "max_bytes"});
      if (f["enabled"]) c.flaw_reports.enabled = r.Bool(f["enabled"], "enabled");
      if (f["anonymous"]) c.flaw_reports.anonymous = r.Bool(f["anonymous"], "anonymous");
      if (f["per_minute"]) c.flaw_reports.per_minute = static_cast<int>(r.Int(f["per_minute"], "per_minute", 1, 100000));
      if (f["max_bytes"]) c.flaw_reports.max_bytes = static_cast<size_t>(r.Int(f["max_bytes"], "max_bytes", 1024, 1 << 20));
    }
    if (const YAML::Node inc = root["incidents"]) {
      r.Fields(inc, "incidents", {"runbooks", "drill_mode"});
      if (inc["runbooks"]) {
        for (const auto& p : r.Strings(inc["runbooks"], "runbooks")) c.incidents.runbooks.push_back(Resolve(base_dir, p));
      }
      if (inc["drill_mode"]) c.incidents.drill_mode = r.Bool(inc["drill_mode"], "drill_mode");
    }
    if (const YAML::Node con = root["console"]) {
      r.Fields(con, "console", {"enabled"});
      if (con["enabled"]) c.console_enabled = r.Bool(con["enabled"], "enabled");
    }
    c.policy_file = Resolve(base_dir, r.String(root["policy"], "policy"));
    if (root["guard"]) {
      const std::string g = r.String(root["guard"], "guard");
      c.guard_config = g == "builtin" ? "" : Resolve(base_dir, g);
    }
    if (const YAML::Node w = root["watermark"]) {
      r.Fields(w, "watermark", {"keys"});
      if (!w["keys"]) r.Fail(w, "'watermark' needs 'keys' (a keyring made by rsf watermark keygen)");
      c.watermark_keys = Resolve(base_dir, r.String(w["keys"], "keys"));
    }
    if (const YAML::Node l = root["limits"]) {
      r.Fields(l, "limits", {"max_body_bytes", "header_timeout_ms", "request_timeout_ms", "failed_auth_per_minute", "drain_timeout_ms"});
      if (l["drain_timeout_ms"]) c.drain_timeout_ms = static_cast<int>(r.Int(l["drain_timeout_ms"], "drain_timeout_ms", 0, 600000));
      if (l["max_body_bytes"]) c.max_body_bytes = static_cast<size_t>(r.Int(l["max_body_bytes"], "max_body_bytes", 1024, 1 << 30));
      if (l["header_timeout_ms"]) c.header_timeout_ms = static_cast<int>(r.Int(l["header_timeout_ms"], "header_timeout_ms", 10, 600000));
      if (l["request_timeout_ms"]) c.request_timeout_ms = static_cast<int>(r.Int(l["request_timeout_ms"], "request_timeout_ms", 10, 3600000));
      if (l["failed_auth_per_minute"]) c.failed_auth_per_minute = static_cast<int>(r.Int(l["failed_auth_per_minute"], "failed_auth_per_minute", 1, 1000000));
    }
    if (!root["models"] || !root["models"].IsSequence() || root["models"].size() == 0) {
      r.Fail(root["models"] ? root["models"] : root, "'models' must be a non-empty list");
    }
    std::set<std::string> names, ids;
    std::map<std::string, int> versions;
    for (const auto& m : root["models"]) {
      c.models.push_back(ReadModel(r, m, base_dir));
      const ModelRoute& route = c.models.back();
      if (!ids.insert(route.id()).second) r.Fail(m, fmt::format("model '{}' is defined twice", route.id()));
      names.insert(route.name);
      ++versions[route.name];
    }
    if (const YAML::Node ros = root["rollout"]) {
      if (!ros.IsSequence()) r.Fail(ros, "'rollout' must be a list");
      for (const auto& ro : ros) {
        c.rollouts.push_back(ReadRollout(r, ro));
        const Rollout& rollout = c.rollouts.back();
        if (!names.contains(rollout.model)) r.Fail(ro["model"], fmt::format("rollout of '{}': no such model", rollout.model));
        for (size_t i = 0; i + 1 < c.rollouts.size(); ++i) {
          if (c.rollouts[i].model == rollout.model) r.Fail(ro, fmt::format("model '{}' has two rollouts", rollout.model));
        }
        int total = 0;
        for (const auto& ch : rollout.channels) total += ch.basis_points;
        if (total > 10000) r.Fail(ro["channels"], "the channels' percents add up to more than 100");
        for (const auto& v : std::vector<std::string>{rollout.stable}) {
          if (!ids.contains(rollout.model + "@" + v)) r.Fail(ro["stable"], fmt::format("rollout of '{}': version '{}' is not defined", rollout.model, v));
        }
        for (size_t i = 0; i < rollout.channels.size(); ++i) {
          if (!ids.contains(rollout.model + "@" + rollout.channels[i].version)) {
            r.Fail(ro["channels"][i], fmt::format("rollout of '{}': version '{}' is not defined", rollout.model, rollout.channels[i].version));
          }
        }
      }
    }
    for (const auto& [name, count] : versions) {
      if (count > 1 && !c.FindRollout(name)) {
        r.Fail(root["models"], fmt::format("model '{}' has {} versions: add a 'rollout' naming its stable version", name, count));
      }
      if (count == 1 && ids.contains(name) && c.FindRollout(name)) {
        r.Fail(root["rollout"], fmt::format("model '{}' has no versions to roll out", name));
      }
    }
    if (!root["tiers"] || !root["tiers"].IsSequence() || root["tiers"].size() == 0) {
      r.Fail(root["tiers"] ? root["tiers"] : root, "'tiers' must be a non-empty list");
    }
    std::set<std::string> tier_ids;
    for (const auto& t : root["tiers"]) {
      c.tiers.push_back(ReadTier(r, t));
      const TierPolicy& tier = c.tiers.back();
      if (!tier_ids.insert(tier.id).second) r.Fail(t, fmt::format("tier '{}' is defined twice", tier.id));
      for (const auto& m : tier.models) {
        if (m != "*" && !names.contains(m) && !ids.contains(m)) r.Fail(t["models"], fmt::format("tier '{}' names model '{}', which is not defined", tier.id, m));
      }
    }
  } catch (const rsf::internal::YamlReader::Failure& f) {
    return f.status;
  }
  return c;
}

Result<GatewayConfig> LoadGatewayConfig(Env& env, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(path));
  return ParseGatewayConfig(text, path, Dirname(path));
}

const ServedModel* CompiledGateway::FindModel(std::string_view id) const {
  for (const auto& m : models) {
    if (m.route.id() == id) return &m;
  }
  return nullptr;
}

bool DecisionAllowsTier(const ServedModel& model, std::string_view tier) {
  return std::any_of(model.tiers.begin(), model.tiers.end(), [&](const std::string& t) { return t == "*" || t == tier; });
}

Status CheckTierAgainstDecisions(const CompiledGateway& g, const TierPolicy& tier) {
  for (const ServedModel& m : g.models) {
    const ModelRoute& route = m.route;
    const std::string who = fmt::format("{}: model '{}'", route.where, route.id());
    const bool explicit_grant = std::any_of(tier.models.begin(), tier.models.end(),
                                            [&](const std::string& x) { return x == route.name || x == route.id(); });
    if (!explicit_grant && std::find(tier.models.begin(), tier.models.end(), "*") == tier.models.end()) continue;
    if (!DecisionAllowsTier(m, tier.id)) {
      if (!explicit_grant) continue;  // "*" means every model the decisions allow this tier
      // Naming the model without a version grants the versions the decisions allow.
      if (std::find(tier.models.begin(), tier.models.end(), route.id()) == tier.models.end() && !route.version.empty()) continue;
      std::string allowed;
      for (const auto& t : m.tiers) allowed += (allowed.empty() ? "" : ", ") + t;
      return FailedPreconditionError(fmt::format(
          "{}: tier '{}' is granted the model but its decision ({}) allows only: {}", who, tier.id,
          m.decision.outcome, allowed.empty() ? "no tier" : allowed));
    }
    for (const auto& sg : m.required_safeguards) {
      auto it = route.safeguards.find(sg);
      if (it == route.safeguards.end() || it->second != "guard") continue;  // elsewhere (evidence, watermark)
      const bool off = tier.guard == GuardMode::kOff || (tier.guard == GuardMode::kLogOnly && !tier.safe_harbour);
      if (off) {
        return FailedPreconditionError(fmt::format(
            "{}: tier '{}' runs the guard '{}', but the decision's level {} requires safeguard '{}', which the guard provides",
            who, tier.id, GuardModeName(tier.guard), m.decision.level, sg));
      }
    }
  }
  return OkStatus();
}

Status CheckRollout(const CompiledGateway& g, const Rollout& rollout) {
  auto known = [&](const std::string& v) { return g.FindModel(rollout.model + "@" + v) != nullptr; };
  if (!known(rollout.stable)) return InvalidArgumentError(fmt::format("rollout of '{}': stable version '{}' is not served", rollout.model, rollout.stable));
  int total = 0;
  for (const auto& ch : rollout.channels) {
    if (!known(ch.version)) return InvalidArgumentError(fmt::format("rollout of '{}': channel '{}' names version '{}', which is not served", rollout.model, ch.name, ch.version));
    if (ch.basis_points < 0 || ch.basis_points > 10000) return InvalidArgumentError(fmt::format("rollout of '{}': channel '{}': percent must be in [0, 100]", rollout.model, ch.name));
    for (const auto& a : ch.allowlist) {
      if (a.rfind("key:", 0) != 0 && a.rfind("tenant:", 0) != 0) return InvalidArgumentError(fmt::format("rollout of '{}': allowlist entry '{}' must be key:<id> or tenant:<name>", rollout.model, a));
    }
    total += ch.basis_points;
  }
  if (total > 10000) return InvalidArgumentError(fmt::format("rollout of '{}': the channels' percents add up to more than 100", rollout.model));
  return OkStatus();
}

namespace {

// Reads the assessment a model's decision was signed over; its SHA-256 must be the one the
// signed statement names ("assessment sha256:<hex>"), so the console shows what was decided.
Status LoadAssessment(Env& env, const policy::DecisionFile& file, const std::string& who, const std::string& path,
                      ServedModel& m) {
  RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(path));
  const std::string digest = Sha256Hex(text);
  const std::string_view note = file.note;
  const std::string_view tag = "\nassessment sha256:";
  const size_t at = note.find(tag);
  const std::string named = at == std::string_view::npos ? "" : std::string(note.substr(at + tag.size(), 64));
  if (named != digest) {
    return FailedPreconditionError(fmt::format("{}: assessment {} has SHA-256 {}, but the signed decision names {}", who, path,
                                               digest, named.empty() ? "none" : named));
  }
  RSF_ASSIGN_OR_RETURN(Json json, ParseJson(text, path));
  if (!json.is_object()) return InvalidArgumentError(fmt::format("{}: expected an assessment object (rsf assess --json)", path));
  m.assessment = std::make_shared<const Json>(std::move(json));
  return OkStatus();
}

}  // namespace

Result<CompiledGateway> CompileGateway(Env& env, GatewayConfig config) {
  CompiledGateway g;
  RSF_ASSIGN_OR_RETURN(g.policy, policy::LoadPolicyFile(env, config.policy_file));
  {
    RSF_ASSIGN_OR_RETURN(std::string policy_text, env.ReadFile(config.policy_file));
    RSF_ASSIGN_OR_RETURN(g.incident_policy, incident::LoadIncidentPolicy(policy_text, config.policy_file));
    RSF_ASSIGN_OR_RETURN(g.runbooks, incident::LoadRunbooks(env, config.incidents.runbooks));
  }
  for (const ModelRoute& route : config.models) {
    ServedModel m;
    m.route = route;
    RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(route.decision_file));
    RSF_ASSIGN_OR_RETURN(Json json, ParseJson(text, route.decision_file));
    RSF_ASSIGN_OR_RETURN(policy::DecisionFile file, policy::ParseDecisionFile(json, route.decision_file));
    RSF_ASSIGN_OR_RETURN(m.decision, policy::CheckDecision(g.policy, file));
    const std::string who = fmt::format("{}: model '{}'", route.where, route.id());
    if (!m.decision.final) {
      std::string why;
      for (const auto& r : m.decision.missing_roles) why += (why.empty() ? "" : "; ") + ("missing signer " + r);
      for (const auto& p : m.decision.problems) why += (why.empty() ? "" : "; ") + p;
      if (why.empty()) why = fmt::format("{} of {} distinct roles signed", m.decision.distinct_roles, m.decision.min_signers);
      return FailedPreconditionError(fmt::format("{}: decision {} is not final ({})", who, route.decision_file, why));
    }
    const auto outcome = policy::ParseOutcome(m.decision.outcome);
    if (!outcome) return FailedPreconditionError(fmt::format("{}: decision outcome '{}' is unknown", who, m.decision.outcome));
    if (*outcome == policy::Outcome::kDeploy) {
      m.tiers = {"*"};
    } else {
      m.tiers = m.decision.tiers;
    }
    if (const policy::Level* level = g.policy.FindLevel(m.decision.level)) m.required_safeguards = level->deployment_standard;
    if (!route.assessment_file.empty()) RSF_RETURN_IF_ERROR(LoadAssessment(env, file, who, route.assessment_file, m));
    if (route.watermark) {
      if (config.watermark_keys.empty()) {
        return InvalidArgumentError(fmt::format("{}: enables the watermark, but the configuration names no "
                                                "'watermark: {{keys: FILE}}'", who));
      }
      if (!g.watermark_keys) {
        RSF_ASSIGN_OR_RETURN(watermark::Keyring ring, watermark::LoadKeyring(env, config.watermark_keys));
        g.watermark_keys = std::make_shared<const watermark::Keyring>(std::move(ring));
      }
      const watermark::KeyEntry* key = route.watermark_key.empty() ? g.watermark_keys->Active()
                                                                   : g.watermark_keys->Find(route.watermark_key);
      if (!key) {
        return FailedPreconditionError(fmt::format("{}: watermark key '{}' is not in {}", who, route.watermark_key,
                                                   config.watermark_keys));
      }
      m.watermark = *key;
    }
    for (const auto& sg : m.required_safeguards) {
      auto it = route.safeguards.find(sg);
      if (it != route.safeguards.end() && it->second == "watermark" && !route.watermark) {
        return FailedPreconditionError(fmt::format(
            "{}: the decision's level {} requires safeguard '{}', which the watermark provides, but the model does not "
            "enable the watermark",
            who, m.decision.level, sg));
      }
    }
    for (const auto& [sg, by] : route.safeguards) {
      if (!g.policy.FindSafeguard(sg)) {
        return InvalidArgumentError(fmt::format("{}: safeguard '{}' is not defined in the policy {}", who, sg, config.policy_file));
      }
    }
    g.models.push_back(std::move(m));
  }
  g.config = std::move(config);
  for (const TierPolicy& tier : g.config.tiers) RSF_RETURN_IF_ERROR(CheckTierAgainstDecisions(g, tier));
  for (const Rollout& r : g.config.rollouts) RSF_RETURN_IF_ERROR(CheckRollout(g, r));
  return g;
}

}  // namespace rsf::gateway
