// The incident record, its JSON form and the state machine (include/rsf/incident/incident.h).
#include "rsf/incident/incident.h"

#include <array>

#include <fmt/format.h>

#include "rsf/common/sha256.h"

namespace rsf::incident {
namespace {

constexpr std::array<std::string_view, 6> kKinds = {"misuse", "jailbreak", "capability_surprise", "weights_security", "data", "outage"};
constexpr std::array<std::string_view, 4> kSeverities = {"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 5> kStates = {"reported", "triaged", "contained", "resolved", "reviewed"};

template <typename E, size_t N>
std::optional<E> Find(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

Json Text(std::string_view text, bool with_content) {
  if (with_content) return std::string(text);
  if (text.empty()) return "";
  return Json{{"sha256", TextDigest(text)}, {"bytes", text.size()}};
}

Result<std::string> Str(const Json& j, const char* field, bool required = false) {
  if (!j.contains(field)) {
    if (required) return InvalidArgumentError(fmt::format("incident: '{}' is required", field));
    return std::string();
  }
  if (!j[field].is_string()) return InvalidArgumentError(fmt::format("incident: '{}' must be a string", field));
  return j[field].get<std::string>();
}

Result<std::vector<std::string>> Strs(const Json& j, const char* field) {
  std::vector<std::string> out;
  if (!j.contains(field)) return out;
  if (!j[field].is_array()) return InvalidArgumentError(fmt::format("incident: '{}' must be a list of strings", field));
  for (const auto& v : j[field]) {
    if (!v.is_string()) return InvalidArgumentError(fmt::format("incident: '{}' must be a list of strings", field));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> StrMap(const Json& j, const char* field) {
  std::map<std::string, std::string> out;
  if (!j.contains(field)) return out;
  if (!j[field].is_object()) return InvalidArgumentError(fmt::format("incident: '{}' must be an object of strings", field));
  for (const auto& [k, v] : j[field].items()) {
    if (!v.is_string()) return InvalidArgumentError(fmt::format("incident: '{}.{}' must be a string", field, k));
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

std::string_view KindName(Kind k) { return kKinds[static_cast<size_t>(k)]; }
std::string_view SeverityName(Severity s) { return kSeverities[static_cast<size_t>(s)]; }
std::string_view StateName(State s) { return kStates[static_cast<size_t>(s)]; }
std::optional<Kind> ParseKind(std::string_view text) { return Find<Kind>(kKinds, text); }
std::optional<Severity> ParseSeverity(std::string_view text) { return Find<Severity>(kSeverities, text); }
std::optional<State> ParseState(std::string_view text) { return Find<State>(kStates, text); }

std::string KindList() {
  std::string out;
  for (auto k : kKinds) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

std::string TextDigest(std::string_view text) { return Sha256Hex(text); }

Status CheckTransition(State from, State to) {
  if (to == from) return FailedPreconditionError(fmt::format("the incident is already {}", StateName(from)));
  if (to < from) {
    return FailedPreconditionError(fmt::format("an incident moves forward only: it is {} and cannot go back to {}",
                                               StateName(from), StateName(to)));
  }
  if (to == State::kReviewed && from != State::kResolved) {
    return FailedPreconditionError(fmt::format("only a resolved incident can be reviewed (it is {})", StateName(from)));
  }
  return OkStatus();
}

Json Incident::ToJson(bool with_content) const {
  Json timeline_json = Json::array();
  for (const auto& t : timeline) {
    Json e = {{"time", t.time}, {"actor", t.actor}, {"what", t.what}, {"detail", t.detail}};
    if (!t.text.empty()) e["text"] = Text(t.text, with_content);
    timeline_json.push_back(std::move(e));
  }
  Json filed_json = Json::array();
  for (const auto& f : filed) {
    filed_json.push_back({{"obligation", f.obligation}, {"time", f.time}, {"actor", f.actor}, {"reference", f.reference}});
  }
  return {{"id", id},
          {"kind", KindName(kind)},
          {"severity", SeverityName(severity)},
          {"state", StateName(state)},
          {"title", title},
          {"summary", Text(summary, with_content)},
          {"commander", commander},
          {"models", models},
          {"tiers", tiers},
          {"events", events},
          {"evidence", evidence},
          {"source", source},
          {"context", context},
          {"drill", drill},
          {"opened", opened},
          {"entered", entered},
          {"runbook", runbook},
          {"steps", steps},
          {"escalated", escalated},
          {"filed", filed_json},
          {"timeline", timeline_json}};
}

Result<Incident> IncidentFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgumentError("incident: expected a JSON object");
  Incident x;
  RSF_ASSIGN_OR_RETURN(x.id, Str(j, "id", true));
  RSF_ASSIGN_OR_RETURN(std::string kind, Str(j, "kind", true));
  RSF_ASSIGN_OR_RETURN(std::string severity, Str(j, "severity", true));
  RSF_ASSIGN_OR_RETURN(std::string state, Str(j, "state", true));
  auto k = ParseKind(kind);
  auto s = ParseSeverity(severity);
  auto st = ParseState(state);
  if (!k) return InvalidArgumentError(fmt::format("incident {}: kind '{}' is not one of {}", x.id, kind, KindList()));
  if (!s) return InvalidArgumentError(fmt::format("incident {}: severity '{}' is not low, medium, high or critical", x.id, severity));
  if (!st) return InvalidArgumentError(fmt::format("incident {}: state '{}' is unknown", x.id, state));
  x.kind = *k;
  x.severity = *s;
  x.state = *st;
  RSF_ASSIGN_OR_RETURN(x.title, Str(j, "title"));
  if (j.contains("summary") && !j["summary"].is_string()) return InvalidArgumentError("incident: 'summary' holds a digest, not the text");
  RSF_ASSIGN_OR_RETURN(x.summary, Str(j, "summary"));
  RSF_ASSIGN_OR_RETURN(x.commander, Str(j, "commander"));
  RSF_ASSIGN_OR_RETURN(x.models, Strs(j, "models"));
  RSF_ASSIGN_OR_RETURN(x.tiers, Strs(j, "tiers"));
  RSF_ASSIGN_OR_RETURN(x.events, Strs(j, "events"));
  if (j.contains("evidence")) {
    if (!j["evidence"].is_array()) return InvalidArgumentError("incident: 'evidence' must be a list");
    x.evidence = j["evidence"];
  }
  RSF_ASSIGN_OR_RETURN(x.source, Str(j, "source"));
  RSF_ASSIGN_OR_RETURN(x.context, StrMap(j, "context"));
  RSF_ASSIGN_OR_RETURN(x.drill, Str(j, "drill"));
  RSF_ASSIGN_OR_RETURN(x.opened, Str(j, "opened", true));
  RSF_ASSIGN_OR_RETURN(x.entered, StrMap(j, "entered"));
  RSF_ASSIGN_OR_RETURN(x.runbook, Str(j, "runbook"));
  RSF_ASSIGN_OR_RETURN(x.steps, StrMap(j, "steps"));
  RSF_ASSIGN_OR_RETURN(x.escalated, OptionalBool(j, "escalated", "incident"));
  if (j.contains("filed")) {
    if (!j["filed"].is_array()) return InvalidArgumentError("incident: 'filed' must be a list of objects");
    for (size_t i = 0; i < j["filed"].size(); ++i) {
      const Json& f = j["filed"][i];
      const std::string where = fmt::format("incident: filed[{}]", i);
      if (!f.is_object()) return InvalidArgumentError("incident: 'filed' must be a list of objects");
      Filed filing;
      RSF_ASSIGN_OR_RETURN(filing.obligation, OptionalString(f, "obligation", where));
      RSF_ASSIGN_OR_RETURN(filing.time, OptionalString(f, "time", where));
      RSF_ASSIGN_OR_RETURN(filing.actor, OptionalString(f, "actor", where));
      RSF_ASSIGN_OR_RETURN(filing.reference, OptionalString(f, "reference", where));
      x.filed.push_back(std::move(filing));
    }
  }
  if (j.contains("timeline")) {
    if (!j["timeline"].is_array()) return InvalidArgumentError("incident: 'timeline' must be a list of objects");
    for (size_t i = 0; i < j["timeline"].size(); ++i) {
      const Json& t = j["timeline"][i];
      const std::string where = fmt::format("incident: timeline[{}]", i);
      if (!t.is_object()) return InvalidArgumentError("incident: 'timeline' must be a list of objects");
      if (t.contains("text") && !t["text"].is_string()) return InvalidArgumentError("incident: a timeline text holds a digest");
      TimelineEntry e;
      RSF_ASSIGN_OR_RETURN(e.time, OptionalString(t, "time", where));
      RSF_ASSIGN_OR_RETURN(e.actor, OptionalString(t, "actor", where));
      RSF_ASSIGN_OR_RETURN(e.what, OptionalString(t, "what", where));
      RSF_ASSIGN_OR_RETURN(e.text, OptionalString(t, "text", where));
      e.detail = t.contains("detail") ? t["detail"] : Json::object();
      x.timeline.push_back(std::move(e));
    }
  }
  return x;
}

}  // namespace rsf::incident
