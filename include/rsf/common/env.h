// include/rsf/common/env.h
//
// Env: the seam for the filesystem (LevelDB's Env, reduced to what rsf uses). Production
// code receives an Env& and never calls POSIX directly; tests substitute MemEnv
// (tests/testing/mem_env.h), which can also simulate a crash that drops every write not yet
// made durable by Sync()/SyncDir().
//
// Durability contract (what every implementation must honour and what callers rely on):
//   - bytes written to a WritableFile are durable only after its Sync() returns OK;
//   - a file's creation, rename or removal is durable only after SyncDir() of its parent;
//   - WriteFileAtomic() is all-or-nothing and durable when it returns OK.
//
// Thread safety: an Env is safe for concurrent use; a WritableFile or RandomAccessFile is
// used by one thread at a time unless stated otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // kResourceExhausted when the disk is full, kInternal on other I/O errors.
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (fewer at end of file). Safe for concurrent use.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

// An advisory, exclusive lock on a file, released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates or truncates `path` for writing.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending, creating it if absent.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // kNotFound if absent.
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  // kNotFound if absent.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Writes to a temporary file (created with permission bits `mode`), syncs it, renames it
  // over `path` and syncs the directory.
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data,
                                 uint32_t mode = 0644) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // kNotFound if absent.
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, sorted. kNotFound if `dir` is absent.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and its missing parents, syncing each parent it changed.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& dir) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Makes the creation, rename and removal of entries in `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive advisory lock; kUnavailable if another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // Sets the permission bits of `path` (e.g. 0600 for a private key).
  virtual Status SetPermissions(const std::string& path, uint32_t mode) = 0;

  // The process-wide POSIX Env; only apps/ and test harnesses should call this.
  static Env& Default();
};

// "a/b" from "a/b/c"; "." for a bare name.
std::string Dirname(std::string_view path);
// Joins with exactly one '/'.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace rsf
