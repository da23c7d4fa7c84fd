// Fuzz target: importing Inspect logs (JSON and .eval ZIP) and lm-eval results. Never crashes;
// every imported metric has ci_low <= ci_high.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rsf/eval/results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = rsf::eval::ImportResults(bytes, "fuzz.json");
  (void)rsf::eval::ReadZipMember(bytes, "header.json");
  if (!r.ok()) return 0;
  for (const auto& m : r->metrics) {
    if (!(m.ci_low <= m.ci_high) && !(m.ci_low != m.ci_low)) std::abort();  // NaN passes through
  }
  return 0;
}
