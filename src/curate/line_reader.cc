#include "rsf/curate/line_reader.h"

#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace rsf::curate {
namespace {

constexpr size_t kChunk = 1 << 20;

std::string_view Base(Compression c) { return CompressionName(c); }

class FileLineReader final : public LineReader {
 public:
  FileLineReader(std::string path, std::FILE* f) : path_(std::move(path)), f_(f), in_(kChunk), out_(kChunk) {}
  ~FileLineReader() override {
    if (f_) std::fclose(f_);
    if (gz_open_) inflateEnd(&gz_);
    if (zd_) ZSTD_freeDStream(zd_);
  }

  Status Init() {
    RSF_RETURN_IF_ERROR(Fill());
    if (in_len_ >= 2 && static_cast<uint8_t>(in_[0]) == 0x1f && static_cast<uint8_t>(in_[1]) == 0x8b) {
      comp_ = Compression::kGzip;
      std::memset(&gz_, 0, sizeof gz_);
      if (inflateInit2(&gz_, 15 + 16) != Z_OK) return InternalError(path_ + ": zlib could not start");
      gz_open_ = true;
    } else if (in_len_ >= 4 && std::memcmp(in_.data(), "\x28\xb5\x2f\xfd", 4) == 0) {
      comp_ = Compression::kZstd;
      zd_ = ZSTD_createDStream();
      if (!zd_) return InternalError(path_ + ": zstd could not start");
      ZSTD_initDStream(zd_);
    }
    return OkStatus();
  }

  Result<bool> Next(std::string* line) override {
    for (;;) {
      const size_t nl = buf_.find('\n', scan_);
      if (nl != std::string::npos) {
        line->assign(buf_, pos_, nl - pos_);
        pos_ = scan_ = nl + 1;
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      // Drop what was consumed before appending more (amortised: once per chunk).
      buf_.erase(0, pos_);
      pos_ = 0;
      scan_ = buf_.size();
      RSF_ASSIGN_OR_RETURN(bool more, Decode());
      if (!more) {
        if (pos_ == buf_.size()) return false;
        line->assign(buf_, pos_, std::string::npos);
        pos_ = scan_ = buf_.size();
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
    }
  }

  Compression compression() const override { return comp_; }
  uint64_t stored_bytes() const override { return stored_; }
  uint64_t text_bytes() const override { return text_; }
  Digest StoredDigest() override {
    if (!digest_) digest_ = sha_.Final();
    return *digest_;
  }

 private:
  // Reads the next chunk of the file into in_; in_len_ 0 at the end.
  Status Fill() {
    in_len_ = std::fread(in_.data(), 1, in_.size(), f_);
    in_pos_ = 0;
    if (in_len_ == 0 && std::ferror(f_)) return InternalError(fmt::format("{}: read error", path_));
    stored_ += in_len_;
    sha_.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in_.data()), in_len_));
    return OkStatus();
  }

  // Appends more text to buf_; false at the end of the file.
  Result<bool> Decode() {
    if (comp_ == Compression::kNone) {
      if (in_pos_ >= in_len_) {
        RSF_RETURN_IF_ERROR(Fill());
        if (in_len_ == 0) return false;
      }
      buf_.append(in_.data() + in_pos_, in_len_ - in_pos_);
      text_ += in_len_ - in_pos_;
      in_pos_ = in_len_;
      return true;
    }
    for (;;) {
      if (in_pos_ >= in_len_) {
        RSF_RETURN_IF_ERROR(Fill());
        if (in_len_ == 0) {
          if (mid_stream_) {
            return DataLossError(fmt::format("{}: the {} stream is truncated (ends after {} stored bytes, {} bytes of text)",
                                             path_, Base(comp_), stored_, text_));
          }
          return false;
        }
      }
      size_t produced = 0;
      if (comp_ == Compression::kGzip) {
        gz_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
        gz_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
        gz_.next_out = reinterpret_cast<Bytef*>(out_.data());
        gz_.avail_out = static_cast<uInt>(out_.size());
        const int rc = inflate(&gz_, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
          return DataLossError(fmt::format("{}: corrupt gzip data after {} stored bytes ({})", path_, stored_,
                                           gz_.msg ? gz_.msg : "inflate failed"));
        }
        in_pos_ = in_len_ - gz_.avail_in;
        produced = out_.size() - gz_.avail_out;
        mid_stream_ = rc != Z_STREAM_END;
        if (rc == Z_STREAM_END) inflateReset(&gz_);  // another member may follow
      } else {
        ZSTD_inBuffer in{in_.data() + in_pos_, in_len_ - in_pos_, 0};
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        const size_t rc = ZSTD_decompressStream(zd_, &out, &in);
        if (ZSTD_isError(rc)) {
          return DataLossError(fmt::format("{}: corrupt zstd data after {} stored bytes ({})", path_, stored_,
                                           ZSTD_getErrorName(rc)));
        }
        in_pos_ += in.pos;
        produced = out.pos;
        mid_stream_ = rc != 0;
      }
      if (produced > 0) {
        buf_.append(out_.data(), produced);
        text_ += produced;
        return true;
      }
    }
  }

  std::string path_;
  std::FILE* f_;
  std::vector<char> in_, out_;
  size_t in_len_ = 0, in_pos_ = 0;
  std::string buf_;
  size_t pos_ = 0, scan_ = 0;  // unread data starts at pos_; no '\n' in [pos_, scan_)
  Compression comp_ = Compression::kNone;
  z_stream gz_;
  bool gz_open_ = false;
  ZSTD_DStream* zd_ = nullptr;
  bool mid_stream_ = false;
  uint64_t stored_ = 0, text_ = 0;
  Sha256 sha_;
  std::optional<Digest> digest_;
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(fmt::format("{}: no such file", path));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return InternalError(fmt::format("{}: cannot be opened: {}", path, std::strerror(errno)));
  auto r = std::make_unique<FileLineReader>(path, f);
  RSF_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<LineReader>(std::move(r));
}

}  // namespace rsf::curate
