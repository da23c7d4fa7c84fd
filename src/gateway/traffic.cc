// src/gateway/traffic.cc — the console's traffic history (include/rsf/gateway/traffic.h).
#include "rsf/gateway/traffic.h"

#include <set>

namespace rsf::gateway {

TrafficHistory::TrafficHistory(const Clock& clock, std::chrono::seconds bucket, size_t buckets)
    : clock_(clock), bucket_seconds_(bucket.count() > 0 ? bucket.count() : 1), max_buckets_(buckets > 0 ? buckets : 1) {}

int64_t TrafficHistory::BucketOf(TimePoint t) const {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s >= 0 ? s / bucket_seconds_ : (s - bucket_seconds_ + 1) / bucket_seconds_;
}

void TrafficHistory::DropOld(int64_t current) {
  const int64_t oldest = current - static_cast<int64_t>(max_buckets_) + 1;
  while (!buckets_.empty() && buckets_.front().first < oldest) buckets_.pop_front();
}

void TrafficHistory::Record(const std::string& tier, int status, bool blocked, bool flagged) {
  const int64_t b = BucketOf(clock_.Now());
  std::lock_guard lock(mu_);
  // A clock that went back lands in the newest bucket rather than reordering the history.
  if (buckets_.empty() || buckets_.back().first < b) {
    buckets_.emplace_back(b, std::map<std::string, TrafficCounts>{});
    DropOld(b);
  }
  TrafficCounts& c = buckets_.back().second[tier];
  ++c.requests;
  if (blocked) {
    ++c.blocked;
  } else if (status >= 500) {
    ++c.server_errors;
  } else if (status >= 400) {
    ++c.client_errors;
  }
  if (flagged && !blocked) ++c.flagged;
}

Json TrafficHistory::ToJson() const {
  const TimePoint now = clock_.Now();
  const int64_t current = BucketOf(now);
  const int64_t first = current - static_cast<int64_t>(max_buckets_) + 1;
  auto at = [&](int64_t bucket) {
    return FormatRfc3339(TimePoint(std::chrono::seconds(bucket * bucket_seconds_)));
  };
  std::lock_guard lock(mu_);
  std::set<std::string> tiers;
  for (const auto& [_, by_tier] : buckets_) {
    for (const auto& [tier, _c] : by_tier) tiers.insert(tier);
  }
  Json out = {{"bucket_seconds", bucket_seconds_}, {"now", FormatRfc3339(now)}, {"tiers", Json(tiers)}};
  Json list = Json::array();
  auto it = buckets_.begin();
  for (int64_t b = first; b <= current; ++b) {
    while (it != buckets_.end() && it->first < b) ++it;
    Json by = Json::object();
    if (it != buckets_.end() && it->first == b) {
      for (const auto& [tier, c] : it->second) {
        by[tier] = {{"requests", c.requests}, {"blocked", c.blocked}, {"flagged", c.flagged},
                    {"client_errors", c.client_errors}, {"server_errors", c.server_errors}};
      }
    }
    list.push_back({{"start", at(b)}, {"tiers", std::move(by)}});
  }
  out["buckets"] = std::move(list);
  return out;
}

}  // namespace rsf::gateway
