// src/gateway/window.h — the sliding-window arithmetic RateLimiter and SharedRateLimiter share:
// a scope's use is this minute's count plus the previous minute's weighted by 1 - f, where f
// is the fraction of the current minute gone.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "rsf/common/clock.h"

namespace rsf::gateway::internal {

// Counts are whole numbers, their weighted sums are not exactly: allow for rounding.
inline constexpr double kWindowSlack = 1e-6;

struct WindowTime {
  int64_t ms = 0;      // since the epoch
  int64_t minute = 0;  // ms / 60000
  double f = 0;        // fraction of `minute` gone, [0, 1)
};

inline WindowTime WindowAt(int64_t ms) {
  WindowTime t;
  t.ms = ms;
  t.minute = ms / 60000;
  t.f = static_cast<double>(ms % 60000) / 60000.0;
  return t;
}

// Wall-clock minutes: what replicas on different machines agree on.
inline WindowTime WindowNow(const Clock& clock) {
  return WindowAt(std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count());
}

// Monotonic minutes: immune to the wall clock being set, for counts one process keeps.
inline WindowTime SteadyWindowNow(const Clock& clock) {
  return WindowAt(std::chrono::duration_cast<std::chrono::milliseconds>(clock.Steady().time_since_epoch()).count());
}

// Seconds until cur + prev × (1 - f) + need <= limit (the previous minute's weight falls
// linearly; the current count becomes "previous" at the next minute).
inline double SecondsUntil(double cur, double prev, double need, double limit, double f) {
  if (cur + need <= limit + kWindowSlack) {
    if (prev <= 0) return 0;
    const double f_needed = 1 - (limit - need - cur) / prev;
    return std::max(0.0, (f_needed - f) * 60);
  }
  // Wait for the next minute, then for the old current count to fade.
  const double f_needed = cur > 0 ? std::max(0.0, 1 - (limit - need) / cur) : 0;
  return (1 - f) * 60 + f_needed * 60;
}

}  // namespace rsf::gateway::internal
