#include "rsf/gateway/config.h"

#include <gtest/gtest.h>

#include "gateway/gateway_fixture.h"
#include "testing/status_matchers.h"

namespace rsf::gateway {
namespace {

using testing::GatewayFiles;

std::string Config(const std::string& tiers, const std::string& safeguards = "{filtering: guard}") {
  return "listen: 127.0.0.1:0\npolicy: policy.yaml\nstore: gw.db\nmodels:\n"
         "  - {name: m1, backend: reference, decision: m1.decision.json, safeguards: " + safeguards + "}\n"
         "tiers:\n" + tiers;
}

TEST(GatewayConfigTest, CompilesAConfigurationTheDecisionAllows) {
  GatewayFiles f;
  f.AddDecision("m1", "high", "deploy_restricted", "researchers");
  auto g = f.Compile(Config("  - {id: researchers, models: [m1], safe_harbour: true, guard: relaxed}\n"
                            "  - {id: public, models: ['*']}\n"));
  ASSERT_RSF_OK(g);
  ASSERT_EQ(g->models.size(), 1u);
  EXPECT_EQ(g->models[0].decision.outcome, "deploy_restricted");
  EXPECT_EQ(g->models[0].tiers, std::vector<std::string>{"researchers"});
  EXPECT_EQ(g->models[0].required_safeguards, (std::vector<std::string>{"review", "filtering"}));
  EXPECT_TRUE(DecisionAllowsTier(g->models[0], "researchers"));
  // "*" grants only what decisions allow: public does not get m1, and that is not an error.
  EXPECT_FALSE(DecisionAllowsTier(g->models[0], "public"));
  EXPECT_EQ(g->config.store, f.Path("gw.db"));  // relative to the configuration file
}

TEST(GatewayConfigTest, RefusesATierTheDecisionDoesNotName) {
  GatewayFiles f;
  f.AddDecision("m1", "low", "deploy_restricted", "researchers");
  auto g = f.Compile(Config("  - {id: public, models: [m1]}\n"));
  EXPECT_RSF_CODE(g, StatusCode::kFailedPrecondition);
  EXPECT_NE(g.status().message().find("tier 'public' is granted the model but its decision (deploy_restricted) allows only: researchers"),
            std::string::npos) << g.status().message();
}

TEST(GatewayConfigTest, RefusesEveryTierWhenTheDecisionIsHold) {
  GatewayFiles f;
  f.AddDecision("m1", "high", "hold_deployment", "-");
  auto g = f.Compile(Config("  - {id: researchers, models: [m1], safe_harbour: true}\n"));
  EXPECT_RSF_CODE(g, StatusCode::kFailedPrecondition);
  EXPECT_NE(g.status().message().find("allows only: no tier"), std::string::npos) << g.status().message();
}

TEST(GatewayConfigTest, RefusesSwitchingOffARequiredSafeguard) {
  GatewayFiles f;
  f.AddDecision("m1", "high", "deploy", "-");
  auto off = f.Compile(Config("  - {id: public, models: [m1], guard: off}\n"));
  EXPECT_RSF_CODE(off, StatusCode::kFailedPrecondition);
  EXPECT_NE(off.status().message().find("requires safeguard 'filtering'"), std::string::npos) << off.status().message();
  auto log_only = f.Compile(Config("  - {id: public, models: [m1], guard: log_only}\n"));
  EXPECT_RSF_CODE(log_only, StatusCode::kFailedPrecondition);
  // A safe-harbour tier may run log-only; and at level "low" filtering is not required.
  EXPECT_RSF_OK(f.Compile(Config("  - {id: researchers, models: [m1], guard: log_only, safe_harbour: true}\n")));
  f.AddDecision("m1", "low", "deploy", "-");
  EXPECT_RSF_OK(f.Compile(Config("  - {id: public, models: [m1], guard: off}\n")));
}

TEST(GatewayConfigTest, RefusesADecisionThatIsNotFinal) {
  GatewayFiles f;
  f.AddDecision("m1", "low", "deploy", "-", /*sign=*/false);
  auto g = f.Compile(Config("  - {id: public, models: [m1]}\n"));
  EXPECT_RSF_CODE(g, StatusCode::kFailedPrecondition);
  EXPECT_NE(g.status().message().find("is not final"), std::string::npos) << g.status().message();
}

TEST(GatewayConfigTest, NamesTheLineOfAMistake) {
  GatewayFiles f;
  f.AddDecision("m1", "low", "deploy", "-");
  auto bad_guard = f.Compile(Config("  - {id: public, models: [m1], guard: loose}\n"));
  EXPECT_RSF_CODE(bad_guard, StatusCode::kInvalidArgument);
  EXPECT_NE(bad_guard.status().message().find("gateway.yaml:7:"), std::string::npos) << bad_guard.status().message();
  EXPECT_NE(bad_guard.status().message().find("strict, relaxed, log_only or off"), std::string::npos);
  auto unknown_model = f.Compile(Config("  - {id: public, models: [m2]}\n"));
  EXPECT_NE(unknown_model.status().message().find("names model 'm2', which is not defined"), std::string::npos);
  auto relaxed = f.Compile(Config("  - {id: public, models: [m1], guard: relaxed}\n"));
  EXPECT_NE(relaxed.status().message().find("'relaxed' is for safe-harbour or auditor tiers"), std::string::npos);
  auto unknown_field = f.Compile(Config("  - {id: public, models: [m1], max_token: 5}\n"));
  EXPECT_NE(unknown_field.status().message().find("unknown field 'max_token'"), std::string::npos);
  auto bad_safeguard = f.Compile(Config("  - {id: public, models: [m1]}\n", "{encryption: guard}"));
  EXPECT_NE(bad_safeguard.status().message().find("safeguard 'encryption' is not defined"), std::string::npos);
}

TEST(GatewayConfigTest, ReadsTheSharedLedgerSettings) {
  const std::string models = "models: [{name: m1, backend: reference, decision: m1.json}]\ntiers: [{id: public, models: [m1]}]\n";
  auto c = ParseGatewayConfig("policy: p.yaml\nledger: /srv/ledger\nreplicas: {shared_ledger: true, ledger_wait_ms: 2500}\n" + models,
                              "gateway.yaml", "/etc/rsf");
  ASSERT_RSF_OK(c);
  EXPECT_TRUE(c->replicas.shared_ledger);
  EXPECT_EQ(c->replicas.ledger_wait_ms, 2500);
  auto defaults = ParseGatewayConfig("policy: p.yaml\n" + models, "gateway.yaml", "/etc/rsf");
  ASSERT_RSF_OK(defaults);
  EXPECT_FALSE(defaults->replicas.shared_ledger) << "each rsfd writes its own ledger unless told";
  auto too_short = ParseGatewayConfig("policy: p.yaml\nreplicas: {ledger_wait_ms: 5}\n" + models, "gateway.yaml", "/etc/rsf");
  EXPECT_RSF_CODE(too_short, StatusCode::kInvalidArgument);
  EXPECT_NE(too_short.status().message().find("gateway.yaml:2"), std::string::npos) << too_short.status().message();
  EXPECT_NE(too_short.status().message().find("ledger_wait_ms"), std::string::npos) << too_short.status().message();
}

TEST(GatewayConfigTest, ReadsUpstreamTimeoutsCircuitBreakerAndHealthChecks) {
  GatewayFiles f;
  f.AddDecision("m1", "low", "deploy", "-");
  auto config = [](const std::string& extra) {
    return "listen: 127.0.0.1:0\npolicy: policy.yaml\nmodels:\n"
           "  - {name: m, decision: m1.decision.json, upstreams: [{url: 'http://127.0.0.1:9/x', weight: 3}]" +
           extra + "}\ntiers:\n  - {id: public, models: [m]}\n";
  };
  auto ok = f.Compile(config(", timeouts: {connect_ms: 50, first_byte_ms: 900, idle_ms: 300, attempts: 3}, "
                             "circuit_breaker: {failures: 4, open_ms: 2500}, "
                             "health_check: {path: /health, interval_ms: 100, timeout_ms: 40, unhealthy_after: 3, healthy_after: 1}"));
  ASSERT_RSF_OK(ok);
  const UpstreamSettings& u = ok->models[0].route.upstream;
  EXPECT_EQ(u.connect_timeout_ms, 50);
  EXPECT_EQ(u.first_byte_timeout_ms, 900);
  EXPECT_EQ(u.idle_timeout_ms, 300);
  EXPECT_EQ(u.max_attempts, 3);
  EXPECT_EQ(u.failures_to_open, 4);
  EXPECT_EQ(u.open_ms, 2500);
  EXPECT_EQ(u.health_path, "/health");
  EXPECT_EQ(u.health_interval_ms, 100);
  EXPECT_EQ(u.health_timeout_ms, 40);
  EXPECT_EQ(u.unhealthy_after, 3);
  EXPECT_EQ(u.healthy_after, 1);
  // Defaults: no active health checks.
  auto plain = f.Compile(config(""));
  ASSERT_RSF_OK(plain);
  EXPECT_EQ(plain->models[0].route.upstream.health_path, "");
  auto no_path = f.Compile(config(", health_check: {interval_ms: 100}"));
  EXPECT_NE(no_path.status().message().find("'health_check' needs 'path'"), std::string::npos) << no_path.status().message();
  auto bad = f.Compile(config(", timeouts: {first_byte_ms: 0}"));
  EXPECT_NE(bad.status().message().find("first_byte_ms"), std::string::npos) << bad.status().message();
  auto typo = f.Compile(config(", circuit_breaker: {failure: 3}"));
  EXPECT_NE(typo.status().message().find("unknown field 'failure'"), std::string::npos) << typo.status().message();
}

TEST(GatewayConfigTest, ChecksVersionsAndRollouts) {
  GatewayFiles f;
  f.AddDecision("m1", "low", "deploy", "-");
  f.AddDecision("m2", "low", "deploy_restricted", "researchers");
  const std::string models =
      "listen: 127.0.0.1:0\npolicy: policy.yaml\nmodels:\n"
      "  - {name: m, version: '1', backend: reference, decision: m1.decision.json}\n"
      "  - {name: m, version: '2', backend: reference, decision: m2.decision.json}\n"
      "tiers:\n  - {id: public, models: [m]}\n  - {id: researchers, models: ['m@2']}\n";
  auto no_rollout = f.Compile(models);
  EXPECT_RSF_CODE(no_rollout, StatusCode::kInvalidArgument);
  EXPECT_NE(no_rollout.status().message().find("model 'm' has 2 versions: add a 'rollout'"), std::string::npos)
      << no_rollout.status().message();
  auto ok = f.Compile(models + "rollout:\n  - {model: m, stable: '1', channels: [{name: c, version: '2', percent: 10}]}\n");
  ASSERT_RSF_OK(ok);
  EXPECT_EQ(ok->config.rollouts[0].channels[0].basis_points, 1000);
  // Naming the model grants the versions its decisions allow (public does not get m@2), but
  // naming a version its decision withholds is refused.
  auto pinned = f.Compile(models + "  - {id: x, models: ['m@2']}\nrollout:\n  - {model: m, stable: '1'}\n");
  EXPECT_RSF_CODE(pinned, StatusCode::kFailedPrecondition);
  auto unknown = f.Compile(models + "rollout:\n  - {model: m, stable: '3'}\n");
  EXPECT_NE(unknown.status().message().find("version '3' is not defined"), std::string::npos) << unknown.status().message();
  auto over = f.Compile(models + "rollout:\n  - {model: m, stable: '1', channels: [{name: a, version: '2', percent: 60}, {name: b, version: '1', percent: 50}]}\n");
  EXPECT_NE(over.status().message().find("add up to more than 100"), std::string::npos) << over.status().message();
  auto bad_allow = f.Compile(models + "rollout:\n  - {model: m, stable: '1', channels: [{name: a, version: '2', allowlist: [bob]}]}\n");
  EXPECT_NE(bad_allow.status().message().find("must be key:<id> or tenant:<name>"), std::string::npos);
}

}  // namespace
}  // namespace rsf::gateway
