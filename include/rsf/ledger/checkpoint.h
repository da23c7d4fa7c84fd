// include/rsf/ledger/checkpoint.h
//
// C2SP tlog-checkpoint: the signed statement of a log's size and root.
//
//   <origin>\n<size in decimal>\n<base64 root>\n[<extension line>\n]*
//
// wrapped in a signed note (note.h) whose key name equals the origin.
//
// Thread safety: values; safe to share read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/ledger/hash.h"
#include "rsf/ledger/note.h"

namespace rsf::ledger {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
};

// The note text of `cp` (ends in "\n").
std::string FormatCheckpointText(const Checkpoint& cp);
// Parses checkpoint note text. kInvalidArgument names the line that is wrong.
Result<Checkpoint> ParseCheckpointText(std::string_view text);

// A verified checkpoint with its signed note bytes, as stored and as shipped in proofs.
struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string note;  // the full signed note, verbatim
};

// Signs `cp` with `signer`. kInvalidArgument if the origin differs from the key name.
Result<SignedCheckpoint> SignCheckpoint(const Checkpoint& cp, const NoteSigner& signer);

// Parses and verifies a signed checkpoint: the note syntax, a valid signature by `verifier`,
// and the origin equal to the verifier's name.
// kInvalidArgument: malformed, or the origin belongs to another log.
// kPermissionDenied: the signature is missing or invalid.
Result<SignedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& verifier);

}  // namespace rsf::ledger
