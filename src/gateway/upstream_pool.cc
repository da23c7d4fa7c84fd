// src/gateway/upstream_pool.cc
#include "rsf/gateway/upstream_pool.h"

#include <algorithm>

#include "rsf/model/http.h"

namespace rsf::gateway {

std::string_view CircuitName(UpstreamPool::Circuit c) {
  switch (c) {
    case UpstreamPool::Circuit::kClosed: return "closed";
    case UpstreamPool::Circuit::kOpen: return "open";
    case UpstreamPool::Circuit::kHalfOpen: return "half_open";
  }
  return "closed";
}

Result<std::shared_ptr<UpstreamPool>> UpstreamPool::Make(const ModelRoute& route, const Clock& clock) {
  std::vector<Endpoint> endpoints;
  for (const Upstream& u : route.upstreams) {
    auto parsed = model::ParseUrl(u.url + "/");
    if (!parsed.ok() || parsed->tls || parsed->target.find_first_of("?#") != std::string::npos) {
      return InvalidArgumentError("model '" + route.id() + "': upstream url '" + u.url + "': expected http://host:port[/prefix]");
    }
    std::string prefix = parsed->target;
    prefix.pop_back();  // the "/" added above
    endpoints.push_back({u.url, parsed->host, parsed->port, std::move(prefix),
                         u.served_name.empty() ? route.name : u.served_name, u.weight});
  }
  return std::shared_ptr<UpstreamPool>(new UpstreamPool(route.id(), std::move(endpoints), route.upstream, clock));
}

UpstreamPool::UpstreamPool(std::string model_id, std::vector<Endpoint> endpoints, UpstreamSettings settings,
                           const Clock& clock)
    : model_id_(std::move(model_id)), endpoints_(std::move(endpoints)), settings_(std::move(settings)), clock_(clock),
      slots_(endpoints_.size()) {}

bool UpstreamPool::Available(Slot& s, std::chrono::steady_clock::time_point now) const {
  if (!s.healthy) return false;
  switch (s.circuit) {
    case Circuit::kClosed: return true;
    case Circuit::kOpen:
      if (now < s.open_until) return false;
      s.circuit = Circuit::kHalfOpen;
      s.probing = false;
      return true;
    case Circuit::kHalfOpen: return !s.probing;
  }
  return false;
}

std::optional<size_t> UpstreamPool::Pick(const std::vector<size_t>& tried) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mu_);
  int64_t total = 0;
  std::optional<size_t> best;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (std::find(tried.begin(), tried.end(), i) != tried.end() || !Available(s, now)) continue;
    s.credit += endpoints_[i].weight;
    total += endpoints_[i].weight;
    if (!best || s.credit > slots_[*best].credit) best = i;
  }
  if (!best) return std::nullopt;
  Slot& chosen = slots_[*best];
  chosen.credit -= total;
  if (chosen.circuit == Circuit::kHalfOpen) chosen.probing = true;
  return best;
}

void UpstreamPool::Succeeded(size_t i) {
  std::lock_guard lock(mu_);
  Slot& s = slots_.at(i);
  ++s.requests;
  s.failures_in_a_row = 0;
  s.circuit = Circuit::kClosed;
  s.probing = false;
}

void UpstreamPool::Failed(size_t i) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mu_);
  Slot& s = slots_.at(i);
  ++s.requests;
  ++s.failures;
  ++s.failures_in_a_row;
  if (s.circuit == Circuit::kHalfOpen || s.failures_in_a_row >= settings_.failures_to_open) {
    s.circuit = Circuit::kOpen;
    s.open_until = now + std::chrono::milliseconds(settings_.open_ms);
    s.probing = false;
  }
}

void UpstreamPool::Checked(size_t i, bool passed) {
  std::lock_guard lock(mu_);
  Slot& s = slots_.at(i);
  if (passed) {
    s.check_streak = s.check_streak > 0 ? s.check_streak + 1 : 1;
    if (s.check_streak >= settings_.healthy_after) s.healthy = true;
  } else {
    s.check_streak = s.check_streak < 0 ? s.check_streak - 1 : -1;
    if (-s.check_streak >= settings_.unhealthy_after) s.healthy = false;
  }
}

std::vector<UpstreamPool::State> UpstreamPool::States() const {
  const auto now = clock_.Steady();
  std::lock_guard lock(mu_);
  std::vector<State> out;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    Circuit c = s.circuit;
    if (c == Circuit::kOpen && now >= s.open_until) c = Circuit::kHalfOpen;
    out.push_back({endpoints_[i].url, s.healthy, c, s.requests, s.failures});
  }
  return out;
}

}  // namespace rsf::gateway
