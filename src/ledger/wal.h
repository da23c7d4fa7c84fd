// src/ledger/wal.h (private)
//
// The ledger's write-ahead log: where an append becomes durable before it is integrated into
// tiles. Segments are files "wal/<20-digit index of first record>.wal":
//
//   segment = "RSFWAL1\n" record*
//   record  = u32 little-endian length || 32-byte leaf hash || entry bytes (length bytes)
//
// The stored leaf hash (SHA-256(0x00 || entry)) doubles as the record checksum. See
// docs/formats/ledger.md §WAL.
//
// Thread safety: WalWriter is used under the ledger's WAL mutex; the scan functions are
// stateless.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/ledger/hash.h"

namespace rsf::ledger {

inline constexpr std::string_view kWalMagic = "RSFWAL1\n";

struct WalRecord {
  std::string entry;
  Hash leaf_hash{};
};

std::string WalSegmentName(uint64_t start_index);
// Appends the record encoding of (entry, leaf_hash) to *out.
void EncodeWalRecord(std::string_view entry, const Hash& leaf_hash, std::string* out);

class WalWriter {
 public:
  // Creates segment `start_index` in `wal_dir` and makes its creation durable.
  static Result<std::unique_ptr<WalWriter>> Create(Env& env, const std::string& wal_dir,
                                                   uint64_t start_index);
  // Appends pre-encoded records (one write) covering `count` entries.
  Status Append(std::string_view records, uint64_t count);
  Status Sync();
  Status Close();
  uint64_t start_index() const { return start_index_; }
  uint64_t next_index() const { return next_index_; }
  uint64_t bytes() const { return file_->Size(); }

 private:
  WalWriter(std::unique_ptr<WritableFile> file, uint64_t start)
      : file_(std::move(file)), start_index_(start), next_index_(start) {}
  std::unique_ptr<WritableFile> file_;
  uint64_t start_index_;
  uint64_t next_index_;
};

struct WalSegment {
  uint64_t start_index = 0;
  std::string path;
};

// Segments in `wal_dir` by start index. kDataLoss for a file whose name is not a segment name.
Result<std::vector<WalSegment>> ListWalSegments(Env& env, const std::string& wal_dir);

struct WalScan {
  std::vector<WalRecord> records;  // only those with index >= min_index are kept
  uint64_t record_count = 0;       // all valid records in the segment
  uint64_t valid_bytes = 0;        // offset just past the last valid record
  uint64_t file_bytes = 0;
  bool torn_tail = false;          // an incomplete or zero-filled record at the end
};

// Reads a segment. Records with index < min_index are counted but not kept.
// An invalid record followed only by an incomplete record or zero bytes is a torn tail (the
// trace of an append interrupted by a crash, never acknowledged); any other invalid record is
// kDataLoss naming the segment, byte offset and record index.
Result<WalScan> ScanWalSegment(Env& env, const WalSegment& segment, uint64_t min_index);

}  // namespace rsf::ledger
