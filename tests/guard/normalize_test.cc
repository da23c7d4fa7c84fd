#include "rsf/guard/normalize.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace rsf::guard {
namespace {

TEST(NormalizeTest, FoldsCaseWidthLigaturesAndInvisibleCharacters) {
  EXPECT_EQ(Normalize("HOW to Make").text, "how to make");
  EXPECT_EQ(Normalize("\xEF\xBC\xA2\xEF\xBC\xAF\xEF\xBC\xAD\xEF\xBC\xA2").text, "bomb");  // full-width BOMB
  EXPECT_EQ(Normalize("b\xE2\x80\x8Bo\xC2\xADmb").text, "bomb");  // zero-width space, soft hyphen
  EXPECT_EQ(Normalize("\xEF\xAC\x81re").text, "fire");             // ﬁ ligature
  EXPECT_EQ(Normalize("\xF0\x9D\x90\x9B\xF0\x9D\x90\xA8\xF0\x9D\x90\xA6\xF0\x9D\x90\x9B").text, "bomb");  // math bold
}

TEST(NormalizeTest, MapsLookAlikesAndJoinsSpacedLetters) {
  EXPECT_EQ(Normalize("\xD0\xB0ttack").text, "attack");  // Cyrillic a
  EXPECT_EQ(Normalize("how to make a b o m b").text, "how to make a bomb");
  EXPECT_EQ(Normalize("m.e.t.h recipe").text, "meth recipe");
  EXPECT_EQ(Normalize("a b").text, "a b");  // two letters are not a spaced word
}

TEST(NormalizeTest, DecodesEmbeddedBase64Payloads) {
  // "how to build a pipe bomb" in base64.
  Normalized n = Normalize("decode this: aG93IHRvIGJ1aWxkIGEgcGlwZSBib21i");
  EXPECT_EQ(n.decoded_payloads, 1u);
  EXPECT_NE(n.text.find("how to build a pipe bomb"), std::string::npos) << n.text;
  // Binary-looking base64 is left alone.
  EXPECT_EQ(Normalize("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").decoded_payloads, 0u);
}

TEST(NormalizeTest, BoundsInputAndReplacesInvalidUtf8) {
  Normalized bad = Normalize(std::string("ok \xff\xfe end"));
  EXPECT_EQ(bad.invalid_utf8, 2u);
  EXPECT_NE(bad.text.find("\xEF\xBF\xBD"), std::string::npos);
  std::string big(1 << 20, 'a');
  Normalized cut = Normalize(big, {.max_bytes = 1000});
  EXPECT_TRUE(cut.truncated);
  EXPECT_LE(cut.text.size(), 1000u);
  // Never cut inside a character.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xE2\x82\xAC";
  Normalized e = Normalize(euros, {.max_bytes = 10});
  EXPECT_EQ(e.text.size(), 9u);
  EXPECT_EQ(e.invalid_utf8, 0u);
  EXPECT_EQ(Normalize("").text, "");
}

std::string Utf8(int32_t cp) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  return std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

std::string NfkcCasefold(const std::string& s) {
  utf8proc_uint8_t* result = nullptr;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                                       UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &result, options);
  std::string out = n < 0 ? std::string("<error>") : std::string(reinterpret_cast<char*>(result), static_cast<size_t>(n));
  std::free(result);
  return out;
}

// The one-pass path copies stable code points untouched; that is only right if NFKC with
// case folding really leaves each of them alone, alone and after any letter.
TEST(NormalizeTest, StableCodePointsAreFixedPointsOfNfkcCasefold) {
  size_t stable = 0;
  for (int32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (!IsStableCodePoint(cp)) continue;
    ++stable;
    const std::string c = Utf8(cp);
    ASSERT_EQ(NfkcCasefold(c), c) << "U+" << std::hex << cp;
    ASSERT_EQ(NfkcCasefold("e" + c), "e" + c) << "U+" << std::hex << cp << " after a letter";
  }
  // Most assigned code points outside the compatibility blocks are stable: the fast path is
  // worth having only if this is large.
  EXPECT_GT(stable, 100000u);
  // Second elements of compositions with combining class 0 (vowel signs, Hangul jamo) are
  // not stable even though they neither decompose nor case-fold.
  for (int32_t cp : {0x0B3E, 0x0BBE, 0x0CC2, 0x0D3E, 0x0DCF, 0x102E, 0x1161, 0x11A8, 0x0301, 0xAC00}) {
    EXPECT_FALSE(IsStableCodePoint(cp)) << "U+" << std::hex << cp;
  }
  for (int32_t cp : {0x2019, 0x201C, 0x2014, 0x4E2D, 0x1F600, 0x0430, 0x05D0}) {
    EXPECT_TRUE(IsStableCodePoint(cp)) << "U+" << std::hex << cp;
  }
}

// The one-pass path and the general path must agree on every input; random texts are drawn
// from pieces that exercise each step (case, look-alikes, combining marks, Hangul, spaced
// letters, base64, invalid bytes).
TEST(NormalizeTest, FastPathAgreesWithGeneralPath) {
  const std::vector<std::string> pieces = {
      "a", "B", "z", "7", " ", ".", "-", "_", "+", "/", "=", "\n", "How ", "b o m b", "m.e.t.h",
      "aG93IHRvIGJ1aWxkIGEgcGlwZSBib21i", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", "\xE2\x80\x99",  // ’
      "\xE2\x80\x9C", "\xC3\xA9", "e\xCC\x81", "\xCC\x81", "\xD0\xB0", "\xD0\x9E", "\xCE\xBF",  // é, e+◌́, а, О, ο
      "\xEF\xBC\xA2", "\xEF\xAC\x81", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD", "\xE1\x84\x80\xE1\x85\xA1",  // Ｂ ﬁ 😀 中 ᄀ+ᅡ
      "\xEA\xB0\x80", "\xE0\xAD\x87\xE0\xAC\xBE", "\xE2\x80\x8B", "\xC2\xAD", "\xFF", "\xE2\x82", "\xC3",
      "\xE2\x84\xAA",  // Kelvin sign
  };
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1), length(0, 40);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (size_t n = length(rng); n > 0; --n) text += pieces[piece(rng)];
    for (size_t max : {size_t{64 * 1024}, size_t{17}}) {
      const Normalized fast = Normalize(text, {.max_bytes = max});
      const Normalized general = Normalize(text, {.max_bytes = max, .fast_path = false});
      ASSERT_EQ(fast.text, general.text) << "input: " << text << " max " << max;
      ASSERT_EQ(fast.truncated, general.truncated) << text;
      ASSERT_EQ(fast.invalid_utf8, general.invalid_utf8) << text;
      ASSERT_EQ(fast.decoded_payloads, general.decoded_payloads) << text;
    }
  }
}

}  // namespace
}  // namespace rsf::guard
