// include/rsf/gateway/shared_rate_limiter.h
//
// Rate limits counted together by gateway replicas that share a store (docs/operations.md).
// The counts are store counters, one per minute, scope and resource, in collection
// "gateway.rate" ("<minute, 12 digits>|<scope>|r" for requests, "...|t" for tokens); they count
// what replicas have reserved. A replica does not ask the store about every request: it
// reserves a share of the current minute's quota with one atomic IncrementMany, gives back
// at once whatever took the count past the limit, admits requests from its share locally,
// and returns what it did not use when the minute ends (Flush). The limit is judged with
// RateLimiter's sliding window: this minute's count plus the previous minute's weighted by
// the part of it still inside the last 60 s.
//
// Tolerance (tests/gateway/shared_rate_limiter_test.cc):
//   - Together the replicas never admit more than a limit allows: a request is admitted
//     only from a reservation, and a reservation never leaves the count past the limit. The
//     one exception is RateLimiter's too: tokens refunded after a request that started in
//     the previous minute are credited to the current one.
//   - They may admit less, by what other replicas hold and have not used. A share is at most
//     1/(4R) of the limit and 1/(2R) of what is left (R: live replicas), so near the limit the
//     shares are single requests; unused shares go back when the minute turns.
//   - A refusal is remembered for at most a second (for the same or a larger need), so a
//     client flooding a replica past its limit costs one store round trip a second per scope.
//   - Minutes are wall-clock minutes, which replicas on different machines agree on; the
//     bound assumes their clocks do (NTP). A clock set back makes time stand still for the
//     limiter until it catches up (stricter, never looser); a clock set forward moves that
//     replica to a later minute, where it may admit a fresh limit's worth.
//   - When the store cannot be reached, a replica admits from what it holds, then from a
//     local RateLimiter with each limit divided by R (trying the store again after a
//     second), and reports each failure. Tokens refunded for requests admitted that way
//     are credited to the shares too: an outage can let a scope exceed its token limit by
//     those refunds.
//
// Thread safety: safe for concurrent use. Store calls are made without the lock held.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/status.h"
#include "rsf/gateway/rate_limiter.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

class SharedRateLimiter final : public Limiter {
 public:
  static constexpr std::string_view kCollection = "gateway.rate";

  // `replicas` returns the number of live replicas sharing the limits (at least 1);
  // `failed` is told of each store error (metrics, logs). Neither is called with the limiter's lock held.
  SharedRateLimiter(store::Store& store, const Clock& clock, std::function<int()> replicas,
                    std::function<void(const Status&)> failed = {});

  Admission Admit(std::span<const Quota> quotas, int64_t tokens) override;
  void Adjust(std::span<const Quota> quotas, int64_t token_delta) override;

  // Returns the shares of minutes that have ended, writes corrections not yet written,
  // forgets idle scopes and deletes counters older than the previous minute. The gateway
  // calls it every second; without it, unused shares go back at the scope's next request.
  Status Flush();
  // Returns every share held now (a replica leaving), then Flush.
  Status Release();

  // What this replica holds unused for `scope` in the current minute: {requests, tokens}.
  std::pair<int64_t, int64_t> Held(std::string_view scope);

 private:
  static constexpr int kRequests = 0, kTokens = 1;
  struct Scope {
    int64_t minute = 0;
    int64_t held[2] = {0, 0};       // reserved for `minute`, not yet used
    int64_t seen_cur[2] = {0, 0};   // the store's counts after the last reservation
    int64_t seen_prev[2] = {0, 0};
    int64_t refused_until_ms[2] = {0, 0};  // a refusal remembered for needs >= refused_need
    int64_t refused_need[2] = {0, 0};
    int64_t retry_at_ms[2] = {0, 0};
  };
  struct Reservation {
    std::string scope;
    int resource = 0;
    int64_t minute = 0, want = 0, limit = 0;
  };

  // REQUIRES: mu_ held. The scope's state rolled to `minute` (returning old shares).
  Scope& Get(const std::string& scope, int64_t minute);
  void Return(const std::string& scope, Scope& s);  // REQUIRES: mu_ held
  // REQUIRES: mu_ held. Moves the pending corrections into `batch`.
  void TakePending(std::vector<store::CounterDelta>& batch);
  void PutBack(std::span<const store::CounterDelta> batch);  // REQUIRES: mu_ held
  // Wall-clock milliseconds that never go back: after the clock is set back, time stands
  // still (the previous minute keeps its full weight) until it catches up.
  int64_t NowMs();
  int Replicas() const;
  void Failed(const Status& s) const;
  // The local limiter with a 1/`replicas` share of each limit, while the store is down.
  Admission Fallback(std::span<const Quota> quotas, int64_t tokens, int replicas);  // REQUIRES: mu_ not held

  store::Store& store_;
  const Clock& clock_;
  const std::function<int()> replicas_;
  const std::function<void(const Status&)> failed_;
  std::mutex mu_;
  std::unordered_map<std::string, Scope> scopes_;
  std::map<std::string, int64_t> pending_;  // counter key -> delta not yet written
  int64_t cleaned_minute_ = 0;
  int64_t store_down_until_ms_ = 0;
  std::atomic<int64_t> high_ms_{0};  // after a failure, the fallback alone for a second
  RateLimiter fallback_;
};

}  // namespace rsf::gateway
