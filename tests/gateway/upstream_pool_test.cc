#include "rsf/gateway/upstream_pool.h"

#include <gtest/gtest.h>

#include <map>

#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::gateway {
namespace {

ModelRoute Route(std::vector<int> weights) {
  ModelRoute r;
  r.name = "m";
  for (size_t i = 0; i < weights.size(); ++i) {
    r.upstreams.push_back({"http://10.0.0." + std::to_string(i + 1) + ":8000", weights[i], ""});
  }
  r.upstream.failures_to_open = 3;
  r.upstream.open_ms = 1000;
  r.upstream.unhealthy_after = 2;
  r.upstream.healthy_after = 2;
  return r;
}

class UpstreamPoolTest : public ::testing::Test {
 protected:
  std::shared_ptr<UpstreamPool> Make(std::vector<int> weights) {
    auto p = UpstreamPool::Make(Route(std::move(weights)), clock_);
    EXPECT_RSF_OK(p);
    return p.ok() ? *p : nullptr;
  }
  rsf::testing::FakeClock clock_;
};

TEST_F(UpstreamPoolTest, ParsesEndpointsWithPrefixAndServedName) {
  ModelRoute r;
  r.name = "gw-name";
  r.upstreams = {{"http://127.0.0.1:8000/proxy", 1, "served"}, {"http://localhost", 2, ""}};
  auto p = UpstreamPool::Make(r, clock_);
  ASSERT_RSF_OK(p);
  EXPECT_EQ((*p)->endpoint(0).host, "127.0.0.1");
  EXPECT_EQ((*p)->endpoint(0).port, "8000");
  EXPECT_EQ((*p)->endpoint(0).prefix, "/proxy");
  EXPECT_EQ((*p)->endpoint(0).model, "served");
  EXPECT_EQ((*p)->endpoint(1).port, "80");
  EXPECT_EQ((*p)->endpoint(1).prefix, "");
  EXPECT_EQ((*p)->endpoint(1).model, "gw-name");
  r.upstreams = {{"https://example.com", 1, ""}};
  EXPECT_FALSE(UpstreamPool::Make(r, clock_).ok());
}

TEST_F(UpstreamPoolTest, SplitsByWeightInterleaved) {
  auto pool = Make({5, 1, 2});
  std::map<size_t, int> counts;
  std::vector<size_t> order;
  for (int i = 0; i < 8 * 10; ++i) {
    auto p = pool->Pick();
    ASSERT_TRUE(p.has_value());
    ++counts[*p];
    order.push_back(*p);
    pool->Succeeded(*p);
  }
  EXPECT_EQ(counts[0], 50);
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts[2], 20);
  // Smooth: the heavy upstream never gets more than 3 requests in a row at 5:1:2.
  int run = 0, longest = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    run = (i > 0 && order[i] == order[i - 1]) ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  EXPECT_LE(longest, 3);
}

TEST_F(UpstreamPoolTest, SkipsWhatWasTried) {
  auto pool = Make({1, 1});
  EXPECT_EQ(pool->Pick({0}), std::optional<size_t>(1));
  EXPECT_EQ(pool->Pick({0, 1}), std::nullopt);
}

TEST_F(UpstreamPoolTest, CircuitOpensThenLetsOneProbeThrough) {
  auto pool = Make({1, 1});
  // Upstream 0 fails three times in a row: its circuit opens.
  for (int i = 0; i < 3; ++i) pool->Failed(0);
  EXPECT_EQ(pool->States()[0].circuit, UpstreamPool::Circuit::kOpen);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pool->Pick(), std::optional<size_t>(1));
  // After open_ms, one probe goes through; while it is out, no other request does.
  clock_.Advance(std::chrono::milliseconds(1001));
  bool probed = false;
  for (int i = 0; i < 4; ++i) {
    auto p = pool->Pick();
    ASSERT_TRUE(p.has_value());
    if (*p == 0) {
      EXPECT_FALSE(probed) << "a half-open circuit lets a single probe through";
      probed = true;
    }
  }
  EXPECT_TRUE(probed);
  // The probe fails: open again for another open_ms.
  pool->Failed(0);
  EXPECT_EQ(pool->States()[0].circuit, UpstreamPool::Circuit::kOpen);
  clock_.Advance(std::chrono::milliseconds(500));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pool->Pick(), std::optional<size_t>(1));
  clock_.Advance(std::chrono::milliseconds(501));
  std::optional<size_t> p;
  while ((p = pool->Pick()) != std::optional<size_t>(0)) ASSERT_TRUE(p.has_value());
  pool->Succeeded(0);  // the probe succeeds: closed
  EXPECT_EQ(pool->States()[0].circuit, UpstreamPool::Circuit::kClosed);
  EXPECT_EQ(pool->States()[0].failures, 4u);
}

TEST_F(UpstreamPoolTest, SuccessResetsTheFailureRun) {
  auto pool = Make({1});
  pool->Failed(0);
  pool->Failed(0);
  pool->Succeeded(0);
  pool->Failed(0);
  pool->Failed(0);
  EXPECT_EQ(pool->States()[0].circuit, UpstreamPool::Circuit::kClosed);
  pool->Failed(0);
  EXPECT_EQ(pool->States()[0].circuit, UpstreamPool::Circuit::kOpen);
  EXPECT_EQ(pool->Pick(), std::nullopt);
}

TEST_F(UpstreamPoolTest, HealthChecksNeedARunToChangeState) {
  auto pool = Make({1, 1});
  pool->Checked(0, false);
  EXPECT_TRUE(pool->States()[0].healthy);
  pool->Checked(0, false);
  EXPECT_FALSE(pool->States()[0].healthy);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pool->Pick(), std::optional<size_t>(1));
  pool->Checked(0, true);
  EXPECT_FALSE(pool->States()[0].healthy);
  pool->Checked(0, true);
  EXPECT_TRUE(pool->States()[0].healthy);
  pool->Checked(1, false);
  pool->Checked(1, false);
  pool->Checked(0, false);
  pool->Checked(0, false);
  EXPECT_EQ(pool->Pick(), std::nullopt);
}

}  // namespace
}  // namespace rsf::gateway
