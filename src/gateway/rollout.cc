// src/gateway/rollout.cc
#include "rsf/gateway/rollout.h"

#include <fmt/format.h>

#include "rsf/common/sha256.h"
#include "rsf/gateway/tier_policy.h"

namespace rsf::gateway {

uint32_t StickyBucket(std::string_view model, std::string_view caller) {
  const Digest d = Sha256Of(fmt::format("rsf-rollout/1\n{}\n{}", model, caller));
  const uint32_t v = (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | uint32_t{d[3]};
  return v % 10000;
}

Result<Assignment> ResolveModel(const CompiledGateway& g, const Rollout* rollout, const TierPolicy& tier,
                                const ApiKey& key, std::string_view requested) {
  auto not_found = [&] {
    return NotFoundError(fmt::format("model '{}' does not exist or is not available to your access tier", requested));
  };
  auto usable = [&](const ServedModel* m) { return m && TierMaySee(tier, *m); };
  if (const ServedModel* m = g.FindModel(requested)) {
    if (!usable(m)) return not_found();
    // A bare name that is a route of its own, or a pinned "name@version".
    return Assignment{m, m->route.version.empty() || requested.find('@') == std::string_view::npos ? "stable" : "pinned"};
  }
  if (requested.find('@') != std::string_view::npos) return not_found();
  const std::string name(requested);
  if (!rollout) {
    // One version without a rollout: that version.
    const ServedModel* only = nullptr;
    for (const auto& m : g.models) {
      if (m.route.name != name) continue;
      if (only) return not_found();
      only = &m;
    }
    if (!usable(only)) return not_found();
    return Assignment{only, "stable"};
  }
  auto version = [&](const std::string& v) { return g.FindModel(name + "@" + v); };
  for (const auto& ch : rollout->channels) {
    for (const auto& a : ch.allowlist) {
      if ((a.rfind("key:", 0) == 0 && a.substr(4) == key.id) || (a.rfind("tenant:", 0) == 0 && a.substr(7) == key.tenant)) {
        if (const ServedModel* m = version(ch.version); usable(m)) return Assignment{m, ch.name};
      }
    }
  }
  const uint32_t bucket = StickyBucket(name, rollout->sticky_by_tenant ? key.tenant : key.id);
  uint32_t lo = 0;
  for (const auto& ch : rollout->channels) {
    const uint32_t hi = lo + static_cast<uint32_t>(ch.basis_points);
    if (bucket >= lo && bucket < hi) {
      if (const ServedModel* m = version(ch.version); usable(m)) return Assignment{m, ch.name};
      break;
    }
    lo = hi;
  }
  if (const ServedModel* m = version(rollout->stable); usable(m)) return Assignment{m, "stable"};
  return not_found();
}

}  // namespace rsf::gateway

namespace rsf::gateway {

Json RolloutToJson(const Rollout& r) {
  Json channels = Json::array();
  for (const auto& c : r.channels) {
    channels.push_back({{"name", c.name}, {"version", c.version}, {"percent", c.basis_points / 100.0}, {"allowlist", c.allowlist}});
  }
  return {{"model", r.model}, {"stable", r.stable}, {"sticky", r.sticky_by_tenant ? "tenant" : "key"}, {"channels", channels}};
}

Result<Rollout> RolloutFromJson(const Json& j, std::string_view model) {
  auto bad = [](std::string_view what) { return InvalidArgumentError(fmt::format("rollout: {}", what)); };
  if (!j.is_object()) return bad("must be a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (k != "model" && k != "stable" && k != "sticky" && k != "channels") return bad(fmt::format("unknown field '{}'", k));
  }
  Rollout r;
  r.model = std::string(model);
  r.where = "admin API";
  if (j.contains("model") && (!j["model"].is_string() || j["model"].get<std::string>() != model)) return bad("'model' must match the path");
  if (!j.contains("stable") || !j["stable"].is_string()) return bad("'stable' must be a version string");
  r.stable = j["stable"].get<std::string>();
  if (j.contains("sticky")) {
    if (j["sticky"] != "key" && j["sticky"] != "tenant") return bad("'sticky' must be \"key\" or \"tenant\"");
    r.sticky_by_tenant = j["sticky"] == "tenant";
  }
  if (j.contains("channels")) {
    if (!j["channels"].is_array()) return bad("'channels' must be a list");
    for (size_t i = 0; i < j["channels"].size(); ++i) {
      const Json& c = j["channels"][i];
      const std::string at = fmt::format("channels[{}]", i);
      if (!c.is_object()) return bad(at + " must be an object");
      for (const auto& [k, v] : c.items()) {
        if (k != "name" && k != "version" && k != "percent" && k != "allowlist") return bad(fmt::format("{}: unknown field '{}'", at, k));
      }
      RolloutChannel ch;
      if (!c.contains("name") || !c["name"].is_string()) return bad(at + ".name must be a string");
      if (!c.contains("version") || !c["version"].is_string()) return bad(at + ".version must be a string");
      ch.name = c["name"].get<std::string>();
      ch.version = c["version"].get<std::string>();
      if (c.contains("percent")) {
        if (!c["percent"].is_number() || c["percent"].get<double>() < 0 || c["percent"].get<double>() > 100) {
          return bad(at + ".percent must be a number in [0, 100]");
        }
        ch.basis_points = static_cast<int>(c["percent"].get<double>() * 100 + 0.5);
      }
      if (c.contains("allowlist")) {
        if (!c["allowlist"].is_array()) return bad(at + ".allowlist must be a list of strings");
        for (const auto& a : c["allowlist"]) {
          if (!a.is_string()) return bad(at + ".allowlist must be a list of strings");
          ch.allowlist.push_back(a.get<std::string>());
        }
      }
      r.channels.push_back(std::move(ch));
    }
  }
  return r;
}

}  // namespace rsf::gateway
