// src/gateway/shared_audit_log.cc — the audit log that writes to the shared ledger's inbox
// (include/rsf/gateway/shared_ledger.h): batches of request records become pending rows; an
// event becomes a row that waits for the elected writer to append it, or is withdrawn.
#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <random>

#include "gateway/audit_sink.h"
#include "gateway/ledger_inbox.h"
#include "rsf/gateway/shared_ledger.h"

namespace rsf::gateway {
namespace {

using internal::InboxRow;
using internal::InboxState;

class InboxSink final : public internal::AuditSink {
 public:
  InboxSink(store::Store& store, const Clock& clock, std::chrono::milliseconds wait)
      : store_(store),
        clock_(clock),
        wait_(wait),
        instance_(fmt::format("{:08x}", std::random_device{}())) {
    // Without notifications (a store that cannot subscribe just now) waiting falls back to polling.
    auto sub = store_.Subscribe([this](std::string_view channel) {
      if (!channel.empty() && channel != kLedgerDoneChannel) return;
      {
        std::lock_guard lock(mu_);
        ++generation_;
      }
      cv_.notify_all();
    });
    if (sub.ok()) subscription_ = std::move(*sub);
  }

  ~InboxSink() override { subscription_.reset(); }

  Status WriteBatch(std::span<const ledger::Entry> entries) override {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.reserve(entries.size());
    for (const auto& e : entries) {
      RSF_ASSIGN_OR_RETURN(InboxRow row, Pending(e, false));
      rows.emplace_back(NextKey(), internal::EncodeInboxRow(row));
    }
    return store_.Transact([&](store::Store& tx) -> Status {
      for (const auto& [key, value] : rows)
        RSF_RETURN_IF_ERROR(tx.Put(kLedgerInbox, key, value, 0).status());
      return tx.Notify(kLedgerInboxChannel);
    });
  }

  Result<uint64_t> WriteOne(const ledger::Entry& entry) override {
    RSF_ASSIGN_OR_RETURN(InboxRow row, Pending(entry, true));
    const std::string key = NextKey();
    const Status written = store_.Transact([&](store::Store& tx) -> Status {
      RSF_RETURN_IF_ERROR(tx.Put(kLedgerInbox, key, internal::EncodeInboxRow(row), 0).status());
      return tx.Notify(kLedgerInboxChannel);
    });
    if (!written.ok()) return written;
    return Await(key);
  }

 private:
  // A pending row for `entry`, refused here (as the ledger would) if the entry is invalid.
  static Result<InboxRow> Pending(const ledger::Entry& entry, bool wait) {
    RSF_RETURN_IF_ERROR(ledger::EncodeEntry(entry).status());
    InboxRow row;
    row.entry = ledger::EntryToJson(entry);
    row.wait = wait;
    return row;
  }

  std::string NextKey() {
    const int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
            .count();
    std::lock_guard lock(mu_);
    return fmt::format("{:013d}-{}-{:08d}", ms, instance_, ++sequence_);
  }

  // Waits for the writer to append the row at `key`; withdraws it when none does in time.
  Result<uint64_t> Await(const std::string& key) {
    using Steady = std::chrono::steady_clock;
    const auto start = Steady::now();
    const auto withdraw_at = start + wait_;
    const auto give_up_at = start + 3 * wait_;
    Status last = OkStatus();
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard lock(mu_);
        seen = generation_;
      }
      auto got = store_.Get(kLedgerInbox, key);
      if (got.ok() && !*got)
        return DataLossError(
            fmt::format("ledger inbox row {} vanished before it was appended", key));
      if (got.ok()) {
        auto row = internal::DecodeInboxRow((*got)->value, key);
        if (!row.ok()) return row.status();
        if (row->state == InboxState::kDone) {
          store_.Delete(kLedgerInbox, key).IgnoreError();  // else the writer cleans it up
          return row->index;
        }
        if (row->state == InboxState::kRejected) {
          store_.Delete(kLedgerInbox, key).IgnoreError();
          return InvalidArgumentError("the ledger writer refused the entry: " + row->error);
        }
        if (row->state == InboxState::kPending && Steady::now() >= withdraw_at) {
          row->state = InboxState::kWithdrawn;
          auto put = store_.Put(kLedgerInbox, key, internal::EncodeInboxRow(*row), (*got)->version);
          if (put.ok()) {
            return UnavailableError(
                fmt::format("no ledger writer appended the entry within {} ms (is an rsfd with "
                            "replicas.shared_ledger and the "
                            "ledger directory running?); it was withdrawn and will not be appended",
                            wait_.count()));
          }
          if (put.status().code() == StatusCode::kFailedPrecondition)
            continue;  // claimed meanwhile: look again
          last = put.status();
        }
      } else {
        last = got.status();
      }
      if (Steady::now() >= give_up_at) {
        return DeadlineExceededError(fmt::format(
            "the ledger writer did not confirm entry {} within {} ms; it may still be appended{}",
            key, 3 * wait_.count(),
            last.ok() ? "" : " (last store error: " + last.message() + ")"));
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return generation_ != seen; });
    }
  }

  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds wait_;
  const std::string instance_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t sequence_ = 0;
  uint64_t generation_ = 0;
  std::unique_ptr<store::Subscription> subscription_;
};

}  // namespace

std::unique_ptr<AuditLog> MakeSharedAuditLog(store::Store& store, const Clock& clock,
                                             const SharedAuditOptions& options) {
  return internal::MakeBufferedAuditLog(std::make_unique<InboxSink>(store, clock, options.wait),
                                        clock, options.batching);
}

}  // namespace rsf::gateway
