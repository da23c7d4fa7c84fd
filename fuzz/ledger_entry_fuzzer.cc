// Fuzz target: entry bytes, entry bundles and canonical JSON. A decoded entry must encode
// back to exactly the same bytes; canonicalisation must be idempotent.
#include <cstdint>
#include <string_view>

#include "rsf/common/json.h"
#include "rsf/ledger/entry.h"
#include "rsf/ledger/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto entry = rsf::ledger::DecodeEntry(text); entry.ok()) {
    auto encoded = rsf::ledger::EncodeEntry(*entry);
    RSF_CHECK(encoded.ok() && *encoded == text);
  }
  if (auto json = rsf::ParseJson(text, "fuzz"); json.ok()) {
    if (auto canonical = rsf::CanonicalJson(*json); canonical.ok()) {
      auto again = rsf::ParseJson(*canonical, "canonical");
      RSF_CHECK(again.ok());
      auto twice = rsf::CanonicalJson(*again);
      RSF_CHECK(twice.ok() && *twice == *canonical);
    }
  }
  if (auto bundle = rsf::ledger::DecodeEntryBundle(text); bundle.ok()) {
    RSF_CHECK(rsf::ledger::EncodeEntryBundle(*bundle) == text);
  }
  return 0;
}
