// include/rsf/gateway/traffic.h
//
// TrafficHistory: the gateway's model traffic over the last hour, for the console's charts —
// per access tier and per fixed-width time bucket, how many requests finished, how many the
// guard blocked or flagged, and how many ended in a client (4xx) or server (5xx) error. Drill
// traffic is not recorded (it never counts as real traffic).
//
// Buckets are aligned to multiples of `bucket` since the Unix epoch; the history keeps the
// last `buckets` of them and drops older ones as time moves on. Memory is bounded by
// buckets × tiers.
//
// Thread safety: safe for concurrent use (one mutex; Record is a few map operations).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"

namespace rsf::gateway {

struct TrafficCounts {
  uint64_t requests = 0;
  uint64_t blocked = 0;  // the guard withheld the prompt or the response
  uint64_t flagged = 0;  // the guard flagged a category but the tier's mode let it through
  uint64_t client_errors = 0;  // 4xx other than guard blocks
  uint64_t server_errors = 0;  // 5xx
};

class TrafficHistory {
 public:
  // REQUIRES: bucket > 0, buckets > 0. `clock` must outlive the history.
  TrafficHistory(const Clock& clock, std::chrono::seconds bucket = std::chrono::seconds(10), size_t buckets = 360);

  // Records one finished request of `tier`.
  void Record(const std::string& tier, int status, bool blocked, bool flagged);

  // {"bucket_seconds": 10, "now": "<RFC 3339>", "tiers": ["public", ...],
  //  "buckets": [{"start": "<RFC 3339>", "tiers": {"public": {"requests": n, "blocked": n,
  //  "flagged": n, "client_errors": n, "server_errors": n}}}, ...]} — oldest first, every
  // bucket of the window present (empty ones with no tiers) so charts have a time axis.
  Json ToJson() const;

 private:
  int64_t BucketOf(TimePoint t) const;
  void DropOld(int64_t current);

  const Clock& clock_;
  const int64_t bucket_seconds_;
  const size_t max_buckets_;
  mutable std::mutex mu_;
  std::deque<std::pair<int64_t, std::map<std::string, TrafficCounts>>> buckets_;  // by bucket number
};

}  // namespace rsf::gateway
