// src/gateway/tier_policy.cc
#include "rsf/gateway/tier_policy.h"

#include <algorithm>

#include <fmt/format.h>

namespace rsf::gateway {

bool TierMaySee(const TierPolicy& tier, const ServedModel& model) {
  const bool listed = std::any_of(tier.models.begin(), tier.models.end(),
                                  [&](const std::string& m) { return m == "*" || m == model.route.name || m == model.route.id(); });
  return listed && DecisionAllowsTier(model, tier.id);
}

Status ApplyTierPolicy(const TierPolicy& tier, CompletionRequest& r) {
  auto deny = [&](std::string what) {
    return PermissionDeniedError(fmt::format("{} (access tier '{}')", what, tier.id));
  };
  if (r.n > tier.max_n) return deny(fmt::format("n: {} is above the limit of {}", r.n, tier.max_n));
  if (r.max_tokens && *r.max_tokens > tier.max_tokens) {
    return deny(fmt::format("max_tokens: {} is above the limit of {}", *r.max_tokens, tier.max_tokens));
  }
  if (!r.max_tokens) r.max_tokens = tier.max_tokens;
  if (r.temperature && (*r.temperature < tier.min_temperature || *r.temperature > tier.max_temperature)) {
    return deny(fmt::format("temperature: {} is outside {}..{}", *r.temperature, tier.min_temperature, tier.max_temperature));
  }
  if (r.logprobs && !tier.allow_logprobs) return deny("logprobs: not allowed");
  if (r.top_logprobs > tier.max_top_logprobs) {
    return deny(fmt::format("top_logprobs: {} is above the limit of {}", r.top_logprobs, tier.max_top_logprobs));
  }
  return OkStatus();
}

}  // namespace rsf::gateway
