// include/rsf/incident/responder.h
//
// The responder opens incidents (from the monitor's detections, flaw reports, admins and
// alarms), applies the matching runbook and keeps every change on the record: the incident's
// timeline in the store and an entry in the ledger (through an EventSink) for each opening,
// transition, action, escalation and filed report.
//
// Runbook steps run in order on the responder's own thread. A containment action is applied
// through the Actuator, retried (`retries`, doubling `retry_delay`) and then checked to hold;
// only then is it recorded as done. An action that still fails is recorded as failed, the
// incident is marked escalated and the runbook's escalation webhook is called — it is never
// reported as done. When every containment step of the runbook is done the incident moves to
// `contained`. A step that needs approval waits (state "awaiting_approval") until Approve().
//
// Thread safety: every public method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/incident/incident.h"
#include "rsf/incident/incident_store.h"
#include "rsf/incident/rules.h"
#include "rsf/incident/runbook.h"
#include "rsf/model/http.h"

namespace rsf::incident {

struct Action {
  ActionKind kind = ActionKind::kNotify;
  std::string target;
};

// Carries containment out on the gateway. Apply must be idempotent; Holds says whether the
// action is in effect now (kNotFound for a target that does not exist).
class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual Status Apply(const Action& action, const Incident& incident) = 0;
  virtual Result<bool> Holds(const Action& action) = 0;
};

// Delivers a notification (a JSON payload) to a webhook; OK only on a 2xx answer.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Status Send(const std::string& url, const Json& payload) = 0;
};
// POSTs the payload as JSON through `transport` (time-out 5 s).
std::unique_ptr<Notifier> MakeWebhookNotifier(std::unique_ptr<model::HttpTransport> transport);

// Writes an event to the ledger; returns its index.
using EventSink = std::function<Result<uint64_t>(const std::string& type, const std::string& subject, const Json& body)>;

// Changes an admin may make at triage (unset fields stay).
struct TriagePatch {
  std::optional<Severity> severity;
  std::optional<std::string> commander;
  std::optional<std::vector<std::string>> events, models, tiers;
};

class Responder {
 public:
  Responder(IncidentStore& store, Actuator& actuator, Notifier& notifier, EventSink sink, const Clock& clock);
  ~Responder();  // finishes the step in progress, then stops

  // Policy (event mapping) and runbooks in force from now on.
  void Configure(IncidentPolicy policy, std::vector<Runbook> runbooks);

  // Opens an incident now: stores it (raising the policy's events for its kind and severity),
  // logs "incident.opened", picks its runbook and queues it.
  Result<Incident> Open(Incident draft, std::string_view actor);
  // Queues a detection; the incident is opened on the responder's thread.
  void Submit(const Detection& detection);

  Result<Incident> Transition(std::string_view id, State to, std::string_view actor, std::string_view note);
  Result<Incident> AddNote(std::string_view id, std::string_view actor, std::string_view note);
  Result<Incident> Triage(std::string_view id, const TriagePatch& patch, std::string_view actor);
  // Approves a step waiting for approval and resumes the runbook.
  Result<Incident> Approve(std::string_view id, std::string_view step, std::string_view actor);
  // Records that the report an obligation requires was filed.
  Result<Incident> File(std::string_view id, std::string_view obligation, std::string_view reference, std::string_view actor);

  // Blocks until everything queued so far has been worked on (tests, drills, shutdown).
  void Drain();

 private:
  struct Work {
    std::string incident;          // run the runbook of this incident, or
    std::optional<Detection> open; // open an incident from this detection
  };
  void Loop();
  void RunSteps(const std::string& id);
  Incident FromDetection(const Detection& d);
  // Applies (retrying) and checks one containment action; the status of the last attempt.
  Status Contain(const Action& action, const Incident& incident, const Runbook& runbook, int& attempts);
  Status Deliver(const std::string& url, const Json& payload, const Runbook& runbook, int& attempts);
  uint64_t Log(const std::string& type, const Incident& incident, Json body);
  void Enqueue(Work w);

  IncidentStore& store_;
  Actuator& actuator_;
  Notifier& notifier_;
  EventSink sink_;
  const Clock& clock_;

  std::mutex config_mu_;
  std::shared_ptr<const IncidentPolicy> policy_;
  std::shared_ptr<const std::vector<Runbook>> runbooks_;

  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Work> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rsf::incident
