// include/rsf/gateway/gateway.h
//
// rsfd: the OpenAI-compatible gateway. Every request to a model endpoint passes the filter
// chain, in order:
//
//   authentication   Bearer key, looked up by id, SHA-256 compared in constant time; failed
//                    attempts counted per client address (429 past the limit)
//   tier policy      the key's tier: which models (and only those its decision allows), n,
//                    max_tokens, temperature, logprobs
//   kill switch      a halted model or restricted tier is refused (and streams in flight stop)
//   rollout          which version answers (rollout.h: allowlists, sticky canary buckets)
//   quotas           requests and tokens per minute, per key and per tier (rate_limiter.h)
//   guard (prompt)   per the tier's guard mode; fails closed unless the tier says otherwise
//   backend          the in-process reference model or an upstream, on worker threads
//   guard (response) streamed output is held back by a window and scanned as it grows;
//                    a block ends the stream with finish_reason "content_filter"
//   audit            one record per request (key id, tier, model, verdicts, sizes, latency;
//                    prompt and response only as digests), batched into the ledger
//
// Other endpoints: GET /v1/models (what the caller's tier may use), POST /v1/flaw-reports,
// /healthz, /readyz, /metrics (Prometheus text), and the admin API under /admin/v1/ (admin
// keys; auditor keys read): keys, tiers, rollout, kill switch, flaw reports, reload. Every
// admin action is written to the ledger before it takes effect. Errors are JSON
// {"error": {"message", "type", "code"}} with the matching 4xx/5xx status (docs/gateway.md).
//
// Thread safety: Start, Stop and Reload from one thread; everything else is internal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/gateway/api_keys.h"
#include "rsf/gateway/audit_log.h"
#include "rsf/gateway/config.h"
#include "rsf/gateway/control.h"
#include "rsf/guard/guard.h"
#include "rsf/ledger/ledger.h"
#include "rsf/model/model.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

// Makes the backend of a served model (tests put fakes here).
using BackendFactory = std::function<Result<std::unique_ptr<model::ModelClient>>(const ServedModel&)>;
// The default: the reference model in process, or the OpenAI-compatible client for upstreams.
BackendFactory DefaultBackends();

struct GatewayOptions {
  int io_threads = 1;       // threads running the network loop
  int worker_threads = 4;   // threads running backend calls
  AuditLog* audit = nullptr;  // required; must outlive the gateway
  // The ledger the audit goes to, read by the console's ledger and evaluation views (and
  // proofs); nullptr: those views answer 404. Must outlive the gateway.
  const ledger::Ledger* ledger = nullptr;
  // Reads and compiles the configuration again, for POST /admin/v1/reload (unset: refused).
  std::function<Result<CompiledGateway>()> reload;
  // More Prometheus text for /metrics, such as the shared ledger writer's (unset: none).
  std::function<std::string()> extra_metrics;
};

class Gateway {
 public:
  // `store`, `clock` must outlive the gateway. kInvalidArgument / kFailedPrecondition when a
  // backend cannot be made, a stored override contradicts the configuration, or there is no
  // audit log. Logs the configuration it serves ("gateway.config").
  static Result<std::unique_ptr<Gateway>> Create(CompiledGateway compiled, store::Store& store,
                                                 std::unique_ptr<guard::Guard> guard, const Clock& clock,
                                                 const BackendFactory& backends, GatewayOptions options = {});
  ~Gateway();

  // Binds host:port (port 0 picks a free one) and starts serving; returns the bound port.
  // kUnavailable when the address cannot be bound.
  Result<uint16_t> Start(const std::string& host, uint16_t port);
  // Stops accepting, lets requests in flight finish for the configuration's drain time, then
  // closes connections and joins the threads.
  void Stop();

  // Serves `compiled` from now on without dropping connections: requests in flight finish on
  // the configuration they started with. The listen address and limits stay as started.
  // Logs "gateway.config". On error nothing changes.
  Status Reload(CompiledGateway compiled);
  // Reload through GatewayOptions::reload. kFailedPrecondition when there is none.
  Status ReloadFromSource();

  KeyRing& keys();
  ControlState& control();
  // Prometheus text exposition of the counters.
  std::string MetricsText() const;

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rsf::gateway
