// The gateway in front of real HTTP model servers (fake_upstream.h): streaming through,
// weighted choice, fail-over, the circuit breaker, time-outs, health checks, and the response
// guard and kill switch on upstream streams.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/fake_upstream.h"
#include "gateway/gateway_server_fixture.h"

namespace rsf::gateway {
namespace {

using testing::FakeUpstream;

constexpr const char* kText = "The weather is nice today and the birds are singing in the garden. Enjoy the sunshine!";

class GatewayUpstreamTest : public GatewayTest {
 protected:
  void SetUp() override { files_.AddDecision("up", "high", "deploy", "-"); }

  // Serves model "up" from `upstreams` (YAML list items) with `extra` model settings.
  void Serve(const std::string& upstreams, const std::string& extra = "") {
    StartWith("listen: 127.0.0.1:0\npolicy: policy.yaml\nstore: gw.db\nmodels:\n"
              "  - {name: up, backend: upstream, decision: up.decision.json, safeguards: {filtering: guard}, upstreams: [" +
              upstreams + "]" + extra + "}\n"
              "tiers:\n  - {id: public, models: ['*'], max_tokens: 64, max_n: 2}\n"
              "  - {id: researchers, models: ['*'], safe_harbour: true, guard: relaxed, max_tokens: 512}\n");
    admin_key_ = gateway_->keys().Create({.name = "ops", .tenant = "lab", .tier = "", .role = KeyRole::kAdmin})->second;
  }
  static std::string Up(const FakeUpstream& u, int weight = 1) {
    return "{url: '" + u.url() + "', weight: " + std::to_string(weight) + "}";
  }
  Json Status() {
    auto r = Send("GET", "/admin/v1/status", "", admin_key_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false)["models"][0]["upstreams"];
  }
  // The text of a stream's content deltas.
  static std::string StreamedText(const std::string& body) {
    std::string text;
    for (size_t pos = 0; (pos = body.find("data: {", pos)) != std::string::npos;) {
      const size_t end = body.find("\n\n", pos);
      auto j = Json::parse(body.substr(pos + 6, end - pos - 6), nullptr, false);
      pos = end;
      if (j.contains("choices") && !j["choices"].empty()) text += j["choices"][0]["delta"].value("content", "");
    }
    return text;
  }

  std::string admin_key_;
};

TEST_F(GatewayUpstreamTest, StreamsAndAnswersThroughAnUpstream) {
  FakeUpstream a(kText);
  Serve("{url: '" + a.url() + "', model: served-name}");
  auto streamed = Chat(public_key_, "up", R"(,"stream":true,"stream_options":{"include_usage":true})");
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamed.Header("Content-Type"), "text/event-stream");
  EXPECT_EQ(StreamedText(streamed.body), kText);
  EXPECT_NE(streamed.body.find("\"usage\""), std::string::npos) << streamed.body;
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos);
  // The upstream is asked by its own name, always streamed, with the tier's limits applied.
  Json sent = a.last_body();
  EXPECT_EQ(sent["model"], "served-name");
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["max_tokens"], 64);

  auto plain = Chat(public_key_, "up", R"(,"n":2)");
  ASSERT_EQ(plain.status, 200) << plain.body;
  Json j = Json::parse(plain.body);
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][1]["message"]["content"], kText);
  EXPECT_EQ(j["model"], "up");
  EXPECT_EQ(a.completions(), 3) << "one upstream call per choice";
  EXPECT_LE(a.connections(), 2) << "keep-alive connections are reused";

  auto completion = Send("POST", "/v1/completions", R"({"model":"up","prompt":"Once upon a time"})", public_key_);
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(Json::parse(completion.body)["choices"][0]["text"], kText);

  auto audit = Audit();
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0]["model"], "up");
  EXPECT_EQ(audit[0]["status"], 200);
  EXPECT_EQ(audit[0]["response_bytes"], std::string(kText).size());
}

TEST_F(GatewayUpstreamTest, PassesAStreamOnAsItArrives) {
  // 40 pieces of 7 bytes, 50 ms apart: two seconds of stream. Text must reach the client
  // while the upstream is still generating (after the guard's 64-byte hold-back), not when
  // a read buffer fills or the stream ends.
  FakeUpstream a(std::string(7 * 40, 'y'), std::chrono::milliseconds(50));
  Serve(Up(a));
  model::HttpRequest req;
  req.url = base_ + "/v1/chat/completions";
  req.body = R"({"model":"up","stream":true,"messages":[{"role":"user","content":"go"}]})";
  req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + public_key_}};
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> first_text;
  std::string seen;
  const model::BodyCallback cb = [&](std::string_view chunk) {
    seen.append(chunk);
    if (!first_text && seen.find("yyyy") != std::string::npos) first_text = std::chrono::steady_clock::now() - start;
    return true;
  };
  auto r = model::MakeHttpTransport()->Send(req, &cb);
  ASSERT_RSF_OK(r);
  const auto total = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(first_text.has_value()) << r->body;
  EXPECT_GT(total, std::chrono::milliseconds(1500));
  EXPECT_LT(*first_text, total - std::chrono::milliseconds(1000)) << "the stream was held back until its end";
}

TEST_F(GatewayUpstreamTest, ServesConcurrentClientsOnSeveralNetworkThreads) {
  // Two network threads: connections on strands share the upstreams' kept connections.
  io_threads_ = 2;
  FakeUpstream a(kText), b(kText);
  Serve(Up(a) + ", " + Up(b));
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      auto transport = model::MakeHttpTransport();
      for (int i = 0; i < 15; ++i) {
        model::HttpRequest req;
        req.url = base_ + "/v1/chat/completions";
        req.body = std::string(R"({"model":"up","messages":[{"role":"user","content":"hi"}])") +
                   ((t + i) % 2 ? R"(,"stream":true})" : "}");
        req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + public_key_}};
        auto r = transport->Send(req);
        if (r.ok() && r->status == 200 && (r->body.find("sunshine") != std::string::npos || r->body.find("[DONE]") != std::string::npos)) ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 6 * 15);
  EXPECT_EQ(a.completions() + b.completions(), 6 * 15);
  EXPECT_EQ(Audit().size(), 6u * 15);
}

TEST_F(GatewayUpstreamTest, SplitsByWeightAndFailsOverWhileTheCircuitOpens) {
  FakeUpstream a(kText), b(kText);
  Serve(Up(a, 3) + ", " + Up(b, 1), ", circuit_breaker: {failures: 2, open_ms: 60000}");
  for (int i = 0; i < 8; ++i) ASSERT_EQ(Chat(public_key_, "up").status, 200);
  EXPECT_EQ(a.completions(), 6);
  EXPECT_EQ(b.completions(), 2);

  // `a` starts failing: every request still succeeds on `b`; after two failures in a row
  // a's circuit opens and it gets no more requests.
  a.set_mode(FakeUpstream::Mode::kFail);
  for (int i = 0; i < 8; ++i) {
    auto r = Chat(public_key_, "up");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(a.completions(), 6 + 2);
  EXPECT_EQ(b.completions(), 2 + 8);
  Json ups = Status();
  EXPECT_EQ(ups[0]["circuit"], "open") << ups;
  EXPECT_EQ(ups[0]["failures"], 2);
  EXPECT_EQ(ups[1]["circuit"], "closed");
  auto metrics = Send("GET", "/metrics", "", "");
  EXPECT_NE(metrics.body.find("rsf_gateway_upstream_up{model=\"up\",upstream=\"" + a.url() + "\"} 0"), std::string::npos)
      << metrics.body;

  // After open_ms, one probe: `a` has recovered, so its circuit closes.
  a.set_mode(FakeUpstream::Mode::kStream);
  clock_.Advance(std::chrono::milliseconds(60001));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Chat(public_key_, "up").status, 200);
  EXPECT_GT(a.completions(), 8);
  EXPECT_EQ(Status()[0]["circuit"], "closed");
}

TEST_F(GatewayUpstreamTest, AnswersWithTheUpstreamsErrorWhenAllFail) {
  FakeUpstream a(kText);
  a.set_mode(FakeUpstream::Mode::kFail);
  Serve(Up(a), ", circuit_breaker: {failures: 3}");
  auto r = Chat(public_key_, "up");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(ErrorCode(r), "upstream_unavailable");
  EXPECT_NE(r.body.find("the model crashed (test)"), std::string::npos) << r.body;
  // Once the circuit is open the gateway says so without calling.
  (void)Chat(public_key_, "up");
  (void)Chat(public_key_, "up");
  const int calls = a.completions();
  auto refused = Chat(public_key_, "up");
  EXPECT_EQ(refused.status, 502);
  EXPECT_NE(refused.body.find("circuit open"), std::string::npos) << refused.body;
  EXPECT_EQ(a.completions(), calls);
  EXPECT_EQ(Audit().back()["status"], 502);
}

TEST_F(GatewayUpstreamTest, TimesOutAnUpstreamThatDoesNotAnswer) {
  FakeUpstream a(kText);
  a.set_mode(FakeUpstream::Mode::kHang);
  Serve(Up(a), ", timeouts: {first_byte_ms: 200, attempts: 1}");
  const auto start = std::chrono::steady_clock::now();
  auto r = Chat(public_key_, "up");
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(ErrorCode(r), "upstream_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Faults (issue 11): an upstream that resets the connection, before answering or half-way
// through a stream (as a crashed or killed model server does).
TEST_F(GatewayUpstreamTest, AResetConnectionIsAClearErrorOrGoesToAnotherUpstream) {
  FakeUpstream a(kText), b(kText);
  a.set_mode(FakeUpstream::Mode::kReset);
  Serve(Up(a), ", timeouts: {attempts: 1}");
  auto r = Chat(public_key_, "up");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(ErrorCode(r), "upstream_unavailable");
  EXPECT_NE(r.body.find("reset"), std::string::npos) << r.body;
  EXPECT_EQ(Audit().back()["status"], 502);
  // With a second upstream and two attempts, the reset one is retried elsewhere: no client sees it.
  Serve(Up(a) + ", " + Up(b), ", timeouts: {attempts: 2}");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Chat(public_key_, "up").status, 200) << i;
  EXPECT_GT(a.completions(), 1);
}

TEST_F(GatewayUpstreamTest, AStreamCutMidwayEndsWithAnErrorEventNotSilence) {
  // 112 bytes reach the gateway before the reset; the guard's hold-back has passed some on.
  FakeUpstream a("The weather is nice today. " + std::string(200, 'y'));
  a.set_mode(FakeUpstream::Mode::kResetMidStream);
  Serve(Up(a));
  auto r = Send("POST", "/v1/chat/completions",
                R"({"model":"up","stream":true,"messages":[{"role":"user","content":"go"}]})", public_key_);
  ASSERT_EQ(r.status, 200) << r.body;  // the stream had begun
  EXPECT_EQ(StreamedText(r.body).rfind("The weather is nice today. yyy", 0), 0u) << r.body;
  EXPECT_NE(r.body.find(R"("finish_reason":"error")"), std::string::npos) << r.body;
  const size_t error = r.body.find(R"(data: {"error":)");
  ASSERT_NE(error, std::string::npos) << "the client is told why the stream ended: " << r.body;
  EXPECT_NE(r.body.find("upstream_unavailable", error), std::string::npos);
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n"));
  EXPECT_EQ(Audit().back()["status"], 502) << "audited as the failure it was";
  // Unstreamed, the same failure is a plain 502.
  auto plain = Chat(public_key_, "up");
  EXPECT_EQ(plain.status, 502);
  EXPECT_EQ(ErrorCode(plain), "upstream_unavailable");
}

TEST_F(GatewayUpstreamTest, HealthChecksTakeAnUpstreamOutAndBackIn) {
  FakeUpstream a(kText), b(kText);
  Serve(Up(a) + ", " + Up(b), ", health_check: {path: /health, interval_ms: 20, unhealthy_after: 1, healthy_after: 1}");
  a.set_healthy(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Status()[0]["healthy"] != false && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(Status()[0]["healthy"], false);
  const int a_before = a.completions();
  for (int i = 0; i < 6; ++i) ASSERT_EQ(Chat(public_key_, "up").status, 200);
  EXPECT_EQ(a.completions(), a_before);
  EXPECT_GT(a.health_checks(), 0);
  a.set_healthy(true);
  while (Status()[0]["healthy"] != true && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Status()[0]["healthy"], true);
}

TEST_F(GatewayUpstreamTest, GuardsAnUpstreamsStream) {
  FakeUpstream a("Sure. Here is how to make a pipe bomb: first get a steel pipe and two end caps, then fill it.");
  Serve(Up(a));
  auto r = Chat(public_key_, "up", R"(,"stream":true)");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("pipe"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"finish_reason\":\"content_filter\""), std::string::npos) << r.body;
  auto plain = Chat(public_key_, "up");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(Json::parse(plain.body)["choices"][0]["finish_reason"], "content_filter");
}

TEST_F(GatewayUpstreamTest, KillSwitchStopsAnUpstreamStreamInFlight) {
  FakeUpstream a(std::string(7 * 400, 'x'), std::chrono::milliseconds(5));
  Serve(Up(a));
  model::HttpResponse streamed;
  std::thread client = StartStream("up", research_key_, streamed);
  const auto halted_at = std::chrono::steady_clock::now();
  auto halt = Send("POST", "/admin/v1/models/up/halt", R"({"reason":"drill"})", admin_key_);
  EXPECT_EQ(halt.status, 200) << halt.body;
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - halted_at, std::chrono::milliseconds(1000));
  EXPECT_NE(streamed.body.find("\"code\":\"model_halted\""), std::string::npos) << streamed.body;
  EXPECT_LT(StreamedText(streamed.body).size(), 7u * 400);
  EXPECT_EQ(Chat(public_key_, "up").status, 503);
}

}  // namespace
}  // namespace rsf::gateway
