// The watermark in the gateway: configuration bound to the decision, the key and scheme in
// the response, and detection through POST /v1/watermark/detect.
#include "gateway/gateway_server_fixture.h"
#include "rsf/watermark/keyring.h"

namespace rsf::gateway {
namespace {

constexpr const char* kWatermarkConfig = R"(listen: 127.0.0.1:0
policy: policy.yaml
store: gw.db
watermark: {keys: keys.json}
models:
  - {name: chat, backend: reference, decision: chat.decision.json, safeguards: {filtering: guard}}
  - {name: wm, backend: reference, decision: wm.decision.json, watermark: true, safeguards: {review: watermark}}
tiers:
  - {id: public, models: ['*'], max_tokens: 64, temperature: [0, 1]}
  - {id: researchers, models: ['*'], safe_harbour: true, guard: relaxed, max_tokens: 512}
)";

void WriteKeys(const std::string& path) {
  // Fixed secrets, so detection on the generated stories is the same on every run.
  watermark::Keyring ring;
  ring.keys.push_back(*watermark::NewKey("wm-old", {}, ""));
  ring.keys.back().key.secret.fill(0x11);
  ring.keys.push_back(*watermark::NewKey("wm-2026-11", {}, ""));
  ring.keys.back().key.secret.fill(0x5a);
  ring.active = "wm-2026-11";
  ASSERT_RSF_OK(watermark::SaveKeyring(Env::Default(), path, ring));
}

TEST(GatewayWatermarkConfigTest, RefusesWhatContradictsTheDecisionOrCannotWork) {
  testing::GatewayFiles files;
  files.AddDecision("chat", "high", "deploy", "-");
  files.AddDecision("wm", "high", "deploy", "-");
  WriteKeys(files.Path("keys.json"));
  ASSERT_RSF_OK(files.Compile(kWatermarkConfig));
  auto with = [&](std::string from, std::string to) {
    std::string c = kWatermarkConfig;
    c.replace(c.find(from), from.size(), to);
    return files.Compile(c);
  };
  // A required safeguard the watermark provides, switched off.
  auto off = with("watermark: true,", "watermark: false,");
  EXPECT_EQ(off.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(off.status().message().find("requires safeguard 'review', which the watermark provides"), std::string::npos)
      << off.status().message();
  // A key the keyring does not hold.
  auto key = with("watermark: true,", "watermark: {key: wm-1999},");
  EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find("wm-1999"), std::string::npos);
  EXPECT_RSF_OK(with("watermark: true,", "watermark: {key: wm-old},"));
  // No keyring named.
  auto none = with("watermark: {keys: keys.json}\n", "");
  EXPECT_NE(none.status().message().find("names no 'watermark"), std::string::npos) << none.status().message();
  // An upstream cannot be watermarked by the gateway.
  auto up = with("backend: reference, decision: wm.decision.json",
                 "backend: upstream, upstreams: [{url: 'http://127.0.0.1:9'}], decision: wm.decision.json");
  EXPECT_EQ(up.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(up.status().message().find("only an in-process backend"), std::string::npos) << up.status().message();
}

class GatewayWatermarkTest : public GatewayTest {
 protected:
  void SetUp() override {
    files_.AddDecision("chat", "high", "deploy", "-");
    files_.AddDecision("wm", "high", "deploy", "-");
    WriteKeys(files_.Path("keys.json"));
    reload_config_ = kWatermarkConfig;
    StartWith(kWatermarkConfig);
    auditor_key_ = gateway_->keys().Create({.name = "a", .tenant = "aisi", .tier = "public", .role = KeyRole::kAuditor})->second;
  }
  model::HttpResponse Detect(const std::string& key, const Json& body) {
    return Send("POST", "/v1/watermark/detect", body.dump(), key);
  }
  std::string auditor_key_;
};

std::string Header(const model::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_F(GatewayWatermarkTest, MarksTheResponseAndDetectsItsText) {
  // The reference model's stories are short: mark several and test them together (each
  // piece is marked; only the first token of each loses its context).
  std::string text;
  for (int seed = 1; seed <= 40 && text.size() < 1200; ++seed) {
    auto r = Send("POST", "/v1/completions",
                  R"({"model":"wm","prompt":"Once upon a time","max_tokens":300,"temperature":1.0,"seed":)" +
                      std::to_string(seed) + "}",
                  research_key_);
    ASSERT_EQ(r.status, 200) << r.body;
    if (seed == 1) {
      EXPECT_EQ(Header(r, "x-rsf-watermark"), "key_id=wm-2026-11; scheme=kgw; params=kgw(gamma=0.25,delta=2,h=1)");
      EXPECT_EQ(Json::parse(r.body)["rsf"]["watermark"]["key_id"], "wm-2026-11");
    }
    text += Json::parse(r.body)["choices"][0]["text"].get<std::string>() + "\n";
  }
  bool audited = false;
  for (const auto& a : Audit()) audited = audited || (a.contains("watermark") && a["watermark"]["key_id"] == "wm-2026-11");
  EXPECT_TRUE(audited);

  auto d = Detect(auditor_key_, {{"model", "wm"}, {"text", text}});
  ASSERT_EQ(d.status, 200) << d.body;
  const Json v = Json::parse(d.body);
  EXPECT_EQ(v["verdict"], "watermarked") << d.body << "\n" << text;
  EXPECT_EQ(v["key_id"], "wm-2026-11");
  // The same model unmarked: the "chat" route serves it without the hook... through the
  // fixture's fake; take plain text instead.
  auto plain = Detect(auditor_key_, {{"model", "wm"},
                                     {"text", "The cat sat on the mat and looked at the birds in the garden while the "
                                              "children played with a ball near the old tree by the river bank today."}});
  EXPECT_EQ(Json::parse(plain.body)["verdict"], "not_watermarked") << plain.body;
  auto unknown = Detect(auditor_key_, {{"model", "wm"}, {"text", text}, {"key_id", "wm-9"}});
  EXPECT_EQ(Json::parse(unknown.body)["verdict"], "unknown_key_id");
  auto span = Detect(auditor_key_, {{"model", "wm"}, {"text", text}, {"span", true}});
  EXPECT_TRUE(Json::parse(span.body).contains("span")) << span.body;
}

TEST_F(GatewayWatermarkTest, DetectionIsForAuditorsAndRefusesBadRequests) {
  EXPECT_EQ(Detect("", {{"model", "wm"}, {"text", "x"}}).status, 401);
  auto client = Detect(public_key_, {{"model", "wm"}, {"text", "x"}});
  EXPECT_EQ(client.status, 403);
  EXPECT_EQ(ErrorCode(client), "forbidden");
  EXPECT_EQ(Detect(auditor_key_, {{"model", "nope"}, {"text", "x"}}).status, 404);
  auto unmarked = Detect(auditor_key_, {{"model", "chat"}, {"text", "x"}});
  EXPECT_EQ(unmarked.status, 400);
  EXPECT_EQ(ErrorCode(unmarked), "not_watermarked");
  EXPECT_EQ(ErrorCode(Send("POST", "/v1/watermark/detect", "{not json", auditor_key_)), "invalid_json");
  auto extra = Detect(auditor_key_, {{"model", "wm"}, {"text", "x"}, {"threshold", 3}});
  EXPECT_EQ(extra.status, 400);
  EXPECT_NE(extra.body.find("threshold: unknown field"), std::string::npos);
  EXPECT_EQ(Detect(auditor_key_, {{"model", "wm"}, {"text", 5}}).status, 400);
  EXPECT_EQ(Detect(auditor_key_, {{"model", "wm"}, {"text", "x"}, {"alpha", 2}}).status, 400);
  EXPECT_EQ(Send("GET", "/v1/watermark/detect", "", auditor_key_).status, 405);
  // Short text: a verdict, not an error.
  auto shortv = Detect(auditor_key_, {{"model", "wm"}, {"text", "The dog ran."}});
  EXPECT_EQ(Json::parse(shortv.body)["verdict"], "insufficient_tokens");
}

}  // namespace
}  // namespace rsf::gateway
