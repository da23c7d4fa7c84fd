// Fuzz target: the guard's text inputs other than prompts. The first byte picks the parser:
// 0 guard configuration YAML, 1 rules YAML, 2 labelled JSONL. Never crashes; what parses
// keeps its promises (labelled texts have ids and sorted, unique categories; every rule has an
// id and a pattern; thresholds lie in [0, 1]).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rsf/guard/config.h"
#include "rsf/guard/labeled_data.h"
#include "rsf/guard/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto c = rsf::guard::ParseGuardConfig(text, "fuzz/guard.yaml");
      if (!c.ok()) return 0;
      if (c->unsafe_threshold && !(*c->unsafe_threshold >= 0 && *c->unsafe_threshold <= 1)) std::abort();
      for (const auto& r : c->rules) {
        if (r.id.empty() || r.pattern.empty()) std::abort();
      }
      return 0;
    }
    case 1: {
      auto rules = rsf::guard::ParseRules(text, "fuzz/rules.yaml");
      if (!rules.ok()) return 0;
      for (const auto& r : *rules) {
        if (r.id.empty() || r.pattern.empty()) std::abort();
      }
      return 0;
    }
    default: {
      auto texts = rsf::guard::ParseLabeledJsonl(text, "fuzz.jsonl");
      if (!texts.ok()) return 0;
      for (const auto& t : *texts) {
        if (t.line < 1) std::abort();
        if (!std::is_sorted(t.categories.begin(), t.categories.end()) ||
            std::adjacent_find(t.categories.begin(), t.categories.end()) != t.categories.end()) {
          std::abort();
        }
      }
      return 0;
    }
  }
}
