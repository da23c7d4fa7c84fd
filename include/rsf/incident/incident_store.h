// include/rsf/incident/incident_store.h
//
// Incidents kept in the Store (collection "incident.incidents", one JSON document per id),
// changed by compare-and-swap so two writers (the responder's thread, an admin) never lose
// each other's timeline entries. Drill reports live beside them ("incident.drills").
//
// Thread safety: as safe as the Store.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/id.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/incident/incident.h"
#include "rsf/store/store.h"

namespace rsf::incident {

class IncidentStore {
 public:
  IncidentStore(store::Store& store, const Clock& clock);

  // Stores a new incident: assigns the id ("inc-..."), `opened` (now, unless set) and the
  // time it entered its state, and adds the "opened" timeline entry by `actor`.
  Result<Incident> Create(Incident incident, std::string_view actor);
  // kNotFound naming the id.
  Result<Incident> Get(std::string_view id);
  // Every incident, oldest first (ids are time-ordered).
  Result<std::vector<Incident>> List();
  // Reads, applies `change`, writes back if the version is unchanged (else retries). A
  // change that returns an error writes nothing.
  Result<Incident> Update(std::string_view id, const std::function<Status(Incident&)>& change);

  // Drill reports (JSON objects with an "id"), oldest first.
  Status PutDrill(const Json& report);
  Result<std::vector<Json>> ListDrills();

 private:
  store::Store& store_;
  const Clock& clock_;
  IdGenerator ids_;
};

}  // namespace rsf::incident
