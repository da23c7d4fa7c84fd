// include/rsf/ledger/hash.h
//
// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256 and domain separation:
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   empty tree = SHA-256("")
// See docs/formats/ledger.md.
//
// Thread safety: stateless functions, safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "rsf/common/sha256.h"
#include "rsf/common/status.h"

namespace rsf::ledger {

using Hash = Digest;

Hash LeafHash(std::string_view entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRoot();

std::string HashHex(const Hash& h);
std::string HashBase64(const Hash& h);
// kInvalidArgument unless `text` is 64 hex characters (32 bytes).
Result<Hash> ParseHashHex(std::string_view text);
// kInvalidArgument unless `text` is standard base64 of exactly 32 bytes.
Result<Hash> ParseHashBase64(std::string_view text);

}  // namespace rsf::ledger
