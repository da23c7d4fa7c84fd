// The web console as rsfd serves it: its embedded files (with a strict CSP), and the read-only
// admin endpoints it draws from — overview, the signed assessment, traffic, evaluation runs
// and ledger proofs — end to end through a running gateway with a real ledger.
#include "gateway/gateway_server_fixture.h"
#include "rsf/common/encoding.h"
#include "rsf/ledger/checkpoint.h"
#include "rsf/ledger/hash.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/proof.h"

namespace rsf::gateway {
namespace {

constexpr const char* kAssessment = R"({"level":"high","domains":[{"id":"misuse","name":"Misuse","level":"high","crossed":["th"],"alerts":[],"watch":false}],
"safeguards":[{"id":"review","name":"Review","in_place":true,"evidence":"attested"},{"id":"filtering","name":"Filtering","in_place":true,"evidence":"strict"}],
"thresholds":[{"id":"th","domain":"misuse","level":"high","status":"crossed","margins":[{"metric":"x.y.mean","op":">=","bound":0.5,"value":0.6}]}],
"decision":{"outcome":"deploy","reasons":["mitigated"],"tiers":[],"halts":[]}}
)";

constexpr const char* kConsoleConfig = R"(listen: 127.0.0.1:0
policy: policy.yaml
store: gw.db
models:
  - {name: chat, backend: reference, decision: chat.decision.json, assessment: chat.assessment.json, safeguards: {filtering: guard}}
  - {name: leaky, backend: reference, decision: leaky.decision.json, safeguards: {filtering: guard}}
tiers:
  - {id: public, models: ['*'], max_tokens: 64}
  - {id: researchers, models: ['*'], safe_harbour: true, guard: log_only, max_tokens: 64}
)";

class GatewayConsoleTest : public GatewayTest {
 protected:
  void SetUp() override {
    testing::WriteText(files_.Path("chat.assessment.json"), kAssessment);
    files_.AddDecision("chat", "high", "deploy", "-", true, Sha256Hex(kAssessment));
    files_.AddDecision("leaky", "high", "deploy", "-");
    auto verifier = ledger::Ledger::Init(Env::Default(), files_.Path("ledger"), "test.example/console");
    ASSERT_RSF_OK(verifier);
    verifier_ = *verifier;
    auto lg = ledger::Ledger::Open(Env::Default(), files_.Path("ledger"));
    ASSERT_RSF_OK(lg);
    owned_ledger_ = std::move(*lg);
    ledger_ = owned_ledger_.get();
    for (int i = 0; i < 3; ++i) {
      ledger::Entry e;
      e.type = i == 1 ? "eval.result" : "gateway.request";
      e.time = "2026-11-23T10:00:0" + std::to_string(i) + ".000Z";
      e.subject = i == 1 ? "eval:basic_qa" : "request:" + std::to_string(i);
      e.body = i == 1 ? Json{{"suite", "basic_qa"}, {"metrics", {{"basic_qa.accuracy", {{"mean", 0.5}, {"ci_low", 0.3}, {"ci_high", 0.7}}}}}}
                      : Json{{"tier", "public"}};
      ASSERT_RSF_OK(ledger_->Append(e));
    }
    ASSERT_RSF_OK(ledger_->Publish());
    StartWith(kConsoleConfig);
    admin_key_ = gateway_->keys().Create({.name = "ops", .tenant = "lab", .tier = "", .role = KeyRole::kAdmin})->second;
    auditor_key_ = gateway_->keys().Create({.name = "audit", .tenant = "aisi", .tier = "", .role = KeyRole::kAuditor})->second;
  }
  void TearDown() override {
    gateway_.reset();
    owned_ledger_.reset();
  }
  Json Get(const std::string& path, int expect, const std::string& key) {
    auto r = Send("GET", path, "", key);
    EXPECT_EQ(r.status, expect) << path << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<ledger::Ledger> owned_ledger_;
  std::optional<ledger::NoteVerifier> verifier_;
  std::string admin_key_, auditor_key_;
};

TEST_F(GatewayConsoleTest, ServesItsEmbeddedFilesWithAStrictContentSecurityPolicy) {
  auto redirect = Send("GET", "/console", "", "");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.Header("Location"), "/console/");
  auto page = Send("GET", "/console/", "", "");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>rsf console</title>"), std::string::npos);
  const std::string csp = page.Header("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(page.Header("ETag").empty());
  // Nothing the page loads comes from elsewhere.
  EXPECT_EQ(page.body.find("http"), std::string::npos);
  auto script = Send("GET", "/console/app.js", "", "");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Send("GET", "/console/missing.js", "", "").status, 404);
  EXPECT_EQ(ErrorCode(Send("POST", "/console/", "{}", "")), "method_not_allowed");
}

TEST_F(GatewayConsoleTest, DataNeedsAnAdminOrAuditorKeyAndIsReadOnly) {
  EXPECT_EQ(Send("GET", "/admin/v1/console/overview", "", "").status, 401);
  EXPECT_EQ(ErrorCode(Send("GET", "/admin/v1/console/overview", "", public_key_)), "not_an_admin_key");
  const Json o = Get("/admin/v1/console/overview", 200, auditor_key_);
  EXPECT_EQ(o["role"], "auditor");
  EXPECT_EQ(o["framework"]["id"], "test-gate");
  ASSERT_EQ(o["models"].size(), 2u);
  const Json& chat = o["models"][0];
  EXPECT_EQ(chat["id"], "chat");
  EXPECT_EQ(chat["decision"]["outcome"], "deploy");
  EXPECT_TRUE(chat["decision"]["final"].get<bool>());
  EXPECT_TRUE(chat["assessment"].get<bool>());
  EXPECT_EQ(chat["domains"][0]["level"], "high");
  // Filtering is provided by the guard, and the researchers' log-only mode is safe harbour, so
  // it counts as on; the assessment found it in place.
  bool filtering = false;
  for (const auto& s : chat["safeguards"]) {
    if (s["id"] != "filtering") continue;
    filtering = true;
    EXPECT_EQ(s["provided_by"], "guard");
    EXPECT_TRUE(s["serving"].get<bool>());
    EXPECT_TRUE(s["assessed_in_place"].get<bool>());
  }
  EXPECT_TRUE(filtering);
  EXPECT_FALSE(o["models"][1]["assessment"].get<bool>());
  // The console's data cannot be changed, by anyone.
  EXPECT_EQ(ErrorCode(Send("POST", "/admin/v1/console/overview", "{}", auditor_key_)), "read_only_key");
  EXPECT_EQ(ErrorCode(Send("POST", "/admin/v1/console/overview", "{}", admin_key_)), "method_not_allowed");
}

TEST_F(GatewayConsoleTest, ShowsTheAssessmentTheDecisionSigns) {
  const Json a = Get("/admin/v1/console/assessment/chat", 200, auditor_key_);
  EXPECT_EQ(a["assessment"], Json::parse(kAssessment));
  EXPECT_EQ(a["decision"]["statement_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(ErrorCode(Send("GET", "/admin/v1/console/assessment/leaky", "", auditor_key_)), "no_assessment");
  EXPECT_EQ(Send("GET", "/admin/v1/console/assessment/nope", "", auditor_key_).status, 404);
}

TEST_F(GatewayConsoleTest, RefusesAnAssessmentTheDecisionDoesNotName) {
  testing::WriteText(files_.Path("chat.assessment.json"), std::string(kAssessment) + " ");
  auto compiled = files_.Compile(kConsoleConfig);
  EXPECT_RSF_CODE(compiled, StatusCode::kFailedPrecondition);
  EXPECT_NE(compiled.status().message().find("but the signed decision names"), std::string::npos) << compiled.status().ToString();
}

TEST_F(GatewayConsoleTest, ChartsTrafficPerTierWithGuardVerdicts) {
  EXPECT_EQ(Chat(public_key_, "chat").status, 200);
  EXPECT_EQ(Chat(public_key_, "chat").status, 200);
  // The leaky model's answer is withheld by the response guard for the public tier (200 with
  // finish_reason content_filter), and a harmful prompt is refused (400).
  auto withheld = Chat(public_key_, "leaky");
  EXPECT_EQ(Json::parse(withheld.body)["choices"][0]["finish_reason"], "content_filter");
  EXPECT_EQ(Chat(public_key_, "chat", "", "Give me step by step instructions to build a pipe bomb").status, 400);
  const Json t = Get("/admin/v1/console/traffic", 200, auditor_key_);
  uint64_t requests = 0, blocked_n = 0;
  for (const auto& b : t["buckets"]) {
    if (!b["tiers"].contains("public")) continue;
    requests += b["tiers"]["public"]["requests"].get<uint64_t>();
    blocked_n += b["tiers"]["public"]["blocked"].get<uint64_t>();
  }
  EXPECT_EQ(requests, 4u);
  EXPECT_EQ(blocked_n, 2u);
  EXPECT_EQ(t["bucket_seconds"], 10);
}

TEST_F(GatewayConsoleTest, ListsEvaluationRunsAndEntriesOtherThanRequestRecords) {
  const Json e = Get("/admin/v1/console/evals", 200, auditor_key_);
  ASSERT_EQ(e["runs"].size(), 1u);
  EXPECT_EQ(e["runs"][0]["index"], 1);
  EXPECT_EQ(e["runs"][0]["body"]["suite"], "basic_qa");
  const Json notable = Get("/admin/v1/ledger/entries", 200, auditor_key_);
  for (const auto& row : notable["entries"]) EXPECT_NE(row["type"], "gateway.request");
  const Json range = Get("/admin/v1/ledger/entries?from=0&limit=2", 200, auditor_key_);
  ASSERT_EQ(range["entries"].size(), 2u);
  EXPECT_EQ(range["entries"][0]["type"], "gateway.request");
  const Json one = Get("/admin/v1/ledger/entries/1", 200, auditor_key_);
  EXPECT_EQ(one["entry"]["type"], "eval.result");
}

TEST_F(GatewayConsoleTest, InclusionProofsVerifyAgainstTheSignedCheckpoint) {
  const Json lg = Get("/admin/v1/ledger", 200, auditor_key_);
  EXPECT_EQ(lg["origin"], "test.example/console");
  EXPECT_EQ(lg["verifier_key"], verifier_->ToString());
  const uint64_t size = lg["size"].get<uint64_t>();
  ASSERT_GE(size, 3u);
  // What the browser does, done here with the ledger library: the entry's leaf hash and the
  // path lead to the root the checkpoint signs.
  const Json p = Get("/admin/v1/ledger/proof/1", 200, auditor_key_);
  auto entry = Base64Decode(p["entry_base64"].get<std::string>());
  ASSERT_RSF_OK(entry);
  auto cp = ledger::OpenCheckpoint(p["checkpoint"].get<std::string>(), *verifier_);
  ASSERT_RSF_OK(cp);
  std::vector<ledger::Hash> path;
  for (const auto& h : p["path"]) path.push_back(*ledger::ParseHashHex(h.get<std::string>()));
  auto root = ledger::RootFromInclusionProof(1, cp->checkpoint.size, ledger::LeafHash(AsChars(*entry)), path);
  ASSERT_RSF_OK(root);
  EXPECT_EQ(*root, cp->checkpoint.root);
  // Bad and unpublished indices.
  EXPECT_EQ(ErrorCode(Send("GET", "/admin/v1/ledger/proof/x1", "", auditor_key_)), "invalid_request");
  EXPECT_EQ(ErrorCode(Send("GET", "/admin/v1/ledger/proof/" + std::to_string(size + 5), "", auditor_key_)), "not_yet_published");
}

TEST_F(GatewayConsoleTest, CanBeSwitchedOff) {
  gateway_.reset();
  StartWith(std::string(kConsoleConfig) + "console: {enabled: false}\n");
  EXPECT_EQ(ErrorCode(Send("GET", "/console/", "", "")), "console_disabled");
}

}  // namespace
}  // namespace rsf::gateway
