// Regulatory clocks and report drafts (include/rsf/incident/clocks.h).
#include "rsf/incident/clocks.h"

#include <algorithm>

#include <fmt/format.h>

namespace rsf::incident {
namespace {

int64_t Seconds(TimePoint t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }

std::string Plain(int64_t s) {
  const int64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
  if (d > 0) return h > 0 ? fmt::format("{}d {}h", d, h) : fmt::format("{}d", d);
  if (h > 0) return m > 0 ? fmt::format("{}h {}m", h, m) : fmt::format("{}h", h);
  if (m > 0) return fmt::format("{}m", m);
  return fmt::format("{}s", s);
}

const Filed* FindFiled(const Incident& x, std::string_view obligation) {
  for (const auto& f : x.filed) {
    if (f.obligation == obligation) return &f;
  }
  return nullptr;
}

}  // namespace

std::string FormatRemaining(int64_t seconds) { return seconds >= 0 ? Plain(seconds) : "overdue by " + Plain(-seconds); }

Json Duty::ToJson() const {
  Json j = {{"incident", incident}, {"obligation", obligation}, {"authority", authority}, {"event", event},
            {"description", description}, {"within", within}, {"start", FormatRfc3339(start)}, {"due", FormatRfc3339(due)},
            {"status", status}, {"seconds_left", seconds_left}, {"drill", drill}};
  if (!filed_at.empty()) j["filed_at"] = filed_at;
  return j;
}

Result<std::vector<Duty>> ComputeDuties(const std::vector<policy::Obligation>& obligations, const IncidentPolicy& policy,
                                        const std::vector<Incident>& incidents, TimePoint now) {
  std::vector<Duty> out;
  for (const auto& x : incidents) {
    auto opened = ParseRfc3339(x.opened);
    if (!opened.ok()) return InvalidArgumentError(fmt::format("incident {}: 'opened' is not an RFC 3339 time: {}", x.id, x.opened));
    // Triage.
    {
      Duty d;
      d.incident = x.id;
      d.obligation = "triage";
      d.authority = "internal";
      d.event = "triage";
      d.description = "Triage the incident: severity, commander, reportable events";
      d.within = Plain(policy.triage_within.count());
      d.start = *opened;
      d.due = *opened + policy.triage_within;
      d.drill = !x.drill.empty();
      if (x.state != State::kReported) {
        d.status = "done";
        for (const auto& [state, when] : x.entered) {
          if (state != "reported" && (d.filed_at.empty() || when < d.filed_at)) d.filed_at = when;
        }
      } else {
        d.seconds_left = Seconds(d.due) - Seconds(now);
        d.status = d.seconds_left < 0 ? "overdue" : "open";
      }
      out.push_back(std::move(d));
    }
    for (const auto& o : obligations) {
      if (std::find(x.events.begin(), x.events.end(), o.event) == x.events.end()) continue;
      Duty d;
      d.incident = x.id;
      d.obligation = o.id;
      d.authority = o.authority;
      d.event = o.event;
      d.description = o.description;
      d.within = o.within_text;
      d.start = *opened;
      d.due = *opened + std::chrono::seconds(o.within_seconds);
      d.drill = !x.drill.empty();
      if (const Filed* f = FindFiled(x, o.id)) {
        d.filed_at = f->time;
        auto at = ParseRfc3339(f->time);
        d.status = at.ok() && *at <= d.due ? "filed" : "filed_late";
      } else {
        d.seconds_left = Seconds(d.due) - Seconds(now);
        d.status = d.seconds_left < 0 ? "overdue" : "open";
      }
      out.push_back(std::move(d));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Duty& a, const Duty& b) {
    const bool a_open = a.status == "open" || a.status == "overdue";
    const bool b_open = b.status == "open" || b.status == "overdue";
    if (a_open != b_open) return a_open;
    return a.due < b.due;
  });
  return out;
}

Result<Draft> DraftReport(const Incident& x, const std::vector<policy::Obligation>& obligations, const IncidentPolicy& policy,
                          std::string_view obligation_id, TimePoint now) {
  const policy::Obligation* o = nullptr;
  for (const auto& ob : obligations) o = ob.id == obligation_id ? &ob : o;
  if (!o) return NotFoundError(fmt::format("the policy has no obligation '{}'", obligation_id));
  if (std::find(x.events.begin(), x.events.end(), o->event) == x.events.end()) {
    return NotFoundError(fmt::format("obligation '{}' (event {}) does not apply to incident {} (its events: {})", o->id, o->event, x.id,
                                     x.events.empty() ? "none" : fmt::format("{}", fmt::join(x.events, ", "))));
  }
  RSF_ASSIGN_OR_RETURN(auto duties, ComputeDuties({*o}, policy, {x}, now));
  const Duty* duty = nullptr;
  for (const auto& d : duties) duty = d.obligation == o->id ? &d : duty;
  Json j = x.ToJson(false);
  Json report = {{"format", "rsf-incident-report/1"},
                 {"obligation", {{"id", o->id}, {"authority", o->authority}, {"event", o->event}, {"within", o->within_text},
                                 {"description", o->description}}},
                 {"due", FormatRfc3339(duty->due)},
                 {"status", duty->status},
                 {"drafted", FormatRfc3339(now)},
                 {"incident", {{"id", x.id}, {"kind", j["kind"]}, {"severity", j["severity"]}, {"state", j["state"]},
                               {"title", x.title}, {"summary", j["summary"]}, {"aware_since", x.opened}, {"entered", x.entered},
                               {"models", x.models}, {"tiers", x.tiers}, {"commander", x.commander}, {"evidence", x.evidence},
                               {"drill", x.drill}}},
                 {"actions", Json::array()},
                 {"content_policy", "free text is given as SHA-256 digests; the full text is available to the authority on request"}};
  for (const auto& t : x.timeline) {
    if (t.what == "action.done" || t.what == "action.failed" || t.what.rfind("state.", 0) == 0 || t.what == "notified") {
      report["actions"].push_back({{"time", t.time}, {"what", t.what}, {"actor", t.actor}, {"detail", t.detail}});
    }
  }
  std::string md;
  md += fmt::format("# {} report: {}\n\n", o->authority, x.title.empty() ? x.id : x.title);
  if (!x.drill.empty()) md += fmt::format("> **Drill** {} — not a real incident; do not file.\n\n", x.drill);
  md += fmt::format("*Draft prepared {} under obligation `{}` ({}: report within {} of awareness). Due **{}** ({}).*\n\n",
                    FormatRfc3339(now), o->id, o->event, o->within_text, FormatRfc3339(duty->due),
                    duty->status == "open" || duty->status == "overdue" ? FormatRemaining(duty->seconds_left) : duty->status);
  md += "| field | value |\n|---|---|\n";
  md += fmt::format("| incident | `{}` |\n| kind | {} |\n| severity | {} |\n| state | {} |\n", x.id, KindName(x.kind),
                    SeverityName(x.severity), StateName(x.state));
  md += fmt::format("| aware since | {} |\n| models | {} |\n| access tiers | {} |\n| incident commander | {} |\n", x.opened,
                    x.models.empty() ? "—" : fmt::format("{}", fmt::join(x.models, ", ")),
                    x.tiers.empty() ? "—" : fmt::format("{}", fmt::join(x.tiers, ", ")), x.commander.empty() ? "—" : x.commander);
  md += fmt::format("| summary | {} |\n\n", x.summary.empty() ? "—" : "SHA-256 `" + TextDigest(x.summary) + "` (text withheld)");
  md += "## What was done\n\n";
  if (report["actions"].empty()) md += "Nothing yet.\n";
  for (const auto& a : report["actions"]) {
    const Json& d = a["detail"];
    std::string what = a["what"].get<std::string>();
    if (d.contains("action")) what += fmt::format(" — {} {}", StringOr(d, "action"), StringOr(d, "target"));
    md += fmt::format("- {} {} ({})\n", a["time"].get<std::string>(), what, a["actor"].get<std::string>());
  }
  md += "\n## Evidence\n\n";
  if (x.evidence.empty()) md += "None linked.\n";
  for (const auto& e : x.evidence) md += fmt::format("- `{}`\n", e.dump());
  md += "\nFree text is given as SHA-256 digests; the full text is available to the authority on request.\n";
  return Draft{std::move(md), std::move(report)};
}

}  // namespace rsf::incident
