// TrafficHistory: fixed buckets on the wall clock, a bounded window, blocked/flagged/error counts.
#include "rsf/gateway/traffic.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace rsf::gateway {
namespace {

using std::chrono::seconds;

TEST(TrafficHistoryTest, CountsPerTierAndBucket) {
  rsf::testing::FakeClock clock;  // 2026-01-01T00:00:00Z, a bucket boundary
  TrafficHistory h(clock, seconds(10), 6);
  h.Record("public", 200, false, false);
  h.Record("public", 400, true, false);   // the guard blocked it
  h.Record("public", 200, false, true);   // flagged, served
  h.Record("public", 429, false, false);  // a client error
  h.Record("researchers", 502, false, false);
  clock.Advance(seconds(25));
  h.Record("public", 200, false, false);

  const Json j = h.ToJson();
  EXPECT_EQ(j["bucket_seconds"], 10);
  EXPECT_EQ(j["tiers"], Json({"public", "researchers"}));
  const Json& b = j["buckets"];
  ASSERT_EQ(b.size(), 6u);  // the whole window, oldest first, ending with the current bucket
  EXPECT_EQ(b[5]["start"], "2026-01-01T00:00:20.000Z");
  EXPECT_EQ(b[3]["start"], "2026-01-01T00:00:00.000Z");
  const Json& first = b[3]["tiers"]["public"];
  EXPECT_EQ(first["requests"], 4);
  EXPECT_EQ(first["blocked"], 1);
  EXPECT_EQ(first["flagged"], 1);
  EXPECT_EQ(first["client_errors"], 1);
  EXPECT_EQ(first["server_errors"], 0);
  EXPECT_EQ(b[3]["tiers"]["researchers"]["server_errors"], 1);
  EXPECT_TRUE(b[4]["tiers"].empty());
  EXPECT_EQ(b[5]["tiers"]["public"]["requests"], 1);
}

TEST(TrafficHistoryTest, ForgetsWhatLeftTheWindow) {
  rsf::testing::FakeClock clock;
  TrafficHistory h(clock, seconds(10), 3);
  h.Record("public", 200, false, false);
  clock.Advance(seconds(30));  // three buckets later: the first one is out of the window
  h.Record("public", 200, false, false);
  const Json j = h.ToJson();
  uint64_t total = 0;
  for (const auto& b : j["buckets"]) {
    if (b["tiers"].contains("public")) total += b["tiers"]["public"]["requests"].get<uint64_t>();
  }
  EXPECT_EQ(total, 1u);
  clock.Advance(seconds(100));
  const Json later = h.ToJson();
  for (const auto& b : later["buckets"]) EXPECT_TRUE(b["tiers"].empty());
}

TEST(TrafficHistoryTest, AClockThatGoesBackCountsInTheNewestBucket) {
  rsf::testing::FakeClock clock;
  clock.Advance(seconds(20));
  TrafficHistory h(clock, seconds(10), 6);
  h.Record("public", 200, false, false);
  clock.Advance(seconds(-15));
  h.Record("public", 200, false, false);
  clock.Advance(seconds(15));
  EXPECT_EQ(h.ToJson()["buckets"][5]["tiers"]["public"]["requests"], 2);
}

}  // namespace
}  // namespace rsf::gateway
