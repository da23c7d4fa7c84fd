// Fuzz target: signed notes and checkpoints, and verifier/signer key strings.
#include <cstdint>
#include <string_view>

#include "rsf/ledger/checkpoint.h"
#include "rsf/ledger/note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto note = rsf::ledger::ParseNote(text); note.ok()) {
    auto formatted = rsf::ledger::FormatNote(*note);
    auto reparsed = rsf::ledger::ParseNote(formatted);
    RSF_CHECK(reparsed.ok() && reparsed->text == note->text);
    if (auto cp = rsf::ledger::ParseCheckpointText(note->text); cp.ok()) {
      RSF_CHECK(rsf::ledger::ParseCheckpointText(rsf::ledger::FormatCheckpointText(*cp)).ok());
    }
  }
  (void)rsf::ledger::ParseCheckpointText(text);
  if (auto v = rsf::ledger::NoteVerifier::Parse(text); v.ok()) {
    RSF_CHECK(v->ToString() == text);
  }
  (void)rsf::ledger::NoteSigner::Parse(text);
  return 0;
}
