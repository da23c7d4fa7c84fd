// include/rsf/curate/line_reader.h
//
// Lines of a corpus file, streamed with bounded memory: plain text, gzip (one or several
// members) or zstd (one or several frames), recognised by their magic bytes rather than the
// file name. While reading it computes the SHA-256 of the file's bytes as stored, for the
// manifest. A compressed file that ends inside a stream is an error (kDataLoss naming the
// file and how far it got), never a silently shorter corpus.
//
// Thread safety: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rsf/common/sha256.h"
#include "rsf/common/status.h"

namespace rsf::curate {

enum class Compression { kNone, kGzip, kZstd };
std::string_view CompressionName(Compression c);  // "none", "gzip", "zstd"

class LineReader {
 public:
  virtual ~LineReader() = default;
  // kNotFound when the file does not exist.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);

  // The next line without its '\n' (and without a trailing '\r'); false at the end.
  // kDataLoss for a truncated or corrupt compressed stream; kInternal for I/O errors.
  virtual Result<bool> Next(std::string* line) = 0;

  virtual Compression compression() const = 0;
  virtual uint64_t stored_bytes() const = 0;  // read from the file so far
  virtual uint64_t text_bytes() const = 0;    // after decompression, so far
  // SHA-256 of the stored bytes; complete once Next has returned false.
  virtual Digest StoredDigest() = 0;
};

}  // namespace rsf::curate
