// Fuzz target: dataset loading in every format (JSONL and RFC 4180 CSV, UTF-8 checks) and
// suite YAML. The first byte picks the format. Never crashes; a dataset that loads has
// unique, non-empty ids and multiple-choice targets inside their choices.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "rsf/eval/dataset.h"
#include "rsf/eval/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  static const char* kFormats[] = {"mcq", "anthropic_behavior", "prompts", "harmbench",
                                   "advbench", "jailbreakbench", "xstest", "suite"};
  const std::string format = kFormats[data[0] % 8];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (format == "suite") {
    (void)rsf::eval::ParseSuite(text, "fuzz/suite.yaml", {{"RSF_DATA", "/data"}});
    return 0;
  }
  rsf::eval::DatasetSpec spec{"fuzz.data", format, "", 0, rsf::eval::Expect::kNone};
  auto d = rsf::eval::ParseDataset(text, spec);
  if (!d.ok()) return 0;
  std::set<std::string> ids;
  for (const auto& s : d->samples) {
    if (s.id.empty() || !ids.insert(s.id).second) std::abort();
    if (!s.choices.empty() && (s.target < 0 || s.target >= static_cast<int>(s.choices.size()))) std::abort();
  }
  return 0;
}
