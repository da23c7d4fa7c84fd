// Fuzz target: the policy condition language. Parsing never crashes; a parsed expression's
// canonical form parses back to itself; evaluation is total (a value or a clean error).
#include <cstdint>
#include <string_view>

#include "rsf/policy/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = rsf::policy::Expression::Parse(text);
  if (!e.ok()) return 0;
  auto again = rsf::policy::Expression::Parse(e->ToString());
  RSF_CHECK(again.ok() && again->ToString() == e->ToString() && again->type() == e->type());
  auto lookup = [](std::string_view path) -> std::optional<double> {
    if (path.size() % 3 == 0) return std::nullopt;  // some metrics are missing
    return static_cast<double>(path.size()) / 7.0 - 1.0;
  };
  if (e->type() == rsf::policy::ValueType::kBool) {
    (void)e->EvaluateCondition(lookup);
  } else if (e->type() == rsf::policy::ValueType::kNumber) {
    (void)e->EvaluateNumber(lookup);
  }
  return 0;
}
