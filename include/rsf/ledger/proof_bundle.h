// include/rsf/ledger/proof_bundle.h
//
// Self-contained, offline-verifiable proof files.
//
// Inclusion: the C2SP tlog-proof format (".tlog-proof"), with the entry itself carried in the
// "extra" line so that the file alone shows what was logged:
//
//   c2sp.org/tlog-proof@v1
//   extra <base64 entry bytes>
//   index <decimal>
//   <base64 hash>          (inclusion path, leaf sibling first; zero or more lines)
//   <empty line>
//   <signed checkpoint, verbatim>
//
// Consistency: the body of a C2SP tlog-witness add-checkpoint request, so the file can also
// be handed to a witness:
//
//   old <decimal size>
//   <base64 hash>          (consistency proof, at most 63 lines)
//   <empty line>
//   <signed checkpoint, verbatim>
//
// Thread safety: values and stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/ledger/checkpoint.h"
#include "rsf/ledger/entry.h"
#include "rsf/ledger/hash.h"

namespace rsf::ledger {

struct InclusionBundle {
  std::string entry;  // entry bytes (canonical JSON)
  uint64_t index = 0;
  std::vector<Hash> path;
  std::string checkpoint;  // the signed checkpoint note
};

std::string FormatInclusionBundle(const InclusionBundle& bundle);
// kInvalidArgument naming the line that is malformed.
Result<InclusionBundle> ParseInclusionBundle(std::string_view text);

struct VerifiedInclusion {
  Entry entry;
  Hash leaf_hash{};
  uint64_t index = 0;
  Checkpoint checkpoint;
};

// Checks the checkpoint's signature and origin against `verifier`, then the inclusion of the
// entry at `index` under the checkpoint's root, then the entry's canonical form.
// kInvalidArgument: malformed, or a proof for another log. kPermissionDenied: bad signature.
// kDataLoss: the entry is not included (a changed byte anywhere in entry or path).
Result<VerifiedInclusion> VerifyInclusionBundle(const InclusionBundle& bundle,
                                                const NoteVerifier& verifier);

struct ConsistencyBundle {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the newer signed checkpoint note
};

std::string FormatConsistencyBundle(const ConsistencyBundle& bundle);
Result<ConsistencyBundle> ParseConsistencyBundle(std::string_view text);

// Verifies that `old_checkpoint` (a signed note the auditor kept) is a prefix of the bundle's
// checkpoint. Both signatures are checked with `verifier`. Returns the newer checkpoint.
// kInvalidArgument: malformed, other log, or old size mismatch. kPermissionDenied: a bad
// signature. kDataLoss: the log was rewritten (the proof fails).
Result<Checkpoint> VerifyConsistencyBundle(const ConsistencyBundle& bundle,
                                           std::string_view old_checkpoint,
                                           const NoteVerifier& verifier);

}  // namespace rsf::ledger
