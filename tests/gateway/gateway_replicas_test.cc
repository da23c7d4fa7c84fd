// Two gateway replicas on one PostgreSQL store (a real server, tests/testing/pg_server.h), each
// with its own connections, served over real HTTP on 127.0.0.1: what an admin does on one is
// enforced by the other within a second.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gateway/gateway_server_fixture.h"
#include "rsf/store/pg_store.h"
#include "testing/pg_server.h"

namespace rsf::gateway {
namespace {

using namespace std::chrono_literals;

class GatewayReplicasTest : public ::testing::Test {
 protected:
  struct Replica {
    std::unique_ptr<store::Store> store;
    MemoryAuditLog audit;
    std::unique_ptr<Gateway> gateway;
    std::string base;
  };

  void SetUp() override {
    auto& pg = rsf::testing::PgServer::Shared();
    if (!pg.ok()) GTEST_SKIP() << "no PostgreSQL server: " << pg.reason();
    uri_ = pg.CreateDatabase();
    ASSERT_FALSE(uri_.empty()) << pg.reason();
    files_.AddDecision("chat", "high", "deploy", "-");
    for (auto* r : {&a_, &b_}) ASSERT_NO_FATAL_FAILURE(StartReplica(*r));
  }

  void StartReplica(Replica& r) {
    const std::string config = "listen: 127.0.0.1:0\npolicy: policy.yaml\nstore: " + uri_ +
                               "\nreplicas: {reload_s: 30}\nlimits: {failed_auth_per_minute: 100000}\n"
                               "models:\n  - {name: chat, backend: reference, decision: chat.decision.json, "
                               "safeguards: {filtering: guard}}\n"
                               "tiers:\n  - {id: public, models: ['*'], max_tokens: 64}\n"
                               "  - {id: metered, models: ['*'], max_tokens: 64, requests_per_minute: 10}\n";
    auto compiled = files_.Compile(config);
    ASSERT_RSF_OK(compiled);
    auto st = store::OpenPgStore(uri_);
    ASSERT_RSF_OK(st);
    r.store = std::move(*st);
    auto g = BuiltinGuard();
    ASSERT_RSF_OK(g);
    BackendFactory backends = [](const ServedModel&) -> Result<std::unique_ptr<model::ModelClient>> {
      return std::unique_ptr<model::ModelClient>(new FakeModel("The weather is nice today."));
    };
    GatewayOptions options;
    options.audit = &r.audit;
    auto gw = Gateway::Create(std::move(*compiled), *r.store, std::move(*g), clock_, backends, options);
    ASSERT_RSF_OK(gw);
    r.gateway = std::move(*gw);
    auto port = r.gateway->Start("127.0.0.1", 0);
    ASSERT_RSF_OK(port);
    r.base = "http://127.0.0.1:" + std::to_string(*port);
  }

  void TearDown() override {
    b_.gateway.reset();
    a_.gateway.reset();
  }

  model::HttpResponse Send(const Replica& r, const std::string& method, const std::string& path,
                           const std::string& body, const std::string& key) {
    model::HttpRequest req;
    req.method = method;
    req.url = r.base + path;
    req.body = body;
    req.timeout = 10s;
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}};
    auto resp = transport_->Send(req);
    EXPECT_RSF_OK(resp);
    return resp.ok() ? *resp : model::HttpResponse{};
  }
  model::HttpResponse Chat(const Replica& r, const std::string& key, const std::string& extra = "") {
    return Send(r, "POST", "/v1/chat/completions",
                R"({"model":"chat","messages":[{"role":"user","content":"Tell me about the weather"}])" + extra + "}",
                key);
  }
  // Polls `ok` until it holds or `limit` passes; returns how long it took (or limit).
  template <typename F>
  static std::chrono::milliseconds Until(F ok, std::chrono::milliseconds limit = 3000ms) {
    const auto start = std::chrono::steady_clock::now();
    while (!ok()) {
      if (std::chrono::steady_clock::now() - start > limit) return limit;
      std::this_thread::sleep_for(10ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }

  rsf::testing::FakeClock clock_;
  testing::GatewayFiles files_;
  std::string uri_;
  Replica a_, b_;
  std::unique_ptr<model::HttpTransport> transport_ = model::MakeHttpTransport();
};

TEST_F(GatewayReplicasTest, KeysKillSwitchAndTierChangesReachTheOtherReplicaWithinASecond) {
  auto admin = a_.gateway->keys().Create({.name = "ops", .tenant = "lab", .tier = "", .role = KeyRole::kAdmin});
  ASSERT_RSF_OK(admin);
  // A key created on A authenticates on B.
  auto client = a_.gateway->keys().Create({.name = "app", .tenant = "acme", .tier = "public"});
  ASSERT_RSF_OK(client);
  const std::string key = client->second;
  EXPECT_LT(Until([&] { return Chat(b_, key).status == 200; }), 1000ms);

  // The kill switch thrown on A stops the model on B.
  ASSERT_EQ(Send(a_, "POST", "/admin/v1/models/chat/halt", R"({"reason":"eval regression"})", admin->second).status,
            200);
  EXPECT_EQ(Chat(a_, key).status, 503);
  EXPECT_LT(Until([&] { return Chat(b_, key).status == 503; }), 1000ms);
  EXPECT_NE(Chat(b_, key).body.find("eval regression"), std::string::npos);
  ASSERT_EQ(Send(a_, "POST", "/admin/v1/models/chat/resume", "{}", admin->second).status, 200);
  EXPECT_LT(Until([&] { return Chat(b_, key).status == 200; }), 1000ms);

  // A tier limit lowered on A is enforced by B (which rebuilds its configuration).
  ASSERT_EQ(Send(a_, "PATCH", "/admin/v1/tiers/public", R"({"max_tokens":8})", admin->second).status, 200);
  EXPECT_EQ(Chat(a_, key, R"(,"max_tokens":32)").status, 403);
  EXPECT_LT(Until([&] { return Chat(b_, key, R"(,"max_tokens":32)").status == 403; }), 1000ms);

  // A key revoked on A is refused by B.
  ASSERT_RSF_OK(a_.gateway->keys().Revoke(client->first.id));
  EXPECT_LT(Until([&] { return Chat(b_, key).status == 401; }), 1000ms);

  // Both count each other: the heartbeat gauge.
  EXPECT_LT(Until([&] {
              return b_.gateway->MetricsText().find("rsf_gateway_replicas 2") != std::string::npos;
            }, 3000ms),
            3000ms);
}

TEST_F(GatewayReplicasTest, RateLimitsAreCountedAcrossReplicas) {
  auto client = a_.gateway->keys().Create({.name = "app", .tenant = "acme", .tier = "metered"});
  ASSERT_RSF_OK(client);
  ASSERT_LT(Until([&] { return b_.gateway->keys().Authenticate(client->second).ok(); }), 1000ms);
  // 10 a minute for the key, whichever replica it calls: alternating, 10 get through, not 20.
  int admitted = 0, refused = 0;
  for (int i = 0; i < 30; ++i) {
    const auto r = Chat(i % 2 ? b_ : a_, client->second);
    if (r.status == 200) ++admitted;
    if (r.status == 429) {
      ++refused;
      EXPECT_NE(r.body.find("key:" + client->first.id + " requests"), std::string::npos) << r.body;
      bool retry_after = false;
      for (const auto& [name, value] : r.headers) retry_after = retry_after || name == "retry-after" || name == "Retry-After";
      EXPECT_TRUE(retry_after);
    }
  }
  EXPECT_EQ(admitted, 10);
  EXPECT_EQ(refused, 20);
}

TEST_F(GatewayReplicasTest, AReplicaFollowsChangesMadeWhileItsStoreWasRestarting) {
  auto client = a_.gateway->keys().Create({.name = "app", .tenant = "acme", .tier = "public"});
  ASSERT_RSF_OK(client);
  ASSERT_LT(Until([&] { return Chat(b_, client->second).status == 200; }), 1000ms);
  auto& pg = rsf::testing::PgServer::Shared();
  ASSERT_TRUE(pg.Stop("immediate")) << pg.reason();
  // While the store is down both keep serving from memory, and admin changes fail clearly.
  EXPECT_EQ(Chat(b_, client->second).status, 200);
  EXPECT_RSF_CODE(a_.gateway->control().Halt(HaltKind::kModel, "chat", "down", "test"), StatusCode::kUnavailable);
  ASSERT_TRUE(pg.Start()) << pg.reason();
  // After the restart a change made on A reaches B (its listener reconnected).
  EXPECT_LT(Until([&] { return a_.gateway->control().Halt(HaltKind::kModel, "chat", "after restart", "test").ok(); },
                  10000ms),
            10000ms);
  EXPECT_LT(Until([&] { return Chat(b_, client->second).status == 503; }, 10000ms), 10000ms);
}

}  // namespace
}  // namespace rsf::gateway
