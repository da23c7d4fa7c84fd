#include "rsf/common/clock.h"

#include <gtest/gtest.h>

#include <set>

#include "rsf/common/id.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf {
namespace {

TEST(Rfc3339Test, FormatAndParseRoundTrip) {
  auto t = ParseRfc3339("2026-11-22T08:16:00.123Z");
  ASSERT_RSF_OK(t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-22T08:16:00.123Z");
  auto leap = ParseRfc3339("2024-02-29T23:59:59Z");
  ASSERT_RSF_OK(leap);
  EXPECT_EQ(FormatRfc3339(*leap), "2024-02-29T23:59:59.000Z");
  EXPECT_RSF_OK(ParseRfc3339("2026-01-01T00:00:00.123456789Z"));
}

TEST(Rfc3339Test, RejectsMalformedTimes) {
  for (const char* bad : {"2026-11-22", "2026-11-22T08:16:00+01:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T08:16:00.Z",
                          "2026-11-22 08:16:00Z", "2026-11-22T08:16:00.1234567890Z", "6026-11-22T08:16:00Z"}) {
    EXPECT_RSF_CODE(ParseRfc3339(bad), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(IdGeneratorTest, IdsAreUniqueSortableAndWellFormed) {
  testing::FakeClock clock;
  uint64_t counter = 0;
  IdGenerator gen(clock, [&] { return ++counter * 0x9e3779b97f4a7c15ULL; });
  std::string a = gen.Next("inc_");
  clock.Advance(std::chrono::milliseconds(1));
  std::string b = gen.Next("inc_");
  EXPECT_EQ(a.size(), 4u + 26u);
  EXPECT_EQ(a.substr(0, 4), "inc_");
  EXPECT_LT(a, b);
  for (char c : a.substr(4)) EXPECT_NE(std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(c), std::string::npos);
}

TEST(IdGeneratorTest, DefaultRandomnessGivesDistinctIds) {
  SystemClock clock;
  IdGenerator gen(clock);
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(gen.Next());
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace rsf
