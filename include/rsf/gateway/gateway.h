// include/rsf/gateway/gateway.h
//
// rsfd: the OpenAI-compatible gateway. Every request to a model endpoint passes the filter
// chain, in order:
//
//   authentication   Bearer key, looked up by id, SHA-256 compared in constant time; failed
//                    attempts counted per client address (429 past the limit)
//   tier policy      the key's tier: which models (and only those its decision allows), n,
//                    max_tokens, temperature, logprobs
//   guard (prompt)   per the tier's guard mode; fails closed unless the tier says otherwise
//   backend          the in-process reference model or an upstream, on worker threads
//   guard (response) streamed output is held back by a window and scanned as it grows;
//                    a block ends the stream with finish_reason "content_filter"
//   audit            one record per request (key id, tier, model, verdicts, sizes, latency;
//                    prompt and response only as digests)
//
// Other endpoints: GET /v1/models (what the caller's tier may use), /healthz, /readyz,
// /metrics (Prometheus text). Errors are JSON {"error": {"message", "type", "code"}} with
// the matching 4xx/5xx status (docs/gateway.md lists them).
//
// Thread safety: Start and Stop from one thread; everything else is internal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/gateway/api_keys.h"
#include "rsf/gateway/config.h"
#include "rsf/guard/guard.h"
#include "rsf/model/model.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

// Makes the backend of a served model (tests put fakes here).
using BackendFactory = std::function<Result<std::unique_ptr<model::ModelClient>>(const ServedModel&)>;
// The default: the reference model in process, or the OpenAI-compatible client for upstreams.
BackendFactory DefaultBackends();

// One audit record per request; the sink must not block for long (it batches).
using AuditSink = std::function<void(const Json& record)>;

struct GatewayOptions {
  int io_threads = 1;       // threads running the network loop
  int worker_threads = 4;   // threads running backend calls
  AuditSink audit;          // default: none
};

class Gateway {
 public:
  // `store`, `clock` must outlive the gateway. kInvalidArgument / kFailedPrecondition when a
  // backend cannot be made.
  static Result<std::unique_ptr<Gateway>> Create(CompiledGateway compiled, store::Store& store,
                                                 std::unique_ptr<guard::Guard> guard, const Clock& clock,
                                                 const BackendFactory& backends, GatewayOptions options = {});
  ~Gateway();

  // Binds host:port (port 0 picks a free one) and starts serving; returns the bound port.
  // kUnavailable when the address cannot be bound.
  Result<uint16_t> Start(const std::string& host, uint16_t port);
  // Stops accepting, closes connections and joins the threads.
  void Stop();

  KeyRing& keys();
  // Prometheus text exposition of the counters.
  std::string MetricsText() const;

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rsf::gateway
