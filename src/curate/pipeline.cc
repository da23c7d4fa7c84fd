// RunPipeline: reader -> workers (parse, quality, guard, PII, digests and signatures) ->
// in-order writer (exact and near dedup, outputs, counts) -> manifest. See pipeline.h.
#include "rsf/curate/pipeline.h"

#include <xxhash.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "common/yaml_reader.h"
#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "curate/output_file.h"
#include "rsf/curate/line_reader.h"
#include "rsf/curate/lsh_index.h"
#include "rsf/curate/signature_file.h"
#include "rsf/guard/guard.h"

#ifndef RSF_VERSION
#define RSF_VERSION "unknown"
#endif

namespace rsf::curate {
namespace {

constexpr size_t kListedErrors = 100;

struct Doc {
  uint32_t input = 0;
  int64_t line = 0;
  std::string raw;
  std::string error;  // set by the reader for a stream it could not finish
};

struct Outcome {
  enum Kind { kKeep, kRemove, kError } kind = kKeep;
  std::string stage, reason;
  std::string out;  // kept: the line to write (the original unless redacted)
  XXH128_hash_t hash{};
  Signature signature;
  std::vector<uint32_t> keys;  // band keys of the signature
  std::array<int64_t, kPiiKinds> pii{};
  bool redacted = false;
};

struct Batch {
  uint64_t seq = 0;
  std::vector<Doc> docs;
  std::vector<Outcome> out;
};

struct Hash128 {
  size_t operator()(const XXH128_hash_t& h) const { return static_cast<size_t>(h.low64 ^ (h.high64 * 0x9E3779B97F4A7C15ull)); }
};
struct Eq128 {
  bool operator()(const XXH128_hash_t& a, const XXH128_hash_t& b) const { return a.low64 == b.low64 && a.high64 == b.high64; }
};

class Run {
 public:
  Run(Env& env, const PipelineConfig& c, const RunOptions& o, std::unique_ptr<guard::Guard> guard)
      : env_(env),
        c_(c),
        o_(o),
        quality_(c.quality_rules),
        pii_(c.pii_actions),
        guard_(std::move(guard)),
        hasher_(c.minhash),
        index_(hasher_) {
    threads_ = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    max_in_flight_ = static_cast<uint64_t>(2 * threads_ + 2);
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      if (o.shards == 0 || static_cast<int>(i % static_cast<size_t>(o.shards)) == o.shard) mine_.push_back(i);
    }
    inputs_.resize(mine_.size());
    output_dir_ = o.shards == 0 ? c.output_dir : JoinPath(c.output_dir, ShardDirName(o.shard, o.shards));
    sigs_.exact = o.shards > 0 && c.exact_dedup;
    sigs_.near = o.shards > 0 && c.near_dedup;
    sigs_.params = c.minhash;
  }

  Result<PipelineResult> Go() {
    const auto start = std::chrono::steady_clock::now();
    RSF_RETURN_IF_ERROR(env_.CreateDirs(output_dir_));
    // A manifest from an earlier run must not outlive the outputs it described.
    const std::string manifest_path = JoinPath(output_dir_, "manifest.json");
    if (env_.FileExists(manifest_path)) {
      RSF_RETURN_IF_ERROR(env_.RemoveFile(manifest_path));
      RSF_RETURN_IF_ERROR(env_.SyncDir(output_dir_));
    }
    std::string policy_sha;
    if (!c_.policy_file.empty()) {
      RSF_ASSIGN_OR_RETURN(std::string policy, env_.ReadFile(c_.policy_file));
      policy_sha = Sha256Hex(policy);
    }
    RSF_RETURN_IF_ERROR(kept_.Open(env_, JoinPath(output_dir_, "kept.jsonl")));
    if (c_.write_removed) RSF_RETURN_IF_ERROR(removed_out_.Open(env_, JoinPath(output_dir_, "removed.jsonl")));

    std::thread reader([this] { ReadAll(); });
    std::vector<std::thread> workers;
    for (int i = 0; i < threads_; ++i) workers.emplace_back([this] { Work(); });
    Status st = WriteAll();
    {
      std::lock_guard lock(mu_);
      if (!st.ok()) failed_ = true;
      done_reading_ = true;  // workers drain; the reader sees failed_
      cv_.notify_all();
    }
    reader.join();
    {
      std::lock_guard lock(mu_);
      stop_workers_ = true;
      cv_.notify_all();
    }
    for (auto& w : workers) w.join();
    if (st.ok() && !reader_status_.ok()) st = reader_status_;
    if (!st.ok()) {
      kept_.Abandon(env_);
      if (c_.write_removed) removed_out_.Abandon(env_);
      return st;
    }
    RSF_RETURN_IF_ERROR(kept_.Finish(env_));
    if (c_.write_removed) RSF_RETURN_IF_ERROR(removed_out_.Finish(env_));
    std::string signatures_sha;
    if (sigs_.exact || sigs_.near) {
      const std::string bytes = EncodeSignatureSet(sigs_);
      signatures_sha = Sha256Hex(bytes);
      signatures_bytes_ = bytes.size();
      RSF_RETURN_IF_ERROR(env_.WriteFileAtomic(JoinPath(output_dir_, "signatures.bin"), bytes));
    }
    RSF_RETURN_IF_ERROR(env_.SyncDir(output_dir_));

    PipelineResult res;
    res.output_dir = output_dir_;
    res.manifest = Manifest(policy_sha, signatures_sha);
    const std::string bytes = res.manifest.dump(2) + "\n";
    RSF_RETURN_IF_ERROR(env_.WriteFileAtomic(manifest_path, bytes));
    res.manifest_path = manifest_path;
    res.manifest_sha256 = Sha256Hex(bytes);
    res.read = read_;
    res.kept = kept_count_;
    res.removed = removed_count_;
    res.errors = errors_;
    for (const auto& in : inputs_) {
      res.stored_bytes += in.stored;
      res.text_bytes += in.text;
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  }

 private:
  struct InputStats {
    std::string sha256;
    std::string compression = "none";
    uint64_t stored = 0, text = 0, lines = 0;
  };

  // --- reader thread
  void ReadAll() {
    Batch batch;
    auto push = [&]() -> bool {
      if (batch.docs.empty()) return true;
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return failed_ || next_seq_ - written_ < max_in_flight_; });
      if (failed_) return false;
      batch.seq = next_seq_++;
      pending_.push_back(std::move(batch));
      batch = Batch{};
      cv_.notify_all();
      return true;
    };
    for (uint32_t i = 0; i < mine_.size(); ++i) {
      auto reader = LineReader::Open(c_.inputs[mine_[i]]);
      if (!reader.ok()) {
        std::lock_guard lock(mu_);
        reader_status_ = reader.status();
        failed_ = true;
        cv_.notify_all();
        return;
      }
      std::string line;
      int64_t n = 0;
      for (;;) {
        auto more = (*reader)->Next(&line);
        if (!more.ok()) {
          batch.docs.push_back({i, n + 1, "", more.status().message()});
          break;
        }
        if (!*more) break;
        ++n;
        batch.docs.push_back({i, n, std::move(line), ""});
        line.clear();
        if (batch.docs.size() >= o_.batch_documents && !push()) return;
      }
      InputStats& s = inputs_[i];
      s.sha256 = HexEncode((*reader)->StoredDigest());
      s.compression = std::string(CompressionName((*reader)->compression()));
      s.stored = (*reader)->stored_bytes();
      s.text = (*reader)->text_bytes();
      s.lines = static_cast<uint64_t>(n);
    }
    if (!push()) return;
    std::lock_guard lock(mu_);
    done_reading_ = true;
    total_batches_ = next_seq_;
    cv_.notify_all();
  }

  // --- workers
  void Work() {
    for (;;) {
      Batch b;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !pending_.empty() || stop_workers_; });
        if (pending_.empty()) return;
        b = std::move(pending_.front());
        pending_.pop_front();
      }
      b.out.resize(b.docs.size());
      for (size_t k = 0; k < b.docs.size(); ++k) Process(b.docs[k], b.out[k]);
      std::lock_guard lock(mu_);
      done_.emplace(b.seq, std::move(b));
      cv_.notify_all();
    }
  }

  void Process(const Doc& d, Outcome& o) {
    if (!d.error.empty()) {
      o.kind = Outcome::kError;
      o.reason = d.error.find("truncated") != std::string::npos ? "truncated_input" : "corrupt_input";
      o.stage = d.error;
      return;
    }
    auto parsed = ParseJson(d.raw, "line");
    if (!parsed.ok()) {
      o.kind = Outcome::kError;
      o.reason = parsed.status().message().find("UTF-8") != std::string::npos ? "invalid_utf8" : "invalid_json";
      return;
    }
    Json& j = *parsed;
    if (!j.is_object() || !j.contains(c_.text_field) || !j[c_.text_field].is_string()) {
      o.kind = Outcome::kError;
      o.reason = "missing_text_field";
      return;
    }
    const std::string& text = j[c_.text_field].get_ref<const std::string&>();
    if (c_.quality) {
      if (auto why = quality_.Check(text)) {
        o.kind = Outcome::kRemove;
        o.stage = "quality";
        o.reason = std::move(*why);
        return;
      }
    }
    if (guard_) {
      if (auto why = GuardCheck(text)) {
        o.kind = Outcome::kRemove;
        o.stage = "guard";
        o.reason = std::move(*why);
        return;
      }
    }
    std::string_view final_text = text;
    if (c_.pii) {
      PiiResult p = pii_.Scan(text);
      o.pii = p.found;
      if (p.remove) {
        o.kind = Outcome::kRemove;
        o.stage = "pii";
        for (size_t k = 0; k < kPiiKinds; ++k) {
          if (p.found[k] > 0 && c_.pii_actions[k] == PiiAction::kRemove) {
            o.reason = "pii." + std::string(PiiKindName(static_cast<PiiKind>(k)));
            break;
          }
        }
        return;
      }
      if (p.redacted) {
        o.redacted = true;
        j[c_.text_field] = std::move(p.text);
        o.out = j.dump();
        final_text = j[c_.text_field].get_ref<const std::string&>();
      }
    }
    o.hash = XXH3_128bits(final_text.data(), final_text.size());
    if (c_.near_dedup) {
      hasher_.Compute(final_text, o.signature);
      index_.Keys(o.signature, o.keys);
    }
  }

  // The guard over windows of its max_bytes that overlap by a quarter (so that a phrase of up
  // to a quarter window lies whole in one of them), cut after a space where there is one in
  // the last eighth, else on a UTF-8 boundary. The first window whose verdict reaches
  // remove_at decides; the reason is "guard.<category>" of its most severe hit.
  std::optional<std::string> GuardCheck(std::string_view text) const {
    const size_t window = std::max<size_t>(guard_->config().max_bytes, 64);
    auto boundary = [&](size_t at, size_t lo) {
      if (at >= text.size()) return text.size();
      const size_t space = text.rfind(' ', at);
      if (space != std::string_view::npos && space >= lo && space + 1 > at - window / 8) return space + 1;
      while (at > lo + 1 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
      return at;
    };
    for (size_t at = 0;;) {
      const size_t end = boundary(at + window, at + 1);
      const guard::Verdict v = guard_->Classify(text.substr(at, end - at));
      if (v.action >= c_.guard_remove_at) {
        return "guard." + (v.hits.empty() ? std::string("unsafe") : v.hits.front().category);
      }
      if (end >= text.size()) return std::nullopt;
      at = std::max(at + 1, boundary(end - window / 4, at + 1));
    }
  }

  // --- the calling thread: in input order
  Status WriteAll() {
    for (uint64_t seq = 0;; ++seq) {
      Batch b;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_.contains(seq) || failed_ || (done_reading_ && seq >= total_batches_); });
        if (failed_ && !done_.contains(seq)) return reader_status_.ok() ? OkStatus() : reader_status_;
        if (!done_.contains(seq)) return OkStatus();  // all read and written
        b = std::move(done_.at(seq));
        done_.erase(seq);
      }
      for (size_t k = 0; k < b.docs.size(); ++k) RSF_RETURN_IF_ERROR(Commit(b.docs[k], b.out[k]));
      {
        std::lock_guard lock(mu_);
        written_ = seq + 1;
        cv_.notify_all();
      }
      if (o_.progress) {
        uint64_t bytes = 0;
        for (const auto& d : b.docs) bytes += d.raw.size() + 1;
        progress_bytes_ += bytes;
        o_.progress(read_, progress_bytes_);
      }
    }
  }

  Status Commit(const Doc& d, Outcome& o) {
    const std::string& file = c_.input_names[mine_[d.input]];
    if (o.kind == Outcome::kError) {
      ++errors_;
      ++error_reasons_[o.reason];
      if (error_list_.size() < kListedErrors) {
        Json e = {{"file", file}, {"line", d.line}, {"reason", o.reason}};
        if (!o.stage.empty()) e["detail"] = o.stage;
        error_list_.push_back(std::move(e));
      }
      if (c_.stop_on_error) {
        return InvalidArgumentError(fmt::format("{}:{}: {} (on_error: stop)", file, d.line,
                                                o.stage.empty() ? o.reason : o.stage));
      }
      return OkStatus();
    }
    ++read_;
    for (size_t k = 0; k < kPiiKinds; ++k) pii_found_[k] += o.pii[k];
    std::string duplicate_of;  // for the removed record: where the kept original came from
    if (o.kind == Outcome::kKeep && c_.exact_dedup) {
      if (auto it = seen_.find(o.hash); it != seen_.end()) {
        o.kind = Outcome::kRemove;
        o.stage = "exact_dedup";
        o.reason = "duplicate";
        duplicate_of = Location(it->second);
      }
    }
    if (o.kind == Outcome::kKeep && c_.near_dedup) {
      if (auto m = index_.Find(o.signature, o.keys)) {
        o.kind = Outcome::kRemove;
        o.stage = "near_dedup";
        o.reason = "near_duplicate";
        duplicate_of = fmt::format("{},\"similarity\":{:.4f}", Location(index_doc_kept_[m->doc]), m->similarity);
      }
    }
    if (o.kind == Outcome::kRemove) {
      ++removed_count_;
      ++removed_[o.stage][o.reason];
      if (c_.write_removed) {
        RSF_RETURN_IF_ERROR(removed_out_.Line(fmt::format(
            R"({{"file":{},"line":{},"stage":"{}","reason":"{}",{}"document":{}}})", Json(file).dump(), d.line, o.stage,
            o.reason, duplicate_of.empty() ? "" : "\"duplicate_of\":" + duplicate_of + ",", d.raw)));
      }
      return OkStatus();
    }
    if (c_.exact_dedup || c_.near_dedup) kept_from_.emplace_back(d.input, d.line);
    if (c_.exact_dedup) seen_.emplace(o.hash, static_cast<uint32_t>(kept_count_));
    if (c_.near_dedup) {
      index_.Add(o.signature, o.keys);
      index_doc_kept_.push_back(static_cast<uint32_t>(kept_count_));
    }
    if (sigs_.exact) sigs_.digests.push_back({o.hash.high64, o.hash.low64});
    if (sigs_.near) {
      sigs_.signatures.insert(sigs_.signatures.end(), o.signature.begin(), o.signature.end());
      sigs_.keys.insert(sigs_.keys.end(), o.keys.begin(), o.keys.end());
    }
    if (sigs_.exact || sigs_.near) ++sigs_.documents;
    ++kept_count_;
    if (o.redacted) ++redacted_documents_;
    return kept_.Line(o.redacted ? std::string_view(o.out) : std::string_view(d.raw));
  }

  // {"file":..,"line":..} of the kept document with this index.
  std::string Location(uint32_t kept) const {
    const auto& [input, line] = kept_from_[kept];
    return fmt::format(R"({{"file":{},"line":{}}})", Json(c_.input_names[mine_[input]]).dump(), line);
  }

  Json Manifest(const std::string& policy_sha, const std::string& signatures_sha) const {
    Json inputs = Json::array();
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const InputStats& s = inputs_[i];
      inputs.push_back({{"path", c_.input_names[mine_[i]]}, {"sha256", s.sha256}, {"compression", s.compression},
                        {"stored_bytes", s.stored}, {"text_bytes", s.text}, {"lines", s.lines}});
    }
    Json outputs = {{"kept", kept_.Describe("kept.jsonl")}};
    if (c_.write_removed) outputs["removed"] = removed_out_.Describe("removed.jsonl");
    if (!signatures_sha.empty()) {
      outputs["signatures"] = {{"path", "signatures.bin"}, {"sha256", signatures_sha}, {"documents", sigs_.documents},
                               {"bytes", signatures_bytes_}};
    }
    Json stages = Json::object();
    auto stage = [&](const std::string& name) {
      Json reasons = Json::object();
      uint64_t total = 0;
      if (auto it = removed_.find(name); it != removed_.end()) {
        for (const auto& [r, n] : it->second) {
          reasons[r] = n;
          total += n;
        }
      }
      return Json{{"removed", total}, {"reasons", reasons}};
    };
    if (c_.quality) stages["quality"] = stage("quality");
    if (c_.pii) {
      Json pii = stage("pii");
      Json found = Json::object(), actions = Json::object();
      for (size_t k = 0; k < kPiiKinds; ++k) {
        const std::string kind(PiiKindName(static_cast<PiiKind>(k)));
        found[kind] = pii_found_[k];
        actions[kind] = std::string(PiiActionName(c_.pii_actions[k]));
      }
      pii["found"] = found;
      pii["actions"] = actions;
      pii["redacted_documents"] = redacted_documents_;
      stages["pii"] = pii;
    }
    if (guard_) {
      Json g = stage("guard");
      g["config"] = guard_->config().source;
      g["model"] = guard_->model_digest();
      g["remove_at"] = std::string(guard::ActionName(c_.guard_remove_at));
      stages["guard"] = g;
    }
    if (c_.exact_dedup) stages["exact_dedup"] = stage("exact_dedup");
    if (c_.near_dedup) {
      Json n = stage("near_dedup");
      n["params"] = MinHashParamsToJson(c_.minhash);
      n["candidates_checked"] = index_.candidates_checked();
      stages["near_dedup"] = n;
    }
    Json errors = {{"count", errors_}, {"by_reason", error_reasons_}, {"first", error_list_}};
    Json m = {{"format", "rsf-curate-manifest/1"},
              {"rsf_version", RSF_VERSION},
              {"config", {{"path", c_.source}, {"sha256", c_.sha256}}},
              {"text_field", c_.text_field},
              {"inputs", inputs},
              {"outputs", outputs},
              {"counts", {{"documents", read_}, {"kept", kept_count_}, {"removed", removed_count_}, {"errors", errors_}}},
              {"stages", stages},
              {"errors", errors}};
    if (!policy_sha.empty()) m["policy"] = {{"path", c_.policy_file}, {"sha256", policy_sha}};
    if (o_.shards > 0) m["shard"] = {{"index", o_.shard}, {"count", o_.shards}};
    return m;
  }

  Env& env_;
  const PipelineConfig& c_;
  RunOptions o_;
  QualityFilter quality_;
  PiiScanner pii_;
  std::unique_ptr<guard::Guard> guard_;
  MinHasher hasher_;
  int threads_ = 1;
  std::vector<size_t> mine_;  // the configuration's inputs this run reads
  std::string output_dir_;
  uint64_t max_in_flight_ = 4;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> pending_;
  std::map<uint64_t, Batch> done_;
  uint64_t next_seq_ = 0, written_ = 0, total_batches_ = 0;
  bool done_reading_ = false, failed_ = false, stop_workers_ = false;
  Status reader_status_;

  // Writer state (the calling thread only).
  std::vector<InputStats> inputs_;  // filled by the reader before it finishes
  internal::OutputFile kept_, removed_out_;
  std::unordered_map<XXH128_hash_t, uint32_t, Hash128, Eq128> seen_;  // digest -> kept index
  LshIndex index_;
  std::vector<uint32_t> index_doc_kept_;                 // index document -> kept index
  std::vector<std::pair<uint32_t, int64_t>> kept_from_;  // kept index -> (input, line)
  SignatureSet sigs_;
  size_t signatures_bytes_ = 0;
  uint64_t read_ = 0, kept_count_ = 0, removed_count_ = 0, errors_ = 0, redacted_documents_ = 0, progress_bytes_ = 0;
  std::map<std::string, std::map<std::string, uint64_t>> removed_;
  std::map<std::string, uint64_t> error_reasons_;
  Json error_list_ = Json::array();
  std::array<uint64_t, kPiiKinds> pii_found_{};
};

}  // namespace

Result<PipelineResult> RunPipeline(Env& env, const PipelineConfig& config, const RunOptions& options) {
  if (config.inputs.empty()) return InvalidArgumentError(config.source + ": no inputs");
  if (options.shards < 0 || (options.shards > 0 && (options.shard < 0 || options.shard >= options.shards))) {
    return InvalidArgumentError(fmt::format("shard {}/{}: the index must be in 0..count-1", options.shard, options.shards));
  }
  if (config.near_dedup) {
    if (Status st = ValidateMinHashParams(config.minhash); !st.ok()) {
      return InvalidArgumentError(config.source + ": near_dedup: " + st.message());
    }
  }
  std::unique_ptr<guard::Guard> guard;
  if (config.guard) {
    RSF_ASSIGN_OR_RETURN(guard::GuardConfig gc, LoadCurationGuardConfig(env, config));
    auto g = guard::Guard::Load(std::move(gc));
    if (!g.ok()) return Status(g.status().code(), config.source + ": guard: " + g.status().message());
    guard = std::move(*g);
  }
  Run run(env, config, options, std::move(guard));
  return run.Go();
}

std::string ShardDirName(int shard, int shards) { return fmt::format("shard-{}-of-{}", shard, shards); }

Result<guard::GuardConfig> LoadCurationGuardConfig(Env& env, const PipelineConfig& c) {
  const std::string& path = !c.guard_config.empty() ? c.guard_config : c.policy_file;
  if (path.empty()) return guard::DefaultGuardConfig();
  RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(path));
  if (c.guard_config.empty()) {
    // A policy: its guard: section if it has one, else the defaults.
    auto root = rsf::internal::LoadYaml(text, path);
    if (!root.ok()) return root.status();
    if (!root->IsMap() || !(*root)["guard"]) {
      guard::GuardConfig d = guard::DefaultGuardConfig();
      d.source = "defaults (" + path + " has no guard section)";
      return d;
    }
  }
  return guard::ParseGuardConfig(text, path);
}

ledger::Entry ManifestEntry(const PipelineResult& r, const Clock& clock) {
  const Json& m = r.manifest;
  ledger::Entry e;
  e.type = "curate.manifest";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "dataset:sha256:" + m["outputs"]["kept"]["sha256"].get<std::string>();
  Json inputs = Json::array();
  for (const auto& in : m["inputs"]) inputs.push_back({{"path", in["path"]}, {"sha256", in["sha256"]}});
  e.body = Json{{"manifest_sha256", r.manifest_sha256}, {"config", m["config"]}, {"inputs", inputs},
                {"outputs", m["outputs"]}, {"counts", m["counts"]}};
  if (m.contains("policy")) (*e.body)["policy"] = m["policy"];
  return e;
}

}  // namespace rsf::curate
