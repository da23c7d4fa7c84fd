// include/rsf/curate/signature_file.h
//
// signatures.bin: what a shard of a sharded run (RunOptions::shards) leaves for the cross-
// shard deduplication step: for each kept document (numbered from 0 in kept.jsonl order) its
// exact-dedup digest and MinHash signature, and the same sorted so that the merge can walk
// every shard's entries for one key in step (docs/formats/curate.md, "signatures.bin"):
//
//   "RSFSIG1\n"  u32 flags (1 exact, 2 near)  u32 shingle  u32 bands  u32 rows
//   u64 seed  f64 threshold  u64 documents                         (little-endian, 48 bytes)
//   exact digests, sorted:     documents x (u64 high, u64 low, u32 document)   if flags & 1
//   signatures:                documents x permutations x u16, in document order   if flags & 2
//   per band, sorted:          documents x (u32 key, u32 document)               if flags & 2
//
// A reader maps the file and checks that its sizes add up (kDataLoss otherwise).
//
// Thread safety: a SignatureFile is immutable once open.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"
#include "rsf/curate/minhash.h"

namespace rsf::curate {

struct ExactDigest {
  uint64_t high = 0, low = 0;
  friend bool operator==(const ExactDigest&, const ExactDigest&) = default;
  friend auto operator<=>(const ExactDigest&, const ExactDigest&) = default;
};

// What a shard accumulates while it runs, in kept order.
struct SignatureSet {
  bool exact = false, near = false;
  MinHashParams params;
  uint64_t documents = 0;
  std::vector<ExactDigest> digests;  // documents values when exact
  std::vector<uint16_t> signatures;  // documents x permutations when near
  std::vector<uint32_t> keys;        // documents x bands when near
};

// The file's bytes (sorts copies of the digests and keys).
std::string EncodeSignatureSet(const SignatureSet& set);

class SignatureFile {
 public:
  static Result<std::unique_ptr<SignatureFile>> Open(const std::string& path);
  ~SignatureFile();
  SignatureFile(const SignatureFile&) = delete;
  SignatureFile& operator=(const SignatureFile&) = delete;

  bool exact() const { return exact_; }
  bool near() const { return near_; }
  const MinHashParams& params() const { return params_; }
  uint64_t documents() const { return documents_; }

  struct DigestEntry {
    ExactDigest digest;
    uint32_t doc;
  };
  struct KeyEntry {
    uint32_t key;
    uint32_t doc;
  };
  DigestEntry digest_entry(uint64_t i) const;    // i-th in sorted order
  KeyEntry key_entry(int band, uint64_t i) const;  // i-th in band's sorted order
  std::span<const uint16_t> signature(uint32_t doc) const;
  // The whole file as mapped.
  std::string_view bytes() const { return {reinterpret_cast<const char*>(base_), size_}; }

 private:
  SignatureFile() = default;
  const unsigned char* base_ = nullptr;
  size_t size_ = 0;
  bool exact_ = false, near_ = false;
  MinHashParams params_;
  uint64_t documents_ = 0;
  size_t digests_at_ = 0, signatures_at_ = 0, keys_at_ = 0;
};

}  // namespace rsf::curate
