// src/gateway/gateway_impl.h — the state behind rsf::gateway::Gateway, shared by the files
// that implement it: gateway.cc (life cycle, routing, authentication, metrics), completion.cc
// (the model endpoints' filter chain) and admin_api.cc (the admin API and flaw-report intake).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/exchange.h"
#include "gateway/replication.h"
#include "rsf/common/id.h"
#include "rsf/gateway/flaw_report.h"
#include "rsf/gateway/gateway.h"
#include "rsf/gateway/openai_request.h"
#include "rsf/gateway/rate_limiter.h"
#include "rsf/gateway/shared_rate_limiter.h"
#include "rsf/gateway/traffic.h"
#include "rsf/gateway/upstream_pool.h"
#include "rsf/incident/responder.h"

namespace rsf::gateway {

// One configuration as served: requests take a reference when they start and keep it until
// they end, so a reload never pulls a backend from under a request.
struct Snapshot {
  CompiledGateway base;      // as compiled from the configuration file
  CompiledGateway compiled;  // with the admins' tier and rollout changes applied
  // By model id, one of the two: an in-process backend (called on a worker thread), or the
  // upstreams the HTTP layer calls itself.
  std::map<std::string, std::shared_ptr<model::ModelClient>> backends;
  std::map<std::string, std::shared_ptr<UpstreamPool>> pools;
};

// Halts a drill's containment put in place carry this in their reason, then the drill's id.
inline constexpr std::string_view kDrillReasonPrefix = "drill";

struct Gateway::Impl final : internal::Handler {
  store::Store* store = nullptr;
  const Clock* clock = nullptr;
  GatewayOptions options;
  BackendFactory backend_factory;
  std::unique_ptr<KeyRing> keys;
  std::unique_ptr<ControlState> control;
  std::unique_ptr<guard::Guard> guard;
  std::unique_ptr<IdGenerator> ids;
  std::unique_ptr<FlawReportStore> flaws;
  std::unique_ptr<internal::HttpServer> server;
  RateLimiter limiter;  // this replica's own: flaw-report intake
  int drain_timeout_ms = 10000;

  explicit Impl(const Clock& c) : clock(&c), limiter(c) {}

  // --- configuration (gateway.cc)
  mutable std::mutex snapshot_mu;
  std::shared_ptr<const Snapshot> snapshot;
  std::mutex admin_mu;  // one configuration change at a time
  std::shared_ptr<const Snapshot> Current() const {
    std::lock_guard lock(snapshot_mu);
    return snapshot;
  }
  // `base` with the stored overrides applied; backends of unchanged routes are taken over
  // from `previous`.
  Result<std::shared_ptr<const Snapshot>> Build(CompiledGateway base, const Snapshot* previous);
  // Builds from `base`, logs "gateway.config" and swaps it in.
  Status Install(CompiledGateway base);
  // Rebuilds the current snapshot after an override changed.
  Status Rebuild();

  // --- metrics and authentication (gateway.cc)
  mutable std::mutex metrics_mu;
  std::map<std::string, uint64_t> counters;
  std::mutex auth_mu;
  std::map<std::string, std::pair<int64_t, int>> failed_auth;  // per address: minute, count
  void Count(const std::string& series, uint64_t n = 1);
  std::string MetricsText() const;
  Result<ApiKey> Authenticate(const internal::HttpIn& in, internal::HttpOut& denied);

  internal::HttpOut Reject(int status, std::string_view message, std::string_view code) override;
  internal::Routed Route(internal::HttpIn& in) override;
  internal::HttpOut Models(const internal::HttpIn& in);
  // POST /v1/watermark/detect (watermark_api.cc).
  internal::HttpOut WatermarkDetect(const internal::HttpIn& in);

  // --- model endpoints (completion.cc)
  void Completion(internal::HttpIn& in, Endpoint endpoint, internal::Routed& r);

  // --- admin API and flaw reports (admin_api.cc)
  internal::HttpOut Admin(const internal::HttpIn& in, std::string_view path);
  internal::HttpOut FlawReports(const internal::HttpIn& in, std::string_view path);

  // --- incidents and drills (incident_api.cc, actuator.cc)
  std::unique_ptr<incident::IncidentStore> incidents;
  std::unique_ptr<incident::Actuator> actuator;
  std::unique_ptr<incident::Notifier> notifier;
  mutable std::mutex monitor_mu;
  std::shared_ptr<incident::Monitor> monitor;
  std::unique_ptr<incident::Actuator> MakeActuator();
  // Creates the incident store, monitor and responder (Create), and configures them (Install).
  Status StartIncidents();
  void ConfigureIncidents(const CompiledGateway& compiled);
  std::shared_ptr<incident::Monitor> CurrentMonitor() const {
    std::lock_guard lock(monitor_mu);
    return monitor;
  }
  // Counts a finished request's signals; detections go to the responder.
  void Observe(const incident::Signal& signal, const std::vector<std::string>& names);
  // Refuses a drill-marked request unless the gateway is in drill mode (fills `out`).
  bool DrillRefused(const internal::HttpIn& in, internal::HttpOut& out);
  internal::HttpOut IncidentAdmin(const internal::HttpIn& in, const ApiKey& key, const std::vector<std::string>& seg);
  // Opens the incident a flaw report starts; returns its id ("" when it could not be opened).
  std::string OpenFromFlawReport(const FlawReport& report, uint64_t ledger_index, const std::string& drill);

  // --- the web console (console_api.cc)
  std::unique_ptr<TrafficHistory> traffic;
  std::mutex ledger_index_mu;
  uint64_t ledger_indexed = 0;  // entries of the published log looked at so far
  std::vector<Json> ledger_notable;  // every entry but request records: index, type, subject, time
  // GET /console and /console/<file>: the embedded files.
  internal::HttpOut ConsoleFile(const internal::HttpIn& in, std::string_view path);
  // GET /admin/v1/console/... and /admin/v1/ledger/...
  internal::HttpOut ConsoleAdmin(const internal::HttpIn& in, const ApiKey& key, const std::vector<std::string>& seg);
  // Reads the published entries not yet indexed. REQUIRES: ledger_index_mu held.
  void IndexLedger();

  // --- replicas sharing the store (replication.cc)
  // Follows another replica's key and control changes; rebuilds when overrides changed.
  Status OnKeysChanged();
  Status OnControlChanged();

  // Key and tier quotas: counted with the other replicas when the store is shared.
  std::unique_ptr<SharedRateLimiter> shared_limiter;
  Limiter& QuotaLimiter() { return shared_limiter ? static_cast<Limiter&>(*shared_limiter) : limiter; }

  // Declared last so they stop first: their threads use the key ring, control state and store.
  std::unique_ptr<incident::Responder> responder;
  std::unique_ptr<internal::Replication> replication;  // null unless the store is shared
};

}  // namespace rsf::gateway
