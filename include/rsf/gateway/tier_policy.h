// include/rsf/gateway/tier_policy.h
//
// Whether a tier may send a request as it stands: n, max_tokens, temperature and logprobs
// (which model it may use is rollout.h's ResolveModel). A request without max_tokens gets the
// tier's limit. Errors are kPermissionDenied naming the parameter and the limit, so a client
// learns what to change; nothing refused reaches a backend.
//
// Thread safety: pure function.
#pragma once

#include "rsf/common/status.h"
#include "rsf/gateway/config.h"
#include "rsf/gateway/openai_request.h"

namespace rsf::gateway {

// kPermissionDenied for a parameter outside the tier's policy. On success sets
// request.max_tokens when absent.
Status ApplyTierPolicy(const TierPolicy& tier, CompletionRequest& request);

// True when `tier` may see `model` in /v1/models and call it.
bool TierMaySee(const TierPolicy& tier, const ServedModel& model);

}  // namespace rsf::gateway
