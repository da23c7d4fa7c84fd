// include/rsf/incident/rules.h
//
// The policy's `incidents:` section (docs/incidents.md) and the monitor that turns the
// gateway's signals into incidents.
//
//   incidents:
//     triage_within: 72h        # an incident must leave `reported` within this (default 72h)
//     events:                   # reportable events an incident raises by kind and severity;
//       - {event: serious_incident, kinds: [misuse, jailbreak], severities: [critical]}
//     rules:
//       - id: weapons-burst
//         signal: guard.cbrn    # what is counted (below)
//         group_by: key         # key | tier | model | channel | all
//         count: 20             # opens when `count` signals fall within `within` ...
//         within: 60s
//         open: {kind: misuse, severity: high, title: "Burst of weapons-category requests"}
//       - id: canary-regression
//         signal: guard.blocked
//         per: request          # ... or, with `per`, when signal/per over `within` exceeds
//         above: 0.2            # `above` once at least `min_events` `per` signals were seen
//         min_events: 50
//         channel: canary       # only signals from this rollout channel
//         group_by: model
//         within: 10m
//         open: {kind: capability_surprise, severity: medium}
//
// Signals: the gateway emits `request` for every model request, `guard.<category>` for each
// category the guard flagged or blocked (prompt or response), `guard.blocked` for a blocked
// request; others (`security.weights_access`, `canary.<metric>`) arrive through the admin API.
// After a rule opens an incident for a group it stays quiet for that group for `cooldown`
// (default 10 minutes). Drill signals are counted apart from real ones, per drill, so a drill
// never opens a real incident and real traffic never completes a drill's count.
//
// Thread safety: IncidentPolicy is a value; Monitor is safe for concurrent use.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/status.h"
#include "rsf/incident/incident.h"

namespace rsf::incident {

enum class GroupBy { kKey, kTier, kModel, kChannel, kAll };

struct DetectionRule {
  std::string id;
  std::string signal;
  std::string per;        // "" for a count rule
  GroupBy group_by = GroupBy::kKey;
  int count = 1;
  double above = 0;
  int min_events = 1;
  std::string channel;    // "" = any
  std::chrono::milliseconds within{60000};
  std::chrono::milliseconds cooldown{600000};
  Kind kind = Kind::kMisuse;
  Severity severity = Severity::kMedium;
  std::string title;
  std::string where;      // file:line
};

struct EventRule {
  std::string event;
  std::vector<Kind> kinds;           // empty: any
  std::vector<Severity> severities;  // empty: any
};

struct IncidentPolicy {
  std::chrono::seconds triage_within{72 * 3600};
  std::vector<EventRule> events;
  std::vector<DetectionRule> rules;
};

// Parses a policy file's `incidents:` section (or a document that is only that mapping); a
// file without one yields the defaults and no rules. kInvalidArgument "file:line:col: ...".
Result<IncidentPolicy> LoadIncidentPolicy(std::string_view yaml, std::string_view file);

// The reportable events an incident of this kind and severity raises under `policy`.
std::vector<std::string> EventsFor(const IncidentPolicy& policy, Kind kind, Severity severity);

struct Signal {
  std::string key, tier, model, channel;
  std::string drill;  // "" for real traffic
};

struct Detection {
  const DetectionRule* rule = nullptr;  // points into the Monitor's policy
  std::string group;                    // the group's value ("" for kAll)
  Signal signal;                        // the signal that completed the rule
  double observed = 0;                  // count, or rate for `per` rules
  int events = 0;                       // signals in the window
};

class Monitor {
 public:
  Monitor(IncidentPolicy policy, const Clock& clock);

  // True when some rule counts signal `name` (lets callers skip Observe cheaply).
  bool Watches(std::string_view name) const { return watched_.contains(std::string(name)); }
  // Counts one occurrence of each name in `names` for `signal`; returns the rules that fire.
  std::vector<Detection> Observe(const Signal& signal, const std::vector<std::string>& names);

  const IncidentPolicy& policy() const { return policy_; }

 private:
  struct Window {
    std::deque<int64_t> hits;    // ms, oldest first
    std::deque<int64_t> totals;  // `per` signals (rate rules)
    int64_t quiet_until = 0;
    int64_t last = 0;
  };
  void Sweep(int64_t now);

  IncidentPolicy policy_;
  const Clock& clock_;
  std::set<std::string, std::less<>> watched_;
  std::mutex mu_;
  std::map<std::string, Window> windows_;  // "<rule index>\x1f<drill>\x1f<group>"
  int64_t next_sweep_ = 0;
};

}  // namespace rsf::incident
