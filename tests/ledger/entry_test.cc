#include "rsf/ledger/entry.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "rsf/ledger/proof_bundle.h"
#include "testing/status_matchers.h"

namespace rsf::ledger {
namespace {

Entry Sample() {
  Entry e;
  e.type = "eval.result";
  e.time = "2026-11-22T08:16:00.123Z";
  e.subject = "model:sha256:abc";
  e.refs = {LeafHash("policy")};
  e.body = Json{{"metric", "wmdp_bio.accuracy"}, {"value", 0.5}, {"ci", {0.45, 0.55}}};
  return e;
}

TEST(EntryTest, EncodesCanonicallyAndRoundTrips) {
  auto bytes = EncodeEntry(Sample());
  ASSERT_RSF_OK(bytes);
  EXPECT_EQ(*bytes,
            "{\"body\":{\"ci\":[0.45,0.55],\"metric\":\"wmdp_bio.accuracy\",\"value\":0.5},"
            "\"refs\":[\"" + HashHex(LeafHash("policy")) + "\"],\"subject\":\"model:sha256:abc\","
            "\"time\":\"2026-11-22T08:16:00.123Z\",\"type\":\"eval.result\"}");
  auto decoded = DecodeEntry(*bytes);
  ASSERT_RSF_OK(decoded);
  EXPECT_EQ(decoded->subject, "model:sha256:abc");
  EXPECT_EQ(decoded->refs, Sample().refs);
  EXPECT_RSF_CODE(DecodeEntry(std::string(*bytes).insert(1, " ")), StatusCode::kInvalidArgument);
}

// EncodeEntry writes the members itself rather than canonicalising EntryToJson's tree: the two
// must agree byte for byte whatever the entry holds.
TEST(EntryTest, EncodingIsTheCanonicalFormOfItsJson) {
  std::vector<Entry> entries;
  entries.push_back(Sample());
  Entry digest = Sample();
  digest.body.reset();
  digest.body_digest = LeafHash("content");
  digest.refs = {LeafHash("a"), LeafHash("b"), LeafHash("c")};
  entries.push_back(digest);
  Entry plain = Sample();
  plain.refs.clear();
  plain.subject = "quote \" backslash \\ tab \t nul-free \x01 caf\xc3\xa9 \xf0\x9f\x94\x91";
  plain.body = Json{{"z", nullptr}, {"a", {{"\xc3\xa9", 1}, {"e", -2.5e-7}}}, {"list", Json::array()}, {"t", true}};
  entries.push_back(plain);
  for (const auto& e : entries) {
    auto encoded = EncodeEntry(e);
    ASSERT_RSF_OK(encoded);
    auto canonical = CanonicalJson(EntryToJson(e));
    ASSERT_RSF_OK(canonical);
    EXPECT_EQ(*encoded, *canonical);
    ASSERT_RSF_OK(DecodeEntry(*encoded));
  }
  Entry bad = Sample();
  bad.body = Json{{"n", std::numeric_limits<uint64_t>::max()}};
  auto refused = EncodeEntry(bad);
  EXPECT_RSF_CODE(refused, StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("entry: field 'body'"), std::string::npos)
      << refused.status().ToString();
}

TEST(EntryTest, ValidationNamesTheField) {
  auto check = [](auto mutate, const std::string& needle) {
    Entry e = Sample();
    mutate(e);
    auto r = EncodeEntry(e);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  check([](Entry& e) { e.type = "Eval"; }, "field 'type'");
  check([](Entry& e) { e.type = ""; }, "field 'type'");
  check([](Entry& e) { e.time = "yesterday"; }, "field 'time'");
  check([](Entry& e) { e.subject = ""; }, "field 'subject'");
  check([](Entry& e) { e.body_digest = LeafHash("x"); }, "exactly one of 'body' and 'body_digest'");
  check([](Entry& e) { e.body.reset(); }, "exactly one of 'body' and 'body_digest'");
  check([](Entry& e) { e.body = Json{{"big", (uint64_t{1} << 60) + 1}}; }, "field 'body'");
  check([](Entry& e) { e.body = Json{{"pad", std::string(70000, 'x')}}; }, "65,535-byte limit");
}

TEST(EntryTest, FromJsonRejectsUnknownAndMalformedFields) {
  Json j = EntryToJson(Sample());
  ASSERT_RSF_OK(EntryFromJson(j, "in"));
  Json extra = j;
  extra["note"] = "x";
  EXPECT_NE(EntryFromJson(extra, "in").status().message().find("unknown field 'note'"), std::string::npos);
  Json bad_ref = j;
  bad_ref["refs"] = {"abcd"};
  EXPECT_NE(EntryFromJson(bad_ref, "in:3").status().message().find("in:3: field 'refs[0]'"), std::string::npos);
  Json bad_digest = j;
  bad_digest.erase("body");
  bad_digest["body_digest"] = "md5:00";
  EXPECT_NE(EntryFromJson(bad_digest, "in").status().message().find("body_digest"), std::string::npos);
  EXPECT_RSF_CODE(EntryFromJson(Json::array(), "in"), StatusCode::kInvalidArgument);
}

TEST(EntryTest, SelectiveDisclosure) {
  Entry e = Sample();
  e.body.reset();
  std::string content = "hazardous transcript";
  e.body_digest = Sha256Of(content);
  ASSERT_RSF_OK(EncodeEntry(e));
  EXPECT_RSF_OK(CheckDisclosure(e, content));
  EXPECT_RSF_CODE(CheckDisclosure(e, content + "!"), StatusCode::kDataLoss);
  EXPECT_RSF_CODE(CheckDisclosure(Sample(), content), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rsf::ledger
