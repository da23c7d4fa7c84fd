// Fuzz target: proof files (.tlog-proof and consistency proofs). Parsing must never crash,
// and a forged proof must never verify: any input that verifies against the fixed key must
// carry a checkpoint that key signed (only the corpus's genuine proofs can).
#include <cstdint>
#include <string_view>

#include "rsf/common/status.h"
#include "rsf/ledger/proof_bundle.h"

namespace {
// The verifier key of the ledger that produced the seed corpus (fuzz/corpus/README.md).
constexpr std::string_view kVerifier =
    "fuzz.rsf.example/log+72806caa+AaFzyTJMJe6V8CTurL7SprFjc3iPIlsHXob48OmuWr31";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const auto verifier = rsf::ledger::NoteVerifier::Parse(kVerifier);
  RSF_CHECK(verifier.ok());
  if (auto bundle = rsf::ledger::ParseInclusionBundle(text); bundle.ok()) {
    auto verified = rsf::ledger::VerifyInclusionBundle(*bundle, *verifier);
    if (verified.ok()) {
      // Re-serialising a verified proof must give a proof that still verifies.
      auto again = rsf::ledger::ParseInclusionBundle(rsf::ledger::FormatInclusionBundle(*bundle));
      RSF_CHECK(again.ok() && rsf::ledger::VerifyInclusionBundle(*again, *verifier).ok());
    }
  }
  if (auto bundle = rsf::ledger::ParseConsistencyBundle(text); bundle.ok()) {
    (void)rsf::ledger::VerifyConsistencyBundle(*bundle, bundle->checkpoint, *verifier);
  }
  return 0;
}
