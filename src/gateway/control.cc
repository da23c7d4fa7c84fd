// src/gateway/control.cc
#include "rsf/gateway/control.h"

#include <mutex>

#include <algorithm>

#include <fmt/format.h>

#include "rsf/gateway/rollout.h"

namespace rsf::gateway {
namespace {

constexpr std::string_view kCollection = "gateway.control";

std::string HaltKey(HaltKind kind, std::string_view name) {
  return fmt::format("halt/{}/{}", kind == HaltKind::kModel ? "model" : "tier", name);
}

}  // namespace

Json HaltRecord::ToJson() const {
  return {{"kind", kind == HaltKind::kModel ? "model" : "tier"}, {"name", name}, {"reason", reason},
          {"actor", actor}, {"since", since}};
}

Result<std::unique_ptr<ControlState>> ControlState::Open(store::Store& store, const Clock& clock) {
  std::unique_ptr<ControlState> c(new ControlState(store, clock));
  RSF_RETURN_IF_ERROR(c->Reload());
  return c;
}

Status ControlState::Reload() {
  std::map<std::string, HaltRecord> halts;
  std::map<std::string, Rollout> rollouts;
  std::map<std::string, Json> patches;
  std::string after;
  for (;;) {
    RSF_ASSIGN_OR_RETURN(auto page, store_.List(kCollection, "", 1000, after));
    for (const auto& v : page) {
      const std::string where = fmt::format("store {}/{}", kCollection, v.key);
      auto json = ParseJson(v.value, where);
      if (!json.ok()) return DataLossError(json.status().message());
      const Json& j = *json;
      try {
        if (v.key.rfind("halt/", 0) == 0) {
          HaltRecord h;
          h.kind = j.at("kind") == "tier" ? HaltKind::kTier : HaltKind::kModel;
          h.name = j.at("name").get<std::string>();
          h.reason = j.at("reason").get<std::string>();
          h.actor = j.at("actor").get<std::string>();
          h.since = j.at("since").get<std::string>();
          halts[v.key] = std::move(h);
        } else if (v.key.rfind("rollout/", 0) == 0) {
          auto r = RolloutFromJson(j, v.key.substr(8));
          if (!r.ok()) return DataLossError(fmt::format("{}: {}", where, r.status().message()));
          rollouts[v.key.substr(8)] = std::move(*r);
        } else if (v.key.rfind("tier/", 0) == 0) {
          patches[v.key.substr(5)] = j;
        }
      } catch (const Json::exception& e) {
        return DataLossError(fmt::format("{}: {}", where, e.what()));
      }
    }
    if (page.size() < 1000) break;
    after = page.back().key;
  }
  std::unique_lock lock(mu_);
  auto same_halts = [](const auto& a, const auto& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
      return x.first == y.first && x.second.ToJson() == y.second.ToJson();
    });
  };
  auto same_rollouts = [](const auto& a, const auto& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
      return x.first == y.first && RolloutToJson(x.second) == RolloutToJson(y.second);
    });
  };
  const bool overrides_changed = !same_rollouts(rollouts_, rollouts) || tier_patches_ != patches;
  const bool changed = overrides_changed || !same_halts(halts_, halts);
  halts_ = std::move(halts);
  rollouts_ = std::move(rollouts);
  tier_patches_ = std::move(patches);
  if (changed) generation_.fetch_add(1, std::memory_order_acq_rel);
  if (overrides_changed) overrides_generation_.fetch_add(1, std::memory_order_acq_rel);
  return OkStatus();
}

void ControlState::Announce() {
  // Other replicas reload on the notification, or within replicas.reload_s if it is lost.
  store_.Notify(kChannel).IgnoreError();
}

Status ControlState::Halt(HaltKind kind, std::string_view name, std::string_view reason, std::string_view actor) {
  if (name.empty()) return InvalidArgumentError("halt: the name must not be empty");
  HaltRecord h{kind, std::string(name), std::string(reason), std::string(actor), FormatRfc3339(clock_.Now())};
  const std::string key = HaltKey(kind, name);
  RSF_RETURN_IF_ERROR(store_.Put(kCollection, key, h.ToJson().dump()).status());
  std::unique_lock lock(mu_);
  halts_[key] = std::move(h);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  lock.unlock();
  Announce();
  return OkStatus();
}

Status ControlState::Lift(HaltKind kind, std::string_view name) {
  const std::string key = HaltKey(kind, name);
  {
    std::shared_lock lock(mu_);
    if (!halts_.contains(key)) return NotFoundError(fmt::format("'{}' is not halted", name));
  }
  Status s = store_.Delete(kCollection, key);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  std::unique_lock lock(mu_);
  halts_.erase(key);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  lock.unlock();
  Announce();
  return OkStatus();
}

std::optional<Stop> ControlState::Stopped(const ModelRoute& route, std::string_view tier) const {
  std::shared_lock lock(mu_);
  if (halts_.empty()) return std::nullopt;
  for (const std::string& key : {HaltKey(HaltKind::kModel, route.name), HaltKey(HaltKind::kModel, route.id())}) {
    if (auto it = halts_.find(key); it != halts_.end()) {
      return Stop{HaltKind::kModel, fmt::format("model '{}' is halted: {}", it->second.name, it->second.reason)};
    }
  }
  if (auto it = halts_.find(HaltKey(HaltKind::kTier, tier)); it != halts_.end()) {
    return Stop{HaltKind::kTier, fmt::format("access tier '{}' is restricted: {}", tier, it->second.reason)};
  }
  return std::nullopt;
}

std::vector<HaltRecord> ControlState::Halts() const {
  std::shared_lock lock(mu_);
  std::vector<HaltRecord> out;
  for (const auto& [k, h] : halts_) out.push_back(h);
  return out;
}

std::optional<Rollout> ControlState::RolloutOverride(std::string_view model) const {
  std::shared_lock lock(mu_);
  auto it = rollouts_.find(std::string(model));
  if (it == rollouts_.end()) return std::nullopt;
  return it->second;
}

Status ControlState::SetRollout(const Rollout& rollout) {
  RSF_RETURN_IF_ERROR(store_.Put(kCollection, "rollout/" + rollout.model, RolloutToJson(rollout).dump()).status());
  std::unique_lock lock(mu_);
  rollouts_[rollout.model] = rollout;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  overrides_generation_.fetch_add(1, std::memory_order_acq_rel);
  lock.unlock();
  Announce();
  return OkStatus();
}

std::map<std::string, Json> ControlState::TierPatches() const {
  std::shared_lock lock(mu_);
  return tier_patches_;
}

Status ControlState::SetTierPatch(std::string_view tier, const Json& patch) {
  RSF_RETURN_IF_ERROR(store_.Put(kCollection, fmt::format("tier/{}", tier), patch.dump()).status());
  std::unique_lock lock(mu_);
  tier_patches_[std::string(tier)] = patch;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  overrides_generation_.fetch_add(1, std::memory_order_acq_rel);
  lock.unlock();
  Announce();
  return OkStatus();
}

Status ApplyTierPatch(TierPolicy& t, const Json& patch) {
  auto bad = [&](std::string_view field, std::string_view what) {
    return InvalidArgumentError(fmt::format("tier '{}': '{}' {}", t.id, field, what));
  };
  if (!patch.is_object()) return InvalidArgumentError("a tier patch must be a JSON object");
  for (const auto& [k, v] : patch.items()) {
    if (k == "requests_per_minute" || k == "tokens_per_minute" || k == "tier_requests_per_minute" ||
        k == "tier_tokens_per_minute" || k == "max_tokens" || k == "max_n" || k == "max_top_logprobs") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) return bad(k, "must be a non-negative integer");
      const int64_t n = v.get<int64_t>();
      if (k == "requests_per_minute") t.requests_per_minute = n;
      if (k == "tokens_per_minute") t.tokens_per_minute = n;
      if (k == "tier_requests_per_minute") t.tier_requests_per_minute = n;
      if (k == "tier_tokens_per_minute") t.tier_tokens_per_minute = n;
      if (k == "max_tokens") {
        if (n < 1 || n > (1 << 20)) return bad(k, "must be in [1, 1048576]");
        t.max_tokens = static_cast<int>(n);
      }
      if (k == "max_n") {
        if (n < 1 || n > 128) return bad(k, "must be in [1, 128]");
        t.max_n = static_cast<int>(n);
      }
      if (k == "max_top_logprobs") {
        if (n > 20) return bad(k, "must be in [0, 20]");
        t.max_top_logprobs = static_cast<int>(n);
      }
    } else if (k == "guard") {
      const std::string m = v.is_string() ? v.get<std::string>() : "";
      bool found = false;
      for (GuardMode g : {GuardMode::kStrict, GuardMode::kRelaxed, GuardMode::kLogOnly, GuardMode::kOff}) {
        if (GuardModeName(g) == m) {
          t.guard = g;
          found = true;
        }
      }
      if (!found) return bad(k, "must be strict, relaxed, log_only or off");
      if (t.guard == GuardMode::kRelaxed && !t.safe_harbour && !t.auditor) return bad(k, "relaxed is for safe-harbour or auditor tiers");
    } else if (k == "guard_fail_open" || k == "logprobs") {
      if (!v.is_boolean()) return bad(k, "must be true or false");
      (k == "logprobs" ? t.allow_logprobs : t.guard_fail_open) = v.get<bool>();
    } else if (k == "temperature") {
      if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number()) return bad(k, "must be [min, max]");
      const double lo = v[0].get<double>(), hi = v[1].get<double>();
      if (lo < 0 || hi > 2 || lo > hi) return bad(k, "must be [min, max] within [0, 2]");
      t.min_temperature = lo;
      t.max_temperature = hi;
    } else {
      return InvalidArgumentError(fmt::format("tier patch: unknown field '{}'", k));
    }
  }
  return OkStatus();
}

}  // namespace rsf::gateway
