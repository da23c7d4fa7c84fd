// include/rsf/curate/merge.h
//
// The cross-shard step of a sharded curation run (`rsf curate merge`). After every shard
// ran (`rsf curate run --shard i/N`, each into <output>/shard-<i>-of-<N>/ with its
// signatures.bin), MergeShards:
//   1. checks that the N shard manifests exist, were made by this configuration and that
//      each signatures.bin is the one its manifest names;
//   2. buckets: walks every shard's sorted exact digests and, band by band, its sorted band
//      keys in step (a k-way merge: memory does not grow with the corpus), pairing documents
//      of different shards that share a digest or a band key and verifying near pairs on
//      their signatures (estimated Jaccard >= threshold);
//   3. decides in global order (shard 0's kept documents first, then shard 1's, ...): a
//      document is removed when it duplicates an earlier document of another shard that is
//      itself not removed; and writes the removal list of each shard
//      (<output>/merged/removals-<i>-of-<N>.jsonl);
//   4. applies the lists: <output>/merged/kept-<i>-of-<N>.jsonl (each shard's kept.jsonl less
//      its removals, checked against the digest in its manifest as it is read) and
//      removed-<i>-of-<N>.jsonl, then writes <output>/merged/manifest.json last, atomically
//      (docs/formats/curate.md).
// Within a shard, duplicates were already removed by the shard's run, so a sharded run and an
// unsharded one keep the same documents except where a chain of near duplicates crosses
// shards (A ~ B ~ C with A and C not alike: the order in which they are met decides).
//
// Memory: the pairs that verified (a few bytes per removed document) and one document's
// entries per shard; the shards' signatures are mapped, not read in.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/curate/pipeline.h"
#include "rsf/ledger/entry.h"

namespace rsf::curate {

struct MergeOptions {
  int shards = 0;
  // Called now and then: what is being done ("exact", "band 3/32", "apply 2/4").
  std::function<void(std::string_view step)> progress;
};

struct MergeResult {
  Json manifest;
  std::string manifest_path;
  std::string manifest_sha256;
  std::string dataset_sha256;  // of the merged kept files concatenated in shard order
  uint64_t documents = 0;      // kept by the shards
  uint64_t kept = 0, removed_exact = 0, removed_near = 0;
  uint64_t candidates_checked = 0;
  double seconds = 0;
};

// kFailedPrecondition naming the shard when one is missing, unfinished, or made by another
// configuration; kDataLoss when a file does not match its manifest. Nothing is left half-
// written: on error no merged manifest exists.
Result<MergeResult> MergeShards(Env& env, const PipelineConfig& config, const MergeOptions& options);

// The ledger entry: type "curate.manifest", subject "dataset:sha256:<dataset_sha256>", body:
// the merged manifest's SHA-256, the configuration, each shard's manifest digest, the outputs
// and counts.
ledger::Entry MergeEntry(const MergeResult& result, const Clock& clock);

}  // namespace rsf::curate
