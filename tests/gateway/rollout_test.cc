#include "rsf/gateway/rollout.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::gateway {
namespace {

// Two versions of "chat": 1 for everyone, 2 held for researchers.
CompiledGateway TwoVersions() {
  CompiledGateway g;
  for (const char* v : {"1", "2"}) {
    ServedModel m;
    m.route.name = "chat";
    m.route.version = v;
    m.tiers = std::string(v) == "1" ? std::vector<std::string>{"*"} : std::vector<std::string>{"researchers"};
    g.models.push_back(m);
  }
  return g;
}

TierPolicy Tier(std::string id) {
  TierPolicy t;
  t.id = std::move(id);
  t.models = {"*"};
  return t;
}

Rollout OneChannel(int basis_points, std::vector<std::string> allowlist = {}) {
  Rollout r;
  r.model = "chat";
  r.stable = "1";
  r.channels = {{"canary", "2", basis_points, std::move(allowlist)}};
  return r;
}

ApiKey Key(int i, std::string tenant = "t") {
  ApiKey k;
  k.id = std::to_string(1000000 + i);
  k.tenant = std::move(tenant);
  return k;
}

TEST(RolloutTest, SplitsCallersByTheirStickyBucket) {
  const CompiledGateway g = TwoVersions();
  const TierPolicy researchers = Tier("researchers");
  Rollout r = OneChannel(3000);
  int canary = 0;
  for (int i = 0; i < 10000; ++i) {
    auto a = ResolveModel(g, &r, researchers, Key(i), "chat");
    ASSERT_RSF_OK(a);
    if (a->channel == "canary") {
      ++canary;
      EXPECT_EQ(a->model->route.id(), "chat@2");
    }
  }
  // 30% ± 4 standard deviations of a binomial(10000, 0.3).
  EXPECT_NEAR(canary, 3000, 4 * 46);
  // Growing the canary keeps everyone who was in it (buckets do not move).
  Rollout wider = r;
  wider.channels[0].basis_points = 6000;
  for (int i = 0; i < 2000; ++i) {
    if (ResolveModel(g, &r, researchers, Key(i), "chat")->channel == "canary") {
      EXPECT_EQ(ResolveModel(g, &wider, researchers, Key(i), "chat")->channel, "canary") << i;
    }
  }
}

TEST(RolloutTest, NeverSendsATierToAVersionItsDecisionWithholds) {
  const CompiledGateway g = TwoVersions();
  const TierPolicy pub = Tier("public");
  Rollout r = OneChannel(10000, {"tenant:acme"});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ResolveModel(g, &r, pub, Key(i, "acme"), "chat")->model->route.id(), "chat@1");
  EXPECT_EQ(ResolveModel(g, &r, pub, Key(0), "chat@2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveModel(g, &r, pub, Key(0), "chat@9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveModel(g, &r, pub, Key(0), "other").status().code(), StatusCode::kNotFound);
}

TEST(RolloutTest, AllowlistsWinOverBuckets) {
  const CompiledGateway g = TwoVersions();
  const TierPolicy researchers = Tier("researchers");
  Rollout r = OneChannel(0, {"key:1000007"});
  EXPECT_EQ(ResolveModel(g, &r, researchers, Key(7), "chat")->channel, "canary");
  EXPECT_EQ(ResolveModel(g, &r, researchers, Key(8), "chat")->channel, "stable");
  EXPECT_EQ(ResolveModel(g, &r, researchers, Key(8), "chat@2")->channel, "pinned");
}

TEST(RolloutTest, StickyBucketIsFixedAndSpecified) {
  // docs/gateway.md: first four bytes of SHA-256("rsf-rollout/1\nchat\nabc"), big-endian, mod 10,000.
  EXPECT_EQ(StickyBucket("chat", "abc"), StickyBucket("chat", "abc"));
  EXPECT_NE(StickyBucket("chat", "abc"), StickyBucket("chat", "abd"));
  EXPECT_LT(StickyBucket("chat", "abc"), 10000u);
}

TEST(RolloutTest, ReadsRolloutsFromJsonWithClearErrors) {
  auto r = RolloutFromJson(Json::parse(R"({"stable":"1","sticky":"tenant","channels":[{"name":"c","version":"2","percent":12.5,"allowlist":["key:x"]}]})"), "chat");
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->channels[0].basis_points, 1250);
  EXPECT_TRUE(r->sticky_by_tenant);
  EXPECT_EQ(RolloutToJson(*r)["channels"][0]["percent"], 12.5);
  auto bad = RolloutFromJson(Json::parse(R"({"stable":"1","channels":[{"name":"c","version":"2","percent":101}]})"), "chat");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("channels[0].percent"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(RolloutFromJson(Json::parse(R"({"stable":"1","extra":1})"), "chat").ok());
}

}  // namespace
}  // namespace rsf::gateway
