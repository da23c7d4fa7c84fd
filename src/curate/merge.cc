// The cross-shard deduplication step. See merge.h.
#include "rsf/curate/merge.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <queue>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "curate/output_file.h"
#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/curate/line_reader.h"
#include "rsf/curate/signature_file.h"

#ifndef RSF_VERSION
#define RSF_VERSION "unknown"
#endif

namespace rsf::curate {
namespace {

struct Shard {
  std::string dir;
  Json manifest;
  std::string manifest_sha256;
  std::unique_ptr<SignatureFile> sigs;
  uint64_t documents = 0;  // kept by the shard
  uint64_t offset = 0;     // global number of its first document
};

struct Edge {
  uint64_t d = 0, c = 0;  // global numbers: d duplicates the earlier c
  float similarity = 1;
  uint8_t near = 0;       // 0 exact, 1 near
};

struct Removal {
  uint32_t doc = 0;
  int dup_shard = 0;
  uint32_t dup_doc = 0;
  float similarity = 1;
  bool near = false;
};

// Walks the N sorted sequences in step and calls on_group(members) for each key held by
// documents of two shards or more; members are (shard, doc) in shard order.
template <typename Key, typename KeyAt, typename DocAt, typename OnGroup>
void MergeSorted(const std::vector<uint64_t>& counts, KeyAt key_at, DocAt doc_at, OnGroup on_group) {
  using Head = std::pair<Key, int>;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  std::vector<uint64_t> pos(counts.size(), 0);
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] > 0) heap.emplace(key_at(static_cast<int>(s), 0), static_cast<int>(s));
  }
  std::vector<std::pair<int, uint32_t>> members;
  while (!heap.empty()) {
    const Key key = heap.top().first;
    members.clear();
    int shards = 0;
    while (!heap.empty() && heap.top().first == key) {
      const int s = heap.top().second;
      heap.pop();
      ++shards;
      uint64_t& p = pos[static_cast<size_t>(s)];
      while (p < counts[static_cast<size_t>(s)] && key_at(s, p) == key) members.emplace_back(s, doc_at(s, p++));
      if (p < counts[static_cast<size_t>(s)]) heap.emplace(key_at(s, p), s);
    }
    if (shards > 1) {
      std::sort(members.begin(), members.end());
      on_group(members);
    }
  }
}

class Merger {
 public:
  Merger(Env& env, const PipelineConfig& c, const MergeOptions& o) : env_(env), c_(c), o_(o) {}

  Result<MergeResult> Go() {
    const auto start = std::chrono::steady_clock::now();
    const std::string out_dir = JoinPath(c_.output_dir, "merged");
    RSF_RETURN_IF_ERROR(env_.CreateDirs(out_dir));
    const std::string manifest_path = JoinPath(out_dir, "manifest.json");
    if (env_.FileExists(manifest_path)) {
      RSF_RETURN_IF_ERROR(env_.RemoveFile(manifest_path));
      RSF_RETURN_IF_ERROR(env_.SyncDir(out_dir));
    }
    RSF_RETURN_IF_ERROR(LoadShards());
    if (c_.exact_dedup) PairExact();
    if (c_.near_dedup) PairNear();
    std::vector<std::vector<Removal>> removals = Decide();

    MergeResult res;
    Json shards = Json::array();
    Sha256 dataset;
    for (size_t s = 0; s < shards_.size(); ++s) {
      if (o_.progress) o_.progress(fmt::format("apply {}/{}", s + 1, shards_.size()));
      auto applied = Apply(static_cast<int>(s), out_dir, removals[s], dataset, res);
      if (!applied.ok()) return applied.status();
      shards.push_back(std::move(*applied));
    }
    RSF_RETURN_IF_ERROR(env_.SyncDir(out_dir));
    res.dataset_sha256 = HexEncode(dataset.Final());
    res.candidates_checked = checked_;
    Json m = {{"format", "rsf-curate-merge/1"},
              {"rsf_version", RSF_VERSION},
              {"config", {{"path", c_.source}, {"sha256", c_.sha256}}},
              {"shards", shards},
              {"counts",
               {{"documents", res.documents},
                {"kept", res.kept},
                {"removed", {{"exact_dedup", res.removed_exact}, {"near_dedup", res.removed_near}}},
                {"candidates_checked", checked_}}},
              {"dataset", {{"sha256", res.dataset_sha256}, {"documents", res.kept}}}};
    if (c_.near_dedup) m["near_dedup"] = MinHashParamsToJson(c_.minhash);
    if (shards_[0].manifest.contains("policy")) m["policy"] = shards_[0].manifest["policy"];
    const std::string bytes = m.dump(2) + "\n";
    RSF_RETURN_IF_ERROR(env_.WriteFileAtomic(manifest_path, bytes));
    res.manifest = std::move(m);
    res.manifest_path = manifest_path;
    res.manifest_sha256 = Sha256Hex(bytes);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  }

 private:
  Status LoadShards() {
    const int n = o_.shards;
    uint64_t offset = 0;
    for (int i = 0; i < n; ++i) {
      Shard sh;
      sh.dir = JoinPath(c_.output_dir, ShardDirName(i, n));
      const std::string mpath = JoinPath(sh.dir, "manifest.json");
      if (!env_.FileExists(mpath)) {
        return FailedPreconditionError(
            fmt::format("shard {}/{}: {} does not exist (has `rsf curate run --shard {}/{}` finished?)", i, n, mpath, i, n));
      }
      RSF_ASSIGN_OR_RETURN(std::string text, env_.ReadFile(mpath));
      auto parsed = ParseJson(text, mpath);
      if (!parsed.ok()) return DataLossError(parsed.status().message());
      sh.manifest = std::move(*parsed);
      sh.manifest_sha256 = Sha256Hex(text);
      const Json& m = sh.manifest;
      const bool shaped = m.is_object() && StringOr(m, "format") == "rsf-curate-manifest/1" && m.contains("shard") &&
                          m["shard"].is_object() && m.contains("config") && m["config"].is_object() &&
                          m.contains("outputs") && m["outputs"].contains("kept");
      if (!shaped) return DataLossError(fmt::format("{}: not a shard manifest (no format, shard or outputs)", mpath));
      if (IntOr(m["shard"], "index", -1) != i || IntOr(m["shard"], "count", -1) != n) {
        return FailedPreconditionError(fmt::format("{}: made as shard {}/{}, expected {}/{}", mpath,
                                                   IntOr(m["shard"], "index", -1), IntOr(m["shard"], "count", -1), i, n));
      }
      if (StringOr(m["config"], "sha256") != c_.sha256) {
        return FailedPreconditionError(fmt::format(
            "{}: made by a different configuration (sha256 {}, this one is {}); rerun the shard", mpath,
            StringOr(m["config"], "sha256"), c_.sha256));
      }
      sh.documents = UintOr(m["outputs"]["kept"], "documents");
      if (c_.exact_dedup || c_.near_dedup) {
        const std::string spath = JoinPath(sh.dir, "signatures.bin");
        if (!m["outputs"].contains("signatures")) return DataLossError(mpath + ": names no signatures.bin");
        RSF_ASSIGN_OR_RETURN(sh.sigs, SignatureFile::Open(spath));
        if (Sha256Hex(sh.sigs->bytes()) != StringOr(m["outputs"]["signatures"], "sha256")) {
          return DataLossError(fmt::format("{}: its SHA-256 is not the one {} names", spath, mpath));
        }
        if (sh.sigs->documents() != sh.documents) {
          return DataLossError(fmt::format("{}: {} documents, the manifest says kept.jsonl has {}", spath,
                                           sh.sigs->documents(), sh.documents));
        }
      }
      sh.offset = offset;
      offset += sh.documents;
      shards_.push_back(std::move(sh));
    }
    total_ = offset;
    return OkStatus();
  }

  std::vector<uint64_t> Counts() const {
    std::vector<uint64_t> counts;
    for (const Shard& s : shards_) counts.push_back(s.documents);
    return counts;
  }

  void PairExact() {
    if (o_.progress) o_.progress("exact");
    MergeSorted<ExactDigest>(
        Counts(), [&](int s, uint64_t i) { return shards_[s].sigs->digest_entry(i).digest; },
        [&](int s, uint64_t i) { return shards_[s].sigs->digest_entry(i).doc; },
        [&](const std::vector<std::pair<int, uint32_t>>& members) {
          for (const auto& [sd, dd] : members) {
            for (const auto& [sc, dc] : members) {
              if (sc >= sd) break;
              edges_.push_back({Global(sd, dd), Global(sc, dc), 1.0f, 0});
            }
          }
        });
  }

  void PairNear() {
    const int bands = c_.minhash.bands;
    const double threshold = c_.minhash.threshold;
    for (int b = 0; b < bands; ++b) {
      if (o_.progress) o_.progress(fmt::format("band {}/{}", b + 1, bands));
      MergeSorted<uint32_t>(
          Counts(), [&](int s, uint64_t i) { return shards_[s].sigs->key_entry(b, i).key; },
          [&](int s, uint64_t i) { return shards_[s].sigs->key_entry(b, i).doc; },
          [&](const std::vector<std::pair<int, uint32_t>>& members) {
            for (const auto& [sd, dd] : members) {
              for (const auto& [sc, dc] : members) {
                if (sc >= sd) break;
                ++checked_;
                const double j = EstimateJaccard(shards_[sd].sigs->signature(dd), shards_[sc].sigs->signature(dc));
                if (j >= threshold) edges_.push_back({Global(sd, dd), Global(sc, dc), static_cast<float>(j), 1});
              }
            }
          });
      Compact();
    }
  }

  // True pairs verify in most bands: keep one edge per pair and kind.
  void Compact() {
    auto key = [](const Edge& e) { return std::tie(e.d, e.near, e.c); };
    std::sort(edges_.begin(), edges_.end(), [&](const Edge& a, const Edge& b) { return key(a) < key(b); });
    edges_.erase(std::unique(edges_.begin(), edges_.end(), [&](const Edge& a, const Edge& b) { return key(a) == key(b); }),
                 edges_.end());
  }

  uint64_t Global(int shard, uint32_t doc) const { return shards_[static_cast<size_t>(shard)].offset + doc; }

  std::pair<int, uint32_t> Local(uint64_t global) const {
    size_t s = 0;
    while (global >= shards_[s].offset + shards_[s].documents) ++s;
    return {static_cast<int>(s), static_cast<uint32_t>(global - shards_[s].offset)};
  }

  // In global order, a document goes when it duplicates an earlier one that stays; exact
  // pairs are preferred to near ones, then the earliest original.
  std::vector<std::vector<Removal>> Decide() {
    Compact();
    std::vector<uint64_t> removed;  // sorted, as decided in order
    std::vector<std::vector<Removal>> out(shards_.size());
    for (size_t i = 0; i < edges_.size();) {
      const uint64_t d = edges_[i].d;
      const Edge* chosen = nullptr;
      for (; i < edges_.size() && edges_[i].d == d; ++i) {
        if (chosen == nullptr && !std::binary_search(removed.begin(), removed.end(), edges_[i].c)) chosen = &edges_[i];
      }
      if (chosen == nullptr) continue;
      removed.push_back(d);
      const auto [sd, dd] = Local(d);
      const auto [sc, dc] = Local(chosen->c);
      out[static_cast<size_t>(sd)].push_back({dd, sc, dc, chosen->similarity, chosen->near != 0});
    }
    return out;
  }

  Result<Json> Apply(int s, const std::string& out_dir, const std::vector<Removal>& removals, Sha256& dataset,
                     MergeResult& res) {
    const Shard& sh = shards_[static_cast<size_t>(s)];
    const std::string suffix = fmt::format("{}-of-{}.jsonl", s, o_.shards);
    internal::OutputFile kept, removed, list;
    RSF_RETURN_IF_ERROR(kept.Open(env_, JoinPath(out_dir, "kept-" + suffix)));
    RSF_RETURN_IF_ERROR(removed.Open(env_, JoinPath(out_dir, "removed-" + suffix)));
    RSF_RETURN_IF_ERROR(list.Open(env_, JoinPath(out_dir, "removals-" + suffix)));
    auto fail = [&](Status st) {
      kept.Abandon(env_);
      removed.Abandon(env_);
      list.Abandon(env_);
      return st;
    };
    for (const Removal& r : removals) {
      Status st = list.Line(Record(r, ""));
      if (!st.ok()) return fail(st);
    }
    const std::string kept_path = JoinPath(sh.dir, "kept.jsonl");
    auto reader = LineReader::Open(kept_path);
    if (!reader.ok()) return fail(reader.status());
    std::string line;
    uint32_t doc = 0;
    size_t next = 0;
    uint64_t exact = 0, near = 0;
    for (;; ++doc) {
      auto more = (*reader)->Next(&line);
      if (!more.ok()) return fail(more.status());
      if (!*more) break;
      Status st;
      if (next < removals.size() && removals[next].doc == doc) {
        (removals[next].near ? near : exact)++;
        st = removed.Line(Record(removals[next++], line));
      } else {
        dataset.Update(line);
        dataset.Update("\n");
        st = kept.Line(line);
      }
      if (!st.ok()) return fail(st);
      line.clear();
    }
    const std::string digest = HexEncode((*reader)->StoredDigest());
    if (digest != StringOr(sh.manifest["outputs"]["kept"], "sha256") || doc != sh.documents) {
      return fail(DataLossError(fmt::format("{}: its SHA-256 or line count is not what {} says", kept_path,
                                            JoinPath(sh.dir, "manifest.json"))));
    }
    for (auto* f : {&kept, &removed, &list}) {
      if (Status st = f->Finish(env_); !st.ok()) return fail(st);
    }
    res.documents += sh.documents;
    res.kept += kept.lines();
    res.removed_exact += exact;
    res.removed_near += near;
    return Json{{"index", s},
                {"manifest_sha256", sh.manifest_sha256},
                {"documents", sh.documents},
                {"removed", {{"exact_dedup", exact}, {"near_dedup", near}}},
                {"outputs",
                 {{"kept", kept.Describe("kept-" + suffix)},
                  {"removed", removed.Describe("removed-" + suffix)},
                  {"removals", list.Describe("removals-" + suffix)}}}};
  }

  // A removal list line, or with `document` a removed-file line.
  static std::string Record(const Removal& r, std::string_view document) {
    std::string out = fmt::format(R"({{"kept_line":{},"stage":"{}","reason":"{}","duplicate_of":{{"shard":{},"kept_line":{}}})",
                                  r.doc + 1, r.near ? "near_dedup" : "exact_dedup", r.near ? "near_duplicate" : "duplicate",
                                  r.dup_shard, r.dup_doc + 1);
    if (r.near) out += fmt::format(R"(,"similarity":{:.4f})", r.similarity);
    if (!document.empty()) out += fmt::format(R"(,"document":{})", document);
    out += "}";
    return out;
  }

  Env& env_;
  const PipelineConfig& c_;
  const MergeOptions& o_;
  std::vector<Shard> shards_;
  uint64_t total_ = 0;
  std::vector<Edge> edges_;
  uint64_t checked_ = 0;
};

}  // namespace

Result<MergeResult> MergeShards(Env& env, const PipelineConfig& config, const MergeOptions& options) {
  if (options.shards < 1) return InvalidArgumentError(fmt::format("shards: {} is not a positive count", options.shards));
  Merger m(env, config, options);
  return m.Go();
}

ledger::Entry MergeEntry(const MergeResult& r, const Clock& clock) {
  const Json& m = r.manifest;
  ledger::Entry e;
  e.type = "curate.manifest";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "dataset:sha256:" + r.dataset_sha256;
  Json shards = Json::array();
  for (const auto& s : m["shards"]) {
    shards.push_back({{"index", s["index"]}, {"manifest_sha256", s["manifest_sha256"]}, {"kept", s["outputs"]["kept"]}});
  }
  e.body = Json{{"manifest_sha256", r.manifest_sha256}, {"merged", true}, {"config", m["config"]},
                {"shards", shards}, {"counts", m["counts"]}, {"dataset", m["dataset"]}};
  if (m.contains("policy")) (*e.body)["policy"] = m["policy"];
  return e;
}

}  // namespace rsf::curate
