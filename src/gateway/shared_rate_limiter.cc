#include "rsf/gateway/shared_rate_limiter.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gateway/window.h"

namespace rsf::gateway {
namespace {

std::string MinutePrefix(int64_t minute) { return fmt::format("{:012d}|", minute); }

std::string CounterKey(int64_t minute, std::string_view scope, int resource) {
  return fmt::format("{:012d}|{}|{}", minute, scope, resource == 0 ? 'r' : 't');
}

int64_t LimitOf(const Quota& q, int resource) { return resource == 0 ? q.requests_per_minute : q.tokens_per_minute; }

}  // namespace

SharedRateLimiter::SharedRateLimiter(store::Store& store, const Clock& clock, std::function<int()> replicas,
                                     std::function<void(const Status&)> failed)
    : store_(store), clock_(clock), replicas_(std::move(replicas)), failed_(std::move(failed)), fallback_(clock) {}

int64_t SharedRateLimiter::NowMs() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
  int64_t high = high_ms_.load();
  while (now > high && !high_ms_.compare_exchange_weak(high, now)) {
  }
  return std::max(now, high);
}

int SharedRateLimiter::Replicas() const { return std::max(1, replicas_ ? replicas_() : 1); }

void SharedRateLimiter::Failed(const Status& s) const {
  if (failed_) failed_(s);
}

void SharedRateLimiter::Return(const std::string& scope, Scope& s) {
  for (int r : {kRequests, kTokens}) {
    if (s.held[r] > 0) pending_[CounterKey(s.minute, scope, r)] -= s.held[r];
    s.held[r] = 0;
  }
}

SharedRateLimiter::Scope& SharedRateLimiter::Get(const std::string& scope, int64_t minute) {
  Scope& s = scopes_[scope];
  if (s.minute < minute) {
    Return(scope, s);
    for (int r : {kRequests, kTokens}) {
      s.seen_prev[r] = s.minute == minute - 1 ? s.seen_cur[r] : 0;
      s.seen_cur[r] = 0;
    }
    s.minute = minute;
  }
  return s;
}

void SharedRateLimiter::TakePending(std::vector<store::CounterDelta>& batch) {
  // Corrections to minutes before the previous one no longer matter (and their counters go).
  const std::string oldest = MinutePrefix(internal::WindowAt(NowMs()).minute - 1);
  for (auto& [key, delta] : pending_) {
    if (delta != 0 && key >= oldest) batch.push_back({key, delta});
  }
  pending_.clear();
}

void SharedRateLimiter::PutBack(std::span<const store::CounterDelta> batch) {
  for (const auto& d : batch) pending_[d.key] += d.delta;
}

Admission SharedRateLimiter::Fallback(std::span<const Quota> quotas, int64_t tokens, int replicas) {
  std::vector<Quota> share(quotas.begin(), quotas.end());
  for (Quota& q : share) {
    if (q.requests_per_minute > 0) q.requests_per_minute = std::max<int64_t>(1, q.requests_per_minute / replicas);
    if (q.tokens_per_minute > 0) q.tokens_per_minute = std::max<int64_t>(1, q.tokens_per_minute / replicas);
  }
  return fallback_.Admit(share, tokens);
}

Admission SharedRateLimiter::Admit(std::span<const Quota> quotas, int64_t tokens) {
  const internal::WindowTime now = internal::WindowAt(NowMs());
  const int64_t need[2] = {1, std::max<int64_t>(0, tokens)};
  const int replicas = Replicas();
  Admission a;
  // The tightest limit's headers; remaining = what is unreserved plus what this replica holds.
  auto headers = [&] {
    for (const Quota& q : quotas) {
      for (int r : {kRequests, kTokens}) {
        const int64_t limit = LimitOf(q, r);
        if (limit <= 0) continue;
        const Scope& s = scopes_[q.scope];
        const double unreserved = static_cast<double>(limit) - static_cast<double>(s.seen_prev[r]) * (1 - now.f) -
                                  static_cast<double>(s.seen_cur[r]);
        const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(std::floor(unreserved))) + s.held[r];
        int64_t& lim = r == kRequests ? a.limit_requests : a.limit_tokens;
        int64_t& rem = r == kRequests ? a.remaining_requests : a.remaining_tokens;
        if (lim < 0 || remaining < rem) {
          lim = limit;
          rem = remaining;
        }
      }
    }
  };
  auto refuse = [&](const std::string& scope, Scope& s, int r) {
    a.admitted = false;
    a.limited_by = scope + (r == kRequests ? " requests" : " tokens");
    a.retry_after_seconds = static_cast<int>(std::clamp<int64_t>((s.retry_at_ms[r] - now.ms + 999) / 1000, 1, 120));
  };

  std::vector<Reservation> wanted;
  std::vector<store::CounterDelta> batch;
  bool store_down = false;
  {
    std::lock_guard lock(mu_);
    for (const Quota& q : quotas) {
      for (int r : {kRequests, kTokens}) {
        const int64_t limit = LimitOf(q, r);
        if (limit <= 0) continue;
        Scope& s = Get(q.scope, now.minute);
        if (s.held[r] >= need[r]) continue;
        if (s.refused_until_ms[r] > now.ms && need[r] >= s.refused_need[r]) {
          refuse(q.scope, s, r);
          headers();
          return a;
        }
        // A share: at most 1/(4R) of the limit and 1/(2R) of what was left at the last look,
        // at least what this request needs.
        const double unreserved = static_cast<double>(limit) -
                                  static_cast<double>(s.seen_prev[r]) * (1 - now.f) -
                                  static_cast<double>(s.seen_cur[r]);
        const int64_t share =
            std::min<int64_t>(limit / (4 * replicas), static_cast<int64_t>(std::max(0.0, unreserved) / (2 * replicas)));
        wanted.push_back({q.scope, r, now.minute, std::max<int64_t>({need[r] - s.held[r], share, 1}), limit});
      }
    }
    store_down = !wanted.empty() && now.ms < store_down_until_ms_;
    if (wanted.empty()) {
      for (const Quota& q : quotas) {
        for (int r : {kRequests, kTokens}) {
          if (LimitOf(q, r) > 0) scopes_[q.scope].held[r] -= need[r];
        }
      }
      headers();
      return a;
    }
    if (!store_down) TakePending(batch);
  }
  if (store_down) return Fallback(quotas, tokens, replicas);
  // One round trip: the corrections not yet written, each reservation, and a read of the
  // previous minute's count (delta 0). A key appears once, so each value is unambiguous.
  const size_t pending = batch.size();
  std::map<std::string, int64_t> deltas;
  for (const auto& d : batch) deltas[d.key] += d.delta;
  for (const auto& w : wanted) {
    deltas[CounterKey(w.minute, w.scope, w.resource)] += w.want;
    deltas.try_emplace(CounterKey(w.minute - 1, w.scope, w.resource), 0);
  }
  std::vector<store::CounterDelta> request;
  request.reserve(deltas.size());
  for (const auto& [key, delta] : deltas) request.push_back({key, delta});
  auto values = store_.IncrementMany(kCollection, request);
  if (!values.ok()) {
    {
      std::lock_guard lock(mu_);
      PutBack(std::span(batch).first(pending));
      store_down_until_ms_ = now.ms + 1000;  // not a failed round trip per request meanwhile
    }
    Failed(values.status());
    return Fallback(quotas, tokens, replicas);
  }
  auto value_of = [&](const std::string& key) {
    const auto it = std::lower_bound(request.begin(), request.end(), key,
                                     [](const store::CounterDelta& d, const std::string& k) { return d.key < k; });
    return (*values)[static_cast<size_t>(it - request.begin())];
  };

  std::vector<store::CounterDelta> giveback;
  {
    std::lock_guard lock(mu_);
    for (const Reservation& w : wanted) {
      const std::string key = CounterKey(w.minute, w.scope, w.resource);
      const int64_t count = value_of(key);
      const int64_t prev = value_of(CounterKey(w.minute - 1, w.scope, w.resource));
      const double prev_weighted = static_cast<double>(prev) * (1 - now.f);
      const auto allowed = static_cast<int64_t>(std::floor(static_cast<double>(w.limit) - prev_weighted + internal::kWindowSlack));
      int64_t give = std::clamp<int64_t>(count - allowed, 0, w.want);
      // A request larger than the whole limit goes through when nothing else is counted.
      if (w.want > w.limit && count <= w.want && prev_weighted < 1) give = 0;
      Scope& s = Get(w.scope, now.minute);
      if (s.minute != w.minute) give = w.want;  // another thread saw the minute turn: all back
      if (give > 0) giveback.push_back({key, -give});
      if (s.minute != w.minute) continue;
      s.held[w.resource] += w.want - give;
      s.seen_cur[w.resource] = count - give;
      s.seen_prev[w.resource] = prev;
    }
    for (const Quota& q : quotas) {
      for (int r : {kRequests, kTokens}) {
        const int64_t limit = LimitOf(q, r);
        if (limit <= 0) continue;
        Scope& s = Get(q.scope, now.minute);
        if (s.held[r] >= need[r] || !a.admitted) continue;
        const double retry = internal::SecondsUntil(static_cast<double>(s.seen_cur[r]), static_cast<double>(s.seen_prev[r]),
                                                    static_cast<double>(std::min(need[r], limit)),
                                                    static_cast<double>(limit), now.f);
        const int64_t retry_ms = static_cast<int64_t>(std::ceil(std::max(retry, 1.0))) * 1000;
        s.retry_at_ms[r] = now.ms + retry_ms;
        s.refused_until_ms[r] = now.ms + std::min<int64_t>(retry_ms, 1000);
        s.refused_need[r] = need[r];
        refuse(q.scope, s, r);
        // Too little for this request is held for nobody: give it back.
        if (s.held[r] > 0) {
          giveback.push_back({CounterKey(s.minute, q.scope, r), -s.held[r]});
          s.held[r] = 0;
        }
      }
    }
    if (a.admitted) {
      for (const Quota& q : quotas) {
        for (int r : {kRequests, kTokens}) {
          if (LimitOf(q, r) > 0) Get(q.scope, now.minute).held[r] -= need[r];
        }
      }
    }
    headers();
  }
  if (!giveback.empty()) {
    if (auto s = store_.IncrementMany(kCollection, giveback); !s.ok()) {
      {
        std::lock_guard lock(mu_);
        PutBack(giveback);
      }
      Failed(s.status());
    }
  }
  return a;
}

void SharedRateLimiter::Adjust(std::span<const Quota> quotas, int64_t token_delta) {
  fallback_.Adjust(quotas, token_delta);
  if (token_delta == 0) return;
  const int64_t minute = internal::WindowAt(NowMs()).minute;
  std::lock_guard lock(mu_);
  for (const Quota& q : quotas) {
    if (q.tokens_per_minute <= 0) continue;
    Scope& s = Get(q.scope, minute);
    if (token_delta < 0) {
      s.held[kTokens] -= token_delta;  // a refund is this replica's to use again
      continue;
    }
    const int64_t take = std::min(s.held[kTokens], token_delta);
    s.held[kTokens] -= take;
    if (token_delta > take) pending_[CounterKey(s.minute, q.scope, kTokens)] += token_delta - take;
  }
}

Status SharedRateLimiter::Flush() {
  const internal::WindowTime now = internal::WindowAt(NowMs());
  std::vector<store::CounterDelta> batch;
  bool clean = false;
  {
    std::lock_guard lock(mu_);
    for (auto it = scopes_.begin(); it != scopes_.end();) {
      const bool idle = it->second.minute < now.minute - 1;
      Get(it->first, now.minute);
      it = idle ? scopes_.erase(it) : std::next(it);
    }
    TakePending(batch);
    clean = cleaned_minute_ < now.minute;
  }
  if (!batch.empty()) {
    if (auto s = store_.IncrementMany(kCollection, batch); !s.ok()) {
      std::lock_guard lock(mu_);
      PutBack(batch);
      return s.status();
    }
  }
  if (clean) {
    RSF_RETURN_IF_ERROR(store_.DeleteCountersBefore(kCollection, MinutePrefix(now.minute - 1)));
    std::lock_guard lock(mu_);
    cleaned_minute_ = std::max(cleaned_minute_, now.minute);
  }
  return OkStatus();
}

Status SharedRateLimiter::Release() {
  {
    std::lock_guard lock(mu_);
    for (auto& [scope, s] : scopes_) Return(scope, s);
  }
  return Flush();
}

std::pair<int64_t, int64_t> SharedRateLimiter::Held(std::string_view scope) {
  std::lock_guard lock(mu_);
  const Scope& s = Get(std::string(scope), internal::WindowAt(NowMs()).minute);
  return {s.held[kRequests], s.held[kTokens]};
}

}  // namespace rsf::gateway
