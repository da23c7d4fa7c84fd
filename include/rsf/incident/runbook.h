// include/rsf/incident/runbook.h
//
// Runbooks: what to do for an incident of a kind and severity (YAML, one per file;
// docs/incidents.md). The gateway loads them at start and on reload; a malformed runbook is
// refused then, with its file and line.
//
//   runbook: misuse-high
//   match: {kinds: [misuse, jailbreak], min_severity: high}
//   commander: safety-oncall
//   escalate: {webhook: "https://pager.example/hooks/rsf"}   # when an action fails for good
//   steps:
//     - {id: revoke,   action: revoke_key,    target: "{key}"}
//     - {id: restrict, action: restrict_tier, target: "{tier}", approval: true}
//     - {id: halt,     action: halt_model,    target: "{model}"}
//     - {id: rollback, action: rollback,      target: "{model}"}
//     - {id: page,     action: notify,        webhook: "https://pager.example/hooks/rsf"}
//   retries: 3            # attempts after the first, per action (default 3)
//   retry_delay: 1s       # doubled after each failed attempt (default 1s)
//
// Targets are literal or one of {key}, {tier}, {model}, {channel}, filled from the signal
// that opened the incident (or its first listed model/tier). A step with `approval: true`
// waits until an admin approves it; the steps after it wait too.
//
// Thread safety: values and pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/status.h"
#include "rsf/incident/incident.h"

namespace rsf::incident {

enum class ActionKind { kRevokeKey, kRestrictTier, kHaltModel, kRollback, kNotify };
std::string_view ActionName(ActionKind a);  // "revoke_key", "restrict_tier", ...
// Containment actions change what the gateway serves; notify does not.
inline bool IsContainment(ActionKind a) { return a != ActionKind::kNotify; }

struct RunbookStep {
  std::string id;
  ActionKind action = ActionKind::kNotify;
  std::string target;   // template or literal (containment)
  std::string webhook;  // notify
  bool approval = false;
  std::string where;    // file:line
};

struct Runbook {
  std::string id;
  std::string file;
  std::vector<Kind> kinds;  // empty: every kind
  Severity min_severity = Severity::kLow;
  std::string commander;
  std::string escalate_webhook;
  int retries = 3;
  std::chrono::milliseconds retry_delay{1000};
  std::vector<RunbookStep> steps;
};

// Parses one runbook. kInvalidArgument "file:line:col: what was expected".
Result<Runbook> ParseRunbook(std::string_view yaml, std::string_view file);
// Loads runbooks from files and directories (every *.yaml / *.yml in them, sorted). Refuses
// two runbooks with the same id.
Result<std::vector<Runbook>> LoadRunbooks(Env& env, const std::vector<std::string>& paths);
// The runbook for an incident: among those matching the kind and whose min_severity the
// severity reaches, one that names kinds before one for every kind, then the one with the
// highest min_severity, then the first loaded.
const Runbook* SelectRunbook(const std::vector<Runbook>& runbooks, Kind kind, Severity severity);

// A step's target with {key}, {tier}, {model}, {channel} filled from the incident; kNotFound
// when the incident does not know the value.
Result<std::string> ResolveTarget(const RunbookStep& step, const Incident& incident);

}  // namespace rsf::incident
