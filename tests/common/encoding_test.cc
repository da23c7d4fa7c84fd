#include "rsf/common/encoding.h"

#include <gtest/gtest.h>

#include "rsf/common/sha256.h"
#include "testing/status_matchers.h"

namespace rsf {
namespace {

// RFC 4648 §10 test vectors.
TEST(EncodingTest, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : kCases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_RSF_OK(decoded);
    EXPECT_EQ(AsChars(*decoded), plain);
  }
}

TEST(EncodingTest, Base64RejectsNonCanonicalInput) {
  EXPECT_RSF_CODE(Base64Decode("Zg="), StatusCode::kInvalidArgument);    // length
  EXPECT_RSF_CODE(Base64Decode("Zh=="), StatusCode::kInvalidArgument);   // padding bits
  EXPECT_RSF_CODE(Base64Decode("Z!=="), StatusCode::kInvalidArgument);   // alphabet
  EXPECT_RSF_CODE(Base64Decode("Zg==Zg=="), StatusCode::kInvalidArgument);  // inner padding
}

TEST(EncodingTest, HexRoundTripAndErrors) {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(HexEncode(b), "007fff10");
  auto d = HexDecode("007FfF10");
  ASSERT_RSF_OK(d);
  EXPECT_EQ(*d, b);
  EXPECT_RSF_CODE(HexDecode("abc"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(HexDecode("zz"), StatusCode::kInvalidArgument);
}

// FIPS 180-4 examples.
TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(HexEncode(h.Final()), Sha256Hex("abc"));
  h.Update("abc");  // reusable after Final
  EXPECT_EQ(HexEncode(h.Final()), Sha256Hex("abc"));
}

}  // namespace
}  // namespace rsf
