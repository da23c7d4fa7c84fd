#include "rsf/ledger/hash.h"

#include <cstring>

#include "rsf/common/encoding.h"

namespace rsf::ledger {

Hash LeafHash(std::string_view entry) {
  Sha256 h;
  h.Update(uint8_t{0x00});
  h.Update(entry);
  return h.Final();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return Sha256Of(std::span<const uint8_t>(buf, sizeof(buf)));
}

Hash EmptyRoot() { return Sha256Of(std::string_view()); }

std::string HashHex(const Hash& h) { return HexEncode(h); }
std::string HashBase64(const Hash& h) { return Base64Encode(h); }

namespace {
Result<Hash> ToHash(Result<Bytes> bytes, std::string_view text) {
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != 32) {
    return InvalidArgumentError("'" + std::string(text.substr(0, 80)) + "' is " +
                                std::to_string(bytes->size()) + " bytes, a hash is 32");
  }
  Hash h;
  std::memcpy(h.data(), bytes->data(), 32);
  return h;
}
}  // namespace

Result<Hash> ParseHashHex(std::string_view text) {
  if (text.size() != 64) {
    return InvalidArgumentError("expected 64 hex characters for a SHA-256 hash, got " +
                                std::to_string(text.size()));
  }
  return ToHash(HexDecode(text), text);
}

Result<Hash> ParseHashBase64(std::string_view text) { return ToHash(Base64Decode(text), text); }

}  // namespace rsf::ledger
