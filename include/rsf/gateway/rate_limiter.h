// include/rsf/gateway/rate_limiter.h
//
// Requests and tokens per minute, per scope ("key:<id>", "tier:<id>", "addr:<ip>"), counted
// in a sliding window: the current minute's count plus the previous minute's weighted by the
// part of it still inside the last 60 s (the approximation Cloudflare and nginx use; exact for
// steady traffic, within one minute's count at a burst). Tokens are charged when a request is
// admitted (its estimate: prompt plus max_tokens) and corrected when it finishes (Adjust), so
// concurrent requests cannot together overrun a limit by more than one request's estimate.
// A request whose estimate alone exceeds the token limit is admitted only when the scope has
// used nothing in the window, so a large request is slow, never impossible. Minutes are
// counted on the monotonic clock (Clock::Steady), so setting the wall clock, either way,
// neither resets nor stretches a window.
//
// One process's view: replicas sharing a store count together with SharedRateLimiter
// (shared_rate_limiter.h), which has the same interface, Limiter.
//
// Thread safety: safe for concurrent use (sharded locks).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rsf/common/clock.h"

namespace rsf::gateway {

struct Quota {
  std::string scope;
  int64_t requests_per_minute = 0;  // 0: unlimited
  int64_t tokens_per_minute = 0;    // 0: unlimited
};

struct Admission {
  bool admitted = true;
  std::string limited_by;        // when refused: "<scope> requests" or "<scope> tokens"
  int retry_after_seconds = 0;   // when refused: when a retry would be admitted, at least 1
  // The tightest limits among the quotas, for x-ratelimit-* headers (-1: unlimited).
  int64_t limit_requests = -1, remaining_requests = -1;
  int64_t limit_tokens = -1, remaining_tokens = -1;
};

class Limiter {
 public:
  virtual ~Limiter() = default;
  // Checks every quota; admits (charging one request and `tokens` to each) only if all allow.
  virtual Admission Admit(std::span<const Quota> quotas, int64_t tokens) = 0;
  // Adds `token_delta` (negative to refund) to each quota's token count.
  virtual void Adjust(std::span<const Quota> quotas, int64_t token_delta) = 0;
};

class RateLimiter final : public Limiter {
 public:
  explicit RateLimiter(const Clock& clock) : clock_(clock) {}

  Admission Admit(std::span<const Quota> quotas, int64_t tokens) override;
  void Adjust(std::span<const Quota> quotas, int64_t token_delta) override;
  // The current sliding-window estimates for a scope: {requests, tokens}.
  std::pair<double, double> Usage(std::string_view scope);

 private:
  struct Window {
    int64_t minute = 0;
    double requests[2] = {0, 0};  // [0] current minute, [1] previous
    double tokens[2] = {0, 0};
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Window> windows;
  };
  Shard& ShardFor(std::string_view scope);
  static void Roll(Window& w, int64_t minute);

  const Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace rsf::gateway
