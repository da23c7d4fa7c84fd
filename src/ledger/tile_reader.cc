#include "tile_reader.h"

#include <cstring>

#include <fmt/format.h>

#include "rsf/ledger/tiles.h"

namespace rsf::ledger {

std::shared_ptr<const ExpandedTile> ExpandTile(std::vector<Hash> hashes) {
  auto tile = std::make_shared<ExpandedTile>();
  tile->width = hashes.size();
  size_t total = 0;
  for (int r = 0; r <= kTileHeight; ++r) total += tile->width >> r;
  tile->nodes = std::move(hashes);
  tile->nodes.reserve(total);
  tile->offsets[0] = 0;
  for (int r = 1; r <= kTileHeight; ++r) {
    size_t prev = tile->offsets[r - 1];
    size_t count = tile->width >> r;
    tile->offsets[r] = tile->nodes.size();
    for (size_t i = 0; i < count; ++i) {
      tile->nodes.push_back(NodeHash(tile->nodes[prev + 2 * i], tile->nodes[prev + 2 * i + 1]));
    }
  }
  return tile;
}

TileReader::TileReader(Env& env, std::string log_dir, size_t cache_tiles)
    : env_(env), log_dir_(std::move(log_dir)), capacity_(cache_tiles == 0 ? 1 : cache_tiles) {}

Result<std::string> TileReader::ReadWithFallback(const std::string& partial,
                                                 const std::string& full,
                                                 bool* used_full) const {
  *used_full = partial == full;
  auto data = env_.ReadFile(JoinPath(log_dir_, partial));
  if (!data.ok() && data.status().code() == StatusCode::kNotFound && partial != full) {
    data = env_.ReadFile(JoinPath(log_dir_, full));
    *used_full = true;
  }
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) {
      return NotFoundError(partial + " is missing");
    }
    return data.status();
  }
  return data;
}

Result<std::vector<Hash>> TileReader::ReadTileHashes(int level, uint64_t n, uint64_t width) const {
  std::string path = TilePath(level, n, width);
  bool used_full = false;
  RSF_ASSIGN_OR_RETURN(std::string data,
                       ReadWithFallback(path, TilePath(level, n, kTileWidth), &used_full));
  uint64_t expected = (used_full ? kTileWidth : width) * 32;
  if (data.size() != expected) {
    return DataLossError(fmt::format("{} is {} bytes; expected {}",
                                     used_full ? TilePath(level, n, kTileWidth) : path,
                                     data.size(), expected));
  }
  std::vector<Hash> hashes(width);
  for (uint64_t i = 0; i < width; ++i) std::memcpy(hashes[i].data(), data.data() + i * 32, 32);
  return hashes;
}

Result<std::shared_ptr<const ExpandedTile>> TileReader::Tile(int level, uint64_t n,
                                                             uint64_t width) const {
  Key key{level, n, width};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  RSF_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ReadTileHashes(level, n, width));
  auto tile = ExpandTile(std::move(hashes));
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.find(key) == index_.end()) {
    lru_.emplace_front(key, tile);
    index_[key] = lru_.begin();
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return tile;
}

Result<std::vector<std::string>> TileReader::ReadBundle(uint64_t n, uint64_t width) const {
  std::string path = EntryBundlePath(n, width);
  bool used_full = false;
  RSF_ASSIGN_OR_RETURN(std::string data,
                       ReadWithFallback(path, EntryBundlePath(n, kTileWidth), &used_full));
  if (used_full) path = EntryBundlePath(n, kTileWidth);
  auto entries = DecodeEntryBundle(data);
  if (!entries.ok()) return entries.status().WithContext(path);
  uint64_t expected = used_full ? kTileWidth : width;
  if (entries->size() != expected) {
    return DataLossError(fmt::format("{} holds {} entries, expected {}", path, entries->size(),
                                     expected));
  }
  entries->resize(width);
  return entries;
}

Result<std::string> TileReader::ReadEntry(uint64_t index, uint64_t size) const {
  if (index >= size) {
    return NotFoundError(fmt::format("entry {} is beyond the checkpointed size {}", index, size));
  }
  uint64_t n = index / kTileWidth;
  uint64_t width = n < FullTileCount(0, size) ? kTileWidth : PartialTileWidth(0, size);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (bundle_cache_ && bundle_cache_n_ == n && bundle_cache_width_ == width) {
      return (*bundle_cache_)[index % kTileWidth];
    }
  }
  RSF_ASSIGN_OR_RETURN(std::vector<std::string> entries, ReadBundle(n, width));
  auto shared = std::make_shared<const std::vector<std::string>>(std::move(entries));
  std::lock_guard<std::mutex> lock(mu_);
  bundle_cache_ = shared;
  bundle_cache_n_ = n;
  bundle_cache_width_ = width;
  return (*shared)[index % kTileWidth];
}

Result<Hash> TreeView::CompleteSubtree(int height, uint64_t index) const {
  int level = height / kTileHeight;
  int r = height % kTileHeight;
  uint64_t first = index << r;  // first stored hash at `level`
  uint64_t n = first / kTileWidth;
  uint64_t offset = first % kTileWidth;
  uint64_t width = n < FullTileCount(level, size_) ? kTileWidth : PartialTileWidth(level, size_);
  if (offset + (uint64_t{1} << r) > width) {
    return InternalError(fmt::format("subtree (height {}, index {}) is not complete in a tree of {}",
                                     height, index, size_));
  }
  RSF_ASSIGN_OR_RETURN(auto tile, reader_.Tile(level, n, width));
  return tile->Node(r, offset >> r);
}

}  // namespace rsf::ledger
