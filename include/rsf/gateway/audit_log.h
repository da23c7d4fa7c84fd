// include/rsf/gateway/audit_log.h
//
// Where the gateway's account of itself goes. Two kinds of record:
//   - one per model request (key id, tier, model and version, channel, guard verdicts, sizes,
//     latency; content only as SHA-256 digests): buffered and written in batches, at most
//     `flush_interval` late, as ledger entries of type "gateway.requests" holding up to ~60 KB
//     of records each;
//   - events that must be durable before the gateway acts on or acknowledges them (admin
//     actions "gateway.admin", the configuration served "gateway.config", flaw reports
//     "flaw.report"): one ledger entry each, appended synchronously.
// When the ledger cannot be written, healthy() turns false: the gateway then refuses model
// requests (unless the configuration says audit.fail_closed: false) and /readyz fails, and the
// buffered records are kept (up to a bound, past which they are counted as dropped in the
// next batch) until a write succeeds. Records buffered when the process dies are lost (at most
// one flush interval); every acknowledged admin action and flaw report is not.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/ledger/ledger.h"

namespace rsf::gateway {

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Buffers one request record; never waits for I/O.
  virtual void Request(Json record) = 0;
  // Appends one event durably; returns its ledger index.
  virtual Result<uint64_t> Event(const std::string& type, const std::string& subject, Json body) = 0;
  virtual bool healthy() const = 0;
  // Writes everything buffered and returns once it is durable (or the error).
  virtual Status Flush() = 0;
};

struct LedgerAuditOptions {
  std::chrono::milliseconds flush_interval{1000};
  size_t max_entry_bytes = 60000;            // records per entry: under the 65,535-byte limit
  size_t max_buffered_bytes = size_t{64} << 20;
};

// Writes to `ledger` (which must outlive the log) from a background thread. Replicas sharing
// one ledger use MakeSharedAuditLog (include/rsf/gateway/shared_ledger.h) instead.
std::unique_ptr<AuditLog> MakeLedgerAuditLog(ledger::Ledger& ledger, const Clock& clock,
                                             const LedgerAuditOptions& options = {});

}  // namespace rsf::gateway
