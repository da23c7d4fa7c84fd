#include "rsf/gateway/control.h"

#include <gtest/gtest.h>

#include "rsf/store/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::gateway {
namespace {

ModelRoute Route(std::string name, std::string version = "") {
  ModelRoute r;
  r.name = std::move(name);
  r.version = std::move(version);
  return r;
}

TEST(ControlStateTest, HaltsSurviveReopeningAndChangeTheGeneration) {
  rsf::testing::TempDir dir;
  rsf::testing::FakeClock clock;
  const ModelRoute v2 = Route("chat", "2");
  const ModelRoute v1 = Route("chat", "1");
  {
    auto store = store::OpenSqliteStore(dir.Sub("s.db"));
    ASSERT_RSF_OK(store);
    auto c = ControlState::Open(**store, clock);
    ASSERT_RSF_OK(c);
    const uint64_t g0 = (*c)->generation();
    EXPECT_FALSE((*c)->Stopped(v2, "public"));
    ASSERT_RSF_OK((*c)->Halt(HaltKind::kModel, "chat@2", "eval regression", "admin1"));
    EXPECT_NE((*c)->generation(), g0);
    EXPECT_EQ((*c)->Stopped(v2, "public")->message, "model 'chat@2' is halted: eval regression");
    EXPECT_EQ((*c)->Stopped(v2, "public")->kind, HaltKind::kModel);
    EXPECT_FALSE((*c)->Stopped(v1, "public")) << "halting one version leaves the others";
    ASSERT_RSF_OK((*c)->Halt(HaltKind::kTier, "public", "incident", "admin1"));
    EXPECT_TRUE((*c)->Stopped(v1, "public"));
    EXPECT_FALSE((*c)->Stopped(v1, "researchers"));
  }
  auto store = store::OpenSqliteStore(dir.Sub("s.db"));
  ASSERT_RSF_OK(store);
  auto c = ControlState::Open(**store, clock);
  ASSERT_RSF_OK(c);
  EXPECT_EQ((*c)->Halts().size(), 2u);
  EXPECT_TRUE((*c)->Stopped(v2, "researchers"));
  ASSERT_RSF_OK((*c)->Lift(HaltKind::kModel, "chat@2"));
  EXPECT_FALSE((*c)->Stopped(v2, "researchers"));
  EXPECT_EQ((*c)->Lift(HaltKind::kModel, "chat@2").code(), StatusCode::kNotFound);
}

TEST(ControlStateTest, HaltingTheNameStopsEveryVersion) {
  rsf::testing::TempDir dir;
  rsf::testing::FakeClock clock;
  auto store = store::OpenSqliteStore(dir.Sub("s.db"));
  ASSERT_RSF_OK(store);
  auto c = ControlState::Open(**store, clock);
  ASSERT_RSF_OK(c);
  ASSERT_RSF_OK((*c)->Halt(HaltKind::kModel, "chat", "all", "a"));
  EXPECT_TRUE((*c)->Stopped(Route("chat", "7"), "t"));
  EXPECT_FALSE((*c)->Stopped(Route("chatty"), "t"));
}

TEST(ControlStateTest, AppliesTierPatchesFieldByField) {
  TierPolicy t;
  t.id = "public";
  ASSERT_RSF_OK(ApplyTierPatch(t, Json::parse(R"({"requests_per_minute":10,"temperature":[0,1],"guard":"log_only","logprobs":true})")));
  EXPECT_EQ(t.requests_per_minute, 10);
  EXPECT_EQ(t.max_temperature, 1);
  EXPECT_EQ(t.guard, GuardMode::kLogOnly);
  EXPECT_TRUE(t.allow_logprobs);
  auto bad = ApplyTierPatch(t, Json::parse(R"({"guard":"relaxed"})"));
  EXPECT_NE(bad.message().find("safe-harbour"), std::string::npos) << bad.message();
  EXPECT_FALSE(ApplyTierPatch(t, Json::parse(R"({"max_tokens":0})")).ok());
  EXPECT_FALSE(ApplyTierPatch(t, Json::parse(R"({"colour":"red"})")).ok());
}

}  // namespace
}  // namespace rsf::gateway
