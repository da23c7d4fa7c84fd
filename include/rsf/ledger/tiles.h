// include/rsf/ledger/tiles.h
//
// The C2SP tlog-tiles layout: paths of hash tiles and entry bundles, partial-tile widths,
// and the entry-bundle encoding (big-endian uint16 length-prefixed entries).
//
//   tile/<L>/<N>[.p/<W>]        256 hashes (8,192 bytes) at level L; W < 256 if partial
//   tile/entries/<N>[.p/<W>]    the entries whose leaf hashes are level-0 tile N
//   N is written as zero-padded 3-digit elements, all but the last prefixed with 'x':
//   1234067 -> x001/x234/067.
//
// Thread safety: stateless functions, safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::ledger {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;
inline constexpr size_t kMaxEntrySize = 65535;

// "x001/x234/067" for 1234067.
std::string TileIndexPath(uint64_t n);
// "tile/<level>/<N>" or "tile/<level>/<N>.p/<width>" when 0 < width < 256.
std::string TilePath(int level, uint64_t n, uint64_t width);
// "tile/entries/<N>" or with ".p/<width>".
std::string EntryBundlePath(uint64_t n, uint64_t width);

// floor(size / 256^level) mod 256: the width of the partial tile at `level`, 0 if none.
uint64_t PartialTileWidth(int level, uint64_t size);
// The number of full tiles at `level` for a tree of `size`.
uint64_t FullTileCount(int level, uint64_t size);
// The highest level that has any tile for `size` (0 for size < 65536, ...).
int TopTileLevel(uint64_t size);

// Entry bundle: concatenation of uint16 big-endian length || bytes.
// REQUIRES: each entry <= 65535 bytes.
std::string EncodeEntryBundle(const std::vector<std::string>& entries);
void AppendToEntryBundle(std::string_view entry, std::string& bundle);
// kDataLoss naming the offset when the bundle is truncated or has trailing bytes.
Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bundle);

}  // namespace rsf::ledger
