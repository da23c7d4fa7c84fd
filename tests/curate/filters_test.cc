#include <gtest/gtest.h>

#include "curate/curate_test_util.h"
#include "rsf/curate/pii.h"
#include "rsf/curate/quality.h"

namespace rsf::curate {
namespace {

TEST(QualityTest, ProsePassesAndEachRuleCatchesItsCase) {
  const QualityFilter q{QualityRules{}};
  for (unsigned seed = 0; seed < 50; ++seed) EXPECT_EQ(q.Check(testing::Prose(seed)), std::nullopt) << testing::Prose(seed);
  EXPECT_EQ(q.Check("Too short to be a document."), "gopher.word_count");
  EXPECT_EQ(q.Check(testing::Prose(1) + " Lorem ipsum dolor sit amet."), "c4.lorem_ipsum");
  std::string symbols = testing::Prose(2);
  for (int i = 0; i < 30; ++i) symbols += " #tag";
  EXPECT_EQ(q.Check(symbols), "gopher.symbol_ratio");
  std::string numbers;
  for (int i = 0; i < 80; ++i) numbers += std::to_string(i * 7919) + " ";
  EXPECT_EQ(q.Check(numbers), "gopher.alpha_words");
  std::string no_stop;
  for (int i = 0; i < 60; ++i) no_stop += "banana orchestra purple ";
  no_stop += ".";
  EXPECT_EQ(q.Check(no_stop), "gopher.stop_words");
  std::string dup_lines;
  for (int i = 0; i < 10; ++i) dup_lines += "Click here to subscribe to the newsletter of the shop.\n";
  dup_lines += testing::Prose(3, 2);
  EXPECT_EQ(q.Check(dup_lines), "gopher.dup_lines");
  const std::string repeated = testing::Prose(4, 2) + " " + testing::Prose(4, 2) + " " + testing::Prose(4, 2);
  auto r = q.Check(repeated);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->starts_with("gopher.top_") || r->starts_with("gopher.dup_")) << *r;
  QualityRules off;
  off.disabled.insert("gopher.word_count");
  EXPECT_NE(QualityFilter(off).Check("Too short to be a document."), "gopher.word_count");
  // C4's curly-bracket rule is off by default (it removes code) and can be switched on.
  const std::string code = testing::Prose(5) + " The function returns {a, b}.";
  EXPECT_EQ(q.Check(code), std::nullopt);
  QualityRules braces;
  braces.disabled.clear();
  EXPECT_EQ(QualityFilter(braces).Check(code), "c4.curly_bracket");
}

TEST(PiiTest, FindsEachKindAndRedactsIt) {
  const PiiScanner s;
  const std::string text =
      "Write to jane.doe+news@example.co.uk or call +1 (415) 555-0132 today. Server 192.168.10.25 logged card "
      "4111 1111 1111 1111 and SSN 123-45-6789, NI number QQ 12 34 56 C is invalid but AB 12 34 56 C is fine.";
  const PiiResult r = s.Scan(text);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kEmail)], 1);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kPhone)], 1);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kIp)], 1);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kCard)], 1);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kNationalId)], 2);
  ASSERT_TRUE(r.redacted);
  EXPECT_EQ(r.text,
            "Write to [EMAIL] or call [PHONE] today. Server [IP] logged card [CARD] and SSN [NATIONAL_ID], NI number QQ "
            "12 34 56 C is invalid but [NATIONAL_ID] is fine.");
}

TEST(PiiTest, LeavesLookAlikesAlone) {
  const PiiScanner s;
  for (const char* clean : {"The year 2026 had 365 days and 12 months.", "Version 1.2.3.4567 was released.",
                            "Card 4111 1111 1111 1112 fails the Luhn check.", "Order 2026-11-23 shipped.",
                            "Area 666-12-3456 is never issued.", "Address 300.1.1.1 is not an IPv4 address.",
                            "user@localhost has no domain", "Reference ABC1234567890 is an identifier."}) {
    EXPECT_TRUE(s.Find(clean).empty()) << clean;
  }
  EXPECT_TRUE(LuhnValid("4111-1111-1111-1111"));
  EXPECT_FALSE(LuhnValid("4111-1111-1111-1112"));
}

TEST(PiiTest, ActionsRemoveCountOrSkip) {
  std::array<PiiAction, kPiiKinds> a;
  a.fill(PiiAction::kCount);
  a[static_cast<size_t>(PiiKind::kCard)] = PiiAction::kRemove;
  a[static_cast<size_t>(PiiKind::kIp)] = PiiAction::kOff;
  const PiiScanner s(a);
  const PiiResult r = s.Scan("mail a@b.org from 10.0.0.1 with 4111111111111111");
  EXPECT_TRUE(r.remove);
  EXPECT_FALSE(r.redacted);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kEmail)], 1);
  EXPECT_EQ(r.found[static_cast<size_t>(PiiKind::kIp)], 0);
  EXPECT_FALSE(ParsePiiAction("scrub").ok());
}

}  // namespace
}  // namespace rsf::curate
