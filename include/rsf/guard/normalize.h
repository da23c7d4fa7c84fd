// include/rsf/guard/normalize.h
//
// What the guard sees of a text: the same string an attacker's obfuscations collapse to.
// Steps, in order:
//   1. bound the input (max_bytes; the result says it was truncated) and replace invalid
//      UTF-8 with U+FFFD (counted);
//   2. Unicode NFKC with case folding and removal of default-ignorable code points (zero-width
//      joiners, soft hyphens, bidi controls) — full-width letters, ligatures and styled
//      mathematical letters become plain ones;
//   3. look-alike letters from Cyrillic and Greek mapped to the Latin ones they imitate;
//   4. letters spaced or dotted apart ("b o m b", "b.o.m.b") joined back into words;
//   5. embedded base64 payloads (24+ characters that decode to printable UTF-8) decoded and
//      appended, so a classifier sees what they say.
// Bounded time and memory: linear in min(input, max_bytes).
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rsf::guard {

struct NormalizeOptions {
  size_t max_bytes = 64 * 1024;  // longer inputs are cut (at a character boundary)
};

struct Normalized {
  std::string text;
  bool truncated = false;
  size_t invalid_utf8 = 0;      // byte sequences replaced by U+FFFD
  size_t decoded_payloads = 0;  // base64 payloads decoded and appended
};

Normalized Normalize(std::string_view input, const NormalizeOptions& options = {});

}  // namespace rsf::guard
