// include/rsf/policy/policy.h
//
// Policy: a frontier-AI safety framework as data, loaded from YAML (docs/policy-language.md).
// It holds the framework's metadata, risk domains and threat models, the ordered ladder of
// safety levels with their deployment and security standards, safeguards and the evidence
// that shows each is in place, capability thresholds (condition, early-warning condition,
// rule-in/rule-out semantics, missing-evidence rule), evaluation triggers, decision rights
// and outcomes, halt conditions, and obligations with clocks.
//
// LoadPolicy() checks syntax, types and references; it does not judge whether the framework
// is complete or good — that is LintPolicy() (lint.h).
//
// Thread safety: a loaded Policy is immutable; share it freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/status.h"
#include "rsf/policy/expression.h"

namespace rsf::policy {

// Where an element was defined in the policy file (1-based).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "policy.yaml:12:5"
};

struct ExternalReview {
  int every_days = 0;             // 0: none declared
  std::vector<std::string> by;    // reviewers
};

struct Framework {
  std::string id;
  std::string name;
  std::string version;
  std::string effective;          // RFC 3339 date, YYYY-MM-DD
  std::string owner;
  std::string accountable_officer;
  std::string change_rationale;
  std::string supersedes;         // previous version, if any
  ExternalReview external_review;
  Location where;
};

struct ThreatModel {
  std::string id;
  std::string actor;
  std::string pathway;
  std::string baseline;           // e.g. "uplift over internet search"
  Location where;
};

enum class DomainKind { kTracked, kWatch };  // watch: reported, never triggers automatically

struct Domain {
  std::string id;
  std::string name;
  DomainKind kind = DomainKind::kTracked;
  std::vector<ThreatModel> threat_models;
  Location where;
};

enum class Standard { kDeployment, kSecurity };
std::string_view StandardName(Standard s);

struct Level {
  std::string id;
  std::string name;
  int rank = 0;                                  // position in the ladder, 0 = lowest
  std::vector<std::string> deployment_standard;  // safeguard ids
  std::vector<std::string> security_standard;    // safeguard ids
  std::string rand_security_level;               // "SL1" .. "SL5", empty if not stated
  Location where;
};

enum class EvidenceKind { kAttestation, kMachine };

struct Evidence {
  EvidenceKind kind = EvidenceKind::kAttestation;
  std::string role;    // attestation: the role that signs
  std::string source;  // machine: a configuration path, e.g. "gateway.guard.mode"
  std::string equals;  // machine: the value that shows the safeguard is in place
};

struct Safeguard {
  std::string id;
  std::string name;
  Standard standard = Standard::kDeployment;
  Evidence evidence;
  Location where;
};

enum class Semantics { kRuleIn, kRuleOut };
enum class OnMissing { kFailClosed, kAlert, kIgnore };
std::string_view SemanticsName(Semantics s);
std::string_view OnMissingName(OnMissing m);

struct Threshold {
  std::string id;
  std::string domain;   // Domain::id
  std::string level;    // Level::id reached when the threshold is crossed
  std::string description;
  Expression condition;                 // crossed when true (rule-in) or not shown false (rule-out)
  std::optional<Expression> alert;      // early warning
  Semantics semantics = Semantics::kRuleIn;
  OnMissing on_missing = OnMissing::kFailClosed;
  Location where;
};

enum class TriggerKind { kEffectiveComputeMultiple, kElapsedDays, kPostTrainingChange,
                         kNewDeploymentSurface, kInternalDeployment };
std::string_view TriggerKindName(TriggerKind k);

struct Trigger {
  std::string id;
  TriggerKind kind = TriggerKind::kElapsedDays;
  double value = 0;  // the multiple or the number of days; 0 for event triggers
  Location where;
};

struct Role {
  std::string id;
  std::string name;
  std::vector<std::string> keys;  // verifier keys (C2SP signed-note) of people who sign for it
  Location where;
};

enum class Outcome { kDeploy, kDeployRestricted, kHoldDeployment, kPauseDevelopment };
std::string_view OutcomeName(Outcome o);
std::optional<Outcome> ParseOutcome(std::string_view name);

struct DecisionRights {
  std::vector<Role> roles;
  std::vector<std::string> required_signers;  // role ids that must sign
  int min_signers = 1;
  bool record_dissent = true;
  std::vector<Outcome> outcomes;
  std::vector<std::string> tiers;  // access tiers a restricted deployment may name
  Location where;
};

enum class HaltWhen { kRequiredSafeguardsMissing, kEvidenceMissing, kThresholdCrossed };

struct HaltCondition {
  std::string id;
  HaltWhen when = HaltWhen::kRequiredSafeguardsMissing;
  std::string threshold;  // for kThresholdCrossed
  Outcome outcome = Outcome::kPauseDevelopment;
  Location where;
};

struct Obligation {
  std::string id;
  std::string description;
  std::string authority;       // e.g. "EU AI Office"
  std::string event;           // e.g. "serious_incident"
  int64_t within_seconds = 0;  // the clock, from "15d", "72h", "30m"
  std::string within_text;     // as written
  Location where;
};

struct Policy {
  std::string file;
  Framework framework;
  std::vector<Domain> domains;
  std::vector<Level> levels;  // ordered, lowest first
  std::vector<Safeguard> safeguards;
  std::vector<Threshold> thresholds;
  std::vector<Trigger> triggers;
  DecisionRights decision;
  std::vector<HaltCondition> halt_conditions;
  std::vector<Obligation> obligations;

  const Domain* FindDomain(std::string_view id) const;
  const Level* FindLevel(std::string_view id) const;
  const Safeguard* FindSafeguard(std::string_view id) const;
  const Threshold* FindThreshold(std::string_view id) const;
};

// Parses a policy. `file` names the source in errors. kInvalidArgument with
// "file:line:column: what was expected" for malformed YAML, a missing or mistyped field, an
// unknown field or enum value, a duplicate id, a reference to an undefined domain, level,
// safeguard, role or threshold, or an expression error. All errors found are reported, one
// per line, up to 50.
Result<Policy> LoadPolicy(std::string_view yaml, std::string_view file);
// Reads and parses a policy file through `env`. kNotFound if it does not exist.
Result<Policy> LoadPolicyFile(Env& env, const std::string& path);

// "15d" -> 1296000, "72h", "30m", "90s"; at most 100 years. kInvalidArgument otherwise.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace rsf::policy
