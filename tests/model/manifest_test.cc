#include "rsf/model/manifest.h"

#include <gtest/gtest.h>

#include "rsf/ledger/entry.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::model {
namespace {

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    weights_ = dir_.Sub("model.gguf");
    ASSERT_RSF_OK(env_->WriteFileAtomic(weights_, std::string(3 << 20, 'w') + "tail"));
    auto v = ledger::Ledger::Init(*env_, dir_.Sub("ledger"), "example.org/rsf/test");
    ASSERT_RSF_OK(v);
    auto l = ledger::Ledger::Open(*env_, dir_.Sub("ledger"));
    ASSERT_RSF_OK(l);
    ledger_ = std::move(*l);
    auto s = ledger::NoteSigner::Generate("model-signer");
    ASSERT_RSF_OK(s);
    signer_.emplace(*s);
  }

  Manifest Signed() {
    auto m = BuildManifest(*env_, "tiny", {weights_});
    EXPECT_RSF_OK(m);
    EXPECT_RSF_OK(SignManifest(*m, *signer_));
    return *m;
  }

  rsf::testing::TempDir dir_;
  Env* env_ = &Env::Default();
  std::string weights_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::optional<ledger::NoteSigner> signer_;
  rsf::testing::FakeClock clock_;
};

TEST_F(ManifestTest, BuildsSignsAndVerifies) {
  Manifest m = Signed();
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].size, (3u << 20) + 4);
  auto direct = HashFile(*env_, weights_);
  ASSERT_RSF_OK(direct);
  EXPECT_EQ(m.files[0].sha256, direct->first);
  EXPECT_RSF_OK(VerifyManifest(m, {}));
  EXPECT_RSF_OK(VerifyManifest(m, {signer_->Verifier()}));
  auto round = ManifestFromJson(ManifestToJson(m), "test");
  ASSERT_RSF_OK(round);
  EXPECT_EQ(ManifestDigest(*round), ManifestDigest(m));
}

TEST_F(ManifestTest, TamperedOrUntrustedManifestsAreRejected) {
  Manifest m = Signed();
  Manifest changed = m;
  changed.files[0].sha256[0] = changed.files[0].sha256[0] == 'a' ? 'b' : 'a';
  EXPECT_RSF_CODE(VerifyManifest(changed, {}), StatusCode::kPermissionDenied);
  auto other = ledger::NoteSigner::Generate("someone-else");
  ASSERT_RSF_OK(other);
  EXPECT_RSF_CODE(VerifyManifest(m, {other->Verifier()}), StatusCode::kPermissionDenied);
  Json j = ManifestToJson(m);
  j["digest"] = "sha256:00";
  EXPECT_RSF_CODE(ManifestFromJson(j, "x"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(BuildManifest(*env_, "x", {dir_.Sub("missing")}), StatusCode::kNotFound);
}

TEST_F(ManifestTest, GateRefusesUnsignedWeightsUnlessAllowedAndLogsEveryLoad) {
  auto refused = OpenWeights(*env_, *ledger_, clock_, weights_, "llama.cpp", {});
  EXPECT_RSF_CODE(refused, StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("rsf model sign"), std::string::npos);
  EXPECT_EQ(ledger_->Size(), 0u);

  WeightsPolicy allow;
  allow.allow_unsigned = true;
  auto loaded = OpenWeights(*env_, *ledger_, clock_, weights_, "llama.cpp", allow);
  ASSERT_RSF_OK(loaded);
  EXPECT_FALSE(loaded->signed_manifest);
  ASSERT_RSF_OK(ledger_->Publish());
  auto bytes = ledger_->ReadEntry(loaded->load_entry.index);
  ASSERT_RSF_OK(bytes);
  auto e = ledger::DecodeEntry(*bytes);
  ASSERT_RSF_OK(e);
  EXPECT_EQ(e->type, "model.load");
  EXPECT_EQ((*e->body)["unsigned_allowed"], true);
}

TEST_F(ManifestTest, SignedManifestInTheLedgerLetsWeightsLoad) {
  Manifest m = Signed();
  auto appended = ledger_->Append(ManifestEntry(m, clock_));
  ASSERT_RSF_OK(appended);
  WeightsPolicy trusted;
  trusted.trusted = {signer_->Verifier()};
  auto loaded = OpenWeights(*env_, *ledger_, clock_, weights_, "llama.cpp", trusted);
  ASSERT_RSF_OK(loaded);
  EXPECT_TRUE(loaded->signed_manifest);
  EXPECT_EQ(loaded->digest, ManifestDigest(m));
  EXPECT_EQ(loaded->name, "tiny");
  ASSERT_RSF_OK(ledger_->Publish());
  auto e = ledger::DecodeEntry(*ledger_->ReadEntry(loaded->load_entry.index));
  ASSERT_RSF_OK(e);
  ASSERT_EQ(e->refs.size(), 1u);
  EXPECT_EQ(e->refs[0], appended->leaf_hash);

  // The same weights with one byte changed no longer match.
  ASSERT_RSF_OK(env_->WriteFileAtomic(weights_, std::string(3 << 20, 'w') + "tailX"));
  EXPECT_RSF_CODE(OpenWeights(*env_, *ledger_, clock_, weights_, "llama.cpp", trusted),
                  StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace rsf::model
