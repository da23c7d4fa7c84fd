// src/gateway/ledger_writer.cc — the elected writer of the shared ledger
// (include/rsf/gateway/shared_ledger.h): takes the lease, opens the ledger, settles what a
// previous writer left claimed, then appends pending inbox rows in key order, a batch at a time.
#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/ledger_inbox.h"
#include "rsf/common/log.h"
#include "rsf/gateway/shared_ledger.h"

namespace rsf::gateway {

using internal::InboxRow;
using internal::InboxState;

namespace {

// Done and refused rows whose waiter never came back are removed after this long.
constexpr int64_t kKeepDoneMs = 60000;
// Failed attempts to open the ledger before the lease is given up.
constexpr int kOpenTries = 3;
// Inbox rows read per query. Audit rows run to 64 KB each, so a page is at most a few MB.
constexpr size_t kPage = 100;

}  // namespace

class LedgerWriter::Impl {
 public:
  Impl(LedgerWriter& outer, Env& env, store::Store& store, std::string dir, const Clock& clock,
       LedgerWriterOptions options)
      : outer_(outer),
        env_(env),
        store_(store),
        dir_(std::move(dir)),
        clock_(clock),
        options_(std::move(options)) {}

  Status Start() {
    // Only the writer wakes for new rows; a candidate tries for the lease each poll (each try
    // costs a PostgreSQL connection, so not once per row written anywhere).
    auto sub = store_.Subscribe([this](std::string_view channel) {
      if ((channel.empty() || channel == kLedgerInboxChannel) && outer_.writing_.load()) Wake();
    });
    if (!sub.ok()) Failed("subscribe", sub.status());  // polling still works
    if (sub.ok()) subscription_ = std::move(*sub);
    thread_ = std::thread([this] { Run(); });
    return OkStatus();
  }

  ~Impl() {
    subscription_.reset();
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Wake() {
    {
      std::lock_guard lock(mu_);
      wake_ = true;
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, options_.poll, [this] { return stop_ || wake_; });
        wake_ = false;
        if (stop_) break;
      }
      Step();
    }
    if (ledger_) (void)Drain();  // what this process's own audit log flushed last
    Resign();
  }

  void Failed(std::string_view what, const Status& s) {
    outer_.failures_.fetch_add(1);
    RSF_LOG_WARN("ledger writer: {}: {}", what, s.ToString());
    if (options_.failed) options_.failed(what, s);
  }

  int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
        .count();
  }

  // Closes the ledger (publishing what it holds) and gives up the lease.
  void Resign() {
    CloseLedger();
    lease_.reset();
  }

  void CloseLedger() {
    if (!ledger_) return;
    outer_.writing_.store(false);
    if (Status s = ledger_->Close(); !s.ok()) Failed("close", s);
    ledger_.reset();
  }

  void Step() {
    if (!lease_ && sit_out_ > 0) {
      --sit_out_;
      RefreshView();
      return;
    }
    if (!lease_) {
      auto lease = store_.TryAcquire(kLedgerLease);
      if (!lease.ok()) {
        Failed("lease", lease.status());
        return;
      }
      if (!*lease) {  // another writer has it
        RefreshView();
        return;
      }
      lease_ = std::move(*lease);
      RSF_LOG_INFO("ledger writer: elected for {}", dir_);
    }
    if (Status s = lease_->Check(); !s.ok()) {
      Failed("lease lost", s);
      Resign();
      return;
    }
    if (!ledger_) {
      // Another process may still hold the directory (a writer that lost its lease but has
      // not noticed): its LOCK keeps this one out until it closes.
      auto opened = ledger::Ledger::Open(env_, dir_, options_.ledger);
      if (!opened.ok()) {
        Failed("open", opened.status());
        // A replica that cannot open the directory (its signer key unreadable here, say)
        // must not sit on the lease: after a few tries another candidate gets a turn.
        if (++open_failures_ >= kOpenTries) {
          open_failures_ = 0;
          Resign();
          sit_out_ = kOpenTries;  // and does not take it straight back
        }
        return;
      }
      open_failures_ = 0;
      ledger_ = std::move(*opened);
      // Claims are settled against published entries: publish whatever is durable.
      if (auto published = ledger_->Publish(); !published.ok()) {
        Failed("publish", published.status());
        CloseLedger();
        return;
      }
      outer_.writing_.store(true);
    }
    for (;;) {
      auto more = Drain();
      if (!more.ok()) {
        Failed("append", more.status());
        if (ledger_failed_) CloseLedger();  // reopened (and settled) on the next step
        ledger_failed_ = false;
        break;
      }
      if (!*more) break;
    }
    RefreshView();
  }

  void RefreshView() {
    if (Status s = outer_.view_->Refresh(); !s.ok()) Failed("refresh", s);
  }

  // A pending row taken into the batch. Its entry lives once, in the batch's entries (the
  // row's own copy is dropped): a backlog of hundreds of 64 KB rows held three times over as
  // JSON trees cost the writer hundreds of MB that the allocator never gave back.
  struct Claim {
    std::string key;
    int64_t version = 0;
    InboxRow row;  // without its entry
  };

  struct Batch {
    std::vector<Claim> claims;
    std::vector<ledger::Entry> entries;  // entries[i] is claims[i]'s
    size_t bytes = 0;                    // their encoded size
  };

  // One pass over the inbox: cleans up, settles claims left by a previous writer, and appends
  // one batch of pending rows. True when it should run again at once.
  Result<bool> Drain() {
    Batch batch;
    bool settled = false;
    bool full = false;
    const int64_t now = NowMs();
    std::string after;
    for (;;) {
      RSF_ASSIGN_OR_RETURN(auto page, store_.List(kLedgerInbox, "", kPage, after));
      for (auto& v : page) {
        auto row = internal::DecodeInboxRow(v.value, v.key);
        if (!row.ok()) {
          InboxRow refused;
          refused.state = InboxState::kRejected;
          refused.error = row.status().message();
          refused.at_ms = now;
          RSF_RETURN_IF_ERROR(
              store_.Put(kLedgerInbox, v.key, internal::EncodeInboxRow(refused), v.version)
                  .status());
          continue;
        }
        switch (row->state) {
          case InboxState::kPending: {
            if (batch.claims.size() >= options_.batch_rows || batch.bytes >= options_.batch_bytes) {
              full = true;
              break;
            }
            auto entry =
                ledger::EntryFromJson(row->entry, fmt::format("ledger inbox row {}", v.key));
            auto encoded = entry.ok() ? ledger::EncodeEntry(*entry) : entry.status();
            if (!encoded.ok()) {
              row->state = InboxState::kRejected;
              row->error = encoded.status().message();
              row->at_ms = now;
              RSF_RETURN_IF_ERROR(
                  store_.Put(kLedgerInbox, v.key, internal::EncodeInboxRow(*row), v.version)
                      .status());
              continue;
            }
            row->leaf = ledger::LeafHash(*encoded);
            row->entry = Json();
            batch.bytes += encoded->size();
            batch.claims.push_back({v.key, v.version, std::move(*row)});
            batch.entries.push_back(std::move(*entry));
            break;
          }
          case InboxState::kClaimed:
            RSF_RETURN_IF_ERROR(Settle(v.key, v.version, *row));
            settled = true;
            break;
          case InboxState::kWithdrawn:
            RSF_RETURN_IF_ERROR(DeleteIfPresent(v.key));
            break;
          case InboxState::kDone:
          case InboxState::kRejected:
            if (now - row->at_ms > kKeepDoneMs) RSF_RETURN_IF_ERROR(DeleteIfPresent(v.key));
            break;
        }
      }
      if (page.size() < kPage || full) break;
      after = page.back().key;
    }
    // Rows returned to pending by Settle are read afresh (new versions) on the next pass.
    if (settled) return true;
    if (batch.claims.empty()) return false;
    RSF_RETURN_IF_ERROR(Append(batch));
    return full;
  }

  Status DeleteIfPresent(const std::string& key) {
    Status s = store_.Delete(kLedgerInbox, key);
    return s.code() == StatusCode::kNotFound ? OkStatus() : s;
  }

  // A row a previous writer claimed: done if its index holds exactly its leaf, else pending.
  Status Settle(const std::string& key, int64_t version, InboxRow row) {
    bool appended = false;
    if (row.index < ledger_->Size()) {
      // Entries are read back from published tiles: publish this one if it is not yet.
      if (row.index >= ledger_->LatestCheckpoint().checkpoint.size) {
        if (auto published = ledger_->Publish(); !published.ok()) {
          ledger_failed_ = true;
          return published.status();
        }
      }
      auto bytes = ledger_->ReadEntry(row.index);
      if (!bytes.ok()) {
        ledger_failed_ = true;
        return bytes.status();
      }
      appended = ledger::LeafHash(*bytes) == row.leaf;
      if (!appended) {
        RSF_LOG_ERROR(
            "ledger writer: row {} was claimed as entry {}, which holds another entry; appending "
            "it again",
            key, row.index);
      }
    }
    if (appended) {
      if (!row.wait) return DeleteIfPresent(key);
      row.state = InboxState::kDone;
      row.at_ms = NowMs();
    } else {
      row.state = InboxState::kPending;
    }
    RSF_RETURN_IF_ERROR(
        store_.Put(kLedgerInbox, key, internal::EncodeInboxRow(row), version).status());
    return store_.Notify(kLedgerDoneChannel);
  }

  // `row` as stored, with its entry put back for the encoding only.
  static std::string EncodeWithEntry(InboxRow& row, const ledger::Entry& entry) {
    row.entry = ledger::EntryToJson(entry);
    std::string text = internal::EncodeInboxRow(row);
    row.entry = Json();
    return text;
  }

  // Claims `batch` at the next indexes, appends it, marks it done.
  Status Append(Batch& batch) {
    auto& claims = batch.claims;
    const auto& entries = batch.entries;
    const uint64_t base = ledger_->Size();
    for (size_t i = 0; i < claims.size(); ++i) {
      claims[i].row.state = InboxState::kClaimed;
      claims[i].row.index = base + i;
    }
    Status claimed = store_.Transact([&](store::Store& tx) -> Status {
      for (size_t i = 0; i < claims.size(); ++i) {
        auto& c = claims[i];
        RSF_ASSIGN_OR_RETURN(c.version,
                             tx.Put(kLedgerInbox, c.key, EncodeWithEntry(c.row, entries[i]), c.version));
      }
      return OkStatus();
    });
    // A waiter withdrew a row meanwhile: nothing was claimed; the next pass sees it.
    if (claimed.code() == StatusCode::kFailedPrecondition) {
      Wake();
      return OkStatus();
    }
    RSF_RETURN_IF_ERROR(claimed);
    auto appended = ledger_->AppendBatch(entries);
    if (!appended.ok()) {
      ledger_failed_ = true;  // the rows stay claimed and are settled after reopening
      return appended.status();
    }
    for (size_t i = 0; i < claims.size(); ++i) {
      const auto& a = (*appended)[i];
      if (a.index != claims[i].row.index || a.leaf_hash != claims[i].row.leaf) {
        ledger_failed_ = true;
        return DataLossError(
            fmt::format("ledger writer: row {} was claimed as entry {} but appended as {}",
                        claims[i].key, claims[i].row.index, a.index));
      }
    }
    outer_.appended_.fetch_add(claims.size());
    outer_.batches_.fetch_add(1);
    const int64_t now = NowMs();
    return store_.Transact([&](store::Store& tx) -> Status {
      for (size_t i = 0; i < claims.size(); ++i) {
        auto& c = claims[i];
        if (!c.row.wait) {
          RSF_RETURN_IF_ERROR(tx.Delete(kLedgerInbox, c.key));
          continue;
        }
        c.row.state = InboxState::kDone;
        c.row.at_ms = now;
        RSF_RETURN_IF_ERROR(
            tx.Put(kLedgerInbox, c.key, EncodeWithEntry(c.row, entries[i]), c.version).status());
      }
      return tx.Notify(kLedgerDoneChannel);
    });
  }

  LedgerWriter& outer_;
  Env& env_;
  store::Store& store_;
  const std::string dir_;
  const Clock& clock_;
  const LedgerWriterOptions options_;
  std::unique_ptr<store::Subscription> subscription_;
  // Used on the writer's thread only.
  std::unique_ptr<store::Lease> lease_;
  std::unique_ptr<ledger::Ledger> ledger_;
  bool ledger_failed_ = false;
  int open_failures_ = 0;
  int sit_out_ = 0;  // polls to skip after giving the lease up
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = true;  // the first step runs at once
  std::thread thread_;
};

Result<std::unique_ptr<LedgerWriter>> LedgerWriter::Start(Env& env, store::Store& store,
                                                          std::string dir, const Clock& clock,
                                                          LedgerWriterOptions options) {
  ledger::LedgerOptions view_options;
  view_options.read_only = true;
  RSF_ASSIGN_OR_RETURN(auto view, ledger::Ledger::Open(env, dir, view_options));
  std::unique_ptr<LedgerWriter> w(new LedgerWriter(std::move(view)));
  w->impl_ = std::make_unique<Impl>(*w, env, store, std::move(dir), clock, std::move(options));
  RSF_RETURN_IF_ERROR(w->impl_->Start());
  return w;
}

LedgerWriter::LedgerWriter(std::unique_ptr<ledger::Ledger> view) : view_(std::move(view)) {}

LedgerWriter::~LedgerWriter() { impl_.reset(); }

void LedgerWriter::Wake() { impl_->Wake(); }

std::string LedgerWriter::MetricsText() const {
  return fmt::format(
      "# HELP rsf_ledger_writer Whether this replica writes the shared ledger now.\n"
      "# TYPE rsf_ledger_writer gauge\nrsf_ledger_writer {}\n"
      "# HELP rsf_ledger_appended_total Entries this replica appended to the shared ledger.\n"
      "# TYPE rsf_ledger_appended_total counter\nrsf_ledger_appended_total {}\n"
      "# HELP rsf_ledger_writer_batches_total Batches (one claim, one append, one mark each) this replica wrote.\n"
      "# TYPE rsf_ledger_writer_batches_total counter\nrsf_ledger_writer_batches_total {}\n"
      "# HELP rsf_ledger_writer_failures_total Store and ledger errors of this replica's ledger writer.\n"
      "# TYPE rsf_ledger_writer_failures_total counter\nrsf_ledger_writer_failures_total {}\n"
      "# HELP rsf_ledger_checkpoint_size Entries in the latest checkpoint of the shared ledger seen here.\n"
      "# TYPE rsf_ledger_checkpoint_size gauge\nrsf_ledger_checkpoint_size {}\n",
      writing_.load() ? 1 : 0, appended_.load(), batches_.load(), failures_.load(), view_->LatestCheckpoint().checkpoint.size);
}

}  // namespace rsf::gateway
