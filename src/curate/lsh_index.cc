// The in-memory near-duplicate index. See lsh_index.h.
#include "rsf/curate/lsh_index.h"

#include <algorithm>

namespace rsf::curate {

LshIndex::LshIndex(const MinHasher& hasher)
    : hasher_(hasher),
      perms_(static_cast<size_t>(hasher.params().permutations())),
      bands_(static_cast<size_t>(hasher.params().bands)),
      threshold_(hasher.params().threshold) {
  table_.assign(1024, SlotEntry{0, kEmpty});
}

size_t LshIndex::Slot(uint32_t key) const {
  // Band keys are already hashes; spread them once more so that sequential runs stay short.
  return static_cast<size_t>((key * 0x9E3779B1u) ^ (key >> 16)) & (table_.size() - 1);
}

void LshIndex::Keys(std::span<const uint16_t> signature, std::vector<uint32_t>& out) const {
  out.resize(bands_);
  for (size_t b = 0; b < bands_; ++b) out[b] = hasher_.BandKey(signature, static_cast<int>(b));
}

std::span<const uint16_t> LshIndex::signature(uint32_t doc) const {
  return {signatures_.data() + static_cast<size_t>(doc) * perms_, perms_};
}

std::optional<LshIndex::Match> LshIndex::Find(std::span<const uint16_t> sig, std::span<const uint32_t> keys) {
  const size_t mask = table_.size() - 1;
  for (const uint32_t key : keys) {
    for (size_t s = Slot(key); table_[s].doc != kEmpty; s = (s + 1) & mask) {
      if (table_[s].key != key) continue;
      ++checked_;
      const double j = EstimateJaccard(sig, signature(table_[s].doc));
      if (j >= threshold_) return Match{table_[s].doc, j};
    }
  }
  return std::nullopt;
}

uint32_t LshIndex::Add(std::span<const uint16_t> sig, std::span<const uint32_t> keys) {
  const uint32_t doc = docs_++;
  signatures_.insert(signatures_.end(), sig.begin(), sig.end());
  if ((used_ + keys.size()) * 10 > table_.size() * 7) Grow();
  const size_t mask = table_.size() - 1;
  for (const uint32_t key : keys) {
    size_t s = Slot(key);
    while (table_[s].doc != kEmpty) s = (s + 1) & mask;
    table_[s] = {key, doc};
    ++used_;
  }
  return doc;
}

void LshIndex::Grow() {
  std::vector<SlotEntry> old(table_.size() * 2, SlotEntry{0, kEmpty});
  old.swap(table_);
  const size_t mask = table_.size() - 1;
  // Re-inserting in slot order would reorder equal keys; walk documents in order instead,
  // so that each band's documents stay in the order added.
  std::vector<std::pair<uint32_t, uint32_t>> entries;
  entries.reserve(used_);
  for (const SlotEntry& e : old) {
    if (e.doc != kEmpty) entries.emplace_back(e.doc, e.key);
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [doc, key] : entries) {
    size_t s = Slot(key);
    while (table_[s].doc != kEmpty) s = (s + 1) & mask;
    table_[s] = {key, doc};
  }
}

size_t LshIndex::memory_bytes() const {
  return signatures_.capacity() * sizeof(uint16_t) + table_.capacity() * sizeof(SlotEntry);
}

}  // namespace rsf::curate
