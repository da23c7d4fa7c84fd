// src/ledger/tile_writer.h (private)
//
// TileWriter: integrates new entries into the tlog-tiles directory. It keeps only the right
// edge of the tree in memory (the compact range, the partial tile at each level and the
// partial entry bundle), so memory stays bounded however large the log grows.
//
// Integrate() writes full tiles as they complete and, at the end, the partial tiles for the
// new size; every file is fsynced and every touched directory synced before it returns, so a
// checkpoint published afterwards never names a tile that could be lost.
//
// Thread safety: not thread-safe; the ledger calls it under its publish mutex.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/ledger/compact_range.h"
#include "wal.h"

namespace rsf::ledger {

class TileReader;

class TileWriter {
 public:
  // Loads the right edge of the tree of `size` entries from `reader` and checks that it
  // hashes to `root`. kDataLoss if tiles are missing or do not match.
  static Result<std::unique_ptr<TileWriter>> Load(Env& env, std::string log_dir,
                                                  const TileReader& reader, uint64_t size,
                                                  const Hash& root);

  // Appends `records` (entries size(), size()+1, ...) to the tiles.
  Status Integrate(const std::vector<WalRecord>& records);
  // Removes partial tiles and bundles whose full tile now exists (C2SP allows it).
  Status CollectGarbage();

  uint64_t size() const { return range_.size(); }
  Hash Root() const { return range_.Root(); }

 private:
  TileWriter(Env& env, std::string log_dir) : env_(env), log_dir_(std::move(log_dir)) {}
  Status WriteFile(const std::string& rel_path, std::string_view data);
  Status WriteTile(int level, uint64_t n, const std::vector<Hash>& hashes);

  Env& env_;
  std::string log_dir_;
  CompactRange range_;
  std::vector<std::vector<Hash>> partial_;  // per level: hashes of the partial tile
  std::string partial_bundle_;              // encoded entries of the partial bundle
  uint64_t partial_bundle_count_ = 0;
  std::set<std::string> dirs_to_sync_;
  std::set<std::string> known_dirs_;
  std::vector<std::pair<int, uint64_t>> completed_;  // (level or -1 for entries, tile index)
};

}  // namespace rsf::ledger
