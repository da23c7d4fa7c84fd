// include/rsf/common/encoding.h
//
// Hex and base64 (RFC 4648 §4, standard alphabet, padded) encoding of byte strings.
// Decoders are strict: they reject wrong lengths, bad characters and non-canonical padding,
// so that one value has exactly one accepted encoding.
//
// Thread safety: stateless functions, safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf {

using Bytes = std::vector<uint8_t>;

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex.
std::string HexEncode(std::span<const uint8_t> data);

// Escapes &, <, > and " for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);
// Accepts upper or lower case; kInvalidArgument on odd length or a non-hex character.
Result<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(std::span<const uint8_t> data);
// kInvalidArgument on any character outside the alphabet, missing or extra padding, or
// non-zero trailing bits.
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace rsf
