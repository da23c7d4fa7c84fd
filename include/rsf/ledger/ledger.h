// include/rsf/ledger/ledger.h
//
// Ledger: rsf's append-only transparency log. Every step of the chain (policy, evaluation,
// decision, gateway configuration, incident, drill) appends an Entry; auditors verify
// inclusion and consistency offline against signed checkpoints. Layout and byte formats:
// docs/formats/ledger.md.
//
//   <dir>/ledger.json      origin and verifier key
//   <dir>/signer.key       Ed25519 signer key, mode 0600 (or elsewhere: LedgerOptions)
//   <dir>/wal/             write-ahead log segments: appends are durable here first
//   <dir>/log/             the publishable C2SP tlog-tiles tree: checkpoint, tile/...
//
// Durability: Append() returns only after the entry is fsynced to the WAL (group commit:
// concurrent appends share one fdatasync). Publish() integrates durable entries into tiles,
// fsyncs them, then atomically replaces log/checkpoint. A crash at any point leaves a log
// that reopens with every acknowledged entry; Open() replays the WAL.
//
// Thread safety: a writable Ledger is safe for concurrent use; one process at a time may
// hold it open for writing (an advisory lock on <dir>/LOCK). Read-only instances need no
// lock and see the last published checkpoint (Refresh() reloads it).
//
// Example:
//   RSF_ASSIGN_OR_RETURN(auto ledger, rsf::ledger::Ledger::Open(env, "/var/lib/rsf/ledger"));
//   RSF_ASSIGN_OR_RETURN(auto appended, ledger->Append(entry));
//   RSF_ASSIGN_OR_RETURN(auto checkpoint, ledger->Publish());
//   RSF_ASSIGN_OR_RETURN(auto proof, ledger->ProveInclusion(appended.index));
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/ledger/checkpoint.h"
#include "rsf/ledger/entry.h"
#include "rsf/ledger/proof_bundle.h"

namespace rsf::ledger {

struct LedgerOptions {
  // Open without the writer lock; only reads and proofs are allowed. Default: false.
  bool read_only = false;
  // Where the signer key is; empty means <dir>/signer.key. Not used when read_only.
  std::string signer_key_path;
  // Publish a checkpoint in the background this often while entries are pending; zero means
  // only explicit Publish() calls (and the back-pressure below). Default: 0.
  std::chrono::milliseconds checkpoint_interval{0};
  // When this many entry bytes await a checkpoint, the next Append publishes first, which
  // bounds memory (about twice this while a checkpoint is being built) and WAL size.
  // Default: 16 MiB.
  size_t max_pending_bytes = size_t{16} << 20;
  // Most bytes one group commit writes. Default: 4 MiB.
  size_t max_group_bytes = size_t{4} << 20;
  // Expanded tiles kept for proofs (about 16 KiB each). Default: 4096 (64 MiB).
  size_t tile_cache_tiles = 4096;
  // Publish pending entries in Close(). Default: true.
  bool publish_on_close = true;
};

struct AppendResult {
  uint64_t index = 0;
  Hash leaf_hash{};
};

class Ledger {
 public:
  // Creates a new ledger in `dir` (absent or empty) named `origin` (a schema-less URL such as
  // "example.org/rsf/prod"), with a fresh Ed25519 key pair, and publishes the empty
  // checkpoint. `signer_key_path` empty means <dir>/signer.key. Returns the verifier key,
  // which auditors keep. kAlreadyExists if `dir` holds anything; kInvalidArgument for a bad
  // origin.
  static Result<NoteVerifier> Init(Env& env, const std::string& dir, std::string_view origin,
                                   const std::string& signer_key_path = "");

  // Opens an existing ledger. `env` must outlive the ledger. kNotFound if there is none;
  // kUnavailable if another process holds it for writing; kPermissionDenied if the signer key
  // does not belong to this ledger; kDataLoss if the checkpoint signature, the tiles or the
  // WAL are corrupt (run fsck for details).
  static Result<std::unique_ptr<Ledger>> Open(Env& env, const std::string& dir,
                                              const LedgerOptions& options = {});

  virtual ~Ledger() = default;

  // Appends one entry and returns once it is durable. kInvalidArgument for an invalid entry
  // (nothing is written); kFailedPrecondition on a read-only ledger; kResourceExhausted when
  // the disk is full; after any write failure every later call fails until reopened.
  virtual Result<AppendResult> Append(const Entry& entry) = 0;
  // Appends all of `entries` atomically with respect to validation (all or none are written)
  // and returns once all are durable, in order.
  virtual Result<std::vector<AppendResult>> AppendBatch(std::span<const Entry> entries) = 0;

  // Queues one entry and returns at once; `done` runs when the entry is durable (with its
  // index) or could not be written, on the thread that completed the group commit (the
  // ledger's commit thread, or an Append caller whose group included it). Consecutive asynchronous
  // appends share group commits without a thread each, which is how a server should log.
  // Returns kInvalidArgument (and never calls `done`) for an invalid entry, and the sticky
  // error or kFailedPrecondition when the ledger cannot accept appends. `done` must not block
  // for long: it delays the next group commit.
  virtual Status AppendAsync(const Entry& entry,
                             std::function<void(Result<AppendResult>)> done) = 0;

  // Integrates every durable entry into the tiles and publishes a new signed checkpoint
  // (or returns the current one if nothing is pending).
  virtual Result<SignedCheckpoint> Publish() = 0;

  // The latest published checkpoint.
  virtual SignedCheckpoint LatestCheckpoint() const = 0;
  // Entries durably appended, published or not.
  virtual uint64_t Size() const = 0;

  // An offline proof that entry `index` is in the latest checkpoint. kNotFound if the entry
  // is not yet covered by a published checkpoint.
  virtual Result<InclusionBundle> ProveInclusion(uint64_t index) const = 0;
  // A proof that the tree of `old_size` entries is a prefix of the latest checkpoint.
  // kInvalidArgument if old_size exceeds it.
  virtual Result<ConsistencyBundle> ProveConsistency(uint64_t old_size) const = 0;
  // The stored bytes of entry `index` (published entries only).
  virtual Result<std::string> ReadEntry(uint64_t index) const = 0;
  // The root of the tree of the first `size` entries (size <= published size).
  virtual Result<Hash> RootAt(uint64_t size) const = 0;

  // Read-only instances: reloads the published checkpoint.
  virtual Status Refresh() = 0;
  // Stops background work, publishes pending entries if configured, releases the lock.
  virtual Status Close() = 0;

  virtual const NoteVerifier& verifier() const = 0;
};

// Paths inside a ledger directory.
std::string LedgerConfigPath(const std::string& dir);
std::string LedgerLogDir(const std::string& dir);
std::string LedgerWalDir(const std::string& dir);
std::string LedgerDefaultKeyPath(const std::string& dir);

// Reads <dir>/ledger.json: the origin and verifier key. kNotFound / kDataLoss.
Result<NoteVerifier> ReadLedgerVerifier(Env& env, const std::string& dir);

}  // namespace rsf::ledger
