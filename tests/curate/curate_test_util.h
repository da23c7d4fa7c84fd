// tests/curate/curate_test_util.h — documents and compressed files for the curation tests.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace rsf::curate::testing {

// A paragraph of prose-like text that passes the quality rules (stop words, punctuation,
// no repeated phrases); different for each seed.
inline std::string Prose(unsigned seed, int sentences = 8) {
  static const std::vector<std::string> kWords = {
      "the", "of", "and", "to", "with", "that", "have", "be", "river", "council", "library", "garden", "morning",
      "students", "teacher", "window", "market", "winter", "summer", "bridge", "engine", "village", "museum",
      "painting", "letter", "harbour", "station", "festival", "kitchen", "mountain", "forest", "weather", "journey",
      "careful", "quiet", "bright", "ancient", "modern", "gentle", "heavy", "narrow", "crowded", "distant", "golden",
      "walked", "opened", "measured", "carried", "described", "repaired", "painted", "collected", "visited",
      "planted", "studied", "followed", "returned", "noticed", "prepared", "answered", "built", "found", "shared",
      "slowly", "early", "often", "later", "nearby", "together", "again", "almost", "every", "several", "many",
      "through", "across", "under", "before", "after", "during", "between", "around", "beside", "toward",
      "people", "children", "farmers", "visitors", "workers", "neighbours", "friends", "families", "travellers",
      "stone", "paper", "water", "bread", "music", "light", "wood", "glass", "silver", "cotton", "honey"};
  std::mt19937 rng(seed * 2654435761u + 17);
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    const int n = 9 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) {
      std::string w = k == 0 ? "The" : kWords[rng() % kWords.size()];
      out += w;
      out += k + 1 < n ? " " : ". ";
    }
  }
  out.pop_back();
  return out;
}

inline std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

inline void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace rsf::curate::testing
