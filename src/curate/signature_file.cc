// signatures.bin: encoding and a mapped reader. See signature_file.h.
#include "rsf/curate/signature_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace rsf::curate {
namespace {

static_assert(std::endian::native == std::endian::little, "signatures.bin is little-endian");

constexpr char kMagic[8] = {'R', 'S', 'F', 'S', 'I', 'G', '1', '\n'};
constexpr size_t kHeader = 48;
constexpr size_t kDigestEntry = 20;
constexpr size_t kKeyEntry = 8;

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

template <typename T>
T Get(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

std::string EncodeSignatureSet(const SignatureSet& s) {
  const size_t bands = static_cast<size_t>(s.params.bands);
  const size_t perms = static_cast<size_t>(s.params.permutations());
  std::string out;
  out.reserve(kHeader + (s.exact ? s.documents * kDigestEntry : 0) +
              (s.near ? s.documents * (perms * 2 + bands * kKeyEntry) : 0));
  out.append(kMagic, 8);
  Put<uint32_t>(out, (s.exact ? 1u : 0u) | (s.near ? 2u : 0u));
  Put<uint32_t>(out, static_cast<uint32_t>(s.params.shingle));
  Put<uint32_t>(out, static_cast<uint32_t>(s.params.bands));
  Put<uint32_t>(out, static_cast<uint32_t>(s.params.rows));
  Put<uint64_t>(out, s.params.seed);
  Put<double>(out, s.params.threshold);
  Put<uint64_t>(out, s.documents);
  if (s.exact) {
    std::vector<std::pair<ExactDigest, uint32_t>> sorted;
    sorted.reserve(s.documents);
    for (uint64_t d = 0; d < s.documents; ++d) sorted.emplace_back(s.digests[d], static_cast<uint32_t>(d));
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [digest, doc] : sorted) {
      Put<uint64_t>(out, digest.high);
      Put<uint64_t>(out, digest.low);
      Put<uint32_t>(out, doc);
    }
  }
  if (s.near) {
    out.append(reinterpret_cast<const char*>(s.signatures.data()), s.documents * perms * sizeof(uint16_t));
    std::vector<std::pair<uint32_t, uint32_t>> sorted(s.documents);
    for (size_t b = 0; b < bands; ++b) {
      for (uint64_t d = 0; d < s.documents; ++d) sorted[d] = {s.keys[d * bands + b], static_cast<uint32_t>(d)};
      std::sort(sorted.begin(), sorted.end());
      for (const auto& [key, doc] : sorted) {
        Put<uint32_t>(out, key);
        Put<uint32_t>(out, doc);
      }
    }
  }
  return out;
}

Result<std::unique_ptr<SignatureFile>> SignatureFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFoundError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return InternalError(fmt::format("{}: cannot stat", path));
  }
  std::unique_ptr<SignatureFile> f(new SignatureFile());
  f->size_ = static_cast<size_t>(st.st_size);
  if (f->size_ < kHeader) {
    ::close(fd);
    return DataLossError(fmt::format("{}: {} bytes is shorter than the 48-byte header", path, f->size_));
  }
  void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return InternalError(fmt::format("{}: cannot map: {}", path, std::strerror(errno)));
  f->base_ = static_cast<const unsigned char*>(p);
  const unsigned char* h = f->base_;
  if (std::memcmp(h, kMagic, 8) != 0) return DataLossError(fmt::format("{}: not a signatures file (bad magic)", path));
  const uint32_t flags = Get<uint32_t>(h + 8);
  f->exact_ = flags & 1;
  f->near_ = flags & 2;
  f->params_.shingle = static_cast<int>(Get<uint32_t>(h + 12));
  f->params_.bands = static_cast<int>(Get<uint32_t>(h + 16));
  f->params_.rows = static_cast<int>(Get<uint32_t>(h + 20));
  f->params_.seed = Get<uint64_t>(h + 24);
  f->params_.threshold = Get<double>(h + 32);
  f->documents_ = Get<uint64_t>(h + 40);
  if (flags > 3 || (f->near_ && !ValidateMinHashParams(f->params_).ok()) || f->documents_ > 0xFFFFFFFFull) {
    return DataLossError(fmt::format("{}: corrupt header", path));
  }
  const uint64_t docs = f->documents_;
  // Only a near-dedup section's parameters were validated; the others may be anything.
  const uint64_t perms = f->near_ ? static_cast<uint64_t>(f->params_.permutations()) : 0;
  const uint64_t bands = f->near_ ? static_cast<uint64_t>(f->params_.bands) : 0;
  uint64_t at = kHeader;
  f->digests_at_ = at;
  if (f->exact_) at += docs * kDigestEntry;
  f->signatures_at_ = at;
  if (f->near_) at += docs * perms * 2;
  f->keys_at_ = at;
  if (f->near_) at += docs * bands * kKeyEntry;
  if (at != f->size_) {
    return DataLossError(fmt::format("{}: {} bytes, expected {} for {} documents", path, f->size_, at, docs));
  }
  return f;
}

SignatureFile::~SignatureFile() {
  if (base_ != nullptr) ::munmap(const_cast<unsigned char*>(base_), size_);
}

SignatureFile::DigestEntry SignatureFile::digest_entry(uint64_t i) const {
  const unsigned char* p = base_ + digests_at_ + i * kDigestEntry;
  return {{Get<uint64_t>(p), Get<uint64_t>(p + 8)}, Get<uint32_t>(p + 16)};
}

SignatureFile::KeyEntry SignatureFile::key_entry(int band, uint64_t i) const {
  const unsigned char* p = base_ + keys_at_ + (static_cast<uint64_t>(band) * documents_ + i) * kKeyEntry;
  return {Get<uint32_t>(p), Get<uint32_t>(p + 4)};
}

std::span<const uint16_t> SignatureFile::signature(uint32_t doc) const {
  const size_t perms = static_cast<size_t>(params_.permutations());
  return {reinterpret_cast<const uint16_t*>(base_ + signatures_at_) + static_cast<size_t>(doc) * perms, perms};
}

}  // namespace rsf::curate
