// include/rsf/incident/incident.h
//
// An incident: what happened (kind, severity), where it stands (a state machine), who runs it
// (the incident commander), what it touches (models, tiers) and what it rests on (evidence:
// ledger entries of requests and guard verdicts, flaw reports, decisions, signals), with a
// timeline of everything done about it. docs/incidents.md describes the life cycle.
//
//   reported -> triaged -> contained -> resolved -> reviewed
//
// States only move forward. A state may be skipped (automatic containment can come before
// triage), except that `reviewed` needs `resolved` first; the time each state was entered is
// kept, and the regulatory clocks start at `opened` (when the organisation became aware).
//
// Free text (the summary, timeline notes, reporters' words) may describe hazardous content:
// ToJson(false) replaces it by SHA-256 digests, which is what auditors and report drafts see.
//
// Thread safety: values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"

namespace rsf::incident {

enum class Kind { kMisuse, kJailbreak, kCapabilitySurprise, kWeightsSecurity, kData, kOutage };
enum class Severity { kLow, kMedium, kHigh, kCritical };
enum class State { kReported, kTriaged, kContained, kResolved, kReviewed };

std::string_view KindName(Kind k);            // "misuse", "jailbreak", "capability_surprise", ...
std::string_view SeverityName(Severity s);    // "low" ... "critical"
std::string_view StateName(State s);          // "reported" ... "reviewed"
std::optional<Kind> ParseKind(std::string_view text);
std::optional<Severity> ParseSeverity(std::string_view text);
std::optional<State> ParseState(std::string_view text);
// "misuse, jailbreak, ..." for error messages.
std::string KindList();

struct TimelineEntry {
  std::string time;   // RFC 3339
  std::string actor;  // "admin:<key id>", "rule:<id>", "runbook:<id>", "cli", "system"
  std::string what;   // "opened", "state.triaged", "action.done", "notified", "note", ...
  std::string text;   // free text (hazardous content possible)
  Json detail = Json::object();  // structured facts (never secrets)
};

// A duty discharged: the report to an authority under an obligation was filed.
struct Filed {
  std::string obligation;
  std::string time;
  std::string actor;
  std::string reference;  // the authority's case number, if any
};

struct Incident {
  std::string id;  // "inc-..."
  Kind kind = Kind::kMisuse;
  Severity severity = Severity::kMedium;
  State state = State::kReported;
  std::string title;
  std::string summary;    // free text
  std::string commander;  // the incident commander
  std::vector<std::string> models, tiers;
  std::vector<std::string> events;  // reportable events (policy obligations' `event`)
  Json evidence = Json::array();    // [{"type": "ledger"|"flaw_report"|"signal"|"decision", ...}]
  std::string source;               // "rule:<id>", "flaw_report:<id>", "admin:<key>", "signal:<name>"
  std::map<std::string, std::string> context;  // the triggering signal's key, tier, model, channel
  std::string drill;                // the drill's id; "" for a real incident
  std::string opened;               // RFC 3339: awareness, when every clock starts
  std::map<std::string, std::string> entered;  // state name -> RFC 3339
  std::string runbook;              // the runbook applied, "" if none matched
  // Runbook step id -> "pending", "awaiting_approval", "approved", "done" or "failed".
  std::map<std::string, std::string> steps;
  bool escalated = false;           // a runbook action failed for good
  std::vector<Filed> filed;
  std::vector<TimelineEntry> timeline;

  // with_content false: free text replaced by {"sha256": ...} digests.
  Json ToJson(bool with_content) const;
};

// Parses what ToJson(true) wrote. kInvalidArgument naming the field.
Result<Incident> IncidentFromJson(const Json& j);

// kFailedPrecondition explaining why `from` cannot move to `to`.
Status CheckTransition(State from, State to);

// The SHA-256 hex of free text, as ToJson(false) shows it.
std::string TextDigest(std::string_view text);

}  // namespace rsf::incident
