#include "testing/mem_env.h"

#include <algorithm>

namespace rsf::testing {

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemEnv* env, std::shared_ptr<MemEnv::Inode> inode)
      : env_(env), inode_(std::move(inode)) {}
  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    size_t allowed = data.size();
    Status s = env_->ChargeWrite(data.size(), &allowed);
    inode_->data.append(data.substr(0, allowed));
    return s;
  }
  Status Sync() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    if (env_->budget_ == 0) return ResourceExhaustedError("simulated: disk full (sync)");
    inode_->synced = inode_->data;
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }
  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    return inode_->data.size();
  }

 private:
  MemEnv* env_;
  std::shared_ptr<MemEnv::Inode> inode_;
};

namespace {
class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::string data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (offset >= data_.size()) {
      out->clear();
    } else {
      *out = data_.substr(offset, n);
    }
    return OkStatus();
  }
  uint64_t Size() const override { return data_.size(); }

 private:
  std::string data_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::mutex* mu, std::map<std::string, uint64_t>* locks, std::string path,
              uint64_t token)
      : mu_(mu), locks_(locks), path_(std::move(path)), token_(token) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> lock(*mu_);
    auto it = locks_->find(path_);
    if (it != locks_->end() && it->second == token_) locks_->erase(it);
  }

 private:
  std::mutex* mu_;
  std::map<std::string, uint64_t>* locks_;
  std::string path_;
  uint64_t token_;
};
}  // namespace

MemEnv::MemEnv() { dirs_.insert("/"); dirs_.insert("."); }

std::string MemEnv::Normalize(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Status MemEnv::ChargeWrite(size_t want, size_t* allowed) {
  if (budget_ < 0) {
    *allowed = want;
    return OkStatus();
  }
  *allowed = std::min<size_t>(want, static_cast<size_t>(budget_));
  budget_ -= static_cast<int64_t>(*allowed);
  if (*allowed < want) return ResourceExhaustedError("simulated: disk full");
  return OkStatus();
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (!dirs_.count(Dirname(path))) return NotFoundError("no directory for " + path);
  if (budget_ == 0) return ResourceExhaustedError("simulated: disk full (create)");
  auto it = live_.find(path);
  std::shared_ptr<Inode> inode;
  if (it != live_.end()) {
    inode = it->second;
    inode->data.clear();
  } else {
    inode = std::make_shared<Inode>();
    live_[path] = inode;
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, inode));
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (!dirs_.count(Dirname(path))) return NotFoundError("no directory for " + path);
  auto it = live_.find(path);
  std::shared_ptr<Inode> inode;
  if (it != live_.end()) {
    inode = it->second;
  } else {
    inode = std::make_shared<Inode>();
    live_[path] = inode;
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, inode));
}

Result<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(std::move(data)));
}

Result<std::string> MemEnv::ReadFile(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return NotFoundError(path + ": no such file");
  return it->second->data;
}

Status MemEnv::WriteFileAtomic(const std::string& raw, std::string_view data, uint32_t) {
  std::string path = Normalize(raw);
  std::string tmp;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tmp = path + ".tmp." + std::to_string(++tmp_counter_);
  }
  {
    RSF_ASSIGN_OR_RETURN(auto f, NewWritableFile(tmp));
    Status s = f->Append(data);
    if (s.ok()) s = f->Sync();
    if (!s.ok()) {
      RemoveFile(tmp).IgnoreError();  // best effort, as PosixEnv does
      return s;
    }
  }
  RSF_RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDir(Dirname(path));
}

bool MemEnv::FileExists(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  return live_.count(path) > 0 || dirs_.count(path) > 0;
}

Result<uint64_t> MemEnv::FileSize(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return NotFoundError(path + ": no such file");
  return it->second->data.size();
}

Result<std::vector<std::string>> MemEnv::ListDir(const std::string& raw) {
  std::string dir = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (!dirs_.count(dir)) return NotFoundError(dir + ": no such directory");
  std::set<std::string> names;
  auto add = [&](const std::string& p) {
    if (p != dir && Dirname(p) == dir) names.insert(p.substr(p.rfind('/') + 1));
  };
  for (const auto& [p, _] : live_) add(p);
  for (const auto& d : dirs_) add(d);
  return std::vector<std::string>(names.begin(), names.end());
}

Status MemEnv::CreateDirs(const std::string& raw) {
  std::string dir = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  while (!dir.empty() && dir != "." && dir != "/" && !dirs_.count(dir)) {
    if (live_.count(dir)) return FailedPreconditionError(dir + " is a file");
    dirs_.insert(dir);  // directories are made durable at once, as PosixEnv syncs parents
    dir = Dirname(dir);
  }
  return OkStatus();
}

Status MemEnv::RemoveFile(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_.erase(path)) return NotFoundError(path + ": no such file");
  return OkStatus();
}

Status MemEnv::RemoveDir(const std::string& raw) {
  std::string dir = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [p, _] : live_) {
    if (Dirname(p) == dir) return FailedPreconditionError(dir + " is not empty");
  }
  if (!dirs_.erase(dir)) return NotFoundError(dir + ": no such directory");
  return OkStatus();
}

Status MemEnv::RenameFile(const std::string& from_raw, const std::string& to_raw) {
  std::string from = Normalize(from_raw), to = Normalize(to_raw);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(from);
  if (it == live_.end()) return NotFoundError(from + ": no such file");
  live_[to] = it->second;
  live_.erase(from);
  return OkStatus();
}

Status MemEnv::TruncateFile(const std::string& raw, uint64_t size) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return NotFoundError(path + ": no such file");
  it->second->data.resize(size);
  return OkStatus();
}

Status MemEnv::SyncDir(const std::string& raw) {
  std::string dir = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = durable_.begin(); it != durable_.end();) {
    if (Dirname(it->first) == dir && !live_.count(it->first)) {
      it = durable_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [p, inode] : live_) {
    if (Dirname(p) == dir) durable_[p] = inode;
  }
  return OkStatus();
}

Result<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& raw) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (locks_.count(path)) return UnavailableError(path + " is locked");
  locks_[path] = ++lock_token_;
  return std::unique_ptr<FileLock>(new MemFileLock(&mu_, &locks_, path, lock_token_));
}

Status MemEnv::SetPermissions(const std::string&, uint32_t) { return OkStatus(); }

void MemEnv::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  live_.clear();
  for (auto& [p, inode] : durable_) {
    // A crashed inode keeps only its synced bytes; give it a fresh identity so that handles
    // held by the "dead" process cannot write into the survivor.
    auto fresh = std::make_shared<Inode>();
    fresh->data = inode->synced;
    fresh->synced = inode->synced;
    live_[p] = fresh;
    inode = fresh;
  }
  locks_.clear();
  budget_ = -1;
}

void MemEnv::FailAfterBytes(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = bytes;
}

void MemEnv::Corrupt(const std::string& raw, std::string data) {
  std::string path = Normalize(raw);
  std::lock_guard<std::mutex> lock(mu_);
  auto inode = std::make_shared<Inode>();
  inode->data = data;
  inode->synced = std::move(data);
  live_[path] = inode;
  durable_[path] = inode;
}

}  // namespace rsf::testing
