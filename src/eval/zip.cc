// A minimal ZIP reader for Inspect's .eval logs: the central directory, stored and deflated
// members (zlib raw inflate). ZIP64 and encryption are refused with a clear error.
#include <zlib.h>

#include <cstring>

#include <fmt/format.h>

#include "rsf/eval/results.h"

namespace rsf::eval {
namespace {

uint32_t U32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
uint16_t U16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}

Result<std::string> Inflate(std::string_view data, uint32_t expected) {
  if (expected > (256u << 20)) return InvalidArgumentError("zip: a member over 256 MiB is not supported");
  std::string out(expected, '\0');
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return InternalError("zip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || zs.total_out != expected) {
    return InvalidArgumentError("zip: a deflated member is corrupt");
  }
  return out;
}

}  // namespace

Result<std::string> ReadZipMember(std::string_view zip, std::string_view name) {
  if (zip.size() < 22) return InvalidArgumentError("zip: too short to be an archive");
  size_t eocd = std::string_view::npos;
  for (size_t i = zip.size() - 22 + 1; i-- > 0 && zip.size() - i <= 22 + 65535;) {
    if (U32(zip, i) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string_view::npos) return InvalidArgumentError("zip: no end-of-central-directory record");
  const uint16_t count = U16(zip, eocd + 10);
  const uint32_t cd_offset = U32(zip, eocd + 16);
  if (cd_offset == 0xFFFFFFFF || count == 0xFFFF) return InvalidArgumentError("zip: ZIP64 archives are not supported");
  size_t at = cd_offset;
  for (uint16_t i = 0; i < count; ++i) {
    if (at + 46 > zip.size() || U32(zip, at) != 0x02014b50) return InvalidArgumentError("zip: damaged central directory");
    const uint16_t flags = U16(zip, at + 8), method = U16(zip, at + 10);
    const uint32_t csize = U32(zip, at + 20), usize = U32(zip, at + 24);
    const uint16_t nlen = U16(zip, at + 28), xlen = U16(zip, at + 30), clen = U16(zip, at + 32);
    const size_t local = U32(zip, at + 42);  // size_t: local + 30 must not wrap
    if (at + 46 + nlen > zip.size()) return InvalidArgumentError("zip: damaged central directory");
    std::string_view member = zip.substr(at + 46, nlen);
    at += 46 + nlen + xlen + clen;
    if (member != name) continue;
    if (flags & 1) return InvalidArgumentError(fmt::format("zip: member {} is encrypted", name));
    if (local + 30 > zip.size() || U32(zip, local) != 0x04034b50) return InvalidArgumentError("zip: damaged local header");
    const size_t data = local + 30 + size_t{U16(zip, local + 26)} + size_t{U16(zip, local + 28)};
    if (data > zip.size() || csize > zip.size() - data) return InvalidArgumentError(fmt::format("zip: member {} is truncated", name));
    std::string_view bytes = zip.substr(data, csize);
    if (method == 0) return std::string(bytes);
    if (method == 8) return Inflate(bytes, usize);
    return InvalidArgumentError(fmt::format("zip: member {} uses unsupported compression {}", name, method));
  }
  return NotFoundError(fmt::format("zip: no member {}", name));
}

}  // namespace rsf::eval
