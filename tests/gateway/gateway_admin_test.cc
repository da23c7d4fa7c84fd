// The admin API, kill switch, staged rollout, quotas, flaw-report intake and reload, end to
// end through a running gateway (gateway_server_fixture.h).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/gateway_server_fixture.h"

namespace rsf::gateway {
namespace {

constexpr const char* kAdminConfig = R"(listen: 127.0.0.1:0
policy: policy.yaml
store: gw.db
limits: {max_body_bytes: 65536, failed_auth_per_minute: 50, header_timeout_ms: 300}
flaw_reports: {per_minute: 3}
models:
  - {name: chat, version: "1", backend: reference, decision: chat.decision.json, safeguards: {filtering: guard}}
  - {name: chat, version: "2", backend: reference, decision: chat2.decision.json, safeguards: {filtering: guard}}
  - {name: slow, backend: reference, decision: chat.decision.json}
rollout:
  - {model: chat, stable: "1", channels: [{name: canary, version: "2", percent: 0, allowlist: ["tenant:early"]}]}
tiers:
  - {id: public, models: ['*'], max_tokens: 64, requests_per_minute: 3}
  - {id: researchers, models: ['*'], safe_harbour: true, guard: relaxed, max_tokens: 512}
)";

class GatewayAdminTest : public GatewayTest {
 protected:
  void SetUp() override {
    files_.AddDecision("chat", "high", "deploy", "-");
    // Version 2 is held: only researchers may use it.
    files_.AddDecision("chat2", "high", "hold_deployment", "researchers");
    StartWith(kAdminConfig);
    admin_key_ = gateway_->keys().Create({.name = "ops", .tenant = "lab", .tier = "", .role = KeyRole::kAdmin})->second;
    auditor_key_ = gateway_->keys().Create({.name = "audit", .tenant = "aisi", .tier = "", .role = KeyRole::kAuditor})->second;
    early_key_ = gateway_->keys().Create({.name = "e", .tenant = "early", .tier = "researchers"})->second;
  }
  Json Admin(const std::string& method, const std::string& path, const std::string& body, int expect,
             const std::string& key = "") {
    auto r = Send(method, "/admin/v1/" + path, body, key.empty() ? admin_key_ : key);
    EXPECT_EQ(r.status, expect) << method << " " << path << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  std::string ServedBy(const std::string& key) {
    auto r = Chat(key, "chat");
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false).value("model", "");
  }
  // A stream of the slow model: 400 pieces, 5 ms apart.
  std::thread StartSlowStream(model::HttpResponse& out) { return StartStream("slow", research_key_, out); }
  std::string admin_key_, auditor_key_, early_key_;
};

// The text of a chat stream's content deltas.
std::string StreamedText(const std::string& body) {
  std::string text;
  for (size_t pos = 0; (pos = body.find("data: {", pos)) != std::string::npos;) {
    const size_t end = body.find("\n\n", pos);
    auto j = Json::parse(body.substr(pos + 6, end - pos - 6), nullptr, false);
    pos = end;
    if (j.contains("choices") && !j["choices"].empty()) text += j["choices"][0]["delta"].value("content", "");
  }
  return text;
}

TEST_F(GatewayAdminTest, KillSwitchHaltsNewAndInFlightRequests) {
  // A stream of 400 pieces, 5 ms apart: two seconds if nothing stops it.
  model::HttpResponse streamed;
  std::thread client = StartSlowStream(streamed);
  const auto halted_at = std::chrono::steady_clock::now();
  auto halt = Admin("POST", "models/slow/halt", R"({"reason":"drill"})", 200);
  client.join();
  const auto ended_after = std::chrono::steady_clock::now() - halted_at;
  EXPECT_LT(ended_after, std::chrono::milliseconds(1000)) << "the stream ran on after the halt";
  EXPECT_NE(streamed.body.find("\"code\":\"model_halted\""), std::string::npos) << streamed.body;
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos);
  EXPECT_LT(StreamedText(streamed.body).size(), 7u * 400);
  // New requests are refused, other models are not affected.
  auto refused = Chat(research_key_, "slow");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(ErrorCode(refused), "model_halted");
  EXPECT_NE(refused.body.find("drill"), std::string::npos);
  EXPECT_EQ(Chat(research_key_, "chat").status, 200);
  // Logged before it took effect, with who did it; the halt survives a restart.
  auto events = audit_log_.events("gateway.admin");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["body"]["action"], "model.halt");
  EXPECT_EQ(events[0]["body"]["actor"], std::string(*KeyRing::KeyId(admin_key_)));
  EXPECT_TRUE(halt["ledger_index"].is_number_unsigned()) << halt;
  gateway_.reset();
  StartWith(kAdminConfig);
  EXPECT_EQ(ErrorCode(Chat(research_key_, "slow")), "model_halted");
  Admin("POST", "models/slow/resume", "", 200);
  EXPECT_EQ(Chat(research_key_, "slow", R"(,"max_tokens":5)").status, 200);
}

TEST_F(GatewayAdminTest, RestrictingATierStopsOnlyThatTier) {
  Admin("POST", "tiers/public/restrict", R"({"reason":"incident 7"})", 200);
  auto r = Chat(public_key_, "chat");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCode(r), "tier_restricted");
  EXPECT_EQ(Chat(research_key_, "chat").status, 200);
  Admin("POST", "tiers/public/lift", "", 200);
  EXPECT_EQ(Chat(public_key_, "chat").status, 200);
  Admin("POST", "tiers/public/lift", "", 404);  // nothing to lift: refused and logged as failed
  auto events = audit_log_.events("gateway.admin");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3]["body"]["action"], "tier.lift.failed");
}

TEST_F(GatewayAdminTest, RollsOutByAllowlistPercentAndRollsBack) {
  // Allowlisted tenant gets the canary; others the stable version; the held version never
  // reaches the public tier, even at 100%.
  EXPECT_EQ(ServedBy(early_key_), "chat@2");
  EXPECT_EQ(ServedBy(research_key_), "chat@1");
  EXPECT_EQ(ServedBy(public_key_), "chat@1");
  Admin("PUT", "rollout/chat", R"({"stable":"1","channels":[{"name":"canary","version":"2","percent":100}]})", 200);
  EXPECT_EQ(ServedBy(research_key_), "chat@2");
  EXPECT_EQ(ServedBy(public_key_), "chat@1");
  EXPECT_EQ(ErrorCode(Chat(public_key_, "chat@2")), "model_not_found");
  EXPECT_EQ(ServedBy(early_key_), "chat@2");
  auto rolled_back = Admin("POST", "rollout/chat/rollback", "", 200);
  EXPECT_EQ(rolled_back["channels"][0]["percent"], 0.0);
  EXPECT_EQ(ServedBy(research_key_), "chat@1");
  EXPECT_EQ(ServedBy(early_key_), "chat@1");
  // Pinning a version is allowed where the decision allows it.
  EXPECT_EQ(Json::parse(Chat(research_key_, "chat@2").body)["model"], "chat@2");
  // A rollout naming a version that is not served is refused before anything is logged.
  const size_t logged = audit_log_.events("gateway.admin").size();
  Admin("PUT", "rollout/chat", R"({"stable":"3"})", 400);
  EXPECT_EQ(audit_log_.events("gateway.admin").size(), logged);
  // The request records say which version and channel answered.
  auto audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back()["channel"], "pinned");
}

TEST_F(GatewayAdminTest, EnforcesRequestsPerMinutePerKey) {
  for (int i = 0; i < 3; ++i) {
    auto r = Chat(public_key_, "chat");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("x-ratelimit-limit-requests"), "3");
    EXPECT_EQ(r.Header("x-ratelimit-remaining-requests"), std::to_string(2 - i));
  }
  auto limited = Chat(public_key_, "chat");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_GE(std::stoi(limited.Header("Retry-After")), 1);
  // Another key of the same tier has its own quota; the limit lifts as the window slides.
  auto other = gateway_->keys().Create({.name = "p2", .tenant = "acme", .tier = "public"})->second;
  EXPECT_EQ(Chat(other, "chat").status, 200);
  clock_.Advance(std::chrono::seconds(121));
  EXPECT_EQ(Chat(public_key_, "chat").status, 200);
}

TEST_F(GatewayAdminTest, ManagesKeysWithRolesAndLogsWithoutSecrets) {
  auto created = Admin("POST", "keys", R"({"name":"new","tenant":"acme","tier":"public"})", 200);
  const std::string key = created["key"];
  EXPECT_EQ(Chat(key, "chat").status, 200);
  for (const auto& e : audit_log_.events("gateway.admin")) EXPECT_EQ(e.dump().find(key), std::string::npos);
  Admin("DELETE", "keys/" + std::string(created["record"]["id"]), "", 200);
  EXPECT_EQ(Chat(key, "chat").status, 401);
  Admin("POST", "keys", R"({"tenant":"acme","tier":"nope"})", 400);
  // Auditors read, never change; client keys get nothing.
  EXPECT_EQ(Admin("GET", "keys", "", 200, auditor_key_)["keys"].size(), 6u);
  Admin("POST", "models/chat/halt", "{}", 403, auditor_key_);
  Admin("GET", "status", "", 403, public_key_);
  Admin("GET", "status", "", 401, "rsf_0000000000000000_" + std::string(43, 'A'));
}

TEST_F(GatewayAdminTest, TierChangesMustAgreeWithTheDecisions) {
  // Chat's level requires the filtering safeguard, which the guard provides: switching the
  // guard off for the public tier contradicts the signed decision.
  auto refused = Admin("PATCH", "tiers/public", R"({"guard":"off"})", 409);
  EXPECT_EQ(refused["error"]["code"], "contradicts_decision");
  Admin("PATCH", "tiers/public", R"({"max_tokens":"many"})", 400);
  Admin("PATCH", "tiers/public", R"({"max_tokens":8})", 200);
  EXPECT_EQ(Chat(public_key_, "chat", R"(,"max_tokens":9)").status, 403);
  EXPECT_EQ(Chat(public_key_, "chat", R"(,"max_tokens":8)").status, 200);
  // The change is stored: it holds after a restart.
  gateway_.reset();
  StartWith(kAdminConfig);
  EXPECT_EQ(Chat(public_key_, "chat", R"(,"max_tokens":9)").status, 403);
}

TEST_F(GatewayAdminTest, TakesFlawReportsAndLogsOnlyTheirDigest) {
  const std::string report =
      R"({"title":"Roleplay jailbreak","description":"Secret technique XYZZY gets weapons content","severity":"high",)"
      R"("model":"chat","pseudonym":"raven","accept_safe_harbour":true})";
  auto r = Send("POST", "/v1/flaw-reports", report, "");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Json::parse(r.body)["id"];
  auto events = audit_log_.events("flaw.report");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].dump().find("XYZZY"), std::string::npos) << "the ledger gets the digest, not the content";
  EXPECT_EQ(events[0]["body"]["reporter"], "pseudonym:raven");
  EXPECT_NE(Admin("GET", "flaw-reports/" + id, "", 200).dump().find("XYZZY"), std::string::npos);
  EXPECT_EQ(Admin("GET", "flaw-reports/" + id, "", 200, auditor_key_).dump().find("XYZZY"), std::string::npos);
  // Terms must be accepted; fields are checked; the address is rate-limited (3 a minute).
  auto no_terms = Send("POST", "/v1/flaw-reports", R"({"title":"t","description":"d"})", "");
  EXPECT_EQ(no_terms.status, 400);
  EXPECT_NE(no_terms.body.find("accept_safe_harbour"), std::string::npos);
  EXPECT_EQ(Send("POST", "/v1/flaw-reports", R"({"title":"t","description":"d","severity":"dire","accept_safe_harbour":true})", "").status, 400);
  EXPECT_EQ(Send("POST", "/v1/flaw-reports", report, "").status, 429);
  EXPECT_EQ(Send("GET", "/v1/flaw-reports/terms", "", "").status, 200);
}

TEST_F(GatewayAdminTest, ReloadsWithoutDroppingAStreamInFlight) {
  model::HttpResponse streamed;
  std::thread client = StartSlowStream(streamed);
  std::string changed = kAdminConfig;
  changed.replace(changed.find("max_tokens: 64"), 14, "max_tokens: 16");
  reload_config_ = changed;
  Admin("POST", "reload", "", 200);
  EXPECT_EQ(Chat(public_key_, "chat", R"(,"max_tokens":20)").status, 403);
  client.join();
  EXPECT_EQ(StreamedText(streamed.body), std::string(7 * 400, 'x')) << "the stream was cut by the reload";
  EXPECT_EQ(audit_log_.events("gateway.config").size(), 2u);
  // A configuration that does not compile is refused and nothing changes.
  reload_config_ = "listen: [";
  Admin("POST", "reload", "", 400);
  EXPECT_EQ(Chat(public_key_, "chat", R"(,"max_tokens":16)").status, 200);
}

TEST_F(GatewayAdminTest, FailsClosedWhenTheAuditCannotBeWritten) {
  audit_log_.set_healthy(false);
  auto r = Chat(public_key_, "chat");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "audit_unavailable");
  EXPECT_EQ(Send("GET", "/readyz", "", "").status, 503);
  Admin("POST", "models/chat/halt", "{}", 503);
  audit_log_.set_healthy(true);
  EXPECT_EQ(Chat(public_key_, "chat").status, 200);
  EXPECT_EQ(Chat(public_key_, "chat").status, 200) << "the halt that could not be logged must not have happened";
}

// Raw TCP for what an HTTP client library would not send.
std::string RawExchange(uint16_t port, const std::string& bytes, int wait_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "<connect failed>";
  }
  (void)!write(fd, bytes.data(), bytes.size());
  timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST_F(GatewayAdminTest, SlowClientsTimeOutAndInjectedHeadersAreRefused) {
  const auto port = static_cast<uint16_t>(std::stoi(base_.substr(base_.rfind(':') + 1)));
  // Headers never finished: 408 after the header time-out (300 ms here).
  const std::string slow = RawExchange(port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", 3000);
  EXPECT_EQ(slow.rfind("HTTP/1.1 408", 0), 0u) << "[" << slow << "]";
  EXPECT_NE(slow.find("\"code\":\"request_timeout\""), std::string::npos) << slow;
  // A bare CR inside a header value (response splitting, smuggling): 400, never routed.
  const std::string injected = RawExchange(
      port, "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + public_key_ + "\rX-Injected: 1\r\n\r\n", 3000);
  EXPECT_EQ(injected.rfind("HTTP/1.1 400", 0), 0u) << injected;
  EXPECT_NE(injected.find("\"code\":\"bad_request\""), std::string::npos) << injected;
  // Two Content-Lengths that disagree (request smuggling): 400.
  const std::string smuggled = RawExchange(
      port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n{}", 3000);
  EXPECT_EQ(smuggled.rfind("HTTP/1.1 400", 0), 0u) << smuggled;
  const std::string metrics = Send("GET", "/metrics", "", "").body;
  EXPECT_NE(metrics.find("rsf_gateway_rejected_total{code=\"request_timeout\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("rsf_gateway_rejected_total{code=\"bad_request\"} 2"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace rsf::gateway
