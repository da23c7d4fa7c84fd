// include/rsf/ledger/fsck.h
//
// Fsck: checks a ledger directory end to end without trusting any of it but the verifier
// key: the checkpoint signature; every entry bundle's framing; every entry's canonical form
// and schema; every stored hash in every tile level against the hashes recomputed from the
// entries; the root against the checkpoint; the WAL's records; and that refs name earlier
// entries. Each problem is reported with its location (file, byte offset or hash position,
// entry index), so a changed, dropped or reordered byte anywhere is found and placed.
//
// Thread safety: stateless; safe to run concurrently with a writer (it checks the checkpoint
// it read first; tiles are immutable once a checkpoint names them).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/ledger/hash.h"
#include "rsf/ledger/note.h"

namespace rsf::ledger {

struct FsckOptions {
  // Verify against this key instead of the one in <dir>/ledger.json (what an auditor does:
  // the key comes from a trusted channel, not from the directory being checked).
  std::optional<NoteVerifier> verifier;
  // Warn about refs that name no earlier entry (uses about 16 bytes per entry). Default: true.
  bool check_refs = true;
  // Called every 256 entries with (entries checked, total), for progress display.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct FsckFinding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string location;  // "log/tile/0/x001/234 hash 17", "log/tile/entries/003 byte 512", ...
  std::string message;
};

struct FsckReport {
  std::string origin;
  uint64_t checkpoint_size = 0;
  Hash checkpoint_root{};
  uint64_t entries_checked = 0;
  uint64_t tiles_checked = 0;
  uint64_t wal_segments = 0;
  uint64_t pending_entries = 0;  // durable in the WAL, not yet in a checkpoint
  std::vector<FsckFinding> findings;

  size_t errors() const;
  size_t warnings() const;
  bool ok() const { return errors() == 0; }
};

// kNotFound if `dir` holds no ledger; every detected problem is a finding, not an error.
Result<FsckReport> Fsck(Env& env, const std::string& dir, const FsckOptions& options = {});

}  // namespace rsf::ledger
