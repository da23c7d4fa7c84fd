#include "rsf/watermark/keyring.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace rsf::watermark {
namespace {

TEST(KeyringTest, RoundTripsAndWritesTheFileForTheOwnerOnly) {
  auto a = NewKey("wm-a", {Scheme::kKgw, 0.25, 2.0, 1}, "2026-11-23T00:00:00Z");
  auto b = NewKey("wm-b", {Scheme::kGumbel, 0.25, 2.0, 2}, "2026-11-23T00:00:00Z");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key.secret, b->key.secret);
  Keyring ring;
  ring.keys = {*a, *b};
  ring.active = "wm-b";
  testing::TempDir dir;
  Env& env = Env::Default();
  ASSERT_TRUE(SaveKeyring(env, dir.Sub("keys.json"), ring).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.Sub("keys.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = LoadKeyring(env, dir.Sub("keys.json"));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->keys.size(), 2u);
  EXPECT_EQ(back->Active()->key.id, "wm-b");
  EXPECT_EQ(back->keys[0].key.secret, a->key.secret);
  EXPECT_EQ(back->keys[1].params.scheme, Scheme::kGumbel);
  EXPECT_EQ(back->keys[1].params.context_width, 2);
}

TEST(KeyringTest, MalformedFilesNameTheField) {
  auto msg = [](std::string_view json) { return ParseKeyring(json, "k.json").status().message(); };
  EXPECT_NE(msg("{}").find("not a watermark keyring"), std::string::npos);
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","keys":[]})").find("'keys'"), std::string::npos);
  const std::string secret(64, 'a');
  const std::string key = R"({"id":"a","secret":")" + secret + R"(","scheme":"kgw","gamma":0.25,"delta":2,"context_width":1})";
  EXPECT_TRUE(ParseKeyring(R"({"format":"rsf-watermark-keys/v1","active":"a","keys":[)" + key + "]}", "k.json").ok());
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":"a","keys":[)" + key + "," + key + "]}").find("twice"),
            std::string::npos);
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":"b","keys":[)" + key + "]}").find("'active'"),
            std::string::npos);
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":"a","keys":[{"id":"a","secret":"abc","scheme":"kgw"}]})")
                .find("keys[0]: 'secret'"),
            std::string::npos);
  // Fields of the wrong type are errors, never exceptions (found by fuzz/watermark_fuzzer.cc).
  EXPECT_NE(msg(R"({"format":0})").find("not a watermark keyring"), std::string::npos);
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":7,"keys":[)" + key + "]}").find("field 'active': expected a string"),
            std::string::npos);
  std::string bad_created = key;
  bad_created.insert(1, R"("created":[],)");
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":"a","keys":[)" + bad_created + "]}").find("keys[0]: field 'created'"),
            std::string::npos);
  std::string bad_gamma = key;
  bad_gamma.replace(bad_gamma.find("0.25"), 4, "1.50");
  EXPECT_NE(msg(R"({"format":"rsf-watermark-keys/v1","active":"a","keys":[)" + bad_gamma + "]}").find("gamma"),
            std::string::npos);
}

}  // namespace
}  // namespace rsf::watermark
