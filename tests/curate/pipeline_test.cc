#include "rsf/curate/pipeline.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "curate/curate_test_util.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "testing/temp_dir.h"

namespace rsf::curate {
namespace {

std::string Doc(const std::string& text, const std::string& id) {
  return Json{{"id", id}, {"text", text}}.dump();
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // a.jsonl: 40 good documents, 5 exact duplicates of earlier ones, one with an e-mail, one
    // with a card number, one too short, and bad lines of each kind.
    std::string a;
    for (unsigned i = 0; i < 40; ++i) a += Doc(testing::Prose(i), "a" + std::to_string(i)) + "\n";
    for (unsigned i = 0; i < 5; ++i) a += Doc(testing::Prose(i), "dup" + std::to_string(i)) + "\n";
    a += Doc(testing::Prose(100) + " Contact me at someone@example.com for details.", "mail") + "\n";
    a += Doc(testing::Prose(101) + " My card is 4111 1111 1111 1111.", "card") + "\n";
    a += Doc("Too short.", "short") + "\n";
    a += "{\"text\": broken json\n";
    a += "{\"text\":\"bad \xff utf-8 " + testing::Prose(102) + "\"}\n";
    a += "{\"body\":\"no text field\"}\n";
    testing::Write(dir_.Sub("a.jsonl"), a);
    // b.jsonl.gz and c.jsonl.zst: more good documents, one duplicate across files.
    std::string b, c;
    for (unsigned i = 200; i < 230; ++i) b += Doc(testing::Prose(i), "b" + std::to_string(i)) + "\n";
    b += Doc(testing::Prose(7), "dup-across") + "\n";
    for (unsigned i = 300; i < 330; ++i) c += Doc(testing::Prose(i), "c" + std::to_string(i)) + "\n";
    testing::Write(dir_.Sub("b.jsonl.gz"), testing::Gzip(b));
    testing::Write(dir_.Sub("c.jsonl.zst"), testing::Zstd(c));
  }

  // The guard (slow to load in sanitiser builds) runs in the first test only.
  std::string Config(const std::string& output, const std::string& extra = "", bool guard = false) {
    return "inputs: [a.jsonl, b.jsonl.gz, c.jsonl.zst]\noutput: " + output + "\nstages:\n  pii: {card: remove}\n" +
           (guard ? "" : "  guard: false\n") + extra;
  }

  Result<PipelineResult> RunWith(const std::string& yaml, int threads) {
    RSF_ASSIGN_OR_RETURN(PipelineConfig c, ParsePipelineConfig(yaml, dir_.Sub("pipeline.yaml"), dir_.path()));
    RunOptions o;
    o.threads = threads;
    o.batch_documents = 7;  // many batches, so ordering across workers is exercised
    return RunPipeline(Env::Default(), c, o);
  }

  rsf::testing::TempDir dir_;
};

TEST_F(PipelineTest, KeepsRemovesRedactsAndAccountsForEveryLine) {
  auto r = RunWith(Config("out", "", true), 3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Json& m = r->manifest;
  EXPECT_EQ(m["counts"]["documents"], 40 + 5 + 3 + 31 + 30);
  EXPECT_EQ(m["counts"]["errors"], 3);
  EXPECT_EQ(m["errors"]["by_reason"]["invalid_json"], 1);
  EXPECT_EQ(m["errors"]["by_reason"]["invalid_utf8"], 1);
  EXPECT_EQ(m["errors"]["by_reason"]["missing_text_field"], 1);
  EXPECT_EQ(m["errors"]["first"][0]["file"], "a.jsonl");
  EXPECT_EQ(m["errors"]["first"][0]["line"], 49);
  EXPECT_EQ(m["stages"]["quality"]["reasons"]["gopher.word_count"], 1);
  EXPECT_EQ(m["stages"]["pii"]["reasons"]["pii.card"], 1);
  EXPECT_EQ(m["stages"]["pii"]["found"]["email"], 1);
  EXPECT_EQ(m["stages"]["pii"]["redacted_documents"], 1);
  EXPECT_EQ(m["stages"]["exact_dedup"]["removed"], 6);
  EXPECT_EQ(m["stages"]["guard"]["removed"], 0);
  EXPECT_EQ(m["stages"]["near_dedup"]["removed"], 0);
  EXPECT_EQ(m["counts"]["kept"], 40 + 1 + 30 + 30);
  EXPECT_EQ(m["counts"]["removed"], 5 + 1 + 1 + 1);
  // The outputs are what the manifest says.
  const std::string kept = testing::Read(dir_.Sub("out/kept.jsonl"));
  EXPECT_EQ(m["outputs"]["kept"]["sha256"], Sha256Hex(kept));
  EXPECT_EQ(m["outputs"]["removed"]["sha256"], Sha256Hex(testing::Read(dir_.Sub("out/removed.jsonl"))));
  EXPECT_EQ(m["inputs"][1]["compression"], "gzip");
  EXPECT_EQ(m["inputs"][2]["compression"], "zstd");
  EXPECT_EQ(m["inputs"][1]["sha256"], Sha256Hex(testing::Read(dir_.Sub("b.jsonl.gz"))));
  EXPECT_NE(kept.find("[EMAIL]"), std::string::npos);
  EXPECT_EQ(kept.find("someone@example.com"), std::string::npos);
  EXPECT_EQ(kept.find("\"id\":\"dup"), std::string::npos);
  EXPECT_LT(kept.find("\"id\":\"a39\""), kept.find("\"id\":\"b200\""));  // input order
  const std::string removed = testing::Read(dir_.Sub("out/removed.jsonl"));
  EXPECT_NE(removed.find(R"("file":"b.jsonl.gz","line":31,"stage":"exact_dedup","reason":"duplicate")"), std::string::npos)
      << removed.substr(0, 300);
  EXPECT_EQ(Sha256Hex(testing::Read(dir_.Sub("out/manifest.json"))), r->manifest_sha256);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("out/kept.jsonl.tmp")));
}

TEST_F(PipelineTest, OutputsAndManifestAreByteIdenticalWhateverTheThreads) {
  std::map<std::string, std::string> first;
  for (int threads : {1, 4, 2}) {
    ASSERT_TRUE(RunWith(Config("out"), threads).ok());
    for (const char* f : {"kept.jsonl", "removed.jsonl", "manifest.json"}) {
      const std::string bytes = testing::Read(dir_.Sub(std::string("out/") + f));
      if (threads == 1) {
        first[f] = bytes;
      } else {
        EXPECT_EQ(bytes, first[f]) << f << " with " << threads << " threads";
      }
    }
  }
}

TEST_F(PipelineTest, StopOnErrorNamesTheLineAndLeavesNoOutputs) {
  ASSERT_TRUE(RunWith(Config("out"), 2).ok());  // an earlier, complete run
  auto r = RunWith(Config("out", "on_error: stop\n"), 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a.jsonl:49"), std::string::npos) << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("out/manifest.json"))) << "a stale manifest would disagree";
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("out/kept.jsonl.tmp")));
}

TEST_F(PipelineTest, TruncatedInputIsCountedWithItsFile) {
  std::string d;
  for (unsigned i = 0; i < 400; ++i) d += Doc(testing::Prose(500 + i), "d" + std::to_string(i)) + "\n";
  const std::string gz = testing::Gzip(d);
  testing::Write(dir_.Sub("cut.jsonl.gz"), gz.substr(0, gz.size() / 2));
  auto r = RunWith("inputs: [cut.jsonl.gz]\noutput: cut\nstages: {guard: false}\n", 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->manifest["errors"]["by_reason"]["truncated_input"], 1);
  EXPECT_EQ(r->manifest["errors"]["first"][0]["file"], "cut.jsonl.gz");
  EXPECT_LT(r->manifest["counts"]["documents"].get<int>(), 400);
  EXPECT_EQ(RunWith("inputs: [cut.jsonl.gz]\noutput: cut\non_error: stop\nstages: {guard: false}\n", 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(PipelineConfigTest, RefusesMistakesWithTheirPlace) {
  auto bad = [](const std::string& yaml) { return ParsePipelineConfig(yaml, "p.yaml", "").status().message(); };
  EXPECT_NE(bad("output: o\n").find("needs 'inputs'"), std::string::npos);
  EXPECT_NE(bad("inputs: [a]\n").find("needs 'output'"), std::string::npos);
  EXPECT_NE(bad("inputs: [a]\noutput: o\nstages: {pii: {email: scrub}}\n").find("p.yaml:3:"), std::string::npos);
  EXPECT_NE(bad("inputs: [a]\noutput: o\nstages: {quality: {disable: [gopher.nope]}}\n").find("unknown quality rule"),
            std::string::npos);
  EXPECT_NE(bad("inputs: [a]\noutput: o\non_error: ignore\n").find("skip or stop"), std::string::npos);
  EXPECT_NE(bad("inputs: [a]\noutput: o\nthreads: 3\n").find("unknown field 'threads'"), std::string::npos);
}

}  // namespace
}  // namespace rsf::curate
