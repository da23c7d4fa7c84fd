#include "wal.h"

#include <cstring>

#include <fmt/format.h>

#include "rsf/ledger/tiles.h"

namespace rsf::ledger {

std::string WalSegmentName(uint64_t start_index) { return fmt::format("{:020d}.wal", start_index); }

void EncodeWalRecord(std::string_view entry, const Hash& leaf_hash, std::string* out) {
  auto n = static_cast<uint32_t>(entry.size());
  char len[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                 static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
  out->append(len, 4);
  out->append(reinterpret_cast<const char*>(leaf_hash.data()), leaf_hash.size());
  out->append(entry);
}

Result<std::unique_ptr<WalWriter>> WalWriter::Create(Env& env, const std::string& wal_dir,
                                                     uint64_t start_index) {
  std::string path = JoinPath(wal_dir, WalSegmentName(start_index));
  RSF_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  RSF_RETURN_IF_ERROR(file->Append(kWalMagic));
  RSF_RETURN_IF_ERROR(file->Sync());
  RSF_RETURN_IF_ERROR(env.SyncDir(wal_dir));
  return std::unique_ptr<WalWriter>(new WalWriter(std::move(file), start_index));
}

Status WalWriter::Append(std::string_view records, uint64_t count) {
  RSF_RETURN_IF_ERROR(file_->Append(records));
  next_index_ += count;
  return OkStatus();
}

Status WalWriter::Sync() { return file_->Sync(); }
Status WalWriter::Close() { return file_->Close(); }

Result<std::vector<WalSegment>> ListWalSegments(Env& env, const std::string& wal_dir) {
  RSF_ASSIGN_OR_RETURN(auto names, env.ListDir(wal_dir));
  std::vector<WalSegment> out;
  for (const auto& name : names) {
    if (name.find(".tmp.") != std::string::npos) continue;
    bool ok = name.size() == 24 && name.substr(20) == ".wal";
    for (size_t i = 0; ok && i < 20; ++i) ok = name[i] >= '0' && name[i] <= '9';
    if (!ok) return DataLossError(fmt::format("{}: '{}' is not a WAL segment", wal_dir, name));
    out.push_back({std::stoull(name.substr(0, 20)), JoinPath(wal_dir, name)});
  }
  return out;  // ListDir sorts names, and zero-padding makes that index order
}

Result<WalScan> ScanWalSegment(Env& env, const WalSegment& segment, uint64_t min_index) {
  RSF_ASSIGN_OR_RETURN(std::string data, env.ReadFile(segment.path));
  WalScan scan;
  scan.file_bytes = data.size();
  if (data.empty()) {
    // A segment whose header never became durable holds no acknowledged record.
    scan.torn_tail = true;
    return scan;
  }
  if (data.size() < kWalMagic.size()) {
    return DataLossError(segment.path + ": WAL segment header is damaged");
  }
  if (std::string_view(data).substr(0, kWalMagic.size()) != kWalMagic) {
    return DataLossError(segment.path + ": bad WAL segment header");
  }
  size_t pos = kWalMagic.size();
  scan.valid_bytes = pos;
  auto only_zeros_from = [&](size_t p) {
    for (size_t i = p; i < data.size(); ++i) {
      if (data[i] != 0) return false;
    }
    return true;
  };
  while (pos < data.size()) {
    uint64_t index = segment.start_index + scan.record_count;
    std::string problem;
    bool torn = false;  // what a crash during an unacknowledged append can leave
    if (data.size() - pos < 36) {
      problem = "incomplete record header";
      torn = true;
    } else {
      uint32_t len = static_cast<uint8_t>(data[pos]) | (static_cast<uint8_t>(data[pos + 1]) << 8) |
                     (static_cast<uint8_t>(data[pos + 2]) << 16) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(data[pos + 3])) << 24);
      size_t record_end = pos + 36 + len;
      if (len > kMaxEntrySize) {
        problem = fmt::format("record length {} exceeds the entry limit", len);
      } else if (record_end > data.size()) {
        problem = "incomplete record";
        torn = true;
      } else {
        Hash stored;
        std::memcpy(stored.data(), data.data() + pos + 4, 32);
        std::string_view entry(data.data() + pos + 36, len);
        if (LeafHash(entry) == stored) {
          if (index >= min_index) scan.records.push_back({std::string(entry), stored});
          ++scan.record_count;
          pos = record_end;
          scan.valid_bytes = pos;
          continue;
        }
        problem = "leaf hash does not match the entry";
        // The last record's blocks may not have reached the disk before a power loss.
        torn = record_end == data.size();
      }
    }
    if (torn || only_zeros_from(pos)) {
      scan.torn_tail = true;
      return scan;
    }
    return DataLossError(
        fmt::format("{}: record {} at byte {}: {}", segment.path, index, pos, problem));
  }
  return scan;
}

}  // namespace rsf::ledger
