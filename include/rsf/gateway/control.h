// include/rsf/gateway/control.h
//
// The gateway's operational state that admins change at run time and that must survive a
// restart: the kill switch (models halted, tiers restricted), rollout changes and tier-limit
// changes. Written through to the Store (collection "gateway.control"), so a halted model
// stays halted after a restart and, with a shared store, on other replicas after Reload().
//
// The kill switch is checked for every new request and, through generation(), by requests
// in flight: a stream compares the generation it started with on each chunk and stops as soon
// as a change halts it.
//
// Thread safety: safe for concurrent use; Stopped() and generation() are cheap.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/gateway/config.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

enum class HaltKind { kModel, kTier };

struct HaltRecord {
  HaltKind kind = HaltKind::kModel;
  std::string name;    // model name (every version), model id ("name@version") or tier id
  std::string reason;
  std::string actor;   // key id of the admin, or "cli"
  std::string since;   // RFC 3339
  Json ToJson() const;
};

// Why the kill switch stops a request: which switch, and a message for the client.
struct Stop {
  HaltKind kind = HaltKind::kModel;
  std::string message;
};

class ControlState {
 public:
  // Loads the stored state. kDataLoss for a stored record that does not parse.
  static Result<std::unique_ptr<ControlState>> Open(store::Store& store, const Clock& clock);

  // Kill switch. Halt is idempotent (a second halt updates the reason); Lift returns kNotFound
  // when nothing was halted.
  Status Halt(HaltKind kind, std::string_view name, std::string_view reason, std::string_view actor);
  Status Lift(HaltKind kind, std::string_view name);
  // Why a request for `route` from `tier` must not run now, or nullopt.
  std::optional<Stop> Stopped(const ModelRoute& route, std::string_view tier) const;
  std::vector<HaltRecord> Halts() const;
  // Changes on every Halt, Lift, override change, and Reload that found a change.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Changes when a rollout or tier override changed (the served configuration must be rebuilt).
  uint64_t overrides_generation() const { return overrides_generation_.load(std::memory_order_acquire); }

  // Every change is announced on the store's channel kChannel, so replicas Reload() at once.
  static constexpr std::string_view kChannel = "gateway.control";

  // Rollout set by an admin, overriding the configuration's (nullopt: the configuration's).
  std::optional<Rollout> RolloutOverride(std::string_view model) const;
  Status SetRollout(const Rollout& rollout);
  // Tier limits changed by an admin: the fields of a tier patch (docs/gateway.md).
  std::map<std::string, Json> TierPatches() const;
  Status SetTierPatch(std::string_view tier, const Json& patch);

  // Re-reads the store (changes made by another replica).
  Status Reload();

 private:
  ControlState(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  void Announce();

  store::Store& store_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::map<std::string, HaltRecord> halts_;  // by "model/<name>" or "tier/<id>"
  std::map<std::string, Rollout> rollouts_;
  std::map<std::string, Json> tier_patches_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<uint64_t> overrides_generation_{1};
};

// Applies a tier patch ({"requests_per_minute", "tokens_per_minute", "tier_requests_per_minute",
// "tier_tokens_per_minute", "max_tokens", "max_n", "guard", "guard_fail_open", "logprobs",
// "max_top_logprobs", "temperature": [min, max]}) to `tier`. kInvalidArgument naming the field.
Status ApplyTierPatch(TierPolicy& tier, const Json& patch);

}  // namespace rsf::gateway
