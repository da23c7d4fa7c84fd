// tests/testing/status_matchers.h: ASSERT_RSF_OK / EXPECT_RSF_OK / EXPECT_RSF_CODE. Each
// accepts a Status or a Result and allows streaming more context with <<.
#pragma once

#include <gtest/gtest.h>

#include "rsf/common/status.h"

namespace rsf::testing {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }

template <typename T>
::testing::AssertionResult IsOk(const T& value) {
  const Status& s = StatusOf(value);
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "status is " << s.ToString();
}

template <typename T>
::testing::AssertionResult HasCode(const T& value, StatusCode code) {
  const Status& s = StatusOf(value);
  if (s.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << StatusCodeName(code) << ", got "
                                       << s.ToString();
}
}  // namespace rsf::testing

#define ASSERT_RSF_OK(expr) ASSERT_TRUE(::rsf::testing::IsOk((expr))) << #expr
#define EXPECT_RSF_OK(expr) EXPECT_TRUE(::rsf::testing::IsOk((expr))) << #expr
#define EXPECT_RSF_CODE(expr, code) \
  EXPECT_TRUE(::rsf::testing::HasCode((expr), (code))) << #expr
