// include/rsf/curate/lsh_index.h
//
// The near-duplicate index of one pipeline run: the signatures of the documents kept so far
// and their band keys. Find() returns a kept document that shares a band with the query and
// whose signature agrees in at least `threshold` of its positions (the first found, bands in
// order, each band's documents in the order added: deterministic); Add() records a kept document. A document is thus removed when it nearly
// duplicates a document that was kept, never one that was itself removed.
//
// Memory: 2 bytes per permutation for the signature plus about 12 bytes per band (an open-
// addressing table of 32-bit key and 32-bit document, at most 70% full) per document added:
// about 640 bytes with the defaults. A run holds at most 2^32 - 1 documents.
//
// Thread safety: none; one thread owns an index.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rsf/curate/minhash.h"

namespace rsf::curate {

class LshIndex {
 public:
  explicit LshIndex(const MinHasher& hasher);

  struct Match {
    uint32_t doc = 0;       // the index of the kept document, in the order added
    double similarity = 0;  // estimated Jaccard similarity
  };
  // The first verified match, or nullopt. `keys` are the query's band keys.
  std::optional<Match> Find(std::span<const uint16_t> signature, std::span<const uint32_t> keys);
  // Adds a document; returns its index.
  uint32_t Add(std::span<const uint16_t> signature, std::span<const uint32_t> keys);

  // The band keys of a signature (bands() values).
  void Keys(std::span<const uint16_t> signature, std::vector<uint32_t>& out) const;

  size_t size() const { return docs_; }
  size_t memory_bytes() const;
  uint64_t candidates_checked() const { return checked_; }
  std::span<const uint16_t> signature(uint32_t doc) const;

 private:
  void Grow();
  size_t Slot(uint32_t key) const;

  const MinHasher& hasher_;
  size_t perms_, bands_;
  double threshold_;
  std::vector<uint16_t> signatures_;
  // Open addressing, linear probing; doc == kEmpty marks a free slot. Equal (band, key)
  // pairs may repeat: lookups walk the run until a free slot.
  struct SlotEntry {
    uint32_t key;
    uint32_t doc;
  };
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  std::vector<SlotEntry> table_;
  size_t used_ = 0;
  uint32_t docs_ = 0;
  uint64_t checked_ = 0;
};

}  // namespace rsf::curate
