// Loading a policy from YAML: syntax, types, enums, ids and references, with every error
// placed at its file, line and column.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "rsf/common/clock.h"
#include "rsf/ledger/note.h"
#include "rsf/policy/policy.h"

namespace rsf::policy {

std::string Location::ToString() const {
  return fmt::format("{}{}:{}", file.empty() ? "" : file + ":", line, column);
}

std::string_view StandardName(Standard s) {
  return s == Standard::kDeployment ? "deployment" : "security";
}
std::string_view SemanticsName(Semantics s) { return s == Semantics::kRuleIn ? "rule_in" : "rule_out"; }
std::string_view OnMissingName(OnMissing m) {
  switch (m) {
    case OnMissing::kFailClosed: return "fail_closed";
    case OnMissing::kAlert: return "alert";
    case OnMissing::kIgnore: return "ignore";
  }
  return "?";
}
std::string_view TriggerKindName(TriggerKind k) {
  switch (k) {
    case TriggerKind::kEffectiveComputeMultiple: return "effective_compute_multiple";
    case TriggerKind::kElapsedDays: return "elapsed_days";
    case TriggerKind::kPostTrainingChange: return "post_training_change";
    case TriggerKind::kNewDeploymentSurface: return "new_deployment_surface";
    case TriggerKind::kInternalDeployment: return "internal_deployment";
  }
  return "?";
}
std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDeploy: return "deploy";
    case Outcome::kDeployRestricted: return "deploy_restricted";
    case Outcome::kHoldDeployment: return "hold_deployment";
    case Outcome::kPauseDevelopment: return "pause_development";
  }
  return "?";
}
std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : {Outcome::kDeploy, Outcome::kDeployRestricted, Outcome::kHoldDeployment,
                    Outcome::kPauseDevelopment}) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

template <typename T>
static const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const auto& x : items) {
    if (x.id == id) return &x;
  }
  return nullptr;
}
const Domain* Policy::FindDomain(std::string_view id) const { return FindById(domains, id); }
const Level* Policy::FindLevel(std::string_view id) const { return FindById(levels, id); }
const Safeguard* Policy::FindSafeguard(std::string_view id) const { return FindById(safeguards, id); }
const Threshold* Policy::FindThreshold(std::string_view id) const { return FindById(thresholds, id); }

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.size() < 2) return InvalidArgumentError("'" + std::string(text) + "' is not a duration like 15d, 72h or 30m");
  int64_t n = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() - 1 || n <= 0) {
    return InvalidArgumentError("'" + std::string(text) + "' is not a duration like 15d, 72h or 30m");
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: return InvalidArgumentError("'" + std::string(text) + "': the unit must be d, h, m or s");
  }
  // At most 100 years, so that callers may count in milliseconds without overflow.
  constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 86400;
  if (n > kMaxSeconds / unit) return InvalidArgumentError("'" + std::string(text) + "' is longer than 100 years");
  return n * unit;
}

namespace {

constexpr size_t kMaxErrors = 50;

class Loader {
 public:
  Loader(std::string_view yaml, std::string_view file) : yaml_(yaml), file_(file) {}

  Result<Policy> Run() {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml_));
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file_, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    policy_.file = file_;
    if (!root.IsMap()) return InvalidArgumentError(file_ + ":1:1: a policy must be a YAML mapping");
    // 'guard' configures the misuse monitor; the guard module reads and checks it
    // (guard/config.h), so the policy that requires the safeguard also configures it;
    // 'incidents' (detection rules, reportable events) likewise belongs to incident/rules.h.
    CheckKeys(root, {"rsf_policy", "framework", "domains", "levels", "safeguards", "thresholds",
                     "triggers", "decision", "halt_conditions", "obligations", "guard", "incidents"});
    if (!root["rsf_policy"] || !root["rsf_policy"].IsScalar() || root["rsf_policy"].Scalar() != "1") {
      Error(root, "expected 'rsf_policy: 1' (the policy language version)");
    }
    try {
      LoadFramework(Required(root, "framework", "the framework's metadata"));
      EachItem(Required(root, "domains", "a list of risk domains"), "domains", [&](const YAML::Node& n) { LoadDomain(n); });
      EachItem(Required(root, "safeguards", "a list of safeguards"), "safeguards", [&](const YAML::Node& n) { LoadSafeguard(n); });
      EachItem(Required(root, "levels", "the ordered ladder of safety levels"), "levels", [&](const YAML::Node& n) { LoadLevel(n); });
      EachItem(Required(root, "thresholds", "a list of capability thresholds"), "thresholds", [&](const YAML::Node& n) { LoadThreshold(n); });
      if (root["triggers"]) EachItem(root["triggers"], "triggers", [&](const YAML::Node& n) { LoadTrigger(n); });
      LoadDecision(Required(root, "decision", "decision rights and outcomes"));
      if (root["halt_conditions"]) EachItem(root["halt_conditions"], "halt_conditions", [&](const YAML::Node& n) { LoadHalt(n); });
      if (root["obligations"]) EachItem(root["obligations"], "obligations", [&](const YAML::Node& n) { LoadObligation(n); });
      CheckReferences();
    } catch (const YAML::Exception& e) {
      Error(e.mark, e.msg);
    }
    if (!errors_.empty()) {
      std::string all;
      for (size_t i = 0; i < errors_.size() && i < kMaxErrors; ++i) all += (i ? "\n" : "") + errors_[i];
      if (errors_.size() > kMaxErrors) all += fmt::format("\n... and {} more", errors_.size() - kMaxErrors);
      return InvalidArgumentError(all);
    }
    return std::move(policy_);
  }

 private:
  // ---- errors and locations ----
  Location Loc(const YAML::Mark& m) const { return Location{file_, m.line + 1, m.column + 1}; }
  Location Loc(const YAML::Node& n) const { return Loc(n.Mark()); }
  void Error(const YAML::Mark& m, const std::string& what) {
    errors_.push_back(fmt::format("{}: {}", Loc(m).ToString(), what));
  }
  void Error(const YAML::Node& n, const std::string& what) { Error(n.Mark(), what); }
  void Error(const Location& l, const std::string& what) { errors_.push_back(fmt::format("{}: {}", l.ToString(), what)); }

  // ---- typed access ----
  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      bool known = false;
      for (auto a : allowed) known |= a == key;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        Error(it->first, fmt::format("unknown field '{}' (expected one of: {})", key, list));
      }
      if (!seen.insert(key).second) Error(it->first, "field '" + key + "' appears twice");
    }
  }

  YAML::Node Required(const YAML::Node& map, const char* key, const char* what) {
    YAML::Node n = map[key];
    if (!n) Error(map, fmt::format("missing field '{}' ({})", key, what));
    return n;
  }

  std::string Str(const YAML::Node& map, const char* key, bool required, const char* what = "a string") {
    YAML::Node n = map[key];
    if (!n) {
      if (required) Error(map, fmt::format("missing field '{}' ({})", key, what));
      return "";
    }
    if (!n.IsScalar()) {
      Error(n, fmt::format("field '{}': expected {}", key, what));
      return "";
    }
    return n.Scalar();
  }

  std::string Id(const YAML::Node& map) {
    std::string id = Str(map, "id", true, "an identifier");
    if (!id.empty()) {
      bool ok = true;
      for (char c : id) ok &= isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      if (!ok) Error(map["id"], "id '" + id + "' may contain only letters, digits, '_', '-' and '.'");
    }
    return id;
  }

  std::optional<double> Number(const YAML::Node& map, const char* key, bool required) {
    YAML::Node n = map[key];
    if (!n) {
      if (required) Error(map, fmt::format("missing field '{}' (a number)", key));
      return std::nullopt;
    }
    double v = 0;
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n.IsScalar() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      Error(n, fmt::format("field '{}': expected a number", key));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> Bool(const YAML::Node& map, const char* key) {
    YAML::Node n = map[key];
    if (!n) return std::nullopt;
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
    Error(n, fmt::format("field '{}': expected true or false", key));
    return std::nullopt;
  }

  // Like StrList, and records each item's location for reference checks.
  std::vector<std::string> StrListRefs(const YAML::Node& map, const char* key,
                                       std::vector<std::pair<std::string, Location>>* refs) {
    std::vector<std::string> out = StrList(map, key, false);
    YAML::Node n = map[key];
    if (n && n.IsSequence()) {
      for (const auto& item : n) {
        if (item.IsScalar()) refs->emplace_back(item.Scalar(), Loc(item));
      }
    }
    return out;
  }

  std::vector<std::string> StrList(const YAML::Node& map, const char* key, bool required) {
    std::vector<std::string> out;
    YAML::Node n = map[key];
    if (!n) {
      if (required) Error(map, fmt::format("missing field '{}' (a list)", key));
      return out;
    }
    if (!n.IsSequence()) {
      Error(n, fmt::format("field '{}': expected a list", key));
      return out;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        Error(item, fmt::format("field '{}': expected a list of strings", key));
        continue;
      }
      out.push_back(item.Scalar());
    }
    return out;
  }

  template <typename E>
  std::optional<E> Enum(const YAML::Node& map, const char* key, std::initializer_list<std::pair<const char*, E>> values,
                        std::optional<E> fallback) {
    YAML::Node n = map[key];
    std::string list;
    for (const auto& [name, _] : values) list += (list.empty() ? "" : ", ") + std::string(name);
    if (!n) {
      if (!fallback) Error(map, fmt::format("missing field '{}' (one of: {})", key, list));
      return fallback;
    }
    if (n.IsScalar()) {
      for (const auto& [name, value] : values) {
        if (n.Scalar() == name) return value;
      }
    }
    Error(n, fmt::format("field '{}': '{}' is not one of: {}", key, n.IsScalar() ? n.Scalar() : "?", list));
    return fallback;
  }

  std::optional<Expression> Expr(const YAML::Node& map, const char* key, bool required) {
    YAML::Node n = map[key];
    if (!n) {
      if (required) Error(map, fmt::format("missing field '{}' (a condition)", key));
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      Error(n, fmt::format("field '{}': expected a condition as a string", key));
      return std::nullopt;
    }
    SourcePosition where{file_, n.Mark().line + 1, n.Mark().column + 1};
    // Quoted scalars start after their quote; block scalars on the next line.
    size_t pos = static_cast<size_t>(n.Mark().pos);
    if (pos < yaml_.size() && (yaml_[pos] == '"' || yaml_[pos] == '\'')) {
      ++where.column;
    } else if (pos < yaml_.size() && (yaml_[pos] == '|' || yaml_[pos] == '>')) {
      size_t nl = yaml_.find('\n', pos);
      size_t first = nl == std::string_view::npos ? pos : yaml_.find_first_not_of(' ', nl + 1);
      where.line += 1;
      where.column = static_cast<int>(first - nl);
    }
    auto e = Expression::ParseCondition(n.Scalar(), where);
    if (!e.ok()) {
      errors_.push_back(e.status().message());
      return std::nullopt;
    }
    return std::move(*e);
  }

  void EachItem(const YAML::Node& seq, const char* what, const std::function<void(const YAML::Node&)>& fn) {
    if (!seq) return;
    if (!seq.IsSequence()) {
      Error(seq, fmt::format("'{}' must be a list", what));
      return;
    }
    for (const auto& item : seq) {
      if (!item.IsMap()) {
        Error(item, fmt::format("each entry of '{}' must be a mapping", what));
        continue;
      }
      fn(item);
    }
  }

  void Unique(const std::string& id, const YAML::Node& n, const char* kind) {
    if (id.empty()) return;
    auto [it, inserted] = ids_[kind].emplace(id, Loc(n));
    if (!inserted) Error(n, fmt::format("duplicate {} id '{}' (first defined at {})", kind, id, it->second.ToString()));
  }

  // ---- sections ----
  void LoadFramework(const YAML::Node& n) {
    if (!n) return;
    if (!n.IsMap()) return Error(n, "'framework' must be a mapping");
    CheckKeys(n, {"id", "name", "version", "effective", "owner", "accountable_officer", "change_rationale",
                  "supersedes", "external_review"});
    Framework& f = policy_.framework;
    f.where = Loc(n);
    f.id = Id(n);
    f.name = Str(n, "name", true);
    f.version = Str(n, "version", true, "a version such as 2.1.0");
    f.effective = Str(n, "effective", false, "a date YYYY-MM-DD");
    if (!f.effective.empty() && !ParseRfc3339(f.effective + "T00:00:00Z").ok()) {
      Error(n["effective"], "field 'effective': expected a date YYYY-MM-DD");
    }
    f.owner = Str(n, "owner", false);
    f.accountable_officer = Str(n, "accountable_officer", false);
    f.change_rationale = Str(n, "change_rationale", false);
    f.supersedes = Str(n, "supersedes", false);
    if (YAML::Node r = n["external_review"]) {
      if (!r.IsMap()) return Error(r, "'external_review' must be a mapping with every_days and by");
      CheckKeys(r, {"every_days", "by"});
      f.external_review.every_days = static_cast<int>(Number(r, "every_days", true).value_or(0));
      f.external_review.by = StrList(r, "by", true);
    }
  }

  void LoadDomain(const YAML::Node& n) {
    CheckKeys(n, {"id", "name", "kind", "threat_models"});
    Domain d;
    d.where = Loc(n);
    d.id = Id(n);
    Unique(d.id, n, "domain");
    d.name = Str(n, "name", true);
    d.kind = Enum<DomainKind>(n, "kind", {{"tracked", DomainKind::kTracked}, {"watch", DomainKind::kWatch}},
                              DomainKind::kTracked).value_or(DomainKind::kTracked);
    EachItem(n["threat_models"], "threat_models", [&](const YAML::Node& t) {
      CheckKeys(t, {"id", "actor", "pathway", "baseline"});
      ThreatModel tm;
      tm.where = Loc(t);
      tm.id = Id(t);
      Unique(d.id + "/" + tm.id, t, "threat model");
      tm.actor = Str(t, "actor", true);
      tm.pathway = Str(t, "pathway", true);
      tm.baseline = Str(t, "baseline", false);
      d.threat_models.push_back(std::move(tm));
    });
    policy_.domains.push_back(std::move(d));
  }

  void LoadSafeguard(const YAML::Node& n) {
    CheckKeys(n, {"id", "name", "standard", "evidence"});
    Safeguard s;
    s.where = Loc(n);
    s.id = Id(n);
    Unique(s.id, n, "safeguard");
    s.name = Str(n, "name", true);
    s.standard = Enum<Standard>(n, "standard", {{"deployment", Standard::kDeployment}, {"security", Standard::kSecurity}},
                                std::nullopt).value_or(Standard::kDeployment);
    YAML::Node e = Required(n, "evidence", "how the safeguard is shown to be in place");
    if (e && !e.IsMap()) {
      Error(e, "'evidence' must be a mapping");
    } else if (e) {
      CheckKeys(e, {"kind", "role", "source", "equals"});
      s.evidence.kind = Enum<EvidenceKind>(e, "kind", {{"attestation", EvidenceKind::kAttestation}, {"machine", EvidenceKind::kMachine}},
                                           std::nullopt).value_or(EvidenceKind::kAttestation);
      if (s.evidence.kind == EvidenceKind::kAttestation) {
        s.evidence.role = Str(e, "role", true, "the role that attests");
        role_refs_.emplace_back(s.evidence.role, Loc(e["role"] ? e["role"] : e));
      } else {
        s.evidence.source = Str(e, "source", true, "a configuration path such as gateway.guard.mode");
        s.evidence.equals = Str(e, "equals", true, "the value that shows the safeguard is in place");
      }
    }
    policy_.safeguards.push_back(std::move(s));
  }

  void LoadLevel(const YAML::Node& n) {
    CheckKeys(n, {"id", "name", "deployment_standard", "security_standard"});
    Level l;
    l.where = Loc(n);
    l.id = Id(n);
    Unique(l.id, n, "level");
    l.name = Str(n, "name", true);
    l.rank = static_cast<int>(policy_.levels.size());
    std::vector<std::pair<std::string, Location>> refs;
    l.deployment_standard = StrListRefs(n, "deployment_standard", &refs);
    for (auto& [id, where] : refs) safeguard_refs_.push_back({id, where, Standard::kDeployment});
    refs.clear();
    if (YAML::Node s = n["security_standard"]) {
      if (!s.IsMap()) {
        Error(s, "'security_standard' must be a mapping with rand_level and safeguards");
      } else {
        CheckKeys(s, {"rand_level", "safeguards"});
        l.rand_security_level = Str(s, "rand_level", false, "SL1 to SL5");
        if (!l.rand_security_level.empty() &&
            (l.rand_security_level.size() != 3 || l.rand_security_level.substr(0, 2) != "SL" ||
             l.rand_security_level[2] < '1' || l.rand_security_level[2] > '5')) {
          Error(s["rand_level"], "field 'rand_level': '" + l.rand_security_level + "' is not one of SL1, SL2, SL3, SL4, SL5");
        }
        l.security_standard = StrListRefs(s, "safeguards", &refs);
        for (auto& [id, where] : refs) safeguard_refs_.push_back({id, where, Standard::kSecurity});
      }
    }
    policy_.levels.push_back(std::move(l));
  }

  void LoadThreshold(const YAML::Node& n) {
    CheckKeys(n, {"id", "domain", "level", "description", "condition", "alert", "semantics", "on_missing"});
    auto condition = Expr(n, "condition", true);
    auto alert = Expr(n, "alert", false);
    Threshold t{.id = Id(n), .domain = Str(n, "domain", true, "a domain id"), .level = Str(n, "level", true, "a level id"),
                .description = Str(n, "description", false), .condition = condition ? *condition : *Expression::ParseCondition("false"),
                .alert = alert, .semantics = Semantics::kRuleIn, .on_missing = OnMissing::kFailClosed, .where = Loc(n)};
    Unique(t.id, n, "threshold");
    t.semantics = Enum<Semantics>(n, "semantics", {{"rule_in", Semantics::kRuleIn}, {"rule_out", Semantics::kRuleOut}},
                                  Semantics::kRuleIn).value_or(Semantics::kRuleIn);
    t.on_missing = Enum<OnMissing>(n, "on_missing", {{"fail_closed", OnMissing::kFailClosed}, {"alert", OnMissing::kAlert},
                                                     {"ignore", OnMissing::kIgnore}}, OnMissing::kFailClosed)
                       .value_or(OnMissing::kFailClosed);
    if (!t.domain.empty()) domain_refs_.emplace_back(t.domain, Loc(n["domain"]));
    if (!t.level.empty()) level_refs_.emplace_back(t.level, Loc(n["level"]));
    policy_.thresholds.push_back(std::move(t));
  }

  void LoadTrigger(const YAML::Node& n) {
    CheckKeys(n, {"id", "kind", "value"});
    Trigger t;
    t.where = Loc(n);
    t.id = Id(n);
    Unique(t.id, n, "trigger");
    t.kind = Enum<TriggerKind>(n, "kind", {{"effective_compute_multiple", TriggerKind::kEffectiveComputeMultiple},
                                          {"elapsed_days", TriggerKind::kElapsedDays},
                                          {"post_training_change", TriggerKind::kPostTrainingChange},
                                          {"new_deployment_surface", TriggerKind::kNewDeploymentSurface},
                                          {"internal_deployment", TriggerKind::kInternalDeployment}},
                               std::nullopt).value_or(TriggerKind::kElapsedDays);
    bool needs_value = t.kind == TriggerKind::kEffectiveComputeMultiple || t.kind == TriggerKind::kElapsedDays;
    auto v = Number(n, "value", needs_value);
    if (v) {
      if (*v <= 0 || (t.kind == TriggerKind::kEffectiveComputeMultiple && *v <= 1)) {
        Error(n["value"], t.kind == TriggerKind::kEffectiveComputeMultiple ? "a compute multiple must be above 1"
                                                                           : "field 'value' must be positive");
      }
      t.value = *v;
    }
    policy_.triggers.push_back(std::move(t));
  }

  void LoadDecision(const YAML::Node& n) {
    if (!n) return;
    if (!n.IsMap()) return Error(n, "'decision' must be a mapping");
    CheckKeys(n, {"roles", "required_signers", "min_signers", "record_dissent", "outcomes", "tiers"});
    DecisionRights& d = policy_.decision;
    d.where = Loc(n);
    EachItem(Required(n, "roles", "who takes part in decisions"), "roles", [&](const YAML::Node& r) {
      CheckKeys(r, {"id", "name", "keys"});
      Role role{Id(r), Str(r, "name", true), StrList(r, "keys", false), Loc(r)};
      if (YAML::Node keys = r["keys"]; keys && keys.IsSequence()) {
        for (const auto& k : keys) {
          if (k.IsScalar() && !ledger::NoteVerifier::Parse(k.Scalar()).ok()) {
            Error(k, "not a verifier key (name+hash+base64 key): " + ledger::NoteVerifier::Parse(k.Scalar()).status().message());
          }
        }
      }
      Unique(role.id, r, "role");
      d.roles.push_back(std::move(role));
    });
    d.required_signers = StrListRefs(n, "required_signers", &role_refs_);
    d.min_signers = static_cast<int>(Number(n, "min_signers", false).value_or(1));
    if (d.min_signers < 1) Error(n["min_signers"], "'min_signers' must be at least 1");
    d.record_dissent = Bool(n, "record_dissent").value_or(true);
    for (const auto& name : StrList(n, "outcomes", true)) {
      auto o = ParseOutcome(name);
      if (!o) {
        Error(n["outcomes"], "outcome '" + name + "' is not one of: deploy, deploy_restricted, hold_deployment, pause_development");
      } else {
        d.outcomes.push_back(*o);
      }
    }
    d.tiers = StrList(n, "tiers", false);
  }

  void LoadHalt(const YAML::Node& n) {
    CheckKeys(n, {"id", "when", "threshold", "outcome"});
    HaltCondition h;
    h.where = Loc(n);
    h.id = Id(n);
    Unique(h.id, n, "halt condition");
    h.when = Enum<HaltWhen>(n, "when", {{"required_safeguards_missing", HaltWhen::kRequiredSafeguardsMissing},
                                       {"evidence_missing", HaltWhen::kEvidenceMissing},
                                       {"threshold_crossed", HaltWhen::kThresholdCrossed}},
                            std::nullopt).value_or(HaltWhen::kRequiredSafeguardsMissing);
    h.threshold = Str(n, "threshold", h.when == HaltWhen::kThresholdCrossed, "a threshold id");
    if (!h.threshold.empty()) threshold_refs_.emplace_back(h.threshold, Loc(n["threshold"]));
    std::string outcome = Str(n, "outcome", true, "hold_deployment or pause_development");
    if (auto o = ParseOutcome(outcome)) {
      h.outcome = *o;
      if (*o == Outcome::kDeploy || *o == Outcome::kDeployRestricted) {
        Error(n["outcome"], "a halt condition must hold deployment or pause development");
      }
    } else if (!outcome.empty()) {
      Error(n["outcome"], "outcome '" + outcome + "' is not one of: hold_deployment, pause_development");
    }
    policy_.halt_conditions.push_back(std::move(h));
  }

  void LoadObligation(const YAML::Node& n) {
    CheckKeys(n, {"id", "description", "authority", "event", "within"});
    Obligation o;
    o.where = Loc(n);
    o.id = Id(n);
    Unique(o.id, n, "obligation");
    o.description = Str(n, "description", false);
    o.authority = Str(n, "authority", true, "who must be told");
    o.event = Str(n, "event", true, "the event that starts the clock");
    o.within_text = Str(n, "within", true, "a duration like 15d or 72h");
    if (!o.within_text.empty()) {
      auto d = ParseDuration(o.within_text);
      if (!d.ok()) {
        Error(n["within"], "field 'within': " + d.status().message());
      } else {
        o.within_seconds = *d;
      }
    }
    policy_.obligations.push_back(std::move(o));
  }

  void CheckReferences() {
    for (const auto& [id, where] : domain_refs_) {
      if (!policy_.FindDomain(id)) Error(where, "unknown domain '" + id + "' (define it under 'domains')");
    }
    for (const auto& [id, where] : level_refs_) {
      if (!policy_.FindLevel(id)) Error(where, "unknown level '" + id + "' (define it under 'levels')");
    }
    for (const auto& [id, where] : threshold_refs_) {
      if (!policy_.FindThreshold(id)) Error(where, "unknown threshold '" + id + "'");
    }
    for (const auto& [id, where] : role_refs_) {
      if (!id.empty() && !FindById(policy_.decision.roles, id)) {
        Error(where, "unknown role '" + id + "' (define it under 'decision.roles')");
      }
    }
    for (const auto& ref : safeguard_refs_) {
      const Safeguard* s = policy_.FindSafeguard(ref.id);
      if (!s) {
        Error(ref.where, "unknown safeguard '" + ref.id + "' (define it under 'safeguards')");
      } else if (s->standard != ref.standard) {
        Error(ref.where, fmt::format("safeguard '{}' belongs to the {} standard, not the {} standard", ref.id,
                                     StandardName(s->standard), StandardName(ref.standard)));
      }
    }
    if (policy_.levels.empty()) Error(Location{file_, 1, 1}, "the policy defines no safety levels");
  }

  struct SafeguardRef {
    std::string id;
    Location where;
    Standard standard;
  };

  std::string_view yaml_;
  std::string file_;
  Policy policy_;
  std::vector<std::string> errors_;
  std::map<std::string, std::map<std::string, Location>> ids_;
  std::vector<std::pair<std::string, Location>> domain_refs_, level_refs_, threshold_refs_, role_refs_;
  std::vector<SafeguardRef> safeguard_refs_;
};

}  // namespace

Result<Policy> LoadPolicy(std::string_view yaml, std::string_view file) {
  return Loader(yaml, file).Run();
}

Result<Policy> LoadPolicyFile(Env& env, const std::string& path) {
  auto text = env.ReadFile(path);
  if (!text.ok()) return text.status();
  return LoadPolicy(*text, path);
}

}  // namespace rsf::policy
