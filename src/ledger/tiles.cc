#include "rsf/ledger/tiles.h"

#include <fmt/format.h>

namespace rsf::ledger {

std::string TileIndexPath(uint64_t n) {
  std::vector<uint64_t> parts;
  do {
    parts.push_back(n % 1000);
    n /= 1000;
  } while (n > 0);
  std::string out;
  for (size_t i = parts.size(); i-- > 0;) {
    if (i > 0) {
      out += fmt::format("x{:03d}/", parts[i]);
    } else {
      out += fmt::format("{:03d}", parts[i]);
    }
  }
  return out;
}

std::string TilePath(int level, uint64_t n, uint64_t width) {
  std::string out = fmt::format("tile/{}/{}", level, TileIndexPath(n));
  if (width > 0 && width < kTileWidth) out += fmt::format(".p/{}", width);
  return out;
}

std::string EntryBundlePath(uint64_t n, uint64_t width) {
  std::string out = "tile/entries/" + TileIndexPath(n);
  if (width > 0 && width < kTileWidth) out += fmt::format(".p/{}", width);
  return out;
}

uint64_t PartialTileWidth(int level, uint64_t size) {
  for (int i = 0; i < level; ++i) size /= kTileWidth;
  return size % kTileWidth;
}

uint64_t FullTileCount(int level, uint64_t size) {
  for (int i = 0; i <= level; ++i) size /= kTileWidth;
  return size;
}

int TopTileLevel(uint64_t size) {
  int level = 0;
  while (size >= kTileWidth) {
    size /= kTileWidth;
    ++level;
  }
  return level;
}

void AppendToEntryBundle(std::string_view entry, std::string& bundle) {
  bundle += static_cast<char>((entry.size() >> 8) & 0xff);
  bundle += static_cast<char>(entry.size() & 0xff);
  bundle.append(entry);
}

std::string EncodeEntryBundle(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) AppendToEntryBundle(e, out);
  return out;
}

Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bundle) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < bundle.size()) {
    if (bundle.size() - pos < 2) {
      return DataLossError(fmt::format("entry bundle truncated in the length of entry {} at offset {}",
                                       out.size(), pos));
    }
    size_t len = (static_cast<size_t>(static_cast<uint8_t>(bundle[pos])) << 8) |
                 static_cast<uint8_t>(bundle[pos + 1]);
    if (bundle.size() - pos - 2 < len) {
      return DataLossError(fmt::format(
          "entry bundle truncated in entry {} at offset {}: length says {} bytes, {} remain",
          out.size(), pos, len, bundle.size() - pos - 2));
    }
    out.emplace_back(bundle.substr(pos + 2, len));
    pos += 2 + len;
  }
  return out;
}

}  // namespace rsf::ledger
