// include/rsf/gateway/shared_ledger.h
//
// One ledger for several gateway replicas (docs/operations.md, "The shared ledger"). A ledger
// directory has one writer at a time; replicas on other machines cannot append to it. So:
//
//   - every replica's audit log (MakeSharedAuditLog) writes its entries as rows of the store's
//     "ledger.inbox" collection and announces them on the "rsf.ledger.inbox" channel: a
//     batch of request records is durable once its rows commit; an event (admin action, flaw
//     report, configuration) waits until the writer has appended it, and returns its index;
//   - one LedgerWriter at a time, the holder of the store lease "rsf.ledger" (a PostgreSQL
//     advisory lock, released when its process or connection dies), appends the rows to the
//     ledger directory in key order. Any replica that can reach that directory (a shared
//     volume) may run a LedgerWriter; the others wait as candidates and take over.
//
// Exactly once. The writer first claims a batch of pending rows (compare-and-swap on each row's
// version) with the index and leaf hash each will get, then appends the batch, then marks the
// rows done. A writer that dies between the claim and the mark leaves claimed rows; the next
// writer, having opened the ledger and published what it holds, marks done each claimed row
// whose index holds exactly that leaf hash and returns the others to pending. An event whose
// writer does not answer within `wait` is withdrawn (compare-and-swap from pending), so an
// event that returned an error is never appended later. If it was already claimed, the call
// waits for the outcome (up to three times `wait`, then kDeadlineExceeded: outcome unknown).
//
// Thread safety: the audit log is safe for concurrent use; a LedgerWriter runs one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/status.h"
#include "rsf/gateway/audit_log.h"
#include "rsf/ledger/ledger.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

struct SharedAuditOptions {
  LedgerAuditOptions batching;
  // How long an event waits for the writer before it is withdrawn. Default: 5 s.
  std::chrono::milliseconds wait{5000};
};

// An audit log whose entries go to the shared ledger through `store` (which must outlive it).
std::unique_ptr<AuditLog> MakeSharedAuditLog(store::Store& store, const Clock& clock,
                                             const SharedAuditOptions& options = {});

struct LedgerWriterOptions {
  // For the ledger while this writer holds it. Default: a checkpoint every second while
  // entries are pending.
  ledger::LedgerOptions ledger = [] {
    ledger::LedgerOptions o;
    o.checkpoint_interval = std::chrono::seconds(1);
    return o;
  }();
  // How often a candidate tries for the lease, and a writer looks at the inbox when no
  // announcement came. Default: 1 s.
  std::chrono::milliseconds poll{1000};
  // Rows appended per batch (one claim, one AppendBatch, one mark): at most batch_rows, and no
  // more once their entries reach batch_bytes (encoded). Default: 256 rows, 4 MiB, so a
  // backlog of 64 KB audit rows is taken 64 at a time and the writer's memory stays bounded.
  size_t batch_rows = 256;
  size_t batch_bytes = size_t{4} << 20;
  // Told of each failure (store, ledger), for metrics and logs; called on the writer's thread.
  std::function<void(std::string_view what, const Status&)> failed;
};

class LedgerWriter {
 public:
  // Starts a candidate writer for the ledger in `dir` (which must exist: `rsf ledger init`).
  // It also opens the ledger read-only for view() (the console's ledger pages). `env` and
  // `store` must outlive it. kNotFound if there is no ledger in `dir`.
  static Result<std::unique_ptr<LedgerWriter>> Start(Env& env, store::Store& store, std::string dir,
                                                     const Clock& clock,
                                                     LedgerWriterOptions options = {});
  // Stops: publishes and closes the ledger if it is writing, and gives up the lease.
  ~LedgerWriter();

  // A read-only view of the ledger, refreshed after each batch and each poll.
  const ledger::Ledger& view() const { return *view_; }
  // Whether this candidate currently holds the lease and the ledger.
  bool writing() const { return writing_.load(); }
  // Entries this writer has appended, and in how many batches.
  uint64_t appended() const { return appended_.load(); }
  uint64_t batches() const { return batches_.load(); }
  // Wakes the writer to look at the inbox now (it also does on announcements and each poll).
  void Wake();
  // Prometheus text: rsf_ledger_writer (1 while writing), rsf_ledger_appended_total,
  // rsf_ledger_writer_batches_total, rsf_ledger_writer_failures_total, rsf_ledger_checkpoint_size (as this replica sees it:
  // alert when it stops growing).
  std::string MetricsText() const;

  class Impl;

 private:
  explicit LedgerWriter(std::unique_ptr<ledger::Ledger> view);

  std::unique_ptr<ledger::Ledger> view_;
  std::atomic<bool> writing_{false};
  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> failures_{0};
  std::unique_ptr<Impl> impl_;
};

// The store collection and channels the shared ledger uses.
inline constexpr std::string_view kLedgerInbox = "ledger.inbox";
inline constexpr std::string_view kLedgerInboxChannel = "rsf.ledger.inbox";
inline constexpr std::string_view kLedgerDoneChannel = "rsf.ledger.done";
inline constexpr std::string_view kLedgerLease = "rsf.ledger";

}  // namespace rsf::gateway
