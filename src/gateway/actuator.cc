// src/gateway/actuator.cc — incident containment carried out on this gateway: revoke a key,
// restrict a tier, halt a model, roll a rollout back (incident::Actuator). Halts name the
// incident (and the drill) in their reason, so a drill's containment can be lifted after it.
#include <fmt/format.h>

#include "gateway/gateway_impl.h"
#include "rsf/gateway/rollout.h"

namespace rsf::gateway {
namespace {

using incident::Action;
using incident::ActionKind;

class GatewayActuator final : public incident::Actuator {
 public:
  explicit GatewayActuator(Gateway::Impl& gw) : gw_(gw) {}

  Status Apply(const Action& a, const incident::Incident& x) override {
    const std::string reason = x.drill.empty() ? fmt::format("incident {}: {}", x.id, x.title)
                                               : fmt::format("{} {}: incident {}", kDrillReasonPrefix, x.drill, x.id);
    const std::string actor = "incident:" + x.id;
    auto snap = gw_.Current();
    switch (a.kind) {
      case ActionKind::kRevokeKey: return gw_.keys->Revoke(a.target);
      case ActionKind::kRestrictTier:
        if (!snap->compiled.config.FindTier(a.target)) return NotFoundError(fmt::format("no tier '{}'", a.target));
        return gw_.control->Halt(HaltKind::kTier, a.target, reason, actor);
      case ActionKind::kHaltModel:
        if (!KnownModel(*snap, a.target)) return NotFoundError(fmt::format("no model '{}'", a.target));
        return gw_.control->Halt(HaltKind::kModel, a.target, reason, actor);
      case ActionKind::kRollback: {
        const std::string bare = a.target.substr(0, a.target.find('@'));
        const Rollout* configured = snap->compiled.config.FindRollout(bare);
        if (!configured) return NotFoundError(fmt::format("model '{}' has no rollout", bare));
        Rollout r = *configured;
        for (auto& ch : r.channels) {
          ch.basis_points = 0;
          ch.allowlist.clear();
        }
        std::lock_guard lock(gw_.admin_mu);
        RSF_RETURN_IF_ERROR(gw_.control->SetRollout(r));
        return gw_.Rebuild();
      }
      case ActionKind::kNotify: return InvalidArgumentError("notify is not a containment action");
    }
    return InternalError("unknown action");
  }

  Result<bool> Holds(const Action& a) override {
    switch (a.kind) {
      case ActionKind::kRevokeKey:
        for (const auto& k : gw_.keys->List()) {
          if (k.id == a.target) return k.revoked;
        }
        return NotFoundError(fmt::format("no key '{}'", a.target));
      case ActionKind::kRestrictTier:
      case ActionKind::kHaltModel: {
        const HaltKind kind = a.kind == ActionKind::kRestrictTier ? HaltKind::kTier : HaltKind::kModel;
        for (const auto& h : gw_.control->Halts()) {
          if (h.kind == kind && h.name == a.target) return true;
        }
        return false;
      }
      case ActionKind::kRollback: {
        auto r = gw_.control->RolloutOverride(a.target.substr(0, a.target.find('@')));
        if (!r) return false;
        for (const auto& ch : r->channels) {
          if (ch.basis_points != 0 || !ch.allowlist.empty()) return false;
        }
        return true;
      }
      case ActionKind::kNotify: return false;
    }
    return false;
  }

 private:
  static bool KnownModel(const Snapshot& s, std::string_view name) {
    for (const auto& m : s.compiled.models) {
      if (m.route.name == name || m.route.id() == name) return true;
    }
    return false;
  }
  Gateway::Impl& gw_;
};

}  // namespace

std::unique_ptr<incident::Actuator> Gateway::Impl::MakeActuator() { return std::make_unique<GatewayActuator>(*this); }

}  // namespace rsf::gateway
