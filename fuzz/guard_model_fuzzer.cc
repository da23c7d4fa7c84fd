// Fuzz target: guard model files. A file is refused with an error or parses into a model
// whose weights match its heads and buckets; a parsed model serialises and parses back to the
// same bytes, and scores a text with probabilities in [0, 1].
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "rsf/guard/linear_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4 * 1024 * 1024) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = rsf::guard::ParseModel(bytes, "fuzz.rsfguard");
  if (!m.ok()) return 0;
  const size_t k = m->heads.size();
  if (k == 0 || k > rsf::guard::LinearModel::kMaxHeads) std::abort();
  if (m->weights.size() != (k << m->features.bits)) std::abort();
  const std::string again = rsf::guard::SerializeModel(*m);
  auto back = rsf::guard::ParseModel(again, "fuzz.again");
  if (!back.ok() || rsf::guard::SerializeModel(*back) != again) std::abort();
  double p[rsf::guard::LinearModel::kMaxHeads];
  m->ScoreText("how do i pick a lock on a door", std::span<double>(p, k));
  for (size_t h = 0; h < k; ++h) {
    if (!(p[h] >= 0 && p[h] <= 1)) std::abort();
  }
  return 0;
}
