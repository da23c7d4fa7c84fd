// include/rsf/policy/assess.h
//
// Assessment: policy + evidence -> determination and decision. For each threshold it
// evaluates the condition and the early-warning condition against evaluation results
// (three-valued: missing evidence follows the threshold's on_missing rule), reports the margin
// to every simple bound with its confidence interval, finds the level reached per domain and
// overall, checks that the level's required safeguards are in place (attestations and machine
// evidence), applies halt conditions, and chooses one outcome with its reasons.
//
// Evidence formats: docs/formats/evidence.md.
//
// Thread safety: stateless functions over immutable inputs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/policy/policy.h"

namespace rsf::policy {

// One metric from an evaluation: a point estimate and, when known, its confidence interval.
struct MetricEstimate {
  std::optional<double> mean, ci_low, ci_high;
  std::optional<int64_t> n;  // sample size
  std::map<std::string, double> other;  // any further numeric fields (stderr, ...)
};

struct EvalResults {
  std::string model;         // model name
  std::string model_digest;  // "sha256:..." (the signed manifest's digest)
  std::string generated;     // RFC 3339
  // "wmdp_bio.accuracy" -> estimate; conditions read "wmdp_bio.accuracy.ci_low" etc.
  std::map<std::string, MetricEstimate> metrics;
  // Plain numbers, read by their full path (e.g. "expert_baseline.bio_protocol_qa.accuracy").
  std::map<std::string, double> values;

  // The value of a condition's metric path, or nullopt when the evidence lacks it.
  std::optional<double> Lookup(std::string_view path) const;
};

struct Attestation {
  std::string safeguard;
  std::string role;
  std::string signer;
  std::string statement;
  std::string time;
  // A C2SP signed note over AttestationText(...). Required when the policy lists keys for the
  // role (decision.roles[].keys); an unsigned attestation then does not count.
  std::string note;
};

// "rsf-attestation/1\nsafeguard <id>\nrole <role>\nstatement <text>\ntime <time>\n"
std::string AttestationText(const Attestation& a);

struct SafeguardEvidence {
  std::vector<Attestation> attestations;
  std::map<std::string, std::string> machine;  // configuration path -> value
};

// Parse the documented JSON formats. kInvalidArgument names the field that is wrong.
Result<EvalResults> ParseEvalResults(const Json& json, std::string_view source);
Result<SafeguardEvidence> ParseSafeguardEvidence(const Json& json, std::string_view source);

enum class ThresholdStatus { kBelow, kAlert, kCrossed, kCrossedMissingEvidence, kUnknownIgnored };
std::string_view ThresholdStatusName(ThresholdStatus s);

struct Margin {
  std::string metric;  // the full metric path in the condition
  std::string op;
  double bound = 0;
  std::optional<double> value;             // the metric's value in the evidence
  // How far the value is from moving this comparison towards crossing the threshold:
  // positive means room is left, zero or negative means this part of the condition is met.
  std::optional<double> distance;
  std::optional<double> mean, ci_low, ci_high;  // of the metric's family, for the chart
};

struct ThresholdResult {
  std::string id, domain, level;
  Truth condition = Truth::kUnknown;
  std::optional<Truth> alert;
  ThresholdStatus status = ThresholdStatus::kBelow;
  std::vector<std::string> missing_metrics;
  std::vector<Margin> margins;  // of the condition
  std::vector<Margin> alert_margins;
};

struct DomainResult {
  std::string id, name;
  bool watch = false;
  std::string level;  // reached
  std::vector<std::string> crossed, alerts;
};

struct SafeguardResult {
  std::string id, name;
  Standard standard = Standard::kDeployment;
  bool in_place = false;
  std::string evidence;  // what showed it, or what is missing
};

struct Assessment {
  std::string framework_id, framework_version;
  std::string model, model_digest, evals_generated;
  std::vector<ThresholdResult> thresholds;
  std::vector<DomainResult> domains;
  std::string level;  // the model's level: the highest reached in any tracked domain
  std::vector<SafeguardResult> safeguards;  // required at that level
  Outcome outcome = Outcome::kHoldDeployment;
  std::vector<std::string> tiers;     // for deploy_restricted
  std::vector<std::string> reasons;   // why, in order
  std::vector<std::string> halts;     // ids of halt conditions that applied
};

// REQUIRES: `policy` loaded by LoadPolicy. Never fails on evidence content: missing evidence
// is part of the determination. kInvalidArgument only for a runtime expression error
// (division by zero), naming the threshold.
Result<Assessment> Assess(const Policy& policy, const EvalResults& evals,
                          const SafeguardEvidence& evidence);

// The assessment as JSON (stable field names; docs/formats/evidence.md §Assessment).
Json AssessmentToJson(const Assessment& a);

}  // namespace rsf::policy
