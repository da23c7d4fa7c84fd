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
//     mode `off`, or `log_only` outside a safe-harbour tier);
//   - a required safeguard the watermark provides (`safeguards: {<id>: watermark}`) on a
//     model that does not enable the watermark, or whose key is not in the keyring.
//
// Thread safety: plain data and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/incident/rules.h"
#include "rsf/incident/runbook.h"
#include "rsf/policy/decision.h"
#include "rsf/policy/policy.h"
#include "rsf/watermark/keyring.h"

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
  // Quotas (0: unlimited). Per key: every key of the tier on its own; per tier: all of the
  // tier's keys together. Tokens are prompt and completion tokens.
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
  int64_t tier_requests_per_minute = 0;
  int64_t tier_tokens_per_minute = 0;
  std::string where;                // file:line
};

struct Upstream {
  std::string url;          // http://host:port (the path /v1/... is appended)
  int weight = 1;
  std::string served_name;  // the model name the upstream knows ("" = the gateway's)

  bool operator==(const Upstream&) const = default;
};

// How the gateway talks to a model's upstreams (docs/gateway.md, "Upstreams"): time-outs,
// the circuit breaker (consecutive failures open an upstream's circuit for `open_ms`, then one
// probe request decides), and active health checks (off unless `health_path` is set).
struct UpstreamSettings {
  int connect_timeout_ms = 2000;
  int first_byte_timeout_ms = 60000;  // from sending the request to the response header
  int idle_timeout_ms = 30000;        // between bytes of the response body
  int max_attempts = 2;               // upstreams tried while nothing was sent to the client
  int failures_to_open = 5;
  int open_ms = 10000;
  std::string health_path;            // e.g. "/health"; "" = no active checks
  int health_interval_ms = 5000;
  int health_timeout_ms = 1000;
  int unhealthy_after = 2;            // consecutive failed checks
  int healthy_after = 2;              // consecutive passed checks

  bool operator==(const UpstreamSettings&) const = default;
};

struct ModelRoute {
  std::string name;                     // as clients ask for it
  std::string version;                  // "" when the model has one version
  std::string backend = "upstream";     // "upstream" or "reference" (in process)
  std::vector<Upstream> upstreams;
  UpstreamSettings upstream;
  std::string decision_file;            // signed decision (rsf decision sign)
  std::string assessment_file;          // the assessment it signs ("" = none; shown by the console)
  std::map<std::string, std::string> safeguards;  // safeguard id -> "guard" or "watermark"
  // The text watermark, embedded while sampling (in-process backends only), with the key of
  // the gateway's keyring named here ("" = the keyring's active key).
  bool watermark = false;
  std::string watermark_key;
  std::string where;                    // file:line

  // "name@version", or the name when there is no version: the route's identity.
  std::string id() const { return version.empty() ? name : name + "@" + version; }
};

// Staged rollout of a model's versions. A request for the bare name goes to the first
// channel whose allowlist names the caller (`key:<id>` or `tenant:<name>`), else to the
// channel its sticky bucket falls in (channels take consecutive ranges of 10,000 buckets,
// percent × 100 each), else to `stable`. A channel whose version's decision does not allow
// the caller's tier is skipped. Clients may also ask for "name@version" directly.
struct RolloutChannel {
  std::string name;                    // e.g. "canary"
  std::string version;
  int basis_points = 0;                // percent × 100, 0..10000
  std::vector<std::string> allowlist;  // "key:<id>" or "tenant:<name>"
};

struct Rollout {
  std::string model;
  std::string stable;          // version everyone else gets
  bool sticky_by_tenant = false;  // bucket by tenant rather than by key
  std::vector<RolloutChannel> channels;
  std::string where;
};

struct FlawIntake {
  bool enabled = true;
  bool anonymous = true;   // accept reports without an API key
  int per_minute = 5;      // reports per client address
  size_t max_bytes = 65536;
};

// Incident response (docs/incidents.md): runbooks, and drill mode, in which the gateway
// accepts traffic marked `x-rsf-drill` (kept out of real metrics and real incident rules).
// Detection rules and reportable events come from the policy's `incidents:` section.
struct IncidentsConfig {
  std::vector<std::string> runbooks;  // files or directories of runbook YAML
  bool drill_mode = false;
};

// Several replicas on one shared store (docs/operations.md). Used when `store` is PostgreSQL.
struct ReplicasConfig {
  int reload_s = 5;  // keys and controls re-read this often besides change notifications
  // Audit through the store to one ledger written by an elected replica
  // (include/rsf/gateway/shared_ledger.h); `ledger` is then the directory this replica writes
  // when elected (a shared volume), or empty for a replica that never writes.
  bool shared_ledger = false;
  int ledger_wait_ms = 5000;  // how long an admin action waits for the writer
};

struct GatewayConfig {
  std::string source;          // the file it came from
  std::string sha256;          // of the file's bytes
  std::string listen = "127.0.0.1:8080";
  std::string store = "gateway.db";  // a SQLite file, or a postgresql:// URI (no password)
  std::string policy_file;
  std::string guard_config;    // "" = the built-in guard configuration
  std::string watermark_keys;  // keyring file (docs/formats/watermark.md); "" = none
  size_t max_body_bytes = 1 << 20;
  int header_timeout_ms = 10000;
  int request_timeout_ms = 120000;
  int failed_auth_per_minute = 30;  // per client address, then 429
  int drain_timeout_ms = 10000;     // on stop: how long in-flight requests may finish
  std::string ledger_dir;           // audit and admin actions ("" only where embedded or shared)
  int audit_flush_ms = 1000;        // request records batched this long at most
  bool audit_fail_closed = true;    // refuse model requests while the audit cannot be written
  FlawIntake flaw_reports;
  IncidentsConfig incidents;
  ReplicasConfig replicas;
  bool console_enabled = true;  // the web console at /console/ (docs/console.md)
  std::vector<ModelRoute> models;
  std::vector<TierPolicy> tiers;
  std::vector<Rollout> rollouts;

  const TierPolicy* FindTier(std::string_view id) const;
  const Rollout* FindRollout(std::string_view model) const;
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
  std::optional<watermark::KeyEntry> watermark;  // the key it embeds with, when it does
  // The assessment the decision signs (AssessmentToJson form), when the route names its file:
  // its SHA-256 is checked against the signed statement.
  std::shared_ptr<const Json> assessment;
};

struct CompiledGateway {
  GatewayConfig config;
  policy::Policy policy;
  std::vector<ServedModel> models;
  std::shared_ptr<const watermark::Keyring> watermark_keys;  // loaded when any model watermarks
  incident::IncidentPolicy incident_policy;  // the policy's `incidents:` section
  std::vector<incident::Runbook> runbooks;
  // By id ("name@version", or the name of a single-version model).
  const ServedModel* FindModel(std::string_view id) const;
};

// Loads the policy and every decision file through `env`, verifies the decisions and checks
// the configuration against them. kFailedPrecondition naming the model, tier and reason when
// the configuration contradicts a decision; kInvalidArgument / kNotFound for unreadable files.
Result<CompiledGateway> CompileGateway(Env& env, GatewayConfig config);

// True when `tier` may call `model` under its decision (the tier's own list is not checked).
bool DecisionAllowsTier(const ServedModel& model, std::string_view tier);

// Checks one tier against every served model's decision (what CompileGateway does for each
// tier; the admin API runs it before changing a tier). kFailedPrecondition with the reason.
Status CheckTierAgainstDecisions(const CompiledGateway& gateway, const TierPolicy& tier);

// Checks a rollout against the served versions. kInvalidArgument naming what is wrong.
Status CheckRollout(const CompiledGateway& gateway, const Rollout& rollout);

}  // namespace rsf::gateway
