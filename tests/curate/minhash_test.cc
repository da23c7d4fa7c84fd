#include "rsf/curate/minhash.h"

#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "curate/curate_test_util.h"
#include "rsf/curate/lsh_index.h"
#include "rsf/curate/signature_file.h"
#include "testing/temp_dir.h"

namespace rsf::curate {
namespace {

// Replaces about `rate` of the words of `text` with "edited" (deterministic).
std::string EditWords(const std::string& text, double rate, unsigned seed) {
  std::istringstream in(text);
  std::mt19937 rng(seed);
  std::string word, out;
  while (in >> word) {
    if (!out.empty()) out += ' ';
    out += std::uniform_real_distribution<double>(0, 1)(rng) < rate ? "edited" + std::to_string(rng() % 1000) : word;
  }
  return out;
}

TEST(MinHashTest, SimilarityTracksEditsAndIgnoresCaseAndPunctuation) {
  const MinHasher h{MinHashParams{}};
  const std::string a = testing::Prose(1, 40);
  const Signature sa = h.Compute(a);
  EXPECT_EQ(sa.size(), 126u);
  EXPECT_EQ(sa, h.Compute(a));
  std::string shouted = a;
  for (char& c : shouted) c = c == '.' ? ';' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(EstimateJaccard(sa, h.Compute(shouted)), 1.0);
  const double light = EstimateJaccard(sa, h.Compute(EditWords(a, 0.05, 1)));
  const double heavy = EstimateJaccard(sa, h.Compute(EditWords(a, 0.20, 2)));
  const double unrelated = EstimateJaccard(sa, h.Compute(testing::Prose(2, 40)));
  EXPECT_GT(light, 0.6);
  EXPECT_GT(heavy, 0.3);
  EXPECT_LT(heavy, light);
  EXPECT_LT(unrelated, 0.15);
  // Another seed, other permutations: signatures differ but still agree on equal texts.
  MinHashParams other;
  other.seed = 2;
  const MinHasher h2(other);
  EXPECT_NE(h2.Compute(a), sa);
  EXPECT_EQ(h2.Compute(a), h2.Compute(a));
  // Texts shorter than a shingle and texts without words still have signatures.
  EXPECT_EQ(h.Compute("two words").size(), 126u);
  EXPECT_EQ(h.Compute("!!! ..."), h.Compute(""));
}

TEST(MinHashTest, BandingFollowsTheSCurveAndParametersAreChecked) {
  EXPECT_NEAR(CandidateProbability(1.0, 42, 3), 1.0, 1e-12);
  EXPECT_NEAR(CandidateProbability(0.0, 42, 3), 0.0, 1e-12);
  EXPECT_NEAR(CandidateProbability(0.5, 1, 1), 0.5, 1e-12);
  EXPECT_GT(CandidateProbability(0.34, 42, 3), 0.8);
  EXPECT_LT(CandidateProbability(0.05, 42, 3), 0.01);
  MinHashParams p;
  p.rows = 0;
  EXPECT_NE(ValidateMinHashParams(p).message().find("rows"), std::string::npos);
  p = {};
  p.threshold = 1.5;
  EXPECT_NE(ValidateMinHashParams(p).message().find("threshold"), std::string::npos);
  EXPECT_TRUE(ValidateMinHashParams(MinHashParams{}).ok());
}

TEST(LshIndexTest, FindsEditedCopiesOfKeptDocumentsAndNothingElse) {
  const MinHasher h{MinHashParams{}};
  LshIndex index(h);
  std::vector<uint32_t> keys;
  // Enough documents that the table grows several times.
  for (unsigned i = 0; i < 300; ++i) {
    const Signature s = h.Compute(testing::Prose(i, 30));
    index.Keys(s, keys);
    EXPECT_EQ(index.Add(s, keys), i);
  }
  EXPECT_EQ(index.size(), 300u);
  EXPECT_GT(index.memory_bytes(), 300u * 126 * 2);
  for (unsigned i : {0u, 7u, 150u, 299u}) {
    const Signature s = h.Compute(EditWords(testing::Prose(i, 30), 0.1, i));
    index.Keys(s, keys);
    auto m = index.Find(s, keys);
    ASSERT_TRUE(m.has_value()) << i;
    EXPECT_EQ(m->doc, i);
    EXPECT_GE(m->similarity, 0.3);
  }
  for (unsigned i = 1000; i < 1050; ++i) {
    const Signature s = h.Compute(testing::Prose(i, 30));
    index.Keys(s, keys);
    EXPECT_FALSE(index.Find(s, keys).has_value()) << i;
  }
}

TEST(SignatureFileTest, RoundTripsSortedAndRefusesDamage) {
  rsf::testing::TempDir dir;
  MinHashParams p;
  p.bands = 4;
  p.rows = 2;
  const MinHasher h(p);
  SignatureSet set;
  set.exact = set.near = true;
  set.params = p;
  for (unsigned d = 0; d < 50; ++d) {
    const Signature s = h.Compute(testing::Prose(d));
    set.digests.push_back({(d * 7919u) % 50, d});
    set.signatures.insert(set.signatures.end(), s.begin(), s.end());
    for (int b = 0; b < p.bands; ++b) set.keys.push_back(h.BandKey(s, b));
    ++set.documents;
  }
  const std::string bytes = EncodeSignatureSet(set);
  testing::Write(dir.Sub("s.bin"), bytes);
  auto f = SignatureFile::Open(dir.Sub("s.bin"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)->documents(), 50u);
  EXPECT_EQ((*f)->params().bands, 4);
  for (uint64_t i = 1; i < 50; ++i) {
    EXPECT_LE((*f)->digest_entry(i - 1).digest, (*f)->digest_entry(i).digest);
    EXPECT_LE((*f)->key_entry(3, i - 1).key, (*f)->key_entry(3, i).key);
  }
  const auto e = (*f)->key_entry(2, 10);
  const auto sig = (*f)->signature(e.doc);
  EXPECT_EQ(h.BandKey(sig, 2), e.key);
  EXPECT_EQ(std::vector<uint16_t>(sig.begin(), sig.end()), h.Compute(testing::Prose(e.doc)));

  testing::Write(dir.Sub("cut.bin"), bytes.substr(0, bytes.size() - 3));
  auto cut = SignatureFile::Open(dir.Sub("cut.bin"));
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(cut.status().message().find("expected"), std::string::npos);
  testing::Write(dir.Sub("bad.bin"), "NOTASIG!" + bytes.substr(8));
  EXPECT_EQ(SignatureFile::Open(dir.Sub("bad.bin")).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(SignatureFile::Open(dir.Sub("none.bin")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace rsf::curate
