// include/rsf/incident/drill.h
//
// Safety drills: a scenario (YAML, docs/incidents.md) injects synthetic events into a gateway
// running in drill mode, then times how fast the response works and scores it.
//
//   drill: weapons-burst
//   description: A burst of weapons-category requests from one key
//   keys: {attacker: public}              # client keys created for the drill, by tier
//   inject:
//     - requests: {key: attacker, model: frontier-1, count: 25, prompt: "..."}
//     - flaw_report: {title: ..., description: ..., category: jailbreak, severity: critical, model: frontier-1}
//     - signal: {name: security.weights_access, model: frontier-1}
//   expect:
//     incident: {kind: misuse, severity: high}
//     contained:                           # probes that must answer so once contained
//       - {key: attacker, model: frontier-1, status: [401]}
//     notified: true
//   targets: {detect: 5s, contain: 5s, notify: 10s}
//   timeout: 30s
//
// Every injected request carries `x-rsf-drill: <drill id>`, which a gateway accepts only in
// drill mode and which keeps the traffic out of real metrics and real incident rules.
// Times are measured from the first injected event: detect = the incident's opening time,
// contain = when every probe first answered as expected, notify = the first successful
// notification in the incident's timeline. Afterwards the drill's containment is lifted, its
// keys revoked, and the report is written to the ledger through the gateway.
//
// Thread safety: RunDrill uses its target from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/incident/incident.h"
#include "rsf/model/http.h"

namespace rsf::incident {

struct Injection {
  enum class Type { kRequests, kFlawReport, kSignal };
  Type type = Type::kRequests;
  std::string key, model, prompt;  // requests
  int count = 1;
  Json body = Json::object();       // flaw_report / signal
  std::string where;
};

struct DrillProbe {
  std::string key, model;
  std::vector<int> status;
  std::string where;
};

struct Scenario {
  std::string id, description, file;
  std::vector<std::pair<std::string, std::string>> keys;  // name, tier
  std::vector<Injection> inject;
  Kind kind = Kind::kMisuse;
  std::optional<Severity> severity;
  std::vector<DrillProbe> contained;
  bool notified = false;
  std::chrono::milliseconds detect_target{5000}, contain_target{5000}, notify_target{10000}, timeout{30000};
};

// kInvalidArgument "file:line:col: what was expected"; probes and injections may use only
// keys the scenario declares.
Result<Scenario> ParseScenario(std::string_view yaml, std::string_view file);

// What a drill needs of a gateway (HTTP in rsf; a fake in unit tests).
class DrillTarget {
 public:
  virtual ~DrillTarget() = default;
  // Creates a client key of `tier` for the drill; returns {id, secret}.
  virtual Result<std::pair<std::string, std::string>> CreateKey(const std::string& name, const std::string& tier) = 0;
  virtual Status RevokeKey(const std::string& id) = 0;
  // A chat completion marked as drill traffic; returns the HTTP status.
  virtual Result<int> Chat(const std::string& secret, const std::string& model, const std::string& prompt, const std::string& drill) = 0;
  virtual Status FlawReport(const Json& body, const std::string& drill) = 0;
  virtual Status Signal(const Json& body, const std::string& drill) = 0;
  // The drill's incidents as the admin API shows them.
  virtual Result<std::vector<Json>> Incidents(const std::string& drill) = 0;
  // Lifts the containment the drill's incidents put in place; returns what was lifted.
  virtual Result<Json> Restore(const std::string& drill) = 0;
  // Records the report (ledger + drill history); returns the ledger index.
  virtual Result<uint64_t> Record(const Json& report) = 0;
};

// An admin-API client for a running gateway (`base_url` like "http://127.0.0.1:8080").
std::unique_ptr<DrillTarget> MakeHttpDrillTarget(std::string base_url, std::string admin_key,
                                                 std::unique_ptr<model::HttpTransport> transport);

// Runs the scenario and returns the report (format "rsf-drill-report/1", docs/formats/
// drill.md). A drill that misses a target still returns a report (passed: false); errors are
// for drills that could not run (the gateway refused drill traffic, a key could not be made).
// `progress` receives one line per phase (may be empty).
Result<Json> RunDrill(const Scenario& scenario, DrillTarget& target, const Clock& clock,
                      const std::function<void(std::string_view)>& progress = {});

// Renders a report, or a history (a list of reports) with a chart of times per drill.
std::string DrillReportMarkdown(const Json& report);
std::string DrillHistoryMarkdown(const std::vector<Json>& reports);
std::string DrillHistoryHtml(const std::vector<Json>& reports);

}  // namespace rsf::incident
