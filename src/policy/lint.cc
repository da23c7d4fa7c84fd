#include "rsf/policy/lint.h"

#include <algorithm>

#include <fmt/format.h>

namespace rsf::policy {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "?";
}

namespace {

class Linter {
 public:
  Linter(const Policy& p, const LintOptions& o) : p_(p), o_(o) {}

  std::vector<LintFinding> Run() {
    Governance();
    Levels();
    Thresholds();
    Domains();
    Safeguards();
    Cadence();
    Decision();
    std::stable_sort(out_.begin(), out_.end(), [](const LintFinding& a, const LintFinding& b) {
      return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
    });
    return std::move(out_);
  }

 private:
  void Add(Severity s, std::string code, const Location& where, std::string message) {
    out_.push_back({s, std::move(code), where, std::move(message)});
  }

  void Governance() {
    const Framework& f = p_.framework;
    if (f.accountable_officer.empty()) {
      Add(Severity::kError, "no-accountable-officer", f.where,
          "name the accountable officer (framework.accountable_officer) who answers for this policy");
    }
    if (f.owner.empty()) Add(Severity::kWarning, "no-owner", f.where, "name the team that owns the policy (framework.owner)");
    if (f.external_review.every_days <= 0) {
      Add(Severity::kWarning, "no-external-review", f.where,
          "declare external review (framework.external_review: every_days and by)");
    }
    if (!f.supersedes.empty() && f.change_rationale.empty()) {
      Add(Severity::kWarning, "no-change-rationale", f.where,
          "this version supersedes " + f.supersedes + "; say why it changed (framework.change_rationale)");
    }
    if (f.effective.empty()) Add(Severity::kInfo, "no-effective-date", f.where, "state when the policy takes effect");
  }

  void Levels() {
    for (const Level& l : p_.levels) {
      bool reached = std::any_of(p_.thresholds.begin(), p_.thresholds.end(),
                                 [&](const Threshold& t) { return t.level == l.id; });
      if (l.deployment_standard.empty()) {
        Add(reached ? Severity::kError : Severity::kWarning, "level-without-deployment-standard", l.where,
            "level '" + l.id + "' has no deployment standard: list the safeguards that must be in place to deploy at it");
      }
      if (l.security_standard.empty()) {
        Add(reached ? Severity::kError : Severity::kWarning, "level-without-security-standard", l.where,
            "level '" + l.id + "' has no security standard: list the safeguards that protect the weights at it");
      }
      if (l.rand_security_level.empty()) {
        Add(Severity::kInfo, "no-rand-security-level", l.where,
            "state the weights-security level of '" + l.id + "' in RAND's SL1–SL5 terms (security_standard.rand_level)");
      }
      if (l.rank > 0) {
        const Level& below = p_.levels[static_cast<size_t>(l.rank - 1)];
        if (!below.rand_security_level.empty() && !l.rand_security_level.empty() &&
            l.rand_security_level < below.rand_security_level) {
          Add(Severity::kError, "security-level-decreases", l.where,
              fmt::format("'{}' asks for {} but the lower level '{}' asks for {}", l.id, l.rand_security_level,
                          below.id, below.rand_security_level));
        }
        for (const auto& sg : below.deployment_standard) {
          if (std::find(l.deployment_standard.begin(), l.deployment_standard.end(), sg) == l.deployment_standard.end()) {
            Add(Severity::kWarning, "safeguard-dropped-at-higher-level", l.where,
                fmt::format("'{}' does not keep safeguard '{}' of the level below", l.id, sg));
          }
        }
      }
    }
  }

  void Thresholds() {
    for (const Threshold& t : p_.thresholds) {
      const Level* level = p_.FindLevel(t.level);
      const Domain* domain = p_.FindDomain(t.domain);
      if (level && level->rank == 0) {
        Add(Severity::kWarning, "threshold-to-lowest-level", t.where,
            "threshold '" + t.id + "' leads to the lowest level, which every model is at already");
      }
      if (domain && domain->kind == DomainKind::kWatch) {
        Add(Severity::kError, "threshold-on-watch-domain", t.where,
            "domain '" + domain->id + "' is a watch category with no automatic trigger; make it 'tracked' or drop threshold '" + t.id + "'");
      }
      if (!t.alert) {
        Add(Severity::kWarning, "no-early-warning", t.where,
            "give threshold '" + t.id + "' an alert condition that fires before the threshold is crossed");
      } else {
        // Metrics of one evaluation share their first segment (wmdp_bio.accuracy.mean and
        // wmdp_bio.accuracy.ci_low both come from wmdp_bio).
        auto suite = [](const std::string& m) { return m.substr(0, m.find('.')); };
        bool shared = std::any_of(t.alert->metrics().begin(), t.alert->metrics().end(), [&](const std::string& a) {
          return std::any_of(t.condition.metrics().begin(), t.condition.metrics().end(),
                             [&](const std::string& c) { return suite(a) == suite(c); });
        });
        if (!shared && !t.alert->metrics().empty()) {
          Add(Severity::kInfo, "alert-on-other-metrics", t.where,
              "the alert of '" + t.id + "' reads none of the metrics of its condition; check that it warns of this threshold");
        }
      }
      if (auto why = t.condition.Contradiction()) {
        Add(Severity::kError, "unreachable-threshold", t.where,
            "threshold '" + t.id + "' can never be crossed: " + *why);
      }
      if (t.condition.metrics().empty()) {
        Add(Severity::kError, "constant-condition", t.where,
            "the condition of '" + t.id + "' reads no metric, so it is always or never crossed: " + t.condition.ToString());
      }
      if (t.on_missing == OnMissing::kIgnore) {
        Add(Severity::kWarning, "fails-open", t.where,
            "threshold '" + t.id + "' ignores missing evidence (fails open); the default, fail_closed, treats it as crossed");
      }
      if (t.semantics == Semantics::kRuleOut && t.on_missing != OnMissing::kFailClosed) {
        Add(Severity::kError, "rule-out-without-evidence", t.where,
            "rule-out threshold '" + t.id + "' must fail closed: missing evidence cannot rule a capability out");
      }
      if (!o_.known_metrics.empty()) {
        for (const Expression* e : {&t.condition, t.alert ? &*t.alert : nullptr}) {
          if (!e) continue;
          for (const auto& m : e->metrics()) {
            if (!o_.known_metrics.count(m)) {
              Add(Severity::kError, "unknown-metric", t.where,
                  "threshold '" + t.id + "' reads metric '" + m + "', which no evaluation in the catalogue produces");
            }
          }
        }
      }
      if (level && level->deployment_standard.empty() && level->security_standard.empty()) {
        Add(Severity::kError, "threshold-without-safeguards", t.where,
            "crossing '" + t.id + "' leads to level '" + t.level + "', which requires no safeguards");
      }
    }
  }

  void Domains() {
    for (const Domain& d : p_.domains) {
      if (d.kind == DomainKind::kWatch) continue;
      bool covered = std::any_of(p_.thresholds.begin(), p_.thresholds.end(),
                                 [&](const Threshold& t) { return t.domain == d.id; });
      if (!covered) {
        Add(Severity::kWarning, "domain-without-threshold", d.where,
            "tracked domain '" + d.id + "' has no capability threshold; add one or mark it 'kind: watch'");
      }
      if (d.threat_models.empty()) {
        Add(Severity::kWarning, "domain-without-threat-model", d.where,
            "describe at least one threat model (actor, pathway, baseline) for '" + d.id + "'");
      }
    }
  }

  void Safeguards() {
    for (const Safeguard& s : p_.safeguards) {
      bool used = std::any_of(p_.levels.begin(), p_.levels.end(), [&](const Level& l) {
        return std::find(l.deployment_standard.begin(), l.deployment_standard.end(), s.id) != l.deployment_standard.end() ||
               std::find(l.security_standard.begin(), l.security_standard.end(), s.id) != l.security_standard.end();
      });
      if (!used) Add(Severity::kWarning, "unused-safeguard", s.where, "safeguard '" + s.id + "' is required at no level");
      if (s.evidence.kind == EvidenceKind::kAttestation) {
        bool keyed = std::any_of(p_.decision.roles.begin(), p_.decision.roles.end(), [&](const Role& r) {
          return r.id == s.evidence.role && !r.keys.empty();
        });
        if (!keyed) {
          Add(Severity::kInfo, "unsigned-attestations", s.where,
              "role '" + s.evidence.role + "' lists no keys, so attestations of '" + s.id +
                  "' are accepted unsigned; list keys under decision.roles to require signatures");
        }
      }
    }
  }

  void Cadence() {
    Location top{p_.file, 1, 1};
    auto has = [&](TriggerKind k) {
      return std::any_of(p_.triggers.begin(), p_.triggers.end(), [&](const Trigger& t) { return t.kind == k; });
    };
    if (!has(TriggerKind::kElapsedDays)) {
      Add(Severity::kError, "no-evaluation-cadence", top,
          "add an elapsed_days trigger so that models are re-evaluated on a schedule");
    }
    if (!has(TriggerKind::kEffectiveComputeMultiple)) {
      Add(Severity::kWarning, "no-compute-trigger", top,
          "add an effective_compute_multiple trigger so that scaled-up models are re-evaluated");
    }
    if (!has(TriggerKind::kPostTrainingChange)) {
      Add(Severity::kInfo, "no-post-training-trigger", top, "consider a post_training_change trigger (fine-tuning, new scaffolds)");
    }
    if (p_.halt_conditions.empty()) {
      Add(Severity::kError, "no-halt-conditions", top,
          "say when deployment is held or development paused (halt_conditions)");
    } else if (std::none_of(p_.halt_conditions.begin(), p_.halt_conditions.end(), [](const HaltCondition& h) {
                 return h.when == HaltWhen::kRequiredSafeguardsMissing;
               })) {
      Add(Severity::kWarning, "no-halt-on-missing-safeguards", p_.halt_conditions.front().where,
          "add a halt condition for when a level's required safeguards are not in place");
    }
    bool incident = std::any_of(p_.obligations.begin(), p_.obligations.end(), [](const Obligation& o) {
      return o.event.find("incident") != std::string::npos;
    });
    if (!incident) {
      Add(Severity::kWarning, "no-incident-reporting", top,
          "add an obligation to report incidents to an authority, with its clock (obligations)");
    }
  }

  void Decision() {
    const DecisionRights& d = p_.decision;
    auto allows = [&](Outcome o) { return std::find(d.outcomes.begin(), d.outcomes.end(), o) != d.outcomes.end(); };
    if (!allows(Outcome::kHoldDeployment) && !allows(Outcome::kPauseDevelopment)) {
      Add(Severity::kError, "no-stopping-outcome", d.where,
          "decision outcomes must include hold_deployment or pause_development");
    }
    if (d.required_signers.empty()) {
      Add(Severity::kWarning, "no-required-signers", d.where, "name the roles whose signature a decision needs");
    }
    if (static_cast<size_t>(d.min_signers) < d.required_signers.size()) {
      Add(Severity::kError, "quorum-below-required-signers", d.where,
          fmt::format("min_signers is {} but {} roles must sign", d.min_signers, d.required_signers.size()));
    }
    if (static_cast<size_t>(d.min_signers) > d.roles.size()) {
      Add(Severity::kError, "quorum-unreachable", d.where,
          fmt::format("min_signers is {} but only {} roles exist", d.min_signers, d.roles.size()));
    }
    if (!d.record_dissent) {
      Add(Severity::kWarning, "dissent-not-recorded", d.where, "record dissent with decisions (record_dissent: true)");
    }
    if (allows(Outcome::kDeployRestricted) && d.tiers.empty()) {
      Add(Severity::kError, "restricted-without-tiers", d.where,
          "deploy_restricted needs the access tiers a decision may name (decision.tiers)");
    }
  }

  const Policy& p_;
  const LintOptions& o_;
  std::vector<LintFinding> out_;
};

}  // namespace

std::vector<LintFinding> LintPolicy(const Policy& policy, const LintOptions& options) {
  return Linter(policy, options).Run();
}

}  // namespace rsf::policy
