#include "rsf/policy/diff.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace rsf::policy {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? std::string("none") : s;
}

std::vector<std::string> Minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
  }
  return out;
}

class Differ {
 public:
  Differ(const Policy& a, const Policy& b) : a_(a), b_(b) {}

  std::vector<PolicyChange> Run() {
    Framework();
    Items("domains", "Domain", a_.domains, b_.domains, [&](const Domain& x, const Domain& y) {
      if (x.kind != y.kind) {
        Add("domains", fmt::format("Domain '{}' is now {}.", x.id, y.kind == DomainKind::kWatch ? "watched only (no automatic trigger)" : "tracked"),
            y.kind == DomainKind::kWatch);
      }
    }, /*removal_weakens=*/true);
    Items("safeguards", "Safeguard", a_.safeguards, b_.safeguards, [&](const Safeguard& x, const Safeguard& y) {
      if (x.evidence.kind != y.evidence.kind || x.evidence.role != y.evidence.role ||
          x.evidence.source != y.evidence.source || x.evidence.equals != y.evidence.equals) {
        Add("safeguards", fmt::format("Safeguard '{}': the evidence that shows it is in place changed.", x.id), false);
      }
    }, false);
    Items("levels", "Level", a_.levels, b_.levels, [&](const Level& x, const Level& y) {
      for (const auto& s : Minus(x.deployment_standard, y.deployment_standard)) {
        Add("levels", fmt::format("Level '{}' no longer requires deployment safeguard '{}'.", x.id, s), true);
      }
      for (const auto& s : Minus(y.deployment_standard, x.deployment_standard)) {
        Add("levels", fmt::format("Level '{}' now requires deployment safeguard '{}'.", x.id, s), false);
      }
      for (const auto& s : Minus(x.security_standard, y.security_standard)) {
        Add("levels", fmt::format("Level '{}' no longer requires security safeguard '{}'.", x.id, s), true);
      }
      for (const auto& s : Minus(y.security_standard, x.security_standard)) {
        Add("levels", fmt::format("Level '{}' now requires security safeguard '{}'.", x.id, s), false);
      }
      if (x.rand_security_level != y.rand_security_level) {
        Add("levels", fmt::format("Level '{}': weights security moves from {} to {}.", x.id,
                                  x.rand_security_level.empty() ? "unstated" : x.rand_security_level,
                                  y.rand_security_level.empty() ? "unstated" : y.rand_security_level),
            y.rand_security_level < x.rand_security_level);
      }
    }, true);
    Items("thresholds", "Threshold", a_.thresholds, b_.thresholds, [&](const Threshold& x, const Threshold& y) {
      if (x.condition.ToString() != y.condition.ToString()) {
        Add("thresholds", fmt::format("Threshold '{}': condition changed from `{}` to `{}`.", x.id,
                                      x.condition.ToString(), y.condition.ToString()), false);
      }
      std::string xa = x.alert ? x.alert->ToString() : "none", ya = y.alert ? y.alert->ToString() : "none";
      if (xa != ya) {
        Add("thresholds", fmt::format("Threshold '{}': early warning changed from `{}` to `{}`.", x.id, xa, ya),
            !y.alert.has_value());
      }
      if (x.level != y.level) {
        Add("thresholds", fmt::format("Threshold '{}' now leads to level '{}' (was '{}').", x.id, y.level, x.level), false);
      }
      if (x.on_missing != y.on_missing) {
        Add("thresholds", fmt::format("Threshold '{}': when evidence is missing it now does '{}' (was '{}').", x.id,
                                      OnMissingName(y.on_missing), OnMissingName(x.on_missing)),
            y.on_missing == OnMissing::kIgnore);
      }
      if (x.semantics != y.semantics) {
        Add("thresholds", fmt::format("Threshold '{}' is now {} (was {}).", x.id, SemanticsName(y.semantics),
                                      SemanticsName(x.semantics)), false);
      }
    }, true);
    Items("triggers", "Evaluation trigger", a_.triggers, b_.triggers, [&](const Trigger& x, const Trigger& y) {
      if (x.value != y.value) {
        Add("triggers", fmt::format("Evaluation trigger '{}' ({}): {:g} becomes {:g}.", x.id, TriggerKindName(x.kind),
                                    x.value, y.value), y.value > x.value);
      }
    }, true);
    Items("halt_conditions", "Halt condition", a_.halt_conditions, b_.halt_conditions,
          [&](const HaltCondition& x, const HaltCondition& y) {
      if (x.outcome != y.outcome) {
        Add("halt_conditions", fmt::format("Halt condition '{}' now leads to {} (was {}).", x.id, OutcomeName(y.outcome),
                                           OutcomeName(x.outcome)), y.outcome == Outcome::kHoldDeployment);
      }
    }, true);
    Items("obligations", "Obligation", a_.obligations, b_.obligations, [&](const Obligation& x, const Obligation& y) {
      if (x.within_seconds != y.within_seconds || x.authority != y.authority || x.event != y.event) {
        Add("obligations", fmt::format("Obligation '{}': report to {} within {} of {} (was {} within {} of {}).", x.id,
                                       y.authority, y.within_text, y.event, x.authority, x.within_text, x.event),
            y.within_seconds > x.within_seconds);
      }
    }, true);
    Decision();
    return std::move(out_);
  }

 private:
  void Add(std::string area, std::string sentence, bool weakens) {
    out_.push_back({std::move(area), std::move(sentence), weakens});
  }

  template <typename T, typename F>
  void Items(const char* area, const char* noun, const std::vector<T>& a, const std::vector<T>& b, F changed,
             bool removal_weakens) {
    for (const T& x : a) {
      auto it = std::find_if(b.begin(), b.end(), [&](const T& y) { return y.id == x.id; });
      if (it == b.end()) {
        Add(area, fmt::format("{} '{}' was removed.", noun, x.id), removal_weakens);
      } else {
        changed(x, *it);
      }
    }
    for (const T& y : b) {
      if (std::none_of(a.begin(), a.end(), [&](const T& x) { return x.id == y.id; })) {
        Add(area, fmt::format("{} '{}' was added.", noun, y.id), false);
      }
    }
  }

  void Framework() {
    const auto& x = a_.framework;
    const auto& y = b_.framework;
    if (x.version != y.version) {
      std::string why = y.change_rationale;
      while (!why.empty() && isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
      Add("framework", fmt::format("Version {} replaces {}.{}", y.version, x.version,
                                   why.empty() ? "" : " Stated reason: " + why), false);
    }
    if (x.accountable_officer != y.accountable_officer) {
      Add("framework", fmt::format("The accountable officer is now {} (was {}).", y.accountable_officer.empty() ? "nobody" : y.accountable_officer,
                                   x.accountable_officer.empty() ? "nobody" : x.accountable_officer),
          y.accountable_officer.empty());
    }
    if (x.external_review.every_days != y.external_review.every_days) {
      Add("framework", fmt::format("External review every {} days (was {}).", y.external_review.every_days,
                                   x.external_review.every_days),
          y.external_review.every_days == 0 || (x.external_review.every_days > 0 && y.external_review.every_days > x.external_review.every_days));
    }
  }

  void Decision() {
    const auto& x = a_.decision;
    const auto& y = b_.decision;
    for (const auto& r : Minus(x.required_signers, y.required_signers)) {
      Add("decision", "Role '" + r + "' no longer has to sign decisions.", true);
    }
    for (const auto& r : Minus(y.required_signers, x.required_signers)) {
      Add("decision", "Role '" + r + "' now has to sign decisions.", false);
    }
    if (x.min_signers != y.min_signers) {
      Add("decision", fmt::format("Decisions need {} signers (was {}).", y.min_signers, x.min_signers),
          y.min_signers < x.min_signers);
    }
    auto names = [](const std::vector<Outcome>& os) {
      std::vector<std::string> v;
      for (auto o : os) v.emplace_back(OutcomeName(o));
      return v;
    };
    for (const auto& o : Minus(names(x.outcomes), names(y.outcomes))) {
      Add("decision", "Outcome '" + o + "' is no longer available.", o == "hold_deployment" || o == "pause_development");
    }
    for (const auto& o : Minus(names(y.outcomes), names(x.outcomes))) {
      Add("decision", "Outcome '" + o + "' is now available.", false);
    }
    if (x.tiers != y.tiers) {
      Add("decision", fmt::format("Access tiers: {} (was {}).", Join(y.tiers), Join(x.tiers)), false);
    }
    if (x.record_dissent != y.record_dissent) {
      Add("decision", y.record_dissent ? "Dissent is now recorded." : "Dissent is no longer recorded.", !y.record_dissent);
    }
  }

  const Policy& a_;
  const Policy& b_;
  std::vector<PolicyChange> out_;
};

}  // namespace

std::vector<PolicyChange> DiffPolicies(const Policy& before, const Policy& after) {
  return Differ(before, after).Run();
}

}  // namespace rsf::policy
