// src/gateway/audit_log.cc — the buffered audit log (include/rsf/gateway/audit_log.h) and its
// sink that appends to a ledger directly.
#include "rsf/gateway/audit_log.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/audit_sink.h"
#include "rsf/common/log.h"

namespace rsf::gateway {
namespace {

class LedgerSink final : public internal::AuditSink {
 public:
  explicit LedgerSink(ledger::Ledger& ledger) : ledger_(ledger) {}

  Status WriteBatch(std::span<const ledger::Entry> entries) override {
    return ledger_.AppendBatch(entries).status();
  }

  Result<uint64_t> WriteOne(const ledger::Entry& entry) override {
    RSF_ASSIGN_OR_RETURN(auto appended, ledger_.Append(entry));
    return appended.index;
  }

 private:
  ledger::Ledger& ledger_;
};

class BufferedAuditLog final : public AuditLog {
 public:
  BufferedAuditLog(std::unique_ptr<internal::AuditSink> sink, const Clock& clock, const LedgerAuditOptions& options)
      : sink_(std::move(sink)), clock_(clock), options_(options), thread_([this] { Loop(); }) {}

  ~BufferedAuditLog() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    (void)WriteBuffered();
  }

  void Request(Json record) override {
    std::lock_guard lock(mu_);
    if (buffered_bytes_ > options_.max_buffered_bytes) {
      ++dropped_;
      return;
    }
    buffered_bytes_ += 256;  // an estimate; exact sizes are measured when a batch is built
    buffer_.push_back(std::move(record));
  }

  Result<uint64_t> Event(const std::string& type, const std::string& subject, Json body) override {
    ledger::Entry e;
    e.type = type;
    e.subject = subject;
    e.time = FormatRfc3339(clock_.Now());
    e.body = Sanitize(body);
    auto r = sink_->WriteOne(e);
    healthy_.store(r.ok());
    return r;
  }

  bool healthy() const override { return healthy_.load(); }

  Status Flush() override {
    std::lock_guard flush(write_mu_);
    return WriteBufferedLocked();
  }

 private:
  // Client-derived strings need not be valid UTF-8; the ledger's canonical JSON requires it.
  static Json Sanitize(const Json& j) {
    return Json::parse(j.dump(-1, ' ', false, Json::error_handler_t::replace));
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, options_.flush_interval, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      (void)WriteBuffered();
      lock.lock();
    }
  }

  Status WriteBuffered() {
    std::lock_guard flush(write_mu_);
    return WriteBufferedLocked();
  }

  Status WriteBufferedLocked() {
    std::vector<Json> records;
    uint64_t dropped;
    {
      std::lock_guard lock(mu_);
      records.swap(buffer_);
      dropped = dropped_;
      dropped_ = 0;
      buffered_bytes_ = 0;
    }
    if (records.empty() && dropped == 0) return OkStatus();
    std::vector<ledger::Entry> entries;
    Json batch = Json::array();
    size_t bytes = 0;
    const std::string now = FormatRfc3339(clock_.Now());
    auto close_batch = [&] {
      if (batch.empty() && dropped == 0) return;
      ledger::Entry e;
      e.type = "gateway.requests";
      e.subject = "gateway:requests";
      e.time = now;
      Json body = {{"count", batch.size()}, {"records", std::move(batch)}};
      if (dropped) body["dropped_before"] = dropped;
      dropped = 0;
      e.body = std::move(body);
      entries.push_back(std::move(e));
      batch = Json::array();
      bytes = 0;
    };
    for (auto& r : records) {
      // Valid UTF-8 throughout (the usual case): the record goes in as it is; otherwise it is
      // re-read from its dump with invalid sequences replaced.
      std::string text;
      bool valid = true;
      try {
        text = r.dump();
      } catch (const Json::type_error&) {
        valid = false;
        text = r.dump(-1, ' ', false, Json::error_handler_t::replace);
      }
      if (text.size() > options_.max_entry_bytes / 2) {
        text = Json{{"oversized_record_bytes", text.size()}}.dump();
        valid = false;
      }
      if (bytes + text.size() + 64 > options_.max_entry_bytes) close_batch();
      bytes += text.size() + 1;
      batch.push_back(valid ? std::move(r) : Json::parse(text));
    }
    close_batch();
    const Status r = sink_->WriteBatch(entries);
    healthy_.store(r.ok());
    if (!r.ok()) {
      RSF_LOG_ERROR("audit: cannot write {} request records to the ledger: {}", records.size(), r.ToString());
      // Keep them for the next attempt (bounded by Request()).
      std::lock_guard lock(mu_);
      for (auto& rec : records) buffer_.push_back(std::move(rec));
      buffered_bytes_ += records.size() * 256;
      return r;
    }
    return OkStatus();
  }

  std::unique_ptr<internal::AuditSink> sink_;
  const Clock& clock_;
  LedgerAuditOptions options_;
  std::mutex write_mu_;  // one batch writer at a time
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Json> buffer_;
  size_t buffered_bytes_ = 0;
  uint64_t dropped_ = 0;
  bool stop_ = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<AuditLog> MakeLedgerAuditLog(ledger::Ledger& ledger, const Clock& clock, const LedgerAuditOptions& options) {
  return internal::MakeBufferedAuditLog(std::make_unique<LedgerSink>(ledger), clock, options);
}

namespace internal {

std::unique_ptr<AuditLog> MakeBufferedAuditLog(std::unique_ptr<AuditSink> sink, const Clock& clock,
                                               const LedgerAuditOptions& options) {
  return std::make_unique<BufferedAuditLog>(std::move(sink), clock, options);
}

}  // namespace internal

}  // namespace rsf::gateway
