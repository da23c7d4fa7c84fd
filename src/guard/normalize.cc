#include "rsf/guard/normalize.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "rsf/common/encoding.h"

namespace rsf::guard {
namespace {

// Cyrillic and Greek letters that look like Latin ones (after case folding).
const std::unordered_map<utf8proc_int32_t, char>& Confusables() {
  static const auto* m = new std::unordered_map<utf8proc_int32_t, char>{
      {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
      {0x0445, 'x'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x0455, 's'}, {0x04CF, 'l'}, {0x0501, 'd'},
      {0x051B, 'q'}, {0x051D, 'w'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x0442, 't'},
      {0x0432, 'b'}, {0x03B1, 'a'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03B9, 'i'}, {0x03BD, 'v'},
      {0x03BA, 'k'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03B5, 'e'}, {0x03B7, 'n'},
  };
  return *m;
}

// ASCII character classes, looked up rather than compared (the hot loops run once per byte).
enum : uint8_t { kAlnum = 1, kSep = 2, kB64 = 4 };
struct AsciiTables {
  uint8_t cls[256] = {};
  uint8_t lower[256] = {};
  constexpr AsciiTables() {
    for (int c = 0; c < 256; ++c) {
      const bool upper = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
      lower[c] = static_cast<uint8_t>(upper ? c + 32 : c);
      // kAlnum is for lower-cased text: upper-case letters never reach JoinSpacedLetters.
      cls[c] = static_cast<uint8_t>(((low || digit) ? kAlnum : 0) | ((c == ' ' || c == '.' || c == '-' || c == '_') ? kSep : 0) |
                                    ((upper || low || digit || c == '+' || c == '/') ? kB64 : 0));
    }
  }
};
constexpr AsciiTables kAscii;

}  // namespace

bool IsStableCodePoint(int32_t cp) {
  if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3)) return false;  // Hangul: algorithmic
  const utf8proc_property_t* p = utf8proc_get_property(cp);
  // comb_index: UINT16_MAX when the code point takes no part in composition, below 0x8000
  // when it can only be a first element.
  return p->decomp_seqindex == UINT16_MAX && p->casefold_seqindex == UINT16_MAX && !p->ignorable &&
         p->combining_class == 0 && (p->comb_index == UINT16_MAX || p->comb_index < 0x8000);
}

namespace {

// Valid UTF-8 prefix of at most `max` bytes, invalid sequences replaced by U+FFFD. Sets
// `ascii` when every byte kept is below 0x80 (the common case, which skips Unicode work).
std::string Sanitize(std::string_view in, size_t max, Normalized& out, bool& ascii) {
  std::string s;
  s.reserve(std::min(in.size(), max));
  ascii = true;
  size_t i = 0;
  while (i < in.size()) {
    // Copy a run of ASCII bytes at once.
    size_t j = i;
    const size_t room = i + (max - s.size());
    const size_t limit = std::min(in.size(), room);
    while (j < limit && static_cast<unsigned char>(in[j]) < 0x80) ++j;
    s.append(in.data() + i, j - i);
    i = j;
    if (i >= in.size()) break;
    if (s.size() >= max) {
      out.truncated = true;
      break;
    }
    if (static_cast<unsigned char>(in[i]) < 0x80) continue;
    ascii = false;
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(in.data() + i),
                                          static_cast<utf8proc_ssize_t>(in.size() - i), &cp);
    const size_t len = n > 0 ? static_cast<size_t>(n) : 1;
    const std::string_view piece = n > 0 ? in.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    if (s.size() + piece.size() > max) {
      out.truncated = true;
      break;
    }
    if (n <= 0) ++out.invalid_utf8;
    s.append(piece);
    i += len;
  }
  return s;
}

std::string Nfkc(const std::string& s) {
  utf8proc_uint8_t* result = nullptr;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                                       UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                    static_cast<utf8proc_ssize_t>(s.size()), &result, options);
  if (n < 0) return s;  // cannot happen on sanitised input; keep the text rather than lose it
  std::string out(reinterpret_cast<char*>(result), static_cast<size_t>(n));
  std::free(result);
  return out;
}

// Appends s to out with look-alike letters replaced.
void MapConfusables(std::string_view s, std::string& out) {
  size_t i = 0;
  const auto& map = Confusables();
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    // The look-alikes are two-byte sequences of U+0370..U+052F (lead bytes 0xCD..0xD4).
    if (c < 0xCD || c > 0xD4) {
      out += s[i++];
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                          static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
      out += s[i++];
      continue;
    }
    if (auto it = map.find(cp); it != map.end()) {
      out += it->second;
    } else {
      out.append(s, i, static_cast<size_t>(n));
    }
    i += static_cast<size_t>(n);
  }
}

bool IsAsciiAlnum(char c) { return kAscii.cls[static_cast<unsigned char>(c)] & kAlnum; }

bool IsSeparator(char c) { return kAscii.cls[static_cast<unsigned char>(c)] & kSep; }

// "b o m b" / "b.o.m.b" / "b-o-m-b": runs of 3+ single letters, one separator apart, are
// joined. A leading "a" or "i" stays a word ("make a b o m b" -> "make a bomb"). In place:
// joining only shortens, and text without a run is not touched.
void JoinSpacedLetters(std::string& s) {
  const size_t size = s.size();
  auto single = [&](size_t j) {
    return IsAsciiAlnum(s[j]) && (j == 0 || !IsAsciiAlnum(s[j - 1])) && (j + 1 >= size || !IsAsciiAlnum(s[j + 1]));
  };
  size_t o = 0;  // write position; equals i until the first join
  size_t i = 0;
  while (i < size) {
    // Skip to the next single letter: a letter or digit whose neighbours are not.
    size_t j = i;
    while (j < size && !single(j)) {
      // Inside a word of two or more characters: jump past it.
      if (IsAsciiAlnum(s[j])) {
        while (j < size && IsAsciiAlnum(s[j])) ++j;
      } else {
        ++j;
      }
    }
    if (o != i) std::memmove(&s[o], &s[i], j - i);
    o += j - i;
    i = j;
    if (i >= size) break;
    // Letters of the run sit at i, i + 2, ..., last.
    size_t last = i;
    while (last + 2 < size && IsSeparator(s[last + 1]) && single(last + 2)) last += 2;
    const size_t count = (last - i) / 2 + 1;
    const size_t first = count >= 4 && (s[i] == 'a' || s[i] == 'i') ? 1 : 0;
    if (count - first < 3) {
      s[o++] = s[i++];
      continue;
    }
    if (first) {
      s[o++] = s[i];
      s[o++] = s[i + 1];
    }
    for (size_t k = i + 2 * first; k <= last; k += 2) s[o++] = s[k];
    i = last + 1;
  }
  s.resize(o);
}

// Decodes base64 runs of 24+ characters found in the original (case-preserved) text.
std::string DecodePayloads(std::string_view original, size_t& count) {
  std::string appended;
  size_t i = 0;
  while (i < original.size() && count < 16) {
    if (!(kAscii.cls[static_cast<unsigned char>(original[i])] & kB64)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < original.size() && (kAscii.cls[static_cast<unsigned char>(original[j])] & kB64)) ++j;
    size_t end = j;
    while (end < original.size() && original[end] == '=' && end - j < 2) ++end;
    if (j - i >= 24) {
      std::string_view run = original.substr(i, end - i);
      std::string padded(run);
      while (padded.size() % 4) padded += '=';
      auto decoded = Base64Decode(padded);
      if (decoded.ok()) {
        std::string text(decoded->begin(), decoded->end());
        size_t control = 0;
        for (unsigned char c : text) {
          if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') ++control;
        }
        if (control == 0 && !text.empty()) {
          Normalized scratch;
          bool ascii = true;
          std::string valid = Sanitize(text, text.size(), scratch, ascii);
          if (scratch.invalid_utf8 == 0) {
            appended += "\n" + valid;
            ++count;
          }
        }
      }
    }
    i = end > i ? end : i + 1;
  }
  return appended;
}

// The longest run of base64 characters, without a branch per run (runs end at every word).
size_t LongestBase64Run(std::string_view s) {
  size_t run = 0, longest = 0;
  for (unsigned char c : s) {
    run = (run + 1) & (size_t{0} - ((kAscii.cls[c] & kB64) != 0));
    longest = std::max(longest, run);
  }
  return longest;
}

// Whether JoinSpacedLetters has anything to join: three single letters, one separator apart.
// Branch-free (shift registers of the last five positions' roles), so ordinary text, which
// has none, costs a few operations per byte.
bool HasSpacedLetters(std::string_view s) {
  const size_t n = s.size();
  auto alnum = [&](size_t i) -> uint32_t { return i < n ? kAscii.cls[static_cast<unsigned char>(s[i])] & kAlnum : 0; };
  uint32_t singles = 0, seps = 0, found = 0;
  uint32_t prev = 0, cur = alnum(0);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t next = alnum(i + 1);
    singles = (singles << 1) | (cur & (prev ^ 1) & (next ^ 1));
    seps = (seps << 1) | ((kAscii.cls[static_cast<unsigned char>(s[i])] & kSep) != 0);
    found |= static_cast<uint32_t>((singles & 0b10101) == 0b10101) & static_cast<uint32_t>((seps & 0b01010) == 0b01010);
    prev = cur;
    cur = next;
  }
  return found != 0;
}

// The common case in one pass: text whose code points are all stable (ASCII, quotes, dashes,
// most letters of other scripts) is lower-cased as it is copied, while the same pass looks for
// the two rare things that need more work: a base64-length run (a payload to decode) and
// spaced-out letters (to join). Returns false, having decided nothing, when the text has
// invalid UTF-8, an unstable code point or a look-alike letter, or is cut mid-character: the
// full path handles those.
bool NormalizeFast(std::string_view input, size_t max, Normalized& out) {
  const size_t n = std::min(input.size(), max);
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  out.text.resize(n);
  char* d = out.text.data();
  size_t run = 0, longest = 0;
  // Spaced letters: shift registers of the last positions' roles (single letter, separator),
  // with the letter-or-digit class of the byte after the current one looked up one step early.
  // The registers hold 64 positions; they are searched for the pattern once per block of 32
  // bytes (a multi-byte character adds at most 3 more).
  uint64_t singles = 0, seps = 0, found = 0;
  uint64_t prev = 0;
  uint64_t cur = n ? kAscii.cls[kAscii.lower[p[0]]] & kAlnum : 0;
  size_t i = 0;
  while (i < n) {
    const size_t block_end = std::min(n, i + 32);
    for (; i < block_end; ++i) {
      const unsigned char c = p[i];
      if (c >= 0x80) [[unlikely]] {
        utf8proc_int32_t cp;
        const utf8proc_ssize_t len = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
        if (len <= 0 || !IsStableCodePoint(cp) || Confusables().count(cp)) return false;
        // Its bytes are neither letters, separators nor base64: each resets the run and
        // shifts a zero role into the registers.
        const size_t k = static_cast<size_t>(len);
        std::memcpy(d + i, p + i, k);
        run = 0;
        singles <<= k;
        seps <<= k;
        prev = 0;
        i += k - 1;
        cur = i + 1 < n ? kAscii.cls[kAscii.lower[p[i + 1]]] & kAlnum : 0;
        continue;
      }
      const unsigned char lc = kAscii.lower[c];
      d[i] = static_cast<char>(lc);
      const uint8_t cls = kAscii.cls[lc];
      run = (run + 1) & (size_t{0} - ((cls & kB64) != 0));
      longest = std::max(longest, run);
      const uint64_t next = i + 1 < n ? kAscii.cls[kAscii.lower[p[i + 1]]] & kAlnum : 0;
      singles = (singles << 1) | (cur & (prev ^ 1) & (next ^ 1));
      seps = (seps << 1) | ((cls & kSep) != 0);
      prev = cur;
      cur = next;
    }
    // Single letters at bits b, b+2, b+4 with separators at b+1, b+3.
    found |= singles & (singles >> 2) & (singles >> 4) & (seps >> 1) & (seps >> 3);
  }
  if (longest >= 24) return false;  // maybe a payload to decode
  out.truncated = input.size() > max;
  if (found) JoinSpacedLetters(out.text);
  return true;
}

}  // namespace

Normalized Normalize(std::string_view input, const NormalizeOptions& options) {
  Normalized out;
  if (options.fast_path && NormalizeFast(input, options.max_bytes, out)) return out;
  out = Normalized{};
  bool ascii = true;
  std::string s = Sanitize(input, options.max_bytes, out, ascii);
  std::string payloads = LongestBase64Run(s) >= 24 ? DecodePayloads(s, out.decoded_payloads) : std::string();
  if (!payloads.empty()) {
    s += payloads;
    for (unsigned char c : payloads) ascii = ascii && c < 0x80;
  }
  if (ascii) {
    // NFKC is the identity on ASCII, case folding is lower-casing, and ASCII has neither
    // default-ignorable code points nor look-alikes to map.
    for (char& c : s) c = static_cast<char>(kAscii.lower[static_cast<unsigned char>(c)]);
  } else {
    // Only non-ASCII runs need Unicode work, and most of their code points (quotes, dashes,
    // letters of other scripts) are stable: copied as they are. A run with an unstable one
    // goes through NFKC with the ASCII character before it, the only one a combining mark in
    // the run can compose with (no composition has an ASCII second element).
    std::string folded;
    folded.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i;
      while (j < s.size() && static_cast<unsigned char>(s[j]) < 0x80) ++j;
      const size_t run = j;
      bool stable = true;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) {
        utf8proc_int32_t cp;
        const utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + j),
                                                    static_cast<utf8proc_ssize_t>(s.size() - j), &cp);
        stable = stable && n > 0 && IsStableCodePoint(cp);
        j += n > 0 ? static_cast<size_t>(n) : 1;
      }
      const size_t start = run > i && !stable ? run - 1 : run;
      const size_t at = folded.size();
      folded.resize(at + (start - i));
      for (size_t k = i; k < start; ++k) folded[at + (k - i)] = static_cast<char>(kAscii.lower[static_cast<unsigned char>(s[k])]);
      if (run == j) break;  // ASCII to the end
      if (stable) {
        MapConfusables(std::string_view(s).substr(start, j - start), folded);
      } else {
        MapConfusables(Nfkc(s.substr(start, j - start)), folded);
      }
      i = j;
    }
    s = std::move(folded);
  }
  if (HasSpacedLetters(s)) JoinSpacedLetters(s);
  out.text = std::move(s);
  return out;
}

}  // namespace rsf::guard
