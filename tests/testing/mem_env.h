// tests/testing/mem_env.h
//
// MemEnv: an in-memory Env for unit tests that also models durability. Every file keeps
// its current bytes and its last synced bytes; every directory entry (create, rename,
// remove) becomes durable only on SyncDir() of its parent. SimulateCrash() throws away all
// that was not made durable, as a power loss would. FailAfterBytes() makes writes fail with
// kResourceExhausted once a budget is spent, to stop an operation midway (a full disk).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "rsf/common/env.h"

namespace rsf::testing {

class MemEnv final : public Env {
 public:
  MemEnv();

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, std::string_view data, uint32_t mode) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& dir) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  Status SetPermissions(const std::string& path, uint32_t mode) override;

  // Drops every byte and directory entry not made durable, and releases all locks.
  void SimulateCrash();
  // After `bytes` more bytes are appended, every write fails (kResourceExhausted); a write
  // that crosses the budget is applied partially. Negative: no limit (the default).
  void FailAfterBytes(int64_t bytes);
  // Overwrites a file's current and durable content (for tamper tests).
  void Corrupt(const std::string& path, std::string data);

  struct Inode {
    std::string data;
    std::string synced;
  };

 private:
  friend class MemWritableFile;
  Status ChargeWrite(size_t want, size_t* allowed);
  static std::string Normalize(const std::string& path);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Inode>> live_;
  std::map<std::string, std::shared_ptr<Inode>> durable_;
  std::set<std::string> dirs_;
  std::map<std::string, uint64_t> locks_;  // path -> holder token
  uint64_t lock_token_ = 0;
  int64_t budget_ = -1;
  uint64_t tmp_counter_ = 0;
};

}  // namespace rsf::testing
