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
#include <cstdint>
#include <string>
#include <string_view>

namespace rsf::guard {

struct NormalizeOptions {
  size_t max_bytes = 64 * 1024;  // longer inputs are cut (at a character boundary)
  // Most texts are normalised in one pass over their bytes; the general path (each step in
  // turn) gives the same result. False forces the general path, so tests can compare them.
  bool fast_path = true;
};

struct Normalized {
  std::string text;
  bool truncated = false;
  size_t invalid_utf8 = 0;      // byte sequences replaced by U+FFFD
  size_t decoded_payloads = 0;  // base64 payloads decoded and appended
};

Normalized Normalize(std::string_view input, const NormalizeOptions& options = {});

// True when NFKC with case folding leaves the code point unchanged (no decomposition, no case
// folding, not default-ignorable, not combining) and it cannot be the second element of a
// composition: text made of such code points needs no Unicode normalisation. Exposed for tests.
bool IsStableCodePoint(int32_t cp);

}  // namespace rsf::guard
