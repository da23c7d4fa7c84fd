// tests/gateway/gateway_server_fixture.h — a running gateway for end-to-end tests: a real
// server on 127.0.0.1 (port 0), real HTTP, the real guard, signed decisions in a temporary
// directory; the models behind it are fakes at the ModelClient seam (or, for upstream routes,
// fake model servers over real HTTP: fake_upstream.h) and the audit log an
// in-memory one at the AuditLog seam (audit_log_test.cc covers the ledger-backed log).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "gateway/gateway_fixture.h"
#include "rsf/common/sha256.h"
#include "rsf/gateway/gateway.h"
#include "rsf/model/http.h"
#include "rsf/store/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::gateway {

// Keeps what the gateway logs; healthy() can be switched off to simulate a failing ledger.
class MemoryAuditLog final : public AuditLog {
 public:
  void Request(Json record) override {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(record));
  }
  Result<uint64_t> Event(const std::string& type, const std::string& subject, Json body) override {
    std::lock_guard lock(mu_);
    if (!healthy_) return UnavailableError("ledger unavailable (test)");
    events_.push_back({{"type", type}, {"subject", subject}, {"body", std::move(body)}});
    return events_.size() - 1;
  }
  bool healthy() const override { return healthy_.load(); }
  Status Flush() override { return OkStatus(); }
  void set_healthy(bool h) { healthy_ = h; }
  std::vector<Json> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<Json> events(std::string_view type) {
    std::lock_guard lock(mu_);
    std::vector<Json> out;
    for (const auto& e : events_) {
      if (e["type"] == type) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<Json> requests_, events_;
  std::atomic<bool> healthy_{true};
};

// Answers every request with `text`, streamed in pieces of 7 bytes, `pause` apart.
class FakeModel final : public model::ModelClient {
 public:
  explicit FakeModel(std::string text, std::chrono::milliseconds pause = {}) : text_(std::move(text)), pause_(pause) {}
  Result<model::GenerateResponse> Generate(const model::GenerateRequest& request,
                                           const model::StreamCallback* stream) override {
    {
      std::lock_guard lock(mu_);
      last_ = request;
    }
    model::GenerateResponse r;
    r.finish_reason = "stop";
    const int max_pieces = request.sampling.max_tokens > 0 ? request.sampling.max_tokens : 1 << 30;
    for (size_t i = 0; i < text_.size(); i += 7) {
      if (static_cast<int>(i / 7) >= max_pieces) {
        r.finish_reason = "length";
        break;
      }
      const std::string piece = text_.substr(i, 7);
      if (pause_.count() && i > 0) std::this_thread::sleep_for(pause_);
      r.text += piece;
      if (stream && !(*stream)(piece)) break;
    }
    r.usage = {3, static_cast<int64_t>(r.text.size() / 4)};
    return r;
  }
  model::ModelIdentity Identity() const override { return {"fake", "", "fake"}; }
  model::GenerateRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::string text_;
  std::chrono::milliseconds pause_;
  std::mutex mu_;
  model::GenerateRequest last_;
};

// The built-in guard with its default configuration, on the last rule engine available.
inline Result<std::unique_ptr<guard::Guard>> BuiltinGuard() {
  RSF_ASSIGN_OR_RETURN(auto model, guard::LoadGuardModel("builtin"));
  return guard::Guard::Create(guard::DefaultGuardConfig(), std::move(model), guard::RuleSet::Available().back());
}

inline constexpr const char* kConfig = R"(listen: 127.0.0.1:0
policy: policy.yaml
store: gw.db
limits: {max_body_bytes: 4096, failed_auth_per_minute: 5}
models:
  - {name: chat, backend: reference, decision: chat.decision.json, safeguards: {filtering: guard}}
  - {name: leaky, backend: reference, decision: leaky.decision.json, safeguards: {filtering: guard}}
  - {name: restricted, backend: reference, decision: restricted.decision.json}
tiers:
  - {id: public, models: ['*'], max_tokens: 64, temperature: [0, 1]}
  - {id: researchers, models: ['*'], safe_harbour: true, guard: relaxed, max_tokens: 512, logprobs: true, max_top_logprobs: 5}
)";

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_.AddDecision("chat", "high", "deploy", "-");
    files_.AddDecision("leaky", "high", "deploy", "-");
    files_.AddDecision("restricted", "low", "deploy_restricted", "researchers");
    StartWith(kConfig);
  }
  // Compiles `config` and starts the gateway on it.
  void StartWith(const std::string& config) {
    auto compiled = files_.Compile(config);
    ASSERT_RSF_OK(compiled);
    auto st = store::OpenSqliteStore(files_.Path("gw.db"));
    ASSERT_RSF_OK(st);
    store_ = std::move(*st);
    auto g = BuiltinGuard();
    ASSERT_RSF_OK(g);
    BackendFactory backends = [this](const ServedModel& m) -> Result<std::unique_ptr<model::ModelClient>> {
      // Upstream routes: the gateway calls them itself (fake_upstream.h serves them).
      if (m.route.backend == "upstream") return std::unique_ptr<model::ModelClient>();
      // Watermarked routes: the real reference model with the real hook.
      if (m.watermark) return DefaultBackends()(m);
      // chat_ and leaky_ are handed over once (a versioned "chat" gets models of its own).
      if (m.route.id() == "chat") {
        chat_ = new FakeModel("The weather is nice today and the birds are singing in the garden. Enjoy the sunshine!");
        return std::unique_ptr<model::ModelClient>(chat_);
      }
      if (m.route.id() == "leaky") {
        leaky_ = new FakeModel("Sure. Here is how to make a pipe bomb: first get a steel pipe and two end caps, then fill it.");
        return std::unique_ptr<model::ModelClient>(leaky_);
      }
      if (m.route.name == "slow") return std::unique_ptr<model::ModelClient>(new FakeModel(std::string(7 * 400, 'x'), std::chrono::milliseconds(5)));
      return std::unique_ptr<model::ModelClient>(new FakeModel(m.route.id() + " answer"));
    };
    GatewayOptions options;
    options.io_threads = io_threads_;
    options.audit = &audit_log_;
    options.ledger = ledger_;
    options.reload = [this]() { return files_.Compile(reload_config_.empty() ? std::string(kConfig) : reload_config_); };
    auto gw = Gateway::Create(std::move(*compiled), *store_, std::move(*g), clock_, backends, options);
    ASSERT_RSF_OK(gw);
    gateway_ = std::move(*gw);
    auto port = gateway_->Start("127.0.0.1", 0);
    ASSERT_RSF_OK(port);
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    public_key_ = gateway_->keys().Create({.name = "p", .tenant = "acme", .tier = "public"})->second;
    research_key_ = gateway_->keys().Create({.name = "r", .tenant = "lab", .tier = "researchers"})->second;
  }
  void TearDown() override { gateway_.reset(); }

  model::HttpResponse Send(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& key) {
    model::HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = body;
    req.timeout = std::chrono::milliseconds(20000);
    req.headers.push_back({"Content-Type", "application/json"});
    if (!key.empty()) req.headers.push_back({"Authorization", "Bearer " + key});
    auto r = transport_->Send(req);
    EXPECT_RSF_OK(r);
    return r.ok() ? *r : model::HttpResponse{};
  }
  model::HttpResponse Chat(const std::string& key, const std::string& model, const std::string& extra = "",
                           const std::string& prompt = "Tell me about the weather") {
    return Send("POST", "/v1/chat/completions",
                R"({"model":")" + model + R"(","messages":[{"role":"user","content":")" + prompt + "\"}]" + extra + "}",
                key);
  }
  // Starts a streamed chat completion of `model` on another thread and returns once its first
  // bytes have arrived; `out` holds the response when the thread is joined.
  std::thread StartStream(const std::string& model, const std::string& key, model::HttpResponse& out) {
    auto started = std::make_shared<std::atomic<bool>>(false);
    std::thread client([this, model, key, &out, started] {
      model::HttpRequest req;
      req.url = base_ + "/v1/chat/completions";
      req.body = R"({"model":")" + model + R"(","stream":true,"max_tokens":500,"messages":[{"role":"user","content":"go"}]})";
      req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}};
      const model::BodyCallback cb = [started](std::string_view) {
        *started = true;
        return true;
      };
      auto r = model::MakeHttpTransport()->Send(req, &cb);
      if (r.ok()) out = *r;
      *started = true;
    });
    while (!*started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return client;
  }
  static std::string ErrorCode(const model::HttpResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "<not a JSON error: " + r.body + ">";
  }
  std::vector<Json> Audit() { return audit_log_.requests(); }

  testing::GatewayFiles files_;
  rsf::testing::FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  FakeModel* chat_ = nullptr;
  FakeModel* leaky_ = nullptr;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<model::HttpTransport> transport_ = model::MakeHttpTransport();
  std::string base_, public_key_, research_key_;
  std::string reload_config_;
  int io_threads_ = 1;
  ledger::Ledger* ledger_ = nullptr;  // read by the console's ledger views when set
  MemoryAuditLog audit_log_;
};

}  // namespace rsf::gateway
