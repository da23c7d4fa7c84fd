#include "tile_writer.h"

#include <bit>

#include <fmt/format.h>

#include "rsf/ledger/tiles.h"
#include "tile_reader.h"

namespace rsf::ledger {

Result<std::unique_ptr<TileWriter>> TileWriter::Load(Env& env, std::string log_dir,
                                                     const TileReader& reader, uint64_t size,
                                                     const Hash& root) {
  std::unique_ptr<TileWriter> w(new TileWriter(env, std::move(log_dir)));
  TreeView view(reader, size);
  // Peaks of the compact range: the binary decomposition of size, highest first.
  std::vector<Hash> peaks;
  uint64_t begin = 0;
  for (int h = 63; h >= 0; --h) {
    uint64_t bit = uint64_t{1} << h;
    if (!(size & bit)) continue;
    auto peak = view.CompleteSubtree(h, begin >> h);
    if (!peak.ok()) return DataLossError("cannot rebuild the tree's right edge: " + peak.status().message());
    peaks.push_back(*peak);
    begin += bit;
  }
  RSF_ASSIGN_OR_RETURN(w->range_, CompactRange::FromPeaks(size, std::move(peaks)));
  if (w->range_.Root() != root) {
    return DataLossError(fmt::format("tiles hash to root {} but the checkpoint says {}",
                                     HashHex(w->range_.Root()), HashHex(root)));
  }
  for (int level = 0; level <= TopTileLevel(size); ++level) {
    uint64_t width = PartialTileWidth(level, size);
    w->partial_.emplace_back();
    if (width > 0) {
      auto hashes = reader.ReadTileHashes(level, FullTileCount(level, size), width);
      if (!hashes.ok()) return DataLossError(hashes.status().message());
      w->partial_.back() = std::move(*hashes);
    }
  }
  uint64_t bundle_width = PartialTileWidth(0, size);
  if (bundle_width > 0) {
    auto entries = reader.ReadBundle(FullTileCount(0, size), bundle_width);
    if (!entries.ok()) return DataLossError(entries.status().message());
    for (const auto& e : *entries) AppendToEntryBundle(e, w->partial_bundle_);
    w->partial_bundle_count_ = entries->size();
  }
  return w;
}

Status TileWriter::WriteFile(const std::string& rel_path, std::string_view data) {
  std::string path = JoinPath(log_dir_, rel_path);
  std::string dir = Dirname(path);
  if (!known_dirs_.count(dir)) {
    RSF_RETURN_IF_ERROR(env_.CreateDirs(dir));
    known_dirs_.insert(dir);
  }
  RSF_ASSIGN_OR_RETURN(auto file, env_.NewWritableFile(path));
  RSF_RETURN_IF_ERROR(file->Append(data));
  RSF_RETURN_IF_ERROR(file->Sync());
  RSF_RETURN_IF_ERROR(file->Close());
  dirs_to_sync_.insert(dir);
  return OkStatus();
}

Status TileWriter::WriteTile(int level, uint64_t n, const std::vector<Hash>& hashes) {
  std::string data;
  data.reserve(hashes.size() * 32);
  for (const auto& h : hashes) data.append(reinterpret_cast<const char*>(h.data()), 32);
  return WriteFile(TilePath(level, n, hashes.size()), data);
}

Status TileWriter::Integrate(const std::vector<WalRecord>& records) {
  if (records.empty()) return OkStatus();
  std::vector<bool> dirty(partial_.size(), false);
  bool bundle_dirty = false;
  Status status;
  auto add_hash = [&](int level, uint64_t position, const Hash& h) {
    if (!status.ok()) return;
    if (static_cast<size_t>(level) >= partial_.size()) {
      partial_.resize(static_cast<size_t>(level) + 1);
      dirty.resize(partial_.size(), false);
    }
    auto& tile = partial_[static_cast<size_t>(level)];
    tile.push_back(h);
    dirty[static_cast<size_t>(level)] = true;
    if (tile.size() == kTileWidth) {
      uint64_t n = position / kTileWidth;
      status = WriteTile(level, n, tile);
      completed_.emplace_back(level, n);
      tile.clear();
      dirty[static_cast<size_t>(level)] = false;
    }
  };
  for (const auto& rec : records) {
    uint64_t index = range_.size();
    AppendToEntryBundle(rec.entry, partial_bundle_);
    ++partial_bundle_count_;
    bundle_dirty = true;
    if (partial_bundle_count_ == kTileWidth) {
      uint64_t n = index / kTileWidth;
      RSF_RETURN_IF_ERROR(WriteFile(EntryBundlePath(n, kTileWidth), partial_bundle_));
      completed_.emplace_back(-1, n);
      partial_bundle_.clear();
      partial_bundle_count_ = 0;
      bundle_dirty = false;
    }
    add_hash(0, index, rec.leaf_hash);
    range_.Append(rec.leaf_hash, [&](int height, uint64_t node_index, const Hash& h) {
      if (height % kTileHeight == 0) add_hash(height / kTileHeight, node_index, h);
    });
    RSF_RETURN_IF_ERROR(status);
  }
  const uint64_t size = range_.size();
  for (size_t level = 0; level < partial_.size(); ++level) {
    if (dirty[level] && !partial_[level].empty()) {
      RSF_RETURN_IF_ERROR(WriteTile(static_cast<int>(level), FullTileCount(static_cast<int>(level), size),
                                    partial_[level]));
    }
  }
  if (bundle_dirty && partial_bundle_count_ > 0) {
    RSF_RETURN_IF_ERROR(
        WriteFile(EntryBundlePath(FullTileCount(0, size), partial_bundle_count_), partial_bundle_));
  }
  for (const auto& dir : dirs_to_sync_) RSF_RETURN_IF_ERROR(env_.SyncDir(dir));
  dirs_to_sync_.clear();
  return OkStatus();
}

Status TileWriter::CollectGarbage() {
  for (const auto& [level, n] : completed_) {
    std::string full = level < 0 ? EntryBundlePath(n, kTileWidth) : TilePath(level, n, kTileWidth);
    std::string partial_dir = JoinPath(log_dir_, full + ".p");
    auto names = env_.ListDir(partial_dir);
    if (!names.ok()) continue;  // no partial was ever published for this tile
    for (const auto& name : *names) {
      RSF_RETURN_IF_ERROR(env_.RemoveFile(JoinPath(partial_dir, name)));
    }
    RSF_RETURN_IF_ERROR(env_.RemoveDir(partial_dir));
  }
  completed_.clear();
  return OkStatus();
}

}  // namespace rsf::ledger
