// include/rsf/incident/clocks.h
//
// Regulatory clocks: what must be reported to whom by when. A policy obligation (policy.h:
// authority, event, within) applies to an incident that raises its event (the incident's
// `events`, set from the policy's `incidents.events` mapping and at triage); its clock starts
// when the organisation became aware (`opened`). The triage clock (`incidents.triage_within`)
// applies to every incident until it leaves `reported`. Drill incidents get clocks too,
// marked as drills, so a drill can check them; they are never real duties.
//
// Report drafts come pre-filled from the incident, in Markdown and JSON, with every piece of
// free text replaced by its SHA-256 digest: a draft may travel, hazardous details may not.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/incident/incident.h"
#include "rsf/incident/rules.h"
#include "rsf/policy/policy.h"

namespace rsf::incident {

struct Duty {
  std::string incident;
  std::string obligation;  // the obligation's id, or "triage"
  std::string authority;   // "internal" for triage
  std::string event;
  std::string description;
  std::string within;      // as written ("15d")
  TimePoint start, due;
  // "open" (time left), "overdue", "filed" (on time), "filed_late", "done" (triage done).
  std::string status;
  int64_t seconds_left = 0;  // due - now (negative when overdue)
  std::string filed_at;
  bool drill = false;

  Json ToJson() const;
};

// Every duty of `incidents` under `obligations` and `policy` at time `now`, soonest due first.
// Incidents whose `opened` does not parse yield kInvalidArgument naming them.
Result<std::vector<Duty>> ComputeDuties(const std::vector<policy::Obligation>& obligations, const IncidentPolicy& policy,
                                        const std::vector<Incident>& incidents, TimePoint now);

// "3d 4h", "5h 12m", "42m", "overdue by 2h 3m".
std::string FormatRemaining(int64_t seconds);

// A report draft for `incident` under obligation `obligation_id`: Markdown, and JSON with the
// same facts. kNotFound when the policy has no such obligation or it does not apply.
struct Draft {
  std::string markdown;
  Json json;
};
Result<Draft> DraftReport(const Incident& incident, const std::vector<policy::Obligation>& obligations,
                          const IncidentPolicy& policy, std::string_view obligation_id, TimePoint now);

}  // namespace rsf::incident
