// src/gateway/rate_limiter.cc
#include "rsf/gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "gateway/window.h"

namespace rsf::gateway {

using internal::kWindowSlack;
using internal::SecondsUntil;

RateLimiter::Shard& RateLimiter::ShardFor(std::string_view scope) {
  return shards_[std::hash<std::string_view>{}(scope) % shards_.size()];
}

void RateLimiter::Roll(Window& w, int64_t minute) {
  if (w.minute == minute) return;
  if (w.minute == minute - 1) {
    w.requests[1] = w.requests[0];
    w.tokens[1] = w.tokens[0];
  } else {
    w.requests[1] = w.tokens[1] = 0;
  }
  w.requests[0] = w.tokens[0] = 0;
  w.minute = minute;
}

Admission RateLimiter::Admit(std::span<const Quota> quotas, int64_t tokens) {
  Admission a;
  const internal::WindowTime now = internal::SteadyWindowNow(clock_);
  const int64_t minute = now.minute;
  const double f = now.f;
  // Lock the shards involved in a fixed order so the check and the charge are one step.
  std::vector<Shard*> shards;
  for (const auto& q : quotas) {
    if (q.requests_per_minute > 0 || q.tokens_per_minute > 0) shards.push_back(&ShardFor(q.scope));
  }
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (Shard* s : shards) locks.emplace_back(s->mu);
  std::vector<Window*> windows;
  for (const auto& q : quotas) {
    if (q.requests_per_minute <= 0 && q.tokens_per_minute <= 0) {
      windows.push_back(nullptr);
      continue;
    }
    Shard& s = ShardFor(q.scope);
    if (s.windows.size() > 200000) {
      std::erase_if(s.windows, [&](const auto& kv) { return kv.second.minute < minute - 1; });
    }
    Window& w = s.windows[q.scope];
    Roll(w, minute);
    windows.push_back(&w);
    const double req = w.requests[0] + w.requests[1] * (1 - f);
    const double tok = w.tokens[0] + w.tokens[1] * (1 - f);
    if (q.requests_per_minute > 0) {
      const auto limit = static_cast<double>(q.requests_per_minute);
      const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(std::floor(limit - req)));
      if (a.limit_requests < 0 || remaining < a.remaining_requests) {
        a.limit_requests = q.requests_per_minute;
        a.remaining_requests = remaining;
      }
      if (req + 1 > limit + kWindowSlack && a.admitted) {
        a.admitted = false;
        a.limited_by = q.scope + " requests";
        a.retry_after_seconds = static_cast<int>(std::ceil(SecondsUntil(w.requests[0], w.requests[1], 1, limit, f)));
      }
    }
    if (q.tokens_per_minute > 0) {
      const auto limit = static_cast<double>(q.tokens_per_minute);
      const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(std::floor(limit - tok)));
      if (a.limit_tokens < 0 || remaining < a.remaining_tokens) {
        a.limit_tokens = q.tokens_per_minute;
        a.remaining_tokens = remaining;
      }
      const bool fits = tok + static_cast<double>(tokens) <= limit + kWindowSlack || tok < 1;
      if (!fits && a.admitted) {
        a.admitted = false;
        a.limited_by = q.scope + " tokens";
        const double need = std::min(static_cast<double>(tokens), limit);
        a.retry_after_seconds = static_cast<int>(std::ceil(SecondsUntil(w.tokens[0], w.tokens[1], need, limit, f)));
      }
    }
  }
  if (!a.admitted) {
    a.retry_after_seconds = std::clamp(a.retry_after_seconds, 1, 120);
    return a;
  }
  for (Window* w : windows) {
    if (!w) continue;
    w->requests[0] += 1;
    w->tokens[0] += static_cast<double>(tokens);
  }
  if (a.remaining_requests > 0) --a.remaining_requests;
  if (a.remaining_tokens >= 0) a.remaining_tokens = std::max<int64_t>(0, a.remaining_tokens - tokens);
  return a;
}

void RateLimiter::Adjust(std::span<const Quota> quotas, int64_t token_delta) {
  if (token_delta == 0) return;
  const int64_t minute = internal::SteadyWindowNow(clock_).minute;
  for (const auto& q : quotas) {
    if (q.tokens_per_minute <= 0) continue;
    Shard& s = ShardFor(q.scope);
    std::lock_guard lock(s.mu);
    Window& w = s.windows[q.scope];
    Roll(w, minute);
    w.tokens[0] = std::max(0.0, w.tokens[0] + static_cast<double>(token_delta));
  }
}

std::pair<double, double> RateLimiter::Usage(std::string_view scope) {
  const internal::WindowTime t = internal::SteadyWindowNow(clock_);
  Shard& s = ShardFor(scope);
  std::lock_guard lock(s.mu);
  auto it = s.windows.find(std::string(scope));
  if (it == s.windows.end()) return {0, 0};
  Window& w = it->second;
  Roll(w, t.minute);
  return {w.requests[0] + w.requests[1] * (1 - t.f), w.tokens[0] + w.tokens[1] * (1 - t.f)};
}

}  // namespace rsf::gateway
