// src/curate/output_file.h (internal)
//
// One output file of a curation run: written to "<path>.tmp", hashed as written, synced and
// renamed into place by Finish(), removed by Abandon(). Thread safety: none.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "rsf/common/encoding.h"
#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/common/status.h"

namespace rsf::curate::internal {

class OutputFile {
 public:
  Status Open(Env& env, std::string path) {
    path_ = std::move(path);
    RSF_ASSIGN_OR_RETURN(file_, env.NewWritableFile(path_ + ".tmp"));
    return OkStatus();
  }
  Status Line(std::string_view line) {
    buf_.append(line);
    buf_.push_back('\n');
    ++lines_;
    return buf_.size() >= (1 << 20) ? Drain() : OkStatus();
  }
  Status Finish(Env& env) {
    RSF_RETURN_IF_ERROR(Drain());
    RSF_RETURN_IF_ERROR(file_->Sync());
    RSF_RETURN_IF_ERROR(file_->Close());
    digest_ = HexEncode(sha_.Final());
    return env.RenameFile(path_ + ".tmp", path_);
  }
  void Abandon(Env& env) {
    if (!file_) return;
    file_->Close().IgnoreError();
    env.RemoveFile(path_ + ".tmp").IgnoreError();
  }
  const std::string& digest() const { return digest_; }  // after Finish
  uint64_t lines() const { return lines_; }
  Json Describe(std::string_view name) const {
    return {{"path", std::string(name)}, {"sha256", digest_}, {"documents", lines_}, {"bytes", bytes_}};
  }

 private:
  Status Drain() {
    if (buf_.empty()) return OkStatus();
    sha_.Update(buf_);
    bytes_ += buf_.size();
    RSF_RETURN_IF_ERROR(file_->Append(buf_));
    buf_.clear();
    return OkStatus();
  }
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::string buf_;
  Sha256 sha_;
  std::string digest_;
  uint64_t lines_ = 0, bytes_ = 0;
};

}  // namespace rsf::curate::internal
