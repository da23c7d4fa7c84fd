#include "rsf/common/status.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  RSF_ASSIGN_OR_RETURN(int h, Half(x));
  RSF_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RSF_RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(OkStatus().ok());
  EXPECT_EQ(OkStatus().ToString(), "OK");
  Status s = NotFoundError("ledger missing");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: ledger missing");
  EXPECT_EQ(s.WithContext("open").message(), "open: ledger missing");
  EXPECT_TRUE(OkStatus().WithContext("x").ok());
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  ASSERT_RSF_OK(Quarter(8));
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd: 3");
  EXPECT_RSF_CODE(CheckEven(5), StatusCode::kInvalidArgument);
  EXPECT_RSF_OK(CheckEven(4));
}

TEST(StatusTest, ResultFromOkStatusIsAnInternalError) {
  Result<int> r = OkStatus();
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusTest, ValueOrAndMoveOnlyValues) {
  EXPECT_EQ(Half(3).value_or(-1), -1);
  Result<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> owned = std::move(p).value();
  EXPECT_EQ(*owned, 7);
}

TEST(StatusDeathTest, ValueOfAnErrorAborts) {
  EXPECT_DEATH({ (void)Half(3).value(); }, "check failed");
}

}  // namespace
}  // namespace rsf
