#include "rsf/ledger/fsck.h"

#include <cstring>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "rsf/ledger/checkpoint.h"
#include "rsf/ledger/compact_range.h"
#include "rsf/ledger/entry.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/tiles.h"
#include "wal.h"

namespace rsf::ledger {

size_t FsckReport::errors() const {
  size_t n = 0;
  for (const auto& f : findings) n += f.severity == FsckFinding::Severity::kError;
  return n;
}

size_t FsckReport::warnings() const { return findings.size() - errors(); }

namespace {

uint64_t Prefix64(const Hash& h) {
  uint64_t v;
  std::memcpy(&v, h.data(), sizeof(v));
  return v;
}

class Checker {
 public:
  Checker(Env& env, std::string dir, const FsckOptions& options, FsckReport& report)
      : env_(env), dir_(std::move(dir)), log_dir_(LedgerLogDir(dir_)), options_(options),
        report_(report) {}

  void Error(std::string location, std::string message) {
    report_.findings.push_back({FsckFinding::Severity::kError, std::move(location), std::move(message)});
  }
  void Warn(std::string location, std::string message) {
    report_.findings.push_back({FsckFinding::Severity::kWarning, std::move(location), std::move(message)});
  }

  void Run(const NoteVerifier& verifier) {
    std::string cp_path = "log/checkpoint";
    auto note = env_.ReadFile(JoinPath(log_dir_, "checkpoint"));
    if (!note.ok()) {
      Error(cp_path, note.status().message());
      return;
    }
    auto cp = OpenCheckpoint(*note, verifier);
    if (!cp.ok()) {
      Error(cp_path, cp.status().message());
      return;
    }
    size_ = cp->checkpoint.size;
    report_.checkpoint_size = size_;
    report_.checkpoint_root = cp->checkpoint.root;
    CheckTree(cp->checkpoint.root);
    CheckWal();
  }

 private:
  // The stored hash at (level, position), or nullopt (reported once per missing tile).
  std::optional<Hash> StoredHash(int level, uint64_t position) {
    uint64_t n = position / kTileWidth;
    auto& slot = tiles_[level];
    if (!slot.loaded || slot.n != n) {
      slot = TileSlot{};
      slot.loaded = true;
      slot.n = n;
      uint64_t width = n < FullTileCount(level, size_) ? kTileWidth : PartialTileWidth(level, size_);
      slot.path = "log/" + TilePath(level, n, width);
      auto data = env_.ReadFile(JoinPath(dir_, slot.path));
      ++report_.tiles_checked;
      if (!data.ok()) {
        Error(slot.path, data.status().code() == StatusCode::kNotFound ? "tile is missing"
                                                                        : data.status().message());
      } else if (data->size() != width * 32) {
        Error(slot.path, fmt::format("tile is {} bytes; a tile of width {} is {} bytes (truncated "
                                     "or extended)", data->size(), width, width * 32));
        slot.hashes.resize(std::min<size_t>(data->size() / 32, width));
        for (size_t i = 0; i < slot.hashes.size(); ++i) std::memcpy(slot.hashes[i].data(), data->data() + i * 32, 32);
      } else {
        slot.hashes.resize(width);
        for (size_t i = 0; i < width; ++i) std::memcpy(slot.hashes[i].data(), data->data() + i * 32, 32);
      }
    }
    uint64_t offset = position % kTileWidth;
    if (offset >= slot.hashes.size()) return std::nullopt;
    return slot.hashes[offset];
  }

  // `source` names where the computed hash came from, for the report's location.
  void CompareStored(int level, uint64_t position, const Hash& computed, std::string_view what,
                     std::string_view source = {}) {
    auto stored = StoredHash(level, position);
    if (stored && *stored != computed) {
      std::string tile_loc = fmt::format("{} hash {}", tiles_[level].path, position % kTileWidth);
      Error(source.empty() ? tile_loc : fmt::format("{} / {}", source, tile_loc),
            fmt::format("stored hash {} differs from the {} ({})", HashHex(*stored), what,
                        HashHex(computed)));
    }
  }

  void CheckTree(const Hash& root) {
    CompactRange range;
    std::unordered_set<uint64_t> seen;
    const uint64_t bundles = (size_ + kTileWidth - 1) / kTileWidth;
    for (uint64_t n = 0; n < bundles; ++n) {
      uint64_t width = n < FullTileCount(0, size_) ? kTileWidth : PartialTileWidth(0, size_);
      std::string path = "log/" + EntryBundlePath(n, width);
      std::vector<std::string> entries;
      auto data = env_.ReadFile(JoinPath(dir_, path));
      if (!data.ok()) {
        Error(path, data.status().code() == StatusCode::kNotFound ? "entry bundle is missing"
                                                                   : data.status().message());
      } else {
        auto decoded = DecodeEntryBundle(*data);
        if (!decoded.ok()) {
          Error(path, decoded.status().message());
        } else if (decoded->size() != width) {
          Error(path, fmt::format("bundle holds {} entries, expected {}", decoded->size(), width));
        } else {
          entries = std::move(*decoded);
        }
      }
      size_t offset = 0;
      for (uint64_t i = 0; i < width; ++i) {
        uint64_t index = n * kTileWidth + i;
        Hash leaf;
        if (!entries.empty()) {
          const std::string& e = entries[i];
          std::string loc = fmt::format("{} byte {} (entry {})", path, offset, index);
          offset += 2 + e.size();
          auto entry = DecodeEntry(e);
          if (!entry.ok()) {
            Error(loc, entry.status().message());
          } else if (options_.check_refs) {
            for (const auto& ref : entry->refs) {
              if (!seen.count(Prefix64(ref))) {
                Warn(loc, "ref " + HashHex(ref) + " names no earlier entry of this log");
              }
            }
          }
          leaf = LeafHash(e);
          CompareStored(0, index, leaf,
                        fmt::format("leaf hash of entry {}: the entry or the tile was changed", index),
                        loc);
        } else {
          auto stored = StoredHash(0, index);
          if (!stored) {
            Error(fmt::format("entry {}", index), "neither the entry nor its leaf hash is readable");
            return;
          }
          leaf = *stored;
        }
        if (options_.check_refs) seen.insert(Prefix64(leaf));
        range.Append(leaf, [&](int height, uint64_t idx, const Hash& h) {
          if (height % kTileHeight == 0) {
            CompareStored(height / kTileHeight, idx, h,
                          fmt::format("hash of the full tile below (height {})", height));
          }
        });
        ++report_.entries_checked;
      }
      if (options_.progress) options_.progress(report_.entries_checked, size_);
    }
    // Partial tiles above level 0 hold only hashes of full tiles; make sure they were all read.
    for (int level = 1; level <= TopTileLevel(size_); ++level) {
      uint64_t width = PartialTileWidth(level, size_);
      if (width > 0) {
        auto stored_count = FullTileCount(level, size_) * kTileWidth + width;
        (void)StoredHash(level, stored_count - 1);
      }
    }
    if (range.Root() != root) {
      Error("log/checkpoint", fmt::format("the entries hash to root {} but the signed checkpoint "
                                          "says {}: the log was rewritten",
                                          HashHex(range.Root()), HashHex(root)));
    }
  }

  void CheckWal() {
    std::string wal_dir = LedgerWalDir(dir_);
    if (!env_.FileExists(wal_dir)) {
      Error("wal/", "the WAL directory is missing");
      return;
    }
    auto segments = ListWalSegments(env_, wal_dir);
    if (!segments.ok()) {
      Error("wal/", segments.status().message());
      return;
    }
    report_.wal_segments = segments->size();
    uint64_t expected = segments->empty() ? size_ : (*segments)[0].start_index;
    for (size_t i = 0; i < segments->size(); ++i) {
      const auto& seg = (*segments)[i];
      std::string loc = "wal/" + WalSegmentName(seg.start_index);
      if (seg.start_index != expected) {
        Error(loc, fmt::format("segment should start at entry {}", expected));
      }
      auto scan = ScanWalSegment(env_, seg, size_);
      if (!scan.ok()) {
        Error(loc, scan.status().message());
        return;
      }
      if (scan->torn_tail) {
        uint64_t torn_index = seg.start_index + scan->record_count;
        if (torn_index < size_ && scan->file_bytes > 0) {
          Error(loc, fmt::format("record {} at byte {} is damaged, yet the checkpoint already "
                                 "covers it", torn_index, scan->valid_bytes));
        } else if (i + 1 == segments->size()) {
          Warn(loc, fmt::format("{} bytes at the end are an interrupted append that was never "
                                "acknowledged; the next open drops them",
                                scan->file_bytes - scan->valid_bytes));
        } else {
          Error(loc, fmt::format("damaged record at byte {} inside the WAL", scan->valid_bytes));
        }
      }
      report_.pending_entries += scan->records.size();
      expected = seg.start_index + scan->record_count;
    }
    if (!segments->empty() && expected < size_) {
      Error("wal/", fmt::format("the WAL ends at entry {} before the checkpoint's {}", expected, size_));
    }
  }

  struct TileSlot {
    bool loaded = false;
    uint64_t n = 0;
    std::string path;
    std::vector<Hash> hashes;
  };

  Env& env_;
  std::string dir_;
  std::string log_dir_;
  const FsckOptions& options_;
  FsckReport& report_;
  uint64_t size_ = 0;
  std::map<int, TileSlot> tiles_;
};

}  // namespace

Result<FsckReport> Fsck(Env& env, const std::string& dir, const FsckOptions& options) {
  FsckReport report;
  std::optional<NoteVerifier> verifier = options.verifier;
  auto configured = ReadLedgerVerifier(env, dir);
  if (!configured.ok() && configured.status().code() == StatusCode::kNotFound) {
    return configured.status();
  }
  Checker checker(env, dir, options, report);
  if (!configured.ok()) {
    checker.Error("ledger.json", configured.status().message());
  } else if (verifier && verifier->ToString() != configured->ToString()) {
    checker.Error("ledger.json", "names verifier key " + configured->ToString() +
                                     ", not the one supplied");
  }
  if (!verifier) {
    if (!configured.ok()) return report;
    verifier = *configured;
  }
  report.origin = verifier->name();
  checker.Run(*verifier);
  return report;
}

}  // namespace rsf::ledger
