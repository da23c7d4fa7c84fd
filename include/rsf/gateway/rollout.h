// include/rsf/gateway/rollout.h
//
// Which served version answers a request. A client names a model ("chat") or one version of
// it ("chat@2"). For a bare name with a rollout (config.h: Rollout), the caller goes to
//   1. the first channel whose allowlist names its key ("key:<id>") or tenant
//      ("tenant:<name>");
//   2. else the channel its sticky bucket falls in: bucket = the first four bytes of
//      SHA-256("rsf-rollout/1\n" + model + "\n" + key id or tenant), big-endian, mod 10,000;
//      channel i takes buckets [sum of earlier basis points, + its own);
//   3. else the stable version.
// A channel whose version the caller's tier may not use (its list, or the version's signed
// decision) is passed over, so a canary held for researchers never reaches the public. The
// same caller keeps its channel while the percentages grow (buckets are fixed per caller).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/gateway/api_keys.h"
#include "rsf/gateway/config.h"

namespace rsf::gateway {

// 0..9999, fixed for a (model, caller) pair.
uint32_t StickyBucket(std::string_view model, std::string_view caller);

struct Assignment {
  const ServedModel* model = nullptr;
  std::string channel;  // "stable", a channel name, or "pinned" when the client named the version
};

// Resolves `requested` for `key` on `tier`. `rollout` is the model's current rollout (or
// null). kNotFound when the model does not exist or the tier may use none of its versions
// (the two are not told apart).
Result<Assignment> ResolveModel(const CompiledGateway& gateway, const Rollout* rollout, const TierPolicy& tier,
                                const ApiKey& key, std::string_view requested);

}  // namespace rsf::gateway

namespace rsf::gateway {

// {"model", "stable", "sticky": "key"|"tenant", "channels": [{"name", "version", "percent",
// "allowlist"}]}, as the admin API takes and shows it.
Json RolloutToJson(const Rollout& rollout);
// kInvalidArgument naming the field that is wrong.
Result<Rollout> RolloutFromJson(const Json& json, std::string_view model);

}  // namespace rsf::gateway
