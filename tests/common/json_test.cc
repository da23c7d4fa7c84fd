#include "rsf/common/json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "testing/status_matchers.h"

namespace rsf {
namespace {

std::string Canon(std::string_view text) {
  auto j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  auto c = CanonicalJson(*j);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

// RFC 8785 §3.2.2 (the worked example of the whole scheme).
TEST(CanonicalJsonTest, Rfc8785Example) {
  std::string input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(Canon(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// Every control character is escaped, with the short forms where JSON has them; everything
// else (runs of it copied at once) goes through as it is.
TEST(CanonicalJsonTest, EscapesEachControlCharacter) {
  std::string all, want = "\"";
  for (int c = 0; c < 0x20; ++c) {
    all += static_cast<char>(c);
    all += "ab";
    const char* short_form = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : nullptr;
    want += short_form ? std::string(short_form) : fmt::format("\\u{:04x}", c);
    want += "ab";
  }
  want += "\"";
  auto got = CanonicalJson(Json(all));
  ASSERT_RSF_OK(got);
  EXPECT_EQ(*got, want);

  std::string out = "{\"kept\":";
  ASSERT_RSF_OK(AppendCanonicalJson(Json{{"b", "\x7f\xc3\xa9"}, {"a", 1}}, out));
  EXPECT_EQ(out, "{\"kept\":{\"a\":1,\"b\":\"\x7f\xc3\xa9\"}");
  const std::string before = out;
  EXPECT_FALSE(AppendCanonicalJson(Json{{"a", 1}, {"b", std::numeric_limits<double>::infinity()}}, out).ok());
  EXPECT_EQ(out, before) << "left as it was on error";
}

// RFC 8785 §3.2.3: members sorted by UTF-16 code units, not by UTF-8 bytes.
TEST(CanonicalJsonTest, SortsByUtf16CodeUnits) {
  std::string input = R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew",)"
                      R"("1":"One","\ud83d\ude00":"Emoji","\u0080":"Control","\u00f6":"Latin"})";
  std::string c = Canon(input);
  std::vector<std::string> order = {"\\r", "\"1\"", "\xc2\x80", "\xc3\xb6", "\xe2\x82\xac",
                                    "\xf0\x9f\x98\x80", "\xef\xac\xb3"};
  size_t pos = 0;
  for (const auto& key : order) {
    size_t at = c.find(key, pos);
    ASSERT_NE(at, std::string::npos) << key << " out of order in " << c;
    pos = at;
  }
}

// ECMAScript number formatting (RFC 8785 §3.2.2.3, Appendix B samples).
TEST(CanonicalJsonTest, NumberFormatting) {
  EXPECT_EQ(FormatJcsNumber(0.0), "0");
  EXPECT_EQ(FormatJcsNumber(-0.0), "0");
  EXPECT_EQ(FormatJcsNumber(1.0), "1");
  EXPECT_EQ(FormatJcsNumber(-1.5), "-1.5");
  EXPECT_EQ(FormatJcsNumber(1e21), "1e+21");
  EXPECT_EQ(FormatJcsNumber(1e20), "100000000000000000000");
  EXPECT_EQ(FormatJcsNumber(1e-7), "1e-7");
  EXPECT_EQ(FormatJcsNumber(1e-6), "0.000001");
  EXPECT_EQ(FormatJcsNumber(5e-324), "5e-324");
  EXPECT_EQ(FormatJcsNumber(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(FormatJcsNumber(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(FormatJcsNumber(295147905179352830000.0), "295147905179352830000");
  EXPECT_EQ(FormatJcsNumber(0.1), "0.1");
  EXPECT_EQ(FormatJcsNumber(123456789012345680000.0), "123456789012345680000");
}

TEST(CanonicalJsonTest, RejectsUnrepresentableNumbers) {
  EXPECT_RSF_CODE(CanonicalJson(Json((uint64_t{1} << 60) + 1)), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(CanonicalJson(Json(int64_t{9007199254740993})), StatusCode::kInvalidArgument);
  EXPECT_EQ(*CanonicalJson(Json(uint64_t{1} << 60)), "1152921504606847000");  // as JS prints 2**60
  // A double printed in integer form re-parses as an integer and canonicalises the same
  // (found by the ledger_entry fuzzer).
  EXPECT_EQ(Canon("555555555555555555.55555"), "555555555555555600");
  EXPECT_EQ(Canon("555555555555555600"), "555555555555555600");
  EXPECT_EQ(Canon("1E2"), "100");
  EXPECT_EQ(Canon("-0"), "0");
  EXPECT_RSF_CODE(CanonicalJson(Json(std::numeric_limits<double>::infinity())),
                  StatusCode::kInvalidArgument);
  EXPECT_RSF_OK(CanonicalJson(Json(int64_t{9007199254740992})));
}

TEST(CanonicalJsonTest, IsIdempotent) {
  std::string c = Canon(R"({"b":[1,2,{"z":null,"a":"x"}],"a":0.5})");
  EXPECT_EQ(c, R"({"a":0.5,"b":[1,2,{"a":"x","z":null}]})");
  EXPECT_EQ(Canon(c), c);
}

TEST(ParseJsonTest, ErrorsNameSourceLineAndColumn) {
  auto r = ParseJson("{\n  \"a\": 1,\n  \"b\": tru\n}", "policy.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("policy.json:3:"), std::string::npos) << r.status().message();
}

TEST(ParseJsonTest, RejectsDuplicateMembers) {
  auto r = ParseJson(R"({"a":1,"b":{"c":1,"c":2}})", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate member name \"c\""), std::string::npos);
  EXPECT_RSF_OK(ParseJson(R"({"a":{"c":1},"b":{"c":2}})"));
}

TEST(ParseJsonTest, RejectsInvalidUtf8) {
  EXPECT_RSF_CODE(ParseJson("\"\xff\""), StatusCode::kInvalidArgument);
}

TEST(JsonFieldsTest, RequireNamesTheField) {
  Json j = {{"name", "x"}, {"count", "3"}};
  EXPECT_EQ(*RequireString(j, "name", "cfg"), "x");
  auto missing = RequireString(j, "other", "cfg");
  EXPECT_EQ(missing.status().message(), "cfg: missing field 'other'");
  auto wrong = RequireInt(j, "count", "cfg");
  EXPECT_EQ(wrong.status().message(), "cfg: field 'count': expected an integer, got string");
}

TEST(JsonFieldsTest, OptionalFieldsRefuseTheWrongType) {
  const Json j = {{"name", "x"}, {"on", true}, {"count", 3}};
  EXPECT_EQ(*OptionalString(j, "name", "cfg"), "x");
  EXPECT_EQ(*OptionalString(j, "other", "cfg", "dflt"), "dflt");
  EXPECT_EQ(OptionalString(j, "count", "cfg").status().message(),
            "cfg: field 'count': expected a string, got number");
  EXPECT_TRUE(*OptionalBool(j, "on", "cfg"));
  EXPECT_TRUE(*OptionalBool(j, "other", "cfg", true));
  EXPECT_EQ(OptionalBool(j, "name", "cfg").status().message(),
            "cfg: field 'name': expected true or false, got string");
  EXPECT_EQ(OptionalString(Json::array(), "name", "cfg").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(JsonFieldsTest, LenientReadsFallBackInsteadOfThrowing) {
  const Json j = ParseJson(R"({"s":"x","b":true,"i":-4,"u":5,"big":18446744073709551615,"f":1.5,
                               "a":[1],"o":{"k":1}})").value();
  EXPECT_EQ(StringOr(j, "s"), "x");
  EXPECT_EQ(StringOr(j, "i", "none"), "none");
  EXPECT_EQ(StringOr(Json("not an object"), "s", "none"), "none");
  EXPECT_TRUE(BoolOr(j, "b"));
  EXPECT_TRUE(BoolOr(j, "s", true));
  EXPECT_EQ(IntOr(j, "i"), -4);
  EXPECT_EQ(IntOr(j, "u"), 5);
  EXPECT_EQ(IntOr(j, "big", -1), -1);  // does not fit int64_t
  EXPECT_EQ(IntOr(j, "f", -1), -1);    // not an integer
  EXPECT_EQ(UintOr(j, "u"), 5u);
  EXPECT_EQ(UintOr(j, "i", 9), 9u);  // negative
  EXPECT_EQ(UintOr(j, "big"), UINT64_MAX);
  EXPECT_EQ(NumberOr(j, "f"), 1.5);
  EXPECT_EQ(NumberOr(j, "i"), -4.0);
  EXPECT_EQ(NumberOr(j, "s", 2), 2.0);
  EXPECT_EQ(ArrayOr(j, "a").size(), 1u);
  EXPECT_TRUE(ArrayOr(j, "o").is_array());
  EXPECT_TRUE(ArrayOr(j, "o").empty());
  EXPECT_EQ(ObjectOr(j, "o").size(), 1u);
  EXPECT_TRUE(ObjectOr(Json(nullptr), "o").is_object());
  EXPECT_TRUE(ObjectOr(j, "a").empty());
}

}  // namespace
}  // namespace rsf
