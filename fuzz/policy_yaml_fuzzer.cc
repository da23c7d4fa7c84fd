// Fuzz target: the policy YAML loader and the linter. Loading never crashes or throws; a
// policy that loads can always be linted.
#include <cstdint>
#include <string_view>

#include "rsf/policy/lint.h"
#include "rsf/policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = rsf::policy::LoadPolicy(text, "fuzz.yaml");
  if (p.ok()) (void)rsf::policy::LintPolicy(*p);
  return 0;
}
