// include/rsf/gateway/config.h
//
// The gateway's configuration (`rsfd --config gateway.yaml`; docs/gateway.md has the full
// reference): where it listens, its store, the policy its decisions are signed under, the
// models it serves (each bound to a signed decision file) and the access tiers.
//
// Binding to the decision (CompileGateway): the configuration is refused when it contradicts
// a model's signed decision —
//   - the decision is not final under the policy (missing signers, bad signatures);
//   - a tier is granted a model the decision does not allow it: `deploy` allows every tier,
//     `deploy_restricted`, `hold_deployment` and `pause_development` only the tiers the
//     decision names (none, for "-");
//   - a deployment safeguard the decision's level requires is one the gateway provides
//     (`safeguards: {<id>: guard}`) and a tier serving the model switches it off (guard
//     mode `off`, or `log_only` outside a safe-harbour tier).
//
// Thread safety: plain data and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/status.h"
#include "rsf/policy/decision.h"
#include "rsf/policy/policy.h"

namespace rsf::gateway {

// What the guard does for a tier: `strict` applies the guard configuration's actions;
// `relaxed` blocks only what a blocking rule matched (the model's verdicts are flagged and
// logged), for vetted researchers; `log_only` never blocks and logs every verdict; `off`
// skips the guard (only where no decision requires it).
enum class GuardMode { kStrict, kRelaxed, kLogOnly, kOff };
std::string_view GuardModeName(GuardMode m);

struct TierPolicy {
  std::string id;
  std::vector<std::string> models;  // model names this tier may call ("*": every model)
  GuardMode guard = GuardMode::kStrict;
  bool guard_fail_open = false;     // serve when the guard errors (default: refuse)
  bool safe_harbour = false;        // vetted researchers: relaxed policies, research terms
  bool auditor = false;             // deeper access: logprobs, raw verdicts
  int max_tokens = 1024;
  int max_n = 1;
  double min_temperature = 0;
  double max_temperature = 2;
  bool allow_logprobs = false;
  int max_top_logprobs = 0;
  int64_t requests_per_minute = 0;  // 0: unlimited
  int64_t tokens_per_minute = 0;
};

struct Upstream {
  std::string url;          // http://host:port (the path /v1/... is appended)
  int weight = 1;
  std::string served_name;  // the model name the upstream knows ("" = the gateway's)
};

struct ModelRoute {
  std::string name;                     // as clients ask for it
  std::string backend = "upstream";     // "upstream" or "reference" (in process)
  std::vector<Upstream> upstreams;
  std::string decision_file;            // signed decision (rsf decision sign)
  std::map<std::string, std::string> safeguards;  // safeguard id -> "guard"
  std::string where;                    // file:line
};

struct GatewayConfig {
  std::string source;          // the file it came from
  std::string listen = "127.0.0.1:8080";
  std::string store = "gateway.db";
  std::string policy_file;
  std::string guard_config;    // "" = the built-in guard configuration
  size_t max_body_bytes = 1 << 20;
  int header_timeout_ms = 10000;
  int request_timeout_ms = 120000;
  int failed_auth_per_minute = 30;  // per client address, then 429
  std::vector<ModelRoute> models;
  std::vector<TierPolicy> tiers;

  const TierPolicy* FindTier(std::string_view id) const;
  const ModelRoute* FindModel(std::string_view name) const;
};

// Parses YAML; relative paths are resolved against the file's directory (`base_dir`).
// kInvalidArgument "file:line:col: what was expected".
Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml, std::string_view source,
                                         std::string_view base_dir);
Result<GatewayConfig> LoadGatewayConfig(Env& env, const std::string& path);

// A model as the gateway serves it, with its verified decision.
struct ServedModel {
  ModelRoute route;
  policy::DecisionStatus decision;
  std::vector<std::string> required_safeguards;  // the decision level's deployment standard
  std::vector<std::string> tiers;                // tiers the decision allows ({"*"} for all)
};

struct CompiledGateway {
  GatewayConfig config;
  policy::Policy policy;
  std::vector<ServedModel> models;
  const ServedModel* FindModel(std::string_view name) const;
};

// Loads the policy and every decision file through `env`, verifies the decisions and checks
// the configuration against them. kFailedPrecondition naming the model, tier and reason when
// the configuration contradicts a decision; kInvalidArgument / kNotFound for unreadable files.
Result<CompiledGateway> CompileGateway(Env& env, GatewayConfig config);

// True when `tier` may call `model` under its decision (the tier's own list is not checked).
bool DecisionAllowsTier(const ServedModel& model, std::string_view tier);

}  // namespace rsf::gateway
