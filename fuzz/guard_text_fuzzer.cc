// Fuzz target: what the guard does with any text. Normalisation's one-pass path and its
// general path agree byte for byte; the result is valid UTF-8 within its bound; the whole
// guard (rules by every engine built, the built-in model) classifies without crashing and
// gives probabilities in [0, 1].
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "rsf/guard/guard.h"
#include "rsf/guard/normalize.h"

namespace {

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

const std::vector<std::unique_ptr<rsf::guard::Guard>>& Guards() {
  static const auto* guards = [] {
    auto* out = new std::vector<std::unique_ptr<rsf::guard::Guard>>();
    for (rsf::guard::RuleEngine e : rsf::guard::RuleSet::Available()) {
      auto model = rsf::guard::LoadGuardModel("builtin");
      if (!model.ok()) std::abort();
      auto g = rsf::guard::Guard::Create(rsf::guard::DefaultGuardConfig(), std::move(*model), e);
      if (!g.ok()) std::abort();
      out->push_back(std::move(*g));
    }
    return out;
  }();
  return *guards;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t max : {size_t{64 * 1024}, size_t{100}}) {
    const auto fast = rsf::guard::Normalize(text, {.max_bytes = max});
    const auto general = rsf::guard::Normalize(text, {.max_bytes = max, .fast_path = false});
    if (fast.text != general.text || fast.truncated != general.truncated ||
        fast.invalid_utf8 != general.invalid_utf8 || fast.decoded_payloads != general.decoded_payloads) {
      std::abort();
    }
    if (!ValidUtf8(fast.text)) std::abort();
    // Longer inputs are always cut; shorter ones may be too, when replacing invalid bytes
    // with U+FFFD (3 bytes each) grows them past the bound.
    if (size > max && !fast.truncated) std::abort();
  }
  for (const auto& g : Guards()) {
    const rsf::guard::Verdict v = g->Classify(text);
    if (!(v.unsafe >= 0 && v.unsafe <= 1)) std::abort();
    for (const auto& [head, p] : v.scores) {
      if (!(p >= 0 && p <= 1)) std::abort();
    }
  }
  return 0;
}
