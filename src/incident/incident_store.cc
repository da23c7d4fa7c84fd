// Incidents in the Store (include/rsf/incident/incident_store.h).
#include "rsf/incident/incident_store.h"

#include <fmt/format.h>

namespace rsf::incident {
namespace {

constexpr std::string_view kIncidents = "incident.incidents";
constexpr std::string_view kDrills = "incident.drills";

Result<Incident> Decode(const store::StoredValue& v) {
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(v.value, fmt::format("stored incident {}", v.key)));
  auto x = IncidentFromJson(j);
  if (!x.ok()) return DataLossError(fmt::format("stored incident {} does not parse: {}", v.key, x.status().message()));
  return x;
}

}  // namespace

IncidentStore::IncidentStore(store::Store& store, const Clock& clock) : store_(store), clock_(clock), ids_(clock) {}

Result<Incident> IncidentStore::Create(Incident incident, std::string_view actor) {
  const std::string now = FormatRfc3339(clock_.Now());
  incident.id = ids_.Next("inc-");
  if (incident.opened.empty()) incident.opened = now;
  incident.entered[std::string(StateName(incident.state))] = now;
  incident.timeline.insert(incident.timeline.begin(),
                           TimelineEntry{now, std::string(actor), "opened", "",
                                         {{"kind", KindName(incident.kind)}, {"severity", SeverityName(incident.severity)},
                                          {"source", incident.source}}});
  RSF_RETURN_IF_ERROR(store_.Put(kIncidents, incident.id, incident.ToJson(true).dump(), 0).status());
  return incident;
}

Result<Incident> IncidentStore::Get(std::string_view id) {
  RSF_ASSIGN_OR_RETURN(auto v, store_.Get(kIncidents, id));
  if (!v) return NotFoundError(fmt::format("no incident '{}'", id));
  return Decode(*v);
}

Result<std::vector<Incident>> IncidentStore::List() {
  std::vector<Incident> out;
  std::string after;
  for (;;) {
    RSF_ASSIGN_OR_RETURN(auto page, store_.List(kIncidents, "", 500, after));
    for (const auto& v : page) {
      RSF_ASSIGN_OR_RETURN(Incident x, Decode(v));
      out.push_back(std::move(x));
    }
    if (page.size() < 500) break;
    after = page.back().key;
  }
  return out;
}

Result<Incident> IncidentStore::Update(std::string_view id, const std::function<Status(Incident&)>& change) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    RSF_ASSIGN_OR_RETURN(auto v, store_.Get(kIncidents, id));
    if (!v) return NotFoundError(fmt::format("no incident '{}'", id));
    RSF_ASSIGN_OR_RETURN(Incident x, Decode(*v));
    RSF_RETURN_IF_ERROR(change(x));
    auto put = store_.Put(kIncidents, id, x.ToJson(true).dump(), v->version);
    if (put.ok()) return x;
    if (put.status().code() != StatusCode::kFailedPrecondition) return put.status();
  }
  return UnavailableError(fmt::format("incident {}: too many concurrent changes; retry", id));
}

Status IncidentStore::PutDrill(const Json& report) {
  return store_.Put(kDrills, StringOr(report, "id"), report.dump()).status();
}

Result<std::vector<Json>> IncidentStore::ListDrills() {
  std::vector<Json> out;
  RSF_ASSIGN_OR_RETURN(auto page, store_.List(kDrills, "", 100000));
  for (const auto& v : page) {
    RSF_ASSIGN_OR_RETURN(Json j, ParseJson(v.value, fmt::format("stored drill report {}", v.key)));
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace rsf::incident
