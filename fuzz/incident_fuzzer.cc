// Fuzz target: the incident-response files. The first byte picks the parser: 0 a runbook,
// 1 a drill scenario, 2 a policy's `incidents:` section (in a policy file). Never crashes;
// what parses keeps its promises (ids and steps present, targets and windows positive).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rsf/incident/drill.h"
#include "rsf/incident/rules.h"
#include "rsf/incident/runbook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto r = rsf::incident::ParseRunbook(text, "fuzz/runbook.yaml");
      if (!r.ok()) return 0;
      if (r->id.empty() || r->steps.empty() || r->retries < 0 || r->retry_delay.count() < 0) std::abort();
      return 0;
    }
    case 1: {
      auto s = rsf::incident::ParseScenario(text, "fuzz/drill.yaml");
      if (!s.ok()) return 0;
      if (s->id.empty() || s->detect_target.count() <= 0 || s->contain_target.count() <= 0 || s->timeout.count() <= 0) {
        std::abort();
      }
      return 0;
    }
    default: {
      auto p = rsf::incident::LoadIncidentPolicy(text, "fuzz/policy.yaml");
      if (!p.ok()) return 0;
      for (const auto& rule : p->rules) {
        if (rule.id.empty() || rule.within.count() <= 0 || rule.count < 1) std::abort();
      }
      return 0;
    }
  }
}
