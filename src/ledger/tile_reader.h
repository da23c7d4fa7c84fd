// src/ledger/tile_reader.h (private)
//
// TileReader: reads hash tiles and entry bundles of a tlog-tiles directory through an Env,
// with an LRU cache of "expanded" tiles (all 8 internal levels of each tile's subtree
// computed once, 511 hashes for a full tile), so an inclusion proof costs about one cache
// lookup per tree level.
//
// TreeView binds a reader to one tree size and serves CompleteSubtree() for proofs.
//
// Thread safety: TileReader is safe for concurrent use (the cache has its own mutex).
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/ledger/proof.h"

namespace rsf::ledger {

struct ExpandedTile {
  uint64_t width = 0;
  // Level r (0..8) holds width >> r hashes, starting at offsets[r].
  std::vector<Hash> nodes;
  std::array<size_t, 9> offsets{};
  const Hash& Node(int r, uint64_t idx) const { return nodes[offsets[r] + idx]; }
};

// Builds the expanded form of `hashes` (a tile's stored hashes).
std::shared_ptr<const ExpandedTile> ExpandTile(std::vector<Hash> hashes);

class TileReader {
 public:
  // `env` must outlive the reader. `log_dir` holds "checkpoint" and "tile/".
  TileReader(Env& env, std::string log_dir, size_t cache_tiles);

  // The tile at (level, n) of `width` hashes (256 for full). Falls back to the full tile when
  // a partial one was garbage-collected. kNotFound if absent; kDataLoss if its size is wrong.
  Result<std::shared_ptr<const ExpandedTile>> Tile(int level, uint64_t n, uint64_t width) const;
  // The raw stored hashes of a tile (no cache).
  Result<std::vector<Hash>> ReadTileHashes(int level, uint64_t n, uint64_t width) const;
  // Entry `index` of a tree of `size` entries. kNotFound / kDataLoss as above.
  Result<std::string> ReadEntry(uint64_t index, uint64_t size) const;
  // All entries of bundle n of `width` entries.
  Result<std::vector<std::string>> ReadBundle(uint64_t n, uint64_t width) const;

  const std::string& log_dir() const { return log_dir_; }

 private:
  struct Key {
    int level;
    uint64_t n;
    uint64_t width;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>()(k.n * 1315423911u + k.width * 2654435761u +
                                   static_cast<uint64_t>(k.level));
    }
  };
  // Reads `partial`, or `full` if `partial` is gone; *used_full says which.
  Result<std::string> ReadWithFallback(const std::string& partial, const std::string& full,
                                       bool* used_full) const;

  Env& env_;
  std::string log_dir_;
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::list<std::pair<Key, std::shared_ptr<const ExpandedTile>>> lru_;
  mutable std::unordered_map<Key, decltype(lru_)::iterator, KeyHash> index_;
  mutable uint64_t bundle_cache_n_ = UINT64_MAX;
  mutable uint64_t bundle_cache_width_ = 0;
  mutable std::shared_ptr<const std::vector<std::string>> bundle_cache_;
};

// A NodeSource over the tree of `size` entries stored in `reader`.
class TreeView final : public NodeSource {
 public:
  TreeView(const TileReader& reader, uint64_t size) : reader_(reader), size_(size) {}
  Result<Hash> CompleteSubtree(int height, uint64_t index) const override;

 private:
  const TileReader& reader_;
  uint64_t size_;
};

}  // namespace rsf::ledger
