// `rsf watermark` as a user runs it: keys, generation with the shared GGUF through llama.cpp,
// detection from the tokenizer alone (text, stdin, JSON Lines), bad input, and a small eval.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/rsf_cli.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using nlohmann::json;
using rsf::testing::Describe;
using rsf::testing::Rsf;

std::string Gguf() {
  const char* src = std::getenv("RSF_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/data/models/stories260K.gguf";
}

TEST(WatermarkCliTest, KeygenWritesAPrivateKeyringAndRefusesBadInput) {
  rsf::testing::TempDir tmp;
  const std::string keys = tmp.Sub("keys.json");
  auto r = Rsf({"watermark", "keygen", "--keys", keys, "--id", "wm-1"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("kgw(gamma=0.25,delta=2,h=1)"), std::string::npos);
  EXPECT_EQ(r.out.find(json::parse(std::ifstream(keys))["keys"][0]["secret"].get<std::string>()), std::string::npos)
      << "the secret is never printed";
  struct stat st;
  ASSERT_EQ(::stat(keys.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(Rsf({"watermark", "keygen", "--keys", keys, "--id", "wm-2", "--scheme", "gumbel", "--no-activate"}).exit_code, 0);
  const json ring = json::parse(std::ifstream(keys));
  EXPECT_EQ(ring["active"], "wm-1");
  EXPECT_EQ(ring["keys"].size(), 2u);
  EXPECT_EQ(Rsf({"watermark", "keygen", "--keys", keys, "--id", "wm-1"}).exit_code, 5);  // exists
  auto bad = Rsf({"watermark", "keygen", "--keys", keys, "--id", "wm-3", "--gamma", "1.5"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("gamma"), std::string::npos) << Describe(bad);
  std::ofstream(tmp.Sub("broken.json")) << "{\"format\": \"rsf-watermark-keys/v1\", \"keys\": 3}";
  auto broken = Rsf({"watermark", "detect", "--keys", tmp.Sub("broken.json"), "--tokenizer", Gguf(), "some text"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.json: 'keys'"), std::string::npos) << Describe(broken);
}

TEST(WatermarkCliTest, GeneratesThenDetectsFromTheTokenizerAlone) {
  if (!std::filesystem::exists(Gguf())) GTEST_SKIP() << Gguf() << " absent: shared data not available";
  rsf::testing::TempDir tmp;
  const std::string keys = tmp.Sub("keys.json"), ledger = tmp.Sub("ledger");
  // A fixed key (SHA-256 of "rsf-watermark-cli-test"), not keygen's random one: with a fresh key
  // each run, 200 tokens of this tiny model scored below 1e-5 only ~95% of the time, so the test
  // was a coin toss. Fixed key + seed make the run reproducible; 400 tokens leave a wide margin.
  std::ofstream(keys) << json({{"format", "rsf-watermark-keys/v1"},
                               {"active", "wm-1"},
                               {"keys",
                                {{{"id", "wm-1"},
                                  {"scheme", "kgw"},
                                  {"gamma", 0.25},
                                  {"delta", 2.0},
                                  {"context_width", 1},
                                  {"created", "2026-11-01T00:00:00.000Z"},
                                  {"secret", "6ea6c6cbb304115e9bdf37966b00a00a3ff9bbab26ab9cd6f1e7634509bc2489"}}}}})
                              .dump();
  std::filesystem::permissions(keys, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/wm"}).exit_code, 0);
  auto gen = Rsf({"watermark", "generate", "--keys", keys, "--prompt", "Once upon a time", "--model", "gguf:" + Gguf(),
                  "--allow-unsigned", "--ledger", ledger, "--max-tokens", "400", "--seed", "3"});
  if (gen.exit_code == 1 && gen.err.find("built without llama.cpp") != std::string::npos) {
    GTEST_SKIP() << "built without llama.cpp";
  }
  ASSERT_EQ(gen.exit_code, 0) << Describe(gen);
  EXPECT_NE(gen.err.find("watermark: key wm-1 kgw"), std::string::npos);
  const std::string text = gen.out;
  auto det = Rsf({"watermark", "detect", "--keys", keys, "--tokenizer", Gguf(), "--stdin"}, text);
  ASSERT_EQ(det.exit_code, 0) << Describe(det);
  const json j = json::parse(det.out);
  EXPECT_EQ(j["verdict"], "watermarked") << det.out;
  EXPECT_EQ(j["key_id"], "wm-1");
  EXPECT_LT(j["log10_p"].get<double>(), -5);
  // Unwatermarked text, a key id not in the ring, and JSON Lines input.
  std::ofstream(tmp.Sub("in.jsonl")) << json({{"id", "marked"}, {"text", text}}).dump() << "\n"
                                     << json({{"id", "human"}, {"text", "The little dog ran to the park to play "
                                                                         "with a red ball, and then he went home to "
                                                                         "sleep in his warm bed by the fire."}})
                                            .dump()
                                     << "\n";
  auto lines = Rsf({"watermark", "detect", "--keys", keys, "--tokenizer", Gguf(), "--jsonl", tmp.Sub("in.jsonl"),
                    "--format", "text"});
  ASSERT_EQ(lines.exit_code, 0) << Describe(lines);
  EXPECT_NE(lines.out.find("marked: watermarked"), std::string::npos) << lines.out;
  EXPECT_NE(lines.out.find("human: not_watermarked"), std::string::npos) << lines.out;
  auto unknown = Rsf({"watermark", "detect", "--keys", keys, "--tokenizer", Gguf(), "--key-id", "wm-9", text});
  EXPECT_EQ(json::parse(unknown.out)["verdict"], "unknown_key_id");
  auto missing = Rsf({"watermark", "detect", "--keys", keys, "--tokenizer", tmp.Sub("none.gguf"), text});
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
}

TEST(WatermarkCliTest, EvalWritesReportsInEveryFormat) {
  if (!std::filesystem::exists(Gguf())) GTEST_SKIP() << Gguf() << " absent: shared data not available";
  rsf::testing::TempDir tmp;
  const std::string ledger = tmp.Sub("ledger");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/wm"}).exit_code, 0);
  auto r = Rsf({"watermark", "eval", "--model", "gguf:" + Gguf(), "--allow-unsigned", "--ledger", ledger, "--samples",
                "6", "--tokens", "60", "--null-keys", "20", "--out", tmp.Sub("out"), "--format", "json"});
  if (r.exit_code == 1 && r.err.find("built without llama.cpp") != std::string::npos) GTEST_SKIP() << "no llama.cpp";
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["format"], "rsf-watermark-eval/v1");
  EXPECT_EQ(j["samples"], 6);
  bool clean = false;
  for (const auto& c : j["tpr"]) clean = clean || (c["attack"] == "clean" && c["tokens"] == 60 && c["total"] == 6);
  EXPECT_TRUE(clean) << j["tpr"].dump();
  EXPECT_EQ(j["fpr"][1]["trials"], 6 * 20);
  for (const char* f : {"watermark-eval.json", "watermark-eval.md", "watermark-eval.html", "watermark-eval.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(tmp.Sub("out/") + f)) << f;
  }
  std::ifstream svg(tmp.Sub("out/watermark-eval.svg"));
  EXPECT_NE(std::string(std::istreambuf_iterator<char>(svg), {}).find("<polyline"), std::string::npos);
}

}  // namespace
}  // namespace rsf::cli
