// src/gateway/audit_sink.h — where a buffered audit log's entries go: straight into the ledger
// (audit_log.cc) or into the shared ledger's inbox in the store (shared_audit_log.cc). The
// buffering, batching and health reporting are the same for both (include/rsf/gateway/audit_log.h).
//
// Thread safety: sinks are called by one batch writer at a time, and by any number of
// WriteOne callers concurrently with it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "rsf/common/clock.h"
#include "rsf/common/status.h"
#include "rsf/gateway/audit_log.h"
#include "rsf/ledger/entry.h"

namespace rsf::gateway::internal {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Writes `entries` durably and in order, all or none.
  virtual Status WriteBatch(std::span<const ledger::Entry> entries) = 0;
  // Writes one entry durably and returns its ledger index.
  virtual Result<uint64_t> WriteOne(const ledger::Entry& entry) = 0;
};

// The audit log of audit_log.h over `sink`.
std::unique_ptr<AuditLog> MakeBufferedAuditLog(std::unique_ptr<AuditSink> sink, const Clock& clock,
                                               const LedgerAuditOptions& options);

}  // namespace rsf::gateway::internal
