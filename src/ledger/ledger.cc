#include "rsf/ledger/ledger.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "rsf/common/json.h"
#include "rsf/common/log.h"
#include "rsf/ledger/proof.h"
#include "rsf/ledger/tiles.h"
#include "tile_reader.h"
#include "tile_writer.h"
#include "wal.h"

namespace rsf::ledger {

std::string LedgerConfigPath(const std::string& dir) { return JoinPath(dir, "ledger.json"); }
std::string LedgerLogDir(const std::string& dir) { return JoinPath(dir, "log"); }
std::string LedgerWalDir(const std::string& dir) { return JoinPath(dir, "wal"); }
std::string LedgerDefaultKeyPath(const std::string& dir) { return JoinPath(dir, "signer.key"); }

namespace {

constexpr std::string_view kFormat = "rsf-ledger/1";

std::string CheckpointPath(const std::string& dir) {
  return JoinPath(LedgerLogDir(dir), "checkpoint");
}

Result<SignedCheckpoint> ReadCheckpoint(Env& env, const std::string& dir,
                                        const NoteVerifier& verifier) {
  auto note = env.ReadFile(CheckpointPath(dir));
  if (!note.ok()) return note.status().WithContext("reading the checkpoint");
  auto cp = OpenCheckpoint(*note, verifier);
  if (!cp.ok()) return DataLossError(CheckpointPath(dir) + ": " + cp.status().message());
  return cp;
}

}  // namespace

Result<NoteVerifier> ReadLedgerVerifier(Env& env, const std::string& dir) {
  std::string path = LedgerConfigPath(dir);
  auto text = env.ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no ledger at " + dir + " (" + path +
                           " is missing; create one with 'rsf ledger init')");
    }
    return text.status();
  }
  auto json = ParseJson(*text, path);
  if (!json.ok()) return DataLossError(json.status().message());
  auto format = RequireString(*json, "format", path);
  if (!format.ok()) return DataLossError(format.status().message());
  if (*format != kFormat) {
    return DataLossError(path + ": unsupported format '" + *format + "' (expected " +
                         std::string(kFormat) + ")");
  }
  auto vkey = RequireString(*json, "verifier_key", path);
  if (!vkey.ok()) return DataLossError(vkey.status().message());
  auto verifier = NoteVerifier::Parse(*vkey);
  if (!verifier.ok()) return DataLossError(path + ": " + verifier.status().message());
  auto origin = RequireString(*json, "origin", path);
  if (!origin.ok()) return DataLossError(origin.status().message());
  if (*origin != verifier->name()) {
    return DataLossError(path + ": origin '" + *origin + "' differs from the verifier key's name '" +
                         verifier->name() + "'");
  }
  // The file is written canonically; any other byte sequence means it was edited.
  auto canonical = CanonicalJson(*json);
  if (!canonical.ok() || *canonical + "\n" != *text) {
    return DataLossError(path + ": not in its canonical form (edited by hand?)");
  }
  return verifier;
}

Result<NoteVerifier> Ledger::Init(Env& env, const std::string& dir, std::string_view origin,
                                  const std::string& signer_key_path) {
  RSF_RETURN_IF_ERROR(ValidateKeyName(origin).WithContext("origin"));
  if (env.FileExists(dir)) {
    auto names = env.ListDir(dir);
    if (!names.ok()) return names.status();
    if (!names->empty()) return AlreadyExistsError(dir + " exists and is not empty");
  }
  RSF_ASSIGN_OR_RETURN(NoteSigner signer, NoteSigner::Generate(origin));
  NoteVerifier verifier = signer.Verifier();
  RSF_RETURN_IF_ERROR(env.CreateDirs(LedgerWalDir(dir)));
  RSF_RETURN_IF_ERROR(env.CreateDirs(JoinPath(LedgerLogDir(dir), "tile")));
  std::string key_path = signer_key_path.empty() ? LedgerDefaultKeyPath(dir) : signer_key_path;
  if (env.FileExists(key_path)) return AlreadyExistsError(key_path + " exists; not overwriting a key");
  RSF_RETURN_IF_ERROR(env.CreateDirs(Dirname(key_path)));
  RSF_RETURN_IF_ERROR(env.WriteFileAtomic(key_path, signer.ToString() + "\n", 0600));
  Json config = {{"format", kFormat}, {"origin", std::string(origin)},
                 {"verifier_key", verifier.ToString()}};
  RSF_ASSIGN_OR_RETURN(std::string config_text, CanonicalJson(config));
  RSF_RETURN_IF_ERROR(env.WriteFileAtomic(LedgerConfigPath(dir), config_text + "\n"));
  Checkpoint empty{std::string(origin), 0, EmptyRoot(), {}};
  RSF_ASSIGN_OR_RETURN(SignedCheckpoint cp, SignCheckpoint(empty, signer));
  RSF_RETURN_IF_ERROR(env.WriteFileAtomic(CheckpointPath(dir), cp.note));
  return verifier;
}

namespace {

class LedgerImpl final : public Ledger {
 public:
  LedgerImpl(Env& env, std::string dir, LedgerOptions options, NoteVerifier verifier)
      : env_(env),
        dir_(std::move(dir)),
        options_(std::move(options)),
        verifier_(std::move(verifier)),
        reader_(env, LedgerLogDir(dir_), options_.tile_cache_tiles) {}

  ~LedgerImpl() override {
    Status s = Close();
    if (!s.ok()) RSF_LOG_ERROR("closing ledger {}: {}", dir_, s.ToString());
  }

  Status OpenImpl(std::optional<NoteSigner> signer, std::unique_ptr<FileLock> lock) {
    signer_ = std::move(signer);
    lock_ = std::move(lock);
    RSF_ASSIGN_OR_RETURN(published_, ReadCheckpoint(env_, dir_, verifier_));
    next_index_ = published_.checkpoint.size;
    if (options_.read_only) return OkStatus();

    RSF_ASSIGN_OR_RETURN(writer_, TileWriter::Load(env_, LedgerLogDir(dir_), reader_,
                                                   published_.checkpoint.size,
                                                   published_.checkpoint.root));
    RSF_RETURN_IF_ERROR(Recover());
    // A fresh segment for new appends; recovered ones are integrated below.
    RSF_ASSIGN_OR_RETURN(wal_, WalWriter::Create(env_, LedgerWalDir(dir_), next_index_));
    if (!pending_.empty()) {
      RSF_LOG_INFO("ledger {}: recovered {} entries from the WAL", dir_, pending_.size());
      RSF_RETURN_IF_ERROR(Publish().status());
    }
    if (options_.checkpoint_interval.count() > 0) {
      background_ = std::thread([this] { BackgroundLoop(); });
    }
    commit_thread_ = std::thread([this] { CommitLoop(); });
    return OkStatus();
  }

  Result<AppendResult> Append(const Entry& entry) override {
    RSF_ASSIGN_OR_RETURN(auto results, AppendBatch(std::span<const Entry>(&entry, 1)));
    return results[0];
  }

  Result<std::vector<AppendResult>> AppendBatch(std::span<const Entry> entries) override {
    if (options_.read_only) return FailedPreconditionError("ledger is open read-only");
    Writer w;
    w.records.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      auto encoded = EncodeEntry(entries[i]);
      if (!encoded.ok()) {
        return entries.size() == 1 ? encoded.status()
                                   : encoded.status().WithContext(fmt::format("entry {}", i));
      }
      Hash leaf = LeafHash(*encoded);
      w.bytes += encoded->size() + 36;
      w.records.push_back({std::move(*encoded), leaf});
    }
    std::vector<AppendResult> results(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) results[i].leaf_hash = w.records[i].leaf_hash;
    if (entries.empty()) return results;

    std::unique_lock<std::mutex> lock(mu_);
    RSF_RETURN_IF_ERROR(AdmitWriter(lock));
    writers_.push_back(&w);
    while (!w.done && &w != writers_.front()) w.cv.wait(lock);
    if (!w.done) LeadGroup(lock);
    if (!w.status.ok()) return w.status;
    for (size_t i = 0; i < results.size(); ++i) results[i].index = w.first_index + i;
    return results;
  }

  Status AppendAsync(const Entry& entry,
                     std::function<void(Result<AppendResult>)> done) override {
    if (options_.read_only) return FailedPreconditionError("ledger is open read-only");
    RSF_ASSIGN_OR_RETURN(std::string encoded, EncodeEntry(entry));
    auto w = std::make_unique<Writer>();
    w->leaf_hash_for_callback = LeafHash(encoded);
    w->bytes = encoded.size() + 36;
    w->records.push_back({std::move(encoded), w->leaf_hash_for_callback});
    w->callback = std::move(done);
    std::unique_lock<std::mutex> lock(mu_);
    RSF_RETURN_IF_ERROR(AdmitWriter(lock));
    writers_.push_back(w.release());
    if (writers_.size() == 1) commit_cv_.notify_one();
    return OkStatus();
  }

  Result<SignedCheckpoint> Publish() override {
    if (options_.read_only) return FailedPreconditionError("ledger is open read-only");
    std::lock_guard<std::mutex> publish_lock(publish_mu_);
    if (!writer_ || !wal_) return FailedPreconditionError("ledger is not open for writing");
    std::vector<WalRecord> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!sticky_error_.ok()) return sticky_error_;
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
      pending_.clear();
      pending_bytes_ = 0;
      if (batch.empty()) return published_;
    }
    Status s = IntegrateAndSign(batch);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      sticky_error_ = s.WithContext("publishing a checkpoint (reopen the ledger to recover)");
      return sticky_error_;
    }
    std::lock_guard<std::mutex> lock(mu_);
    return published_;
  }

  SignedCheckpoint LatestCheckpoint() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return published_;
  }

  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return options_.read_only ? published_.checkpoint.size : durable_size_;
  }

  Result<InclusionBundle> ProveInclusion(uint64_t index) const override {
    SignedCheckpoint cp = LatestCheckpoint();
    if (index >= cp.checkpoint.size) {
      return NotFoundError(fmt::format(
          "entry {} is not covered by the latest checkpoint (size {}); publish a checkpoint first",
          index, cp.checkpoint.size));
    }
    TreeView view(reader_, cp.checkpoint.size);
    InclusionBundle b;
    RSF_ASSIGN_OR_RETURN(b.path, InclusionProof(view, index, cp.checkpoint.size));
    RSF_ASSIGN_OR_RETURN(b.entry, reader_.ReadEntry(index, cp.checkpoint.size));
    b.index = index;
    b.checkpoint = cp.note;
    return b;
  }

  Result<ConsistencyBundle> ProveConsistency(uint64_t old_size) const override {
    SignedCheckpoint cp = LatestCheckpoint();
    if (old_size > cp.checkpoint.size) {
      return InvalidArgumentError(fmt::format("old size {} exceeds the latest checkpoint's size {}",
                                              old_size, cp.checkpoint.size));
    }
    ConsistencyBundle b;
    b.old_size = old_size;
    b.checkpoint = cp.note;
    if (old_size > 0 && old_size < cp.checkpoint.size) {
      TreeView view(reader_, cp.checkpoint.size);
      RSF_ASSIGN_OR_RETURN(b.proof, ConsistencyProof(view, old_size, cp.checkpoint.size));
    }
    return b;
  }

  Result<std::string> ReadEntry(uint64_t index) const override {
    SignedCheckpoint cp = LatestCheckpoint();
    return reader_.ReadEntry(index, cp.checkpoint.size);
  }

  Result<Hash> RootAt(uint64_t size) const override {
    SignedCheckpoint cp = LatestCheckpoint();
    if (size > cp.checkpoint.size) {
      return InvalidArgumentError(fmt::format("size {} exceeds the latest checkpoint's size {}", size,
                                              cp.checkpoint.size));
    }
    if (size == 0) return EmptyRoot();
    TreeView view(reader_, cp.checkpoint.size);
    return RangeHash(view, 0, size);
  }

  Status Refresh() override {
    RSF_ASSIGN_OR_RETURN(SignedCheckpoint cp, ReadCheckpoint(env_, dir_, verifier_));
    std::lock_guard<std::mutex> lock(mu_);
    if (cp.checkpoint.size < published_.checkpoint.size) {
      return DataLossError(fmt::format("the published checkpoint went back from size {} to {}",
                                       published_.checkpoint.size, cp.checkpoint.size));
    }
    published_ = std::move(cp);
    return OkStatus();
  }

  Status Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return OkStatus();
      closed_ = true;
    }
    background_cv_.notify_all();
    if (background_.joinable()) background_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      commit_stop_ = true;
    }
    commit_cv_.notify_all();
    if (commit_thread_.joinable()) commit_thread_.join();  // drains queued asynchronous appends
    Status s;
    if (!options_.read_only && options_.publish_on_close && sticky_error_.ok() && writer_ &&
        wal_) {
      s = Publish().status();
    }
    if (wal_) {
      std::lock_guard<std::mutex> wal_lock(wal_mu_);
      Status c = wal_->Close();
      if (s.ok()) s = c;
    }
    lock_.reset();
    return s;
  }

  const NoteVerifier& verifier() const override { return verifier_; }

 private:
  struct Writer {
    std::vector<WalRecord> records;
    size_t bytes = 0;
    uint64_t first_index = 0;
    Status status;
    bool done = false;
    std::condition_variable cv;
    // Set for AppendAsync: the writer is owned by the queue and completed by a callback.
    std::function<void(Result<AppendResult>)> callback;
    Hash leaf_hash_for_callback{};
  };

  // With mu_ held: applies back-pressure (publishing while too many bytes await a
  // checkpoint) and says whether a new writer may join the queue.
  Status AdmitWriter(std::unique_lock<std::mutex>& lock) {
    while (pending_bytes_ > options_.max_pending_bytes && sticky_error_.ok() && !closed_) {
      lock.unlock();
      Status s = Publish().status();
      lock.lock();
      RSF_RETURN_IF_ERROR(s);
    }
    if (closed_) return FailedPreconditionError("ledger is closed");
    return sticky_error_;
  }

  // Called by the writer at the front of the queue with mu_ held: writes a group of queued
  // writers to the WAL with one write and one fdatasync (group commit).
  void LeadGroup(std::unique_lock<std::mutex>& lock) {
    std::vector<Writer*> group;
    size_t bytes = 0;
    for (Writer* x : writers_) {
      if (!group.empty() && bytes + x->bytes > options_.max_group_bytes) break;
      group.push_back(x);
      bytes += x->bytes;
    }
    uint64_t count = 0;
    for (Writer* x : group) {
      x->first_index = next_index_ + count;
      count += x->records.size();
    }
    next_index_ += count;
    lock.unlock();

    std::string buffer;
    buffer.reserve(bytes);
    for (Writer* x : group) {
      for (const auto& r : x->records) EncodeWalRecord(r.entry, r.leaf_hash, &buffer);
    }
    Status s;
    {
      std::lock_guard<std::mutex> wal_lock(wal_mu_);
      s = wal_->Append(buffer, count);
      if (s.ok()) s = wal_->Sync();
    }

    lock.lock();
    if (!s.ok()) {
      sticky_error_ = s.WithContext("writing the ledger WAL (reopen the ledger to recover)");
    }
    std::vector<std::unique_ptr<Writer>> finished_async;
    for (Writer* x : group) {
      if (s.ok()) {
        for (auto& r : x->records) {
          pending_bytes_ += r.entry.size();
          pending_.push_back(std::move(r));
        }
      }
      x->status = s.ok() ? OkStatus() : sticky_error_;
      x->done = true;
      writers_.pop_front();
      if (x->callback) {
        finished_async.emplace_back(x);
      } else {
        x->cv.notify_one();
      }
    }
    if (s.ok()) durable_size_ = next_index_;
    WakeFront();
    if (!finished_async.empty()) {
      lock.unlock();
      for (auto& x : finished_async) {
        if (x->status.ok()) {
          x->callback(AppendResult{x->first_index, x->leaf_hash_for_callback});
        } else {
          x->callback(x->status);
        }
      }
      lock.lock();
    }
  }

  // With mu_ held: hands the lead to the writer now at the front of the queue (the commit
  // thread leads for asynchronous writers) and lets the commit thread see an empty queue.
  void WakeFront() {
    if (!writers_.empty() && !writers_.front()->callback) writers_.front()->cv.notify_one();
    commit_cv_.notify_one();
  }

  void CommitLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      commit_cv_.wait(lock, [&] {
        return (commit_stop_ && writers_.empty()) ||
               (!writers_.empty() && writers_.front()->callback && !writers_.front()->done);
      });
      if (writers_.empty()) break;  // stopping
      LeadGroup(lock);
    }
  }

  Status IntegrateAndSign(const std::vector<WalRecord>& batch) {
    // Rotate the WAL so that fully integrated segments can be deleted afterwards.
    {
      std::lock_guard<std::mutex> wal_lock(wal_mu_);
      if (wal_->next_index() > wal_->start_index()) {
        RSF_RETURN_IF_ERROR(wal_->Close());
        RSF_ASSIGN_OR_RETURN(wal_, WalWriter::Create(env_, LedgerWalDir(dir_), wal_->next_index()));
      }
    }
    RSF_RETURN_IF_ERROR(writer_->Integrate(batch));
    Checkpoint cp{verifier_.name(), writer_->size(), writer_->Root(), {}};
    RSF_ASSIGN_OR_RETURN(SignedCheckpoint signed_cp, SignCheckpoint(cp, *signer_));
    RSF_RETURN_IF_ERROR(env_.WriteFileAtomic(CheckpointPath(dir_), signed_cp.note));
    {
      std::lock_guard<std::mutex> lock(mu_);
      published_ = std::move(signed_cp);
    }
    RSF_RETURN_IF_ERROR(DeleteIntegratedSegments(writer_->size()));
    return writer_->CollectGarbage();
  }

  Status DeleteIntegratedSegments(uint64_t integrated) {
    RSF_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, LedgerWalDir(dir_)));
    uint64_t current_start;
    {
      std::lock_guard<std::mutex> wal_lock(wal_mu_);
      current_start = wal_->start_index();
    }
    bool removed = false;
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      if (segments[i].start_index >= current_start) break;
      if (segments[i + 1].start_index <= integrated) {
        RSF_RETURN_IF_ERROR(env_.RemoveFile(segments[i].path));
        removed = true;
      }
    }
    if (removed) RSF_RETURN_IF_ERROR(env_.SyncDir(LedgerWalDir(dir_)));
    return OkStatus();
  }

  // Replays WAL records beyond the checkpoint into pending_ and drops torn tails.
  Status Recover() {
    RSF_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, LedgerWalDir(dir_)));
    const uint64_t published = published_.checkpoint.size;
    uint64_t expected_start = segments.empty() ? published : segments[0].start_index;
    if (expected_start > published) {
      return DataLossError(fmt::format("the WAL starts at entry {} but the checkpoint covers only {}",
                                       expected_start, published));
    }
    for (size_t i = 0; i < segments.size(); ++i) {
      const auto& seg = segments[i];
      if (seg.start_index != expected_start) {
        return DataLossError(fmt::format("{}: expected a segment starting at entry {}", seg.path,
                                         expected_start));
      }
      RSF_ASSIGN_OR_RETURN(WalScan scan, ScanWalSegment(env_, seg, published));
      if (scan.torn_tail) {
        if (i + 1 != segments.size()) {
          return DataLossError(seg.path + ": damaged record inside the WAL (not at its end)");
        }
        RSF_LOG_WARN("ledger {}: dropping {} bytes of an interrupted, unacknowledged append in {}",
                     dir_, scan.file_bytes - scan.valid_bytes, seg.path);
        RSF_RETURN_IF_ERROR(env_.TruncateFile(seg.path, scan.valid_bytes));
        RSF_ASSIGN_OR_RETURN(auto f, env_.NewAppendableFile(seg.path));
        RSF_RETURN_IF_ERROR(f->Sync());
      }
      expected_start = seg.start_index + scan.record_count;
      for (auto& r : scan.records) {
        pending_bytes_ += r.entry.size();
        pending_.push_back(std::move(r));
      }
    }
    if (expected_start < published) {
      // Segments end before the checkpoint: only possible if all were integrated already.
      if (!pending_.empty()) return DataLossError("WAL and checkpoint disagree");
      expected_start = published;
    }
    next_index_ = expected_start;
    durable_size_ = expected_start;
    return OkStatus();
  }

  void BackgroundLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!closed_) {
      background_cv_.wait_for(lock, options_.checkpoint_interval);
      if (closed_) break;
      if (pending_.empty() || !sticky_error_.ok()) continue;
      lock.unlock();
      auto r = Publish();
      if (!r.ok()) RSF_LOG_ERROR("ledger {}: background checkpoint failed: {}", dir_, r.status().ToString());
      lock.lock();
    }
  }

  Env& env_;
  const std::string dir_;
  const LedgerOptions options_;
  const NoteVerifier verifier_;
  std::optional<NoteSigner> signer_;
  std::unique_ptr<FileLock> lock_;
  TileReader reader_;

  mutable std::mutex mu_;  // guards the fields below
  std::deque<Writer*> writers_;
  std::deque<WalRecord> pending_;  // durable, not yet in a checkpoint
  size_t pending_bytes_ = 0;
  uint64_t next_index_ = 0;
  uint64_t durable_size_ = 0;
  SignedCheckpoint published_;
  Status sticky_error_;
  bool closed_ = false;
  std::condition_variable background_cv_;
  std::condition_variable commit_cv_;  // wakes the commit thread
  bool commit_stop_ = false;

  std::mutex wal_mu_;      // guards wal_; held while writing and syncing
  std::unique_ptr<WalWriter> wal_;
  std::mutex publish_mu_;  // one Publish at a time; guards writer_
  std::unique_ptr<TileWriter> writer_;
  std::thread background_;
  std::thread commit_thread_;  // leads group commits of asynchronous appends
};

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(Env& env, const std::string& dir,
                                             const LedgerOptions& options) {
  RSF_ASSIGN_OR_RETURN(NoteVerifier verifier, ReadLedgerVerifier(env, dir));
  std::unique_ptr<FileLock> lock;
  std::optional<NoteSigner> signer;
  if (!options.read_only) {
    RSF_ASSIGN_OR_RETURN(lock, env.LockFile(JoinPath(dir, "LOCK")));
    std::string key_path =
        options.signer_key_path.empty() ? LedgerDefaultKeyPath(dir) : options.signer_key_path;
    auto key = env.ReadFile(key_path);
    if (!key.ok()) return key.status().WithContext("reading the signer key");
    std::string_view text = *key;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto parsed = NoteSigner::Parse(text);
    if (!parsed.ok()) return parsed.status().WithContext(key_path);
    if (parsed->Verifier().ToString() != verifier.ToString()) {
      return PermissionDeniedError(key_path + " is not the signer key of the ledger in " + dir);
    }
    signer = std::move(*parsed);
  }
  auto ledger = std::make_unique<LedgerImpl>(env, dir, options, verifier);
  RSF_RETURN_IF_ERROR(ledger->OpenImpl(std::move(signer), std::move(lock)));
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace rsf::ledger
