// include/rsf/curate/pipeline.h
//
// `rsf curate run`: a streaming pipeline over JSON Lines corpora (plain, gzip or zstd) that
// removes or redacts documents and accounts for every one of them.
//
//   read (LineReader) -> parse (strict JSON, UTF-8, the text field) -> quality -> PII ->
//   exact dedup -> kept.jsonl / removed.jsonl, then manifest.json
//
// Parsing, quality and PII run on `threads` workers over batches; deduplication and writing
// run in input order on one thread, so outputs and the manifest are byte-identical whatever
// the thread count, and the first of identical documents is the one kept. At most
// 2 x threads + 2 batches are in flight (bounded memory; the exact-dedup set holds one
// 128-bit digest per distinct kept document, about 50 bytes with the hash set's overhead:
// 5 GB at 100 million documents, which is what sharding, in the next part, divides).
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
};

// kInvalidArgument "file:line:col: what was expected". Relative paths resolve against
// `base_dir`.
Result<PipelineConfig> ParsePipelineConfig(std::string_view yaml, std::string_view source, std::string_view base_dir);
Result<PipelineConfig> LoadPipelineConfig(Env& env, const std::string& path);

struct RunOptions {
  int threads = 0;  // 0: one per hardware thread
  size_t batch_documents = 512;
  // Called from the writing thread now and then: documents done, stored bytes read.
  std::function<void(uint64_t documents, uint64_t bytes)> progress;
};

struct PipelineResult {
  Json manifest;               // as written
  std::string manifest_path;
  std::string manifest_sha256;
  uint64_t read = 0, kept = 0, removed = 0, errors = 0;
  uint64_t stored_bytes = 0;   // input bytes as stored
  uint64_t text_bytes = 0;     // input bytes after decompression
  double seconds = 0;
};

Result<PipelineResult> RunPipeline(Env& env, const PipelineConfig& config, const RunOptions& options);

// The ledger entry recording a run: type "curate.manifest", subject
// "dataset:sha256:<digest of kept.jsonl>", body: the manifest's SHA-256 and its
// configuration, policy, input and output digests and counts (the manifest itself stays
// with the outputs; anyone holding it checks it against this entry).
ledger::Entry ManifestEntry(const PipelineResult& result, const Clock& clock);

}  // namespace rsf::curate
