#include "rsf/policy/assess.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "rsf/ledger/note.h"

namespace rsf::policy {

std::string_view ThresholdStatusName(ThresholdStatus s) {
  switch (s) {
    case ThresholdStatus::kBelow: return "below";
    case ThresholdStatus::kAlert: return "alert";
    case ThresholdStatus::kCrossed: return "crossed";
    case ThresholdStatus::kCrossedMissingEvidence: return "crossed_missing_evidence";
    case ThresholdStatus::kUnknownIgnored: return "unknown_ignored";
  }
  return "?";
}

std::optional<double> EvalResults::Lookup(std::string_view path) const {
  if (auto it = values.find(std::string(path)); it != values.end()) return it->second;
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto it = metrics.find(std::string(path.substr(0, dot)));
  if (it == metrics.end()) return std::nullopt;
  std::string_view field = path.substr(dot + 1);
  const MetricEstimate& m = it->second;
  if (field == "mean") return m.mean;
  if (field == "ci_low") return m.ci_low;
  if (field == "ci_high") return m.ci_high;
  if (field == "n" && m.n) return static_cast<double>(*m.n);
  if (auto o = m.other.find(std::string(field)); o != m.other.end()) return o->second;
  return std::nullopt;
}

namespace {

Status Bad(std::string_view source, const std::string& field, const std::string& what) {
  return InvalidArgumentError(fmt::format("{}: field '{}': {}", source, field, what));
}

}  // namespace

Result<EvalResults> ParseEvalResults(const Json& j, std::string_view source) {
  if (!j.is_object()) return InvalidArgumentError(std::string(source) + ": expected a JSON object");
  RSF_ASSIGN_OR_RETURN(std::string format, RequireString(j, "format", source));
  if (format != "rsf-eval-results/1") {
    return Bad(source, "format", "'" + format + "' is not rsf-eval-results/1");
  }
  EvalResults r;
  if (auto m = j.find("model"); m != j.end()) {
    if (!m->is_object()) return Bad(source, "model", "expected {\"name\", \"digest\"}");
    RSF_ASSIGN_OR_RETURN(r.model, OptionalString(*m, "name", source));
    RSF_ASSIGN_OR_RETURN(r.model_digest, OptionalString(*m, "digest", source));
  }
  RSF_ASSIGN_OR_RETURN(r.generated, OptionalString(j, "generated", source));
  RSF_ASSIGN_OR_RETURN(const Json* metrics, RequireField(j, "metrics", source));
  if (!metrics->is_object()) return Bad(source, "metrics", "expected an object of metric name to estimate");
  for (auto it = metrics->begin(); it != metrics->end(); ++it) {
    std::string field = "metrics." + it.key();
    if (it->is_number()) {
      r.values[it.key()] = it->get<double>();
      continue;
    }
    if (!it->is_object()) return Bad(source, field, "expected a number or {mean, ci_low, ci_high, n}");
    MetricEstimate e;
    for (auto f = it->begin(); f != it->end(); ++f) {
      if (f.key() == "n") {
        if (!f->is_number_integer() || f->get<int64_t>() < 0) return Bad(source, field + ".n", "expected a sample size");
        e.n = f->get<int64_t>();
      } else if (f->is_number()) {
        double v = f->get<double>();
        if (f.key() == "mean") e.mean = v;
        else if (f.key() == "ci_low") e.ci_low = v;
        else if (f.key() == "ci_high") e.ci_high = v;
        else e.other[f.key()] = v;
      } else if (!f->is_string() && !f->is_null()) {
        return Bad(source, field + "." + f.key(), "expected a number");
      }
    }
    if (e.ci_low && e.ci_high && *e.ci_low > *e.ci_high) {
      return Bad(source, field, "ci_low is above ci_high");
    }
    if (e.mean && e.ci_low && e.ci_high && (*e.mean < *e.ci_low || *e.mean > *e.ci_high)) {
      return Bad(source, field, "mean lies outside its confidence interval");
    }
    r.metrics[it.key()] = e;
  }
  return r;
}

Result<SafeguardEvidence> ParseSafeguardEvidence(const Json& j, std::string_view source) {
  if (!j.is_object()) return InvalidArgumentError(std::string(source) + ": expected a JSON object");
  RSF_ASSIGN_OR_RETURN(std::string format, RequireString(j, "format", source));
  if (format != "rsf-safeguard-evidence/1") {
    return Bad(source, "format", "'" + format + "' is not rsf-safeguard-evidence/1");
  }
  SafeguardEvidence e;
  if (auto a = j.find("attestations"); a != j.end()) {
    if (!a->is_array()) return Bad(source, "attestations", "expected a list");
    for (size_t i = 0; i < a->size(); ++i) {
      std::string where = fmt::format("{}: attestations[{}]", source, i);
      const Json& item = (*a)[i];
      Attestation att;
      RSF_ASSIGN_OR_RETURN(att.safeguard, RequireString(item, "safeguard", where));
      RSF_ASSIGN_OR_RETURN(att.role, RequireString(item, "role", where));
      RSF_ASSIGN_OR_RETURN(att.signer, RequireString(item, "signer", where));
      RSF_ASSIGN_OR_RETURN(att.statement, OptionalString(item, "statement", where));
      RSF_ASSIGN_OR_RETURN(att.time, OptionalString(item, "time", where));
      RSF_ASSIGN_OR_RETURN(att.note, OptionalString(item, "note", where));
      e.attestations.push_back(std::move(att));
    }
  }
  if (auto m = j.find("machine"); m != j.end()) {
    if (!m->is_object()) return Bad(source, "machine", "expected an object of configuration path to value");
    for (auto it = m->begin(); it != m->end(); ++it) {
      e.machine[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  return e;
}

std::string AttestationText(const Attestation& a) {
  return fmt::format("rsf-attestation/1\nsafeguard {}\nrole {}\nstatement {}\ntime {}\n", a.safeguard, a.role,
                     a.statement.empty() ? "-" : a.statement, a.time.empty() ? "-" : a.time);
}

namespace {

// Whether `at` is signed, over its own fields, by a key the policy lists for its role.
bool SignedByRoleKey(const Attestation& at, const Role& role, std::string* signer) {
  auto note = ledger::ParseNote(at.note);
  if (!note.ok() || note->text != AttestationText(at)) return false;
  for (const auto& k : role.keys) {
    auto v = ledger::NoteVerifier::Parse(k);
    if (v.ok() && ledger::VerifyNote(*note, *v).ok()) {
      *signer = v->name();
      return true;
    }
  }
  return false;
}

// How far `value` is from satisfying `value op bound`: positive when not satisfied, zero or
// negative when satisfied.
std::optional<double> Distance(double value, const std::string& op, double bound) {
  if (op == ">=" || op == ">") return bound - value;
  if (op == "<=" || op == "<") return value - bound;
  return std::nullopt;
}

std::vector<Margin> MarginsOf(const Expression& e, const EvalResults& evals) {
  std::vector<Margin> out;
  for (const auto& c : e.Comparisons()) {
    Margin m;
    m.metric = c.metric;
    m.op = c.op;
    m.bound = c.bound;
    m.value = evals.Lookup(c.metric);
    if (m.value) {
      m.distance = Distance(*m.value, c.op, c.bound);
      // Under `not`, the threshold moves towards crossing as the comparison becomes false.
      if (m.distance && c.negated) m.distance = -*m.distance;
    }
    size_t dot = c.metric.rfind('.');
    if (dot != std::string::npos) {
      if (auto it = evals.metrics.find(c.metric.substr(0, dot)); it != evals.metrics.end()) {
        m.mean = it->second.mean;
        m.ci_low = it->second.ci_low;
        m.ci_high = it->second.ci_high;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

int OutcomeSeverity(Outcome o) {
  switch (o) {
    case Outcome::kDeploy: return 0;
    case Outcome::kDeployRestricted: return 1;
    case Outcome::kHoldDeployment: return 2;
    case Outcome::kPauseDevelopment: return 3;
  }
  return 3;
}

}  // namespace

Result<Assessment> Assess(const Policy& policy, const EvalResults& evals,
                          const SafeguardEvidence& evidence) {
  Assessment a;
  a.framework_id = policy.framework.id;
  a.framework_version = policy.framework.version;
  a.model = evals.model;
  a.model_digest = evals.model_digest;
  a.evals_generated = evals.generated;
  MetricLookup lookup = [&](std::string_view path) { return evals.Lookup(path); };
  bool any_missing_evidence = false;

  for (const Threshold& t : policy.thresholds) {
    ThresholdResult r;
    r.id = t.id;
    r.domain = t.domain;
    r.level = t.level;
    auto c = t.condition.EvaluateCondition(lookup);
    if (!c.ok()) return c.status().WithContext("threshold '" + t.id + "'");
    r.condition = *c;
    if (t.alert) {
      auto al = t.alert->EvaluateCondition(lookup);
      if (!al.ok()) return al.status().WithContext("alert of threshold '" + t.id + "'");
      r.alert = *al;
    }
    for (const auto& m : t.condition.metrics()) {
      if (!evals.Lookup(m)) r.missing_metrics.push_back(m);
    }
    r.margins = MarginsOf(t.condition, evals);
    if (t.alert) r.alert_margins = MarginsOf(*t.alert, evals);
    if (r.condition == Truth::kTrue) {
      r.status = ThresholdStatus::kCrossed;
    } else if (r.condition == Truth::kUnknown) {
      any_missing_evidence = true;
      switch (t.on_missing) {
        case OnMissing::kFailClosed: r.status = ThresholdStatus::kCrossedMissingEvidence; break;
        case OnMissing::kAlert: r.status = ThresholdStatus::kAlert; break;
        case OnMissing::kIgnore: r.status = ThresholdStatus::kUnknownIgnored; break;
      }
    } else if (r.alert && *r.alert != Truth::kFalse) {
      r.status = ThresholdStatus::kAlert;
    }
    a.thresholds.push_back(std::move(r));
  }

  // Levels per domain and overall.
  const Level* overall = policy.levels.empty() ? nullptr : &policy.levels.front();
  for (const Domain& d : policy.domains) {
    DomainResult dr;
    dr.id = d.id;
    dr.name = d.name;
    dr.watch = d.kind == DomainKind::kWatch;
    const Level* reached = policy.levels.empty() ? nullptr : &policy.levels.front();
    for (const ThresholdResult& r : a.thresholds) {
      if (r.domain != d.id) continue;
      bool crossed = r.status == ThresholdStatus::kCrossed || r.status == ThresholdStatus::kCrossedMissingEvidence;
      if (crossed) {
        dr.crossed.push_back(r.id);
        const Level* l = policy.FindLevel(r.level);
        if (l && reached && l->rank > reached->rank) reached = l;
      } else if (r.status == ThresholdStatus::kAlert) {
        dr.alerts.push_back(r.id);
      }
    }
    dr.level = reached ? reached->id : "";
    if (!dr.watch && reached && overall && reached->rank > overall->rank) overall = reached;
    a.domains.push_back(std::move(dr));
  }
  a.level = overall ? overall->id : "";

  // Required safeguards at that level.
  bool missing_safeguard = false;
  if (overall) {
    std::vector<std::string> required = overall->deployment_standard;
    required.insert(required.end(), overall->security_standard.begin(), overall->security_standard.end());
    for (const auto& id : required) {
      const Safeguard* s = policy.FindSafeguard(id);
      if (!s) continue;
      SafeguardResult sr{s->id, s->name, s->standard, false, ""};
      if (s->evidence.kind == EvidenceKind::kAttestation) {
        const Role* role = nullptr;
        for (const Role& r : policy.decision.roles) {
          if (r.id == s->evidence.role) role = &r;
        }
        bool keys = role && !role->keys.empty();
        std::string key_name;
        auto it = std::find_if(evidence.attestations.begin(), evidence.attestations.end(), [&](const Attestation& at) {
          if (at.safeguard != s->id || at.role != s->evidence.role) return false;
          return !keys || SignedByRoleKey(at, *role, &key_name);
        });
        sr.in_place = it != evidence.attestations.end();
        if (!sr.in_place) {
          sr.evidence = keys ? fmt::format("no attestation signed by a key of role '{}'", s->evidence.role)
                             : fmt::format("no attestation by role '{}'", s->evidence.role);
        } else if (keys) {
          sr.evidence = fmt::format("attested by {} ({}), signed by key {}", it->signer, it->role, key_name);
        } else {
          sr.evidence = fmt::format("attested by {} ({}); unsigned: the policy lists no keys for this role",
                                    it->signer, it->role);
        }
      } else {
        auto it = evidence.machine.find(s->evidence.source);
        sr.in_place = it != evidence.machine.end() && it->second == s->evidence.equals;
        sr.evidence = it == evidence.machine.end()
                          ? fmt::format("{} not reported", s->evidence.source)
                          : fmt::format("{} = {} (needs {})", s->evidence.source, it->second, s->evidence.equals);
      }
      missing_safeguard |= !sr.in_place;
      a.safeguards.push_back(std::move(sr));
    }
  }

  // The decision.
  std::optional<Outcome> halted;
  for (const HaltCondition& h : policy.halt_conditions) {
    bool applies = false;
    std::string why;
    switch (h.when) {
      case HaltWhen::kRequiredSafeguardsMissing:
        applies = missing_safeguard;
        why = "required safeguards of level '" + a.level + "' are not in place";
        break;
      case HaltWhen::kEvidenceMissing:
        applies = any_missing_evidence;
        why = "evidence needed by a threshold is missing";
        break;
      case HaltWhen::kThresholdCrossed: {
        auto it = std::find_if(a.thresholds.begin(), a.thresholds.end(), [&](const ThresholdResult& r) { return r.id == h.threshold; });
        applies = it != a.thresholds.end() &&
                  (it->status == ThresholdStatus::kCrossed || it->status == ThresholdStatus::kCrossedMissingEvidence);
        why = "threshold '" + h.threshold + "' is crossed";
        break;
      }
    }
    if (!applies) continue;
    a.halts.push_back(h.id);
    a.reasons.push_back(fmt::format("halt condition '{}': {} -> {}", h.id, why, OutcomeName(h.outcome)));
    if (!halted || OutcomeSeverity(h.outcome) > OutcomeSeverity(*halted)) halted = h.outcome;
  }
  for (const ThresholdResult& r : a.thresholds) {
    if (r.status == ThresholdStatus::kCrossed) {
      a.reasons.push_back(fmt::format("threshold '{}' crossed: the model is at least at level '{}'", r.id, r.level));
    } else if (r.status == ThresholdStatus::kCrossedMissingEvidence) {
      std::string missing;
      for (const auto& m : r.missing_metrics) missing += (missing.empty() ? "" : ", ") + m;
      a.reasons.push_back(fmt::format("threshold '{}' treated as crossed because evidence is missing ({}): fail closed",
                                      r.id, missing));
    } else if (r.status == ThresholdStatus::kAlert) {
      a.reasons.push_back(fmt::format("early warning on threshold '{}'", r.id));
    }
  }
  for (const SafeguardResult& s : a.safeguards) {
    if (!s.in_place) a.reasons.push_back(fmt::format("required {} safeguard '{}' missing: {}", StandardName(s.standard), s.id, s.evidence));
  }

  const auto& allowed = policy.decision.outcomes;
  auto permitted = [&](Outcome o) { return std::find(allowed.begin(), allowed.end(), o) != allowed.end(); };
  Outcome outcome;
  if (halted) {
    outcome = *halted;
  } else if (missing_safeguard) {
    outcome = Outcome::kHoldDeployment;
    a.reasons.push_back("required safeguards missing: deployment held (fail closed)");
  } else if (std::any_of(a.thresholds.begin(), a.thresholds.end(), [](const ThresholdResult& r) { return r.status == ThresholdStatus::kAlert; }) &&
             permitted(Outcome::kDeployRestricted) && !policy.decision.tiers.empty()) {
    outcome = Outcome::kDeployRestricted;
    for (const auto& tier : policy.decision.tiers) {
      if (tier != "public") a.tiers.push_back(tier);
    }
    a.reasons.push_back("early warning: deployment restricted to non-public tiers while evaluations continue");
  } else {
    outcome = Outcome::kDeploy;
    a.reasons.push_back(fmt::format("all safeguards required at level '{}' are in place", a.level));
  }
  // The policy may not allow the chosen outcome: move to the next more restrictive one it does.
  while (!permitted(outcome) && outcome != Outcome::kPauseDevelopment) {
    Outcome stricter = static_cast<Outcome>(static_cast<int>(outcome) + 1);
    a.reasons.push_back(fmt::format("the policy does not allow '{}'; using '{}'", OutcomeName(outcome), OutcomeName(stricter)));
    outcome = stricter;
  }
  a.outcome = outcome;
  return a;
}

namespace {
Json Opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json MarginsJson(const std::vector<Margin>& ms) {
  Json out = Json::array();
  for (const auto& m : ms) {
    out.push_back({{"metric", m.metric}, {"op", m.op}, {"bound", m.bound}, {"value", Opt(m.value)},
                   {"distance", Opt(m.distance)}, {"mean", Opt(m.mean)}, {"ci_low", Opt(m.ci_low)},
                   {"ci_high", Opt(m.ci_high)}});
  }
  return out;
}
}  // namespace

Json AssessmentToJson(const Assessment& a) {
  Json thresholds = Json::array();
  for (const auto& t : a.thresholds) {
    thresholds.push_back({{"id", t.id}, {"domain", t.domain}, {"level", t.level},
                          {"condition", TruthName(t.condition)},
                          {"alert", t.alert ? Json(TruthName(*t.alert)) : Json(nullptr)},
                          {"status", ThresholdStatusName(t.status)}, {"missing_metrics", t.missing_metrics},
                          {"margins", MarginsJson(t.margins)}, {"alert_margins", MarginsJson(t.alert_margins)}});
  }
  Json domains = Json::array();
  for (const auto& d : a.domains) {
    domains.push_back({{"id", d.id}, {"name", d.name}, {"watch", d.watch}, {"level", d.level},
                       {"crossed", d.crossed}, {"alerts", d.alerts}});
  }
  Json safeguards = Json::array();
  for (const auto& s : a.safeguards) {
    safeguards.push_back({{"id", s.id}, {"name", s.name}, {"standard", StandardName(s.standard)},
                          {"in_place", s.in_place}, {"evidence", s.evidence}});
  }
  return {{"format", "rsf-assessment/1"},
          {"framework", {{"id", a.framework_id}, {"version", a.framework_version}}},
          {"model", {{"name", a.model}, {"digest", a.model_digest}}},
          {"evals_generated", a.evals_generated},
          {"level", a.level},
          {"decision", {{"outcome", OutcomeName(a.outcome)}, {"tiers", a.tiers}, {"reasons", a.reasons},
                        {"halts", a.halts}}},
          {"domains", domains},
          {"thresholds", thresholds},
          {"safeguards", safeguards}};
}

}  // namespace rsf::policy
