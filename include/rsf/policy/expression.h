// include/rsf/policy/expression.h
//
// The policy's condition language: a small, safe, CEL-like expression language for threshold
// conditions such as
//
//   wmdp_bio.accuracy.ci_low >= 0.60 and not (cyber.ctf.solve_rate < 0.2)
//
// Grammar (lowest precedence first; keywords and symbols are interchangeable):
//   expr    := or
//   or      := and { ("or" | "||") and }
//   and     := not { ("and" | "&&") not }
//   not     := ("not" | "!") not | compare
//   compare := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]
//   sum     := product { ("+" | "-") product }
//   product := unary { ("*" | "/") unary }
//   unary   := "-" unary | primary
//   primary := number | string | "true" | "false" | path | call | "(" expr ")"
//   path    := ident { "." ident }           a metric, e.g. wmdp_bio.accuracy.ci_low
//   call    := ("min" | "max") "(" expr { "," expr } ")" | "abs" "(" expr ")"
//            | "has" "(" path ")"
//
// Types are checked when parsing: metric paths are numbers; arithmetic and ordering apply to
// numbers, equality to two values of one type, logic to booleans. There are no loops, no
// assignments and no I/O; evaluation is total and takes time linear in the expression.
//
// Missing evidence: a metric the evidence lacks evaluates to "unknown", which propagates
// through arithmetic and comparisons; `and`/`or` use Kleene's three-valued logic (false and
// unknown = false; true or unknown = true). `has(path)` is true or false, never unknown. The
// policy decides what an unknown condition means (fail closed by default).
//
// Thread safety: an Expression is immutable after parsing and safe to share.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::policy {

// Where an expression's text starts, so errors point into the policy file.
struct SourcePosition {
  std::string file;  // e.g. "policy.yaml"; empty for none
  int line = 1;      // 1-based line of the expression's first character
  int column = 1;    // 1-based column of the expression's first character
};

enum class ValueType { kNumber, kBool, kString };
std::string_view ValueTypeName(ValueType t);

// Three-valued truth of a condition.
enum class Truth { kFalse, kTrue, kUnknown };
std::string_view TruthName(Truth t);

// Supplies metric values; returns nullopt for a metric the evidence does not contain.
using MetricLookup = std::function<std::optional<double>(std::string_view path)>;

class Expression {
 public:
  // Parses and type-checks `text`. kInvalidArgument with "file:line:column: what was
  // expected" for a syntax or type error, or when the expression is deeper than 64 levels or
  // longer than 4,096 characters, as written or in canonical form (ToString), so whatever
  // ToString returns parses back to the same expression.
  static Result<Expression> Parse(std::string_view text, const SourcePosition& where = {});
  // As Parse, and requires a boolean result (a condition).
  static Result<Expression> ParseCondition(std::string_view text,
                                           const SourcePosition& where = {});

  ValueType type() const;
  // Every metric path the expression reads, sorted, without duplicates.
  const std::vector<std::string>& metrics() const;
  // The expression in canonical form (fully parenthesised where precedence matters).
  std::string ToString() const;

  // The simple comparisons inside the expression, `metric op number` or `number op metric`
  // (normalised so the metric is on the left), from which an assessment reports how far a
  // model is from a threshold.
  struct Comparison {
    std::string metric;
    std::string op;  // "<", "<=", ">", ">=", "==", "!="
    double bound = 0;
    bool negated = false;  // under an odd number of `not`s: the condition needs it false
  };
  std::vector<Comparison> Comparisons() const;

  // When the expression is a conjunction whose comparisons on one metric cannot all hold
  // (e.g. `a > 0.6 and a < 0.4`), a sentence saying so; the condition can never be true.
  std::optional<std::string> Contradiction() const;

  // REQUIRES: type() == kBool. kInvalidArgument for a division by zero or a non-finite result,
  // naming the position of the operator.
  Result<Truth> EvaluateCondition(const MetricLookup& metrics) const;
  // REQUIRES: type() == kNumber. nullopt means unknown (a metric was missing).
  Result<std::optional<double>> EvaluateNumber(const MetricLookup& metrics) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::vector<std::string> metrics_;
  SourcePosition where_;
};

}  // namespace rsf::policy
