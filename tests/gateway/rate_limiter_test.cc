#include "rsf/gateway/rate_limiter.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace rsf::gateway {
namespace {

TEST(RateLimiterTest, SlidesTheWindowAcrossMinutes) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> q = {{"key:a", 10, 0}};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.Admit(q, 0).admitted) << i;
  const Admission refused = limiter.Admit(q, 0);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.limited_by, "key:a requests");
  // At the start of the next minute the previous one still weighs fully: still refused, and
  // the advice is to wait about 6 s (until 10 × (1 - f) + 1 <= 10, f = 0.1).
  clock.Advance(std::chrono::seconds(60));
  const Admission later = limiter.Admit(q, 0);
  EXPECT_FALSE(later.admitted);
  EXPECT_EQ(later.retry_after_seconds, 6);
  clock.Advance(std::chrono::seconds(later.retry_after_seconds));
  EXPECT_TRUE(limiter.Admit(q, 0).admitted);
  // Two minutes of quiet forget everything.
  clock.Advance(std::chrono::seconds(120));
  EXPECT_NEAR(limiter.Usage("key:a").first, 0, 1e-9);
}

TEST(RateLimiterTest, SettingTheWallClockNeitherResetsNorStretchesTheWindow) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> q = {{"key:a", 10, 0}};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.Admit(q, 0).admitted) << i;
  clock.JumpWall(-std::chrono::minutes(5));  // set back: the counts must not start afresh
  EXPECT_FALSE(limiter.Admit(q, 0).admitted);
  clock.JumpWall(std::chrono::minutes(30));  // set forward: no minute has really passed
  EXPECT_FALSE(limiter.Admit(q, 0).admitted);
  clock.Advance(std::chrono::minutes(2));  // two real minutes
  EXPECT_TRUE(limiter.Admit(q, 0).admitted);
}

TEST(RateLimiterTest, ChargesTokensAndCorrectsThem) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> q = {{"key:a", 0, 1000}};
  ASSERT_TRUE(limiter.Admit(q, 600).admitted);
  // 600 + 600 > 1000: refused while the first is charged at its estimate.
  EXPECT_FALSE(limiter.Admit(q, 600).admitted);
  limiter.Adjust(q, -500);  // it used 100
  EXPECT_TRUE(limiter.Admit(q, 600).admitted);
  EXPECT_NEAR(limiter.Usage("key:a").second, 700, 1e-9);
}

TEST(RateLimiterTest, AdmitsAnOversizedRequestOnlyIntoAnEmptyWindow) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> q = {{"key:a", 0, 100}};
  EXPECT_TRUE(limiter.Admit(q, 500).admitted);
  EXPECT_FALSE(limiter.Admit(q, 1).admitted);
}

TEST(RateLimiterTest, AllQuotasMustAdmitAndOnlyThenAreCharged) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> a = {{"key:a", 5, 0}, {"tier:t", 2, 0}};
  const std::vector<Quota> b = {{"key:b", 5, 0}, {"tier:t", 2, 0}};
  EXPECT_TRUE(limiter.Admit(a, 0).admitted);
  EXPECT_TRUE(limiter.Admit(b, 0).admitted);
  const Admission refused = limiter.Admit(a, 0);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.limited_by, "tier:t requests");
  EXPECT_NEAR(limiter.Usage("key:a").first, 1, 1e-9) << "a refused request is not charged";
  EXPECT_EQ(refused.limit_requests, 2);
  EXPECT_EQ(refused.remaining_requests, 0);
}

TEST(RateLimiterTest, UnlimitedQuotasAreNotTracked) {
  rsf::testing::FakeClock clock;
  RateLimiter limiter(clock);
  const std::vector<Quota> q = {{"key:a", 0, 0}};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit(q, 1 << 20).admitted);
  const Admission a = limiter.Admit(q, 0);
  EXPECT_EQ(a.limit_requests, -1);
  EXPECT_EQ(a.limit_tokens, -1);
}

}  // namespace
}  // namespace rsf::gateway
