// include/rsf/curate/pipeline.h
//
// `rsf curate run`: a streaming pipeline over JSON Lines corpora (plain, gzip or zstd) that
// removes or redacts documents and accounts for every one of them.
//
//   read (LineReader) -> parse (strict JSON, UTF-8, the text field) -> quality -> guard ->
//   PII -> exact dedup -> near dedup (MinHash-LSH) -> kept.jsonl / removed.jsonl, then
//   manifest.json
//
// Parsing, quality, the guard, PII and MinHash signatures run on `threads` workers over
// batches; deduplication and writing
// run in input order on one thread, so outputs and the manifest are byte-identical whatever
// the thread count, and the first of identical documents is the one kept. At most
// 2 x threads + 2 batches are in flight. What grows with the corpus is the deduplication
// state, per kept document: about 50 bytes for exact dedup (a 128-bit digest in a hash set)
// plus 16 for where it came from, and about 640 for near dedup with the default parameters
// (lsh_index.h). Sharding divides it: with RunOptions::shards = N a run reads the inputs i,
// i + N, i + 2N, ... only, writes into <output>/shard-<i>-of-<N>/ and adds signatures.bin, the
// kept documents' digests and MinHash signatures, which MergeShards (merge.h) streams to
// remove duplicates across shards.
//
// Nothing is lost or half-written: outputs go to temporary files that are synced and renamed
// only when the run completes, and the manifest (docs/formats/curate.md) is written last,
// atomically, with the digests of exactly those outputs. With on_error: stop the first bad
// line ends the run with an error naming file and line and no outputs; with skip (default)
// bad lines are counted by reason, and the first 100 listed with file and line.
//
// Thread safety: RunPipeline may run concurrently with itself on different outputs.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/guard/config.h"
#include "rsf/curate/minhash.h"
#include "rsf/curate/pii.h"
#include "rsf/curate/quality.h"
#include "rsf/ledger/entry.h"

namespace rsf::curate {

struct PipelineConfig {
  std::string source;              // the YAML file, for messages
  std::string sha256;              // of its bytes
  std::vector<std::string> inputs;  // resolved paths
  std::vector<std::string> input_names;  // as written in the configuration
  std::string text_field = "text";
  std::string output_dir;
  bool write_removed = true;
  bool stop_on_error = false;
  std::string policy_file;         // the policy that requires the curation ("" = none)
  bool quality = true;
  QualityRules quality_rules;
  bool pii = true;
  std::array<PiiAction, kPiiKinds> pii_actions = {PiiAction::kRedact, PiiAction::kRedact, PiiAction::kRedact,
                                                   PiiAction::kRedact, PiiAction::kRedact};
  bool exact_dedup = true;
  bool near_dedup = true;
  MinHashParams minhash;
  // The guard: its configuration comes from guard_config (a file holding a guard
  // configuration or a policy with a `guard:` section), else the policy's `guard:` section,
  // else the defaults. Documents are classified in windows of the guard's max_bytes; one whose
  // verdict reaches remove_at is removed, its reason the category tripped.
  bool guard = true;
  std::string guard_config;
  guard::Action guard_remove_at = guard::Action::kBlock;
};

// kInvalidArgument "file:line:col: what was expected". Relative paths resolve against
// `base_dir`.
Result<PipelineConfig> ParsePipelineConfig(std::string_view yaml, std::string_view source, std::string_view base_dir);
Result<PipelineConfig> LoadPipelineConfig(Env& env, const std::string& path);

struct RunOptions {
  int threads = 0;  // 0: one per hardware thread
  size_t batch_documents = 512;
  int shard = 0, shards = 0;  // shards > 0: run shard `shard` (0-based) of `shards`
  // Called from the writing thread now and then: documents done, stored bytes read.
  std::function<void(uint64_t documents, uint64_t bytes)> progress;
};

struct PipelineResult {
  Json manifest;               // as written
  std::string manifest_path;
  std::string manifest_sha256;
  std::string output_dir;      // where the outputs went (a shard's own directory when sharded)
  uint64_t read = 0, kept = 0, removed = 0, errors = 0;
  uint64_t stored_bytes = 0;   // input bytes as stored
  uint64_t text_bytes = 0;     // input bytes after decompression
  double seconds = 0;
};

Result<PipelineResult> RunPipeline(Env& env, const PipelineConfig& config, const RunOptions& options);

// "shard-<i>-of-<n>": a shard's directory under the configuration's output.
std::string ShardDirName(int shard, int shards);

// The guard configuration the pipeline uses (see PipelineConfig::guard); its source says
// where it came from.
Result<guard::GuardConfig> LoadCurationGuardConfig(Env& env, const PipelineConfig& config);

// The ledger entry recording a run: type "curate.manifest", subject
// "dataset:sha256:<digest of kept.jsonl>", body: the manifest's SHA-256 and its
// configuration, policy, input and output digests and counts (the manifest itself stays
// with the outputs; anyone holding it checks it against this entry).
ledger::Entry ManifestEntry(const PipelineResult& result, const Clock& clock);

}  // namespace rsf::curate
