#include "rsf/policy/expression.h"

#include <gtest/gtest.h>

#include <map>

#include "testing/status_matchers.h"

namespace rsf::policy {
namespace {

MetricLookup From(std::map<std::string, double> values) {
  return [values = std::move(values)](std::string_view path) -> std::optional<double> {
    auto it = values.find(std::string(path));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Truth Eval(std::string_view text, std::map<std::string, double> values = {}) {
  auto e = Expression::ParseCondition(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  if (!e.ok()) return Truth::kUnknown;
  auto t = e->EvaluateCondition(From(std::move(values)));
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Truth::kUnknown;
}

std::string ErrorOf(std::string_view text, SourcePosition where = {}) {
  auto e = Expression::ParseCondition(text, where);
  EXPECT_FALSE(e.ok()) << text << " parsed";
  return e.ok() ? "" : e.status().message();
}

TEST(ExpressionTest, ThresholdConditions) {
  std::map<std::string, double> m = {{"wmdp_bio.accuracy.ci_low", 0.62},
                                     {"wmdp_bio.accuracy.mean", 0.66},
                                     {"cyber.ctf.solve_rate", 0.1}};
  EXPECT_EQ(Eval("wmdp_bio.accuracy.ci_low >= 0.60", m), Truth::kTrue);
  EXPECT_EQ(Eval("wmdp_bio.accuracy.ci_low >= 0.60 and cyber.ctf.solve_rate > 0.5", m), Truth::kFalse);
  EXPECT_EQ(Eval("wmdp_bio.accuracy.ci_low >= 0.60 && !(cyber.ctf.solve_rate > 0.5)", m), Truth::kTrue);
  EXPECT_EQ(Eval("wmdp_bio.accuracy.mean - wmdp_bio.accuracy.ci_low < 0.05", m), Truth::kTrue);
  EXPECT_EQ(Eval("max(wmdp_bio.accuracy.mean, cyber.ctf.solve_rate * 10) == 1", m), Truth::kTrue);
  EXPECT_EQ(Eval("abs(-2) == 2 and min(3, 1, 2) == 1 and 2 * 3 + 4 / 2 == 8 and -(1 - 3) == 2"),
            Truth::kTrue);
  EXPECT_EQ(Eval("'hold' == \"hold\" and true != false"), Truth::kTrue);
  EXPECT_EQ(Eval("1e-3 < .01 and 1.5E2 == 150"), Truth::kTrue);
}

TEST(ExpressionTest, MissingEvidenceIsUnknownWithKleeneLogic) {
  std::map<std::string, double> m = {{"a", 1}};
  EXPECT_EQ(Eval("missing.metric > 0.5", m), Truth::kUnknown);
  EXPECT_EQ(Eval("missing.metric > 0.5 and a > 5", m), Truth::kFalse);   // false dominates
  EXPECT_EQ(Eval("missing.metric > 0.5 or a > 0", m), Truth::kTrue);     // true dominates
  EXPECT_EQ(Eval("missing.metric > 0.5 or a > 5", m), Truth::kUnknown);
  EXPECT_EQ(Eval("not (missing.metric > 0.5)", m), Truth::kUnknown);
  EXPECT_EQ(Eval("min(a, missing) < 10", m), Truth::kUnknown);
  EXPECT_EQ(Eval("has(missing) or a > 0", m), Truth::kTrue);
  EXPECT_EQ(Eval("has(missing)", m), Truth::kFalse);
  EXPECT_EQ(Eval("has(a) and a == 1", m), Truth::kTrue);
}

TEST(ExpressionTest, PrecedenceAndCanonicalForm) {
  auto e = Expression::Parse("1 + 2 * 3 - (4 - 5) - 6");
  ASSERT_RSF_OK(e);
  EXPECT_EQ(*e->EvaluateNumber(From({})), 2.0);
  EXPECT_EQ(e->ToString(), "1 + 2 * 3 - (4 - 5) - 6");
  auto c = Expression::ParseCondition("not a > 1 or b < 2 and (c == 3 or d != 4)");
  ASSERT_RSF_OK(c);
  EXPECT_EQ(c->ToString(), "not a > 1 or b < 2 and (c == 3 or d != 4)");
  EXPECT_EQ(c->metrics(), (std::vector<std::string>{"a", "b", "c", "d"}));
  // The canonical form parses back to the same canonical form.
  auto again = Expression::ParseCondition(c->ToString());
  ASSERT_RSF_OK(again);
  EXPECT_EQ(again->ToString(), c->ToString());
}

TEST(ExpressionTest, ErrorsNameLineColumnAndWhatWasExpected) {
  SourcePosition where{"policy.yaml", 12, 16};
  EXPECT_EQ(ErrorOf("a >= ", where), "policy.yaml:12:21: expected a value, a metric or '(', got the end of the expression");
  EXPECT_EQ(ErrorOf("a > 1 and 'x'", where), "policy.yaml:12:26: 'and' needs a boolean, got a string");
  EXPECT_EQ(ErrorOf("a + 1", where), "policy.yaml:12:18: a condition must be true or false, but this is a number");
  EXPECT_EQ(ErrorOf("a = 1", where), "policy.yaml:12:18: '=' is not an operator; use '==' to compare");
  EXPECT_EQ(ErrorOf("a > 1 and\n  b >> 2", where), "policy.yaml:13:6: expected a value, a metric or '(', got '>'");
  EXPECT_EQ(ErrorOf("1 < a < 2"), "1:7: comparisons do not chain; join them with 'and'");
  EXPECT_EQ(ErrorOf("foo(1) > 0"), "1:1: unknown function 'foo' (expected min, max, abs or has)");
  EXPECT_EQ(ErrorOf("a > 'x'"), "1:5: '>' needs a number, got a string");
  EXPECT_EQ(ErrorOf("a == true"), "1:3: '==' compares a number with a boolean");
  EXPECT_EQ(ErrorOf("has(1)"), "1:5: expected a metric name, got number 1");
  EXPECT_EQ(ErrorOf("'open"), "1:1: string is not closed");
  EXPECT_EQ(ErrorOf("a > 1 #"), "1:7: unexpected character '#'");
  EXPECT_EQ(ErrorOf("a > 1 b"), "1:7: expected an operator or the end, got 'b'");
}

TEST(ExpressionTest, RuntimeErrorsAndLimits) {
  auto e = Expression::ParseCondition("a / (b - 1) > 0", {"p.yaml", 3, 5});
  ASSERT_RSF_OK(e);
  auto r = e->EvaluateCondition(From({{"a", 1}, {"b", 1}}));
  EXPECT_RSF_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "p.yaml:3:7: division by zero");
  EXPECT_RSF_CODE(Expression::Parse(std::string(5000, '1')), StatusCode::kInvalidArgument);
  // 4,095 characters as written, more once ToString spaces the operators: refused, because
  // the canonical form would not parse back.
  std::string dense = "a";
  while (dense.size() + 2 <= 4095) dense += "/a";
  auto spaced = Expression::Parse(dense);
  EXPECT_RSF_CODE(spaced, StatusCode::kInvalidArgument);
  EXPECT_NE(spaced.status().message().find("canonical form"), std::string::npos);
  std::string fits = "a";
  while (fits.size() + 4 <= 4096) fits += " / a";
  auto f = Expression::Parse(fits);
  ASSERT_RSF_OK(f);
  EXPECT_RSF_OK(Expression::Parse(f->ToString()));
  std::string deep(100, '(');
  deep += "1" + std::string(100, ')');
  auto d = Expression::Parse(deep);
  EXPECT_RSF_CODE(d, StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("64 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_RSF_CODE(Expression::Parse(nots + "true"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(Expression::Parse("1e999 > 0"), StatusCode::kInvalidArgument);
  auto big = Expression::ParseCondition("a * a > 0");
  ASSERT_RSF_OK(big);
  EXPECT_RSF_CODE(big->EvaluateCondition(From({{"a", 1e200}})), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rsf::policy

namespace rsf::policy {
namespace {

TEST(ExpressionTest, ContradictoryBoundsAreFound) {
  auto c = [](std::string_view text) { return Expression::ParseCondition(text)->Contradiction(); };
  EXPECT_TRUE(c("a > 0.6 and a < 0.4").has_value());
  EXPECT_TRUE(c("a >= 1 and b > 0 and 1 > a").has_value());
  EXPECT_TRUE(c("a == 2 and a != 3 and a < 2").has_value());
  EXPECT_EQ(*c("a > 0.6 and a < 0.4"), "no value of a satisfies all of its bounds (> 0.6 and < 0.4)");
  EXPECT_FALSE(c("a >= 1 and a <= 1").has_value());
  EXPECT_FALSE(c("a > 0.6 or a < 0.4").has_value());      // a disjunction is satisfiable
  EXPECT_FALSE(c("not (a > 0.6) and a > 0.7").has_value());  // only plain conjuncts are judged
}

}  // namespace
}  // namespace rsf::policy
