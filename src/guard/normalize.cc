#include "rsf/guard/normalize.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
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

std::string MapConfusables(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  const auto& map = Confusables();
  while (i < s.size()) {
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
  return out;
}

bool IsAsciiAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsSeparator(char c) { return c == ' ' || c == '.' || c == '-' || c == '_'; }

// "b o m b" / "b.o.m.b" / "b-o-m-b": runs of 3+ single letters, one separator apart, are
// joined. A leading "a" or "i" stays a word ("make a b o m b" -> "make a bomb").
std::string JoinSpacedLetters(const std::string& s) {
  auto single = [&](size_t j) {
    return IsAsciiAlnum(s[j]) && (j == 0 || !IsAsciiAlnum(s[j - 1])) && (j + 1 >= s.size() || !IsAsciiAlnum(s[j + 1]));
  };
  std::string out(s.size(), '\0');  // joining only shortens
  size_t o = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (!single(i)) {
      out[o++] = s[i++];
      continue;
    }
    // Letters of the run sit at i, i + 2, ..., last.
    size_t last = i;
    while (last + 2 < s.size() && IsSeparator(s[last + 1]) && single(last + 2)) last += 2;
    const size_t count = (last - i) / 2 + 1;
    const size_t first = count >= 4 && (s[i] == 'a' || s[i] == 'i') ? 1 : 0;
    if (count - first < 3) {
      out[o++] = s[i++];
      continue;
    }
    if (first) {
      out[o++] = s[i];
      out[o++] = s[i + 1];
    }
    for (size_t k = i + 2 * first; k <= last; k += 2) out[o++] = s[k];
    i = last + 1;
  }
  out.resize(o);
  return out;
}

bool IsB64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Decodes base64 runs of 24+ characters found in the original (case-preserved) text.
std::string DecodePayloads(std::string_view original, size_t& count) {
  std::string appended;
  size_t i = 0;
  while (i < original.size() && count < 16) {
    if (!IsB64(original[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < original.size() && IsB64(original[j])) ++j;
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

}  // namespace

Normalized Normalize(std::string_view input, const NormalizeOptions& options) {
  Normalized out;
  bool ascii = true;
  std::string s = Sanitize(input, options.max_bytes, out, ascii);
  std::string payloads = DecodePayloads(s, out.decoded_payloads);
  if (!payloads.empty()) {
    s += payloads;
    for (unsigned char c : payloads) ascii = ascii && c < 0x80;
  }
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  if (ascii) {
    // NFKC is the identity on ASCII, case folding is lower-casing, and ASCII has neither
    // default-ignorable code points nor look-alikes to map.
    for (char& c : s) c = lower(c);
  } else {
    // Only the non-ASCII runs need Unicode work. Each goes through NFKC with the ASCII
    // character before it, the only one a combining mark in the run can compose with (no
    // composition has an ASCII second element).
    std::string folded;
    folded.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i;
      while (j < s.size() && static_cast<unsigned char>(s[j]) < 0x80) ++j;
      const size_t run = j;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) ++j;
      if (run == j) {  // ASCII to the end
        for (size_t k = i; k < j; ++k) folded += lower(s[k]);
        break;
      }
      const size_t start = run > i ? run - 1 : run;
      for (size_t k = i; k < start; ++k) folded += lower(s[k]);
      folded += MapConfusables(Nfkc(s.substr(start, j - start)));
      i = j;
    }
    s = std::move(folded);
  }
  out.text = JoinSpacedLetters(s);
  return out;
}

}  // namespace rsf::guard
