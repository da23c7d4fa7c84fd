// include/rsf/gateway/upstream_pool.h
//
// The upstreams of one model route and what the gateway knows of their health: which one a
// request goes to, and which ones it must not.
//
// Choice: smooth weighted round robin (each pick adds every candidate's weight to its
// credit, takes the candidate with the most credit and charges it the candidates' total
// weight), over the upstreams that are healthy and whose circuit lets a request through.
// Over any window of sum(weights) picks among the same candidates, each gets exactly its
// weight, interleaved rather than in runs.
//
// Circuit breaker, per upstream: `failures_to_open` consecutive failed requests (no
// connection, a time-out, a broken stream, HTTP 5xx or 429) open the circuit; for `open_ms`
// it gets no requests; then one request goes through as a probe (half-open): success closes
// the circuit, failure opens it again for another `open_ms`.
//
// Health: an active check (HttpServer runs them every `health_interval_ms` when the route has
// a `health_path`) marks an upstream unhealthy after `unhealthy_after` consecutive failed
// checks and healthy again after `healthy_after` passed ones. Upstreams start healthy.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/status.h"
#include "rsf/gateway/config.h"

namespace rsf::gateway {

class UpstreamPool {
 public:
  struct Endpoint {
    std::string url;     // http://host:port[/prefix]
    std::string host;
    std::string port;
    std::string prefix;  // "" or "/prefix": put before /v1/... and the health path
    std::string model;  // the model name sent to it
    int weight = 1;
  };

  enum class Circuit { kClosed, kOpen, kHalfOpen };

  struct State {
    std::string url;
    bool healthy = true;
    Circuit circuit = Circuit::kClosed;
    uint64_t requests = 0;  // requests that reported an outcome
    uint64_t failures = 0;  // of which failed
  };

  // kInvalidArgument when an upstream url is not http://host:port[/prefix].
  static Result<std::shared_ptr<UpstreamPool>> Make(const ModelRoute& route, const Clock& clock);

  const std::string& model_id() const { return model_id_; }
  const UpstreamSettings& settings() const { return settings_; }
  size_t size() const { return endpoints_.size(); }
  const Endpoint& endpoint(size_t i) const { return endpoints_[i]; }

  // The upstream for the next request, skipping `tried`; nullopt when none may take it.
  // Every pick must be followed by Succeeded or Failed for it.
  std::optional<size_t> Pick(const std::vector<size_t>& tried = {});
  void Succeeded(size_t i);
  void Failed(size_t i);
  // The outcome of an active health check.
  void Checked(size_t i, bool passed);

  std::vector<State> States() const;

 private:
  struct Slot {
    int64_t credit = 0;
    bool healthy = true;
    int check_streak = 0;  // > 0: passed in a row, < 0: failed in a row
    int failures_in_a_row = 0;
    Circuit circuit = Circuit::kClosed;
    std::chrono::steady_clock::time_point open_until{};
    bool probing = false;
    uint64_t requests = 0, failures = 0;
  };

  UpstreamPool(std::string model_id, std::vector<Endpoint> endpoints, UpstreamSettings settings, const Clock& clock);
  bool Available(Slot& s, std::chrono::steady_clock::time_point now) const;

  const std::string model_id_;
  const std::vector<Endpoint> endpoints_;
  const UpstreamSettings settings_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
};

std::string_view CircuitName(UpstreamPool::Circuit c);

}  // namespace rsf::gateway
