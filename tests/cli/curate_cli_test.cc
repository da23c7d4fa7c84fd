// `rsf curate run` as a user runs it: a configuration file, compressed inputs, the summary,
// the manifest and its ledger entry, and errors that name the file and line.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "curate/curate_test_util.h"
#include "rsf/common/sha256.h"
#include "testing/rsf_cli.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using nlohmann::json;
using rsf::testing::Describe;
using rsf::testing::Rsf;

TEST(CurateCliTest, RunsAPipelineAndLogsItsManifest) {
  rsf::testing::TempDir dir;
  std::string corpus;
  for (unsigned i = 0; i < 200; ++i) corpus += json({{"text", curate::testing::Prose(i)}}).dump() + "\n";
  corpus += json({{"text", curate::testing::Prose(3)}}).dump() + "\n";  // a duplicate
  corpus += json({{"text", curate::testing::Prose(900) + " Mail me at a.person@example.org today."}}).dump() + "\n";
  curate::testing::Write(dir.Sub("corpus.jsonl.zst"), curate::testing::Zstd(corpus));
  curate::testing::Write(dir.Sub("pipeline.yaml"), "inputs: [corpus.jsonl.zst]\noutput: out\n");
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/curate"}).exit_code, 0);
  auto r = Rsf({"curate", "run", "--config", dir.Sub("pipeline.yaml"), "--ledger", ledger});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("202 documents"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept 201, removed 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exact_dedup  removed 1 (duplicate 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("email 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("logged to the ledger as entry 0"), std::string::npos) << r.out;
  const json manifest = json::parse(curate::testing::Read(dir.Sub("out/manifest.json")));
  auto show = Rsf({"ledger", "show", "--dir", ledger, "--index", "0", "--json"});
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  const json entry = json::parse(show.out);
  const std::string dump = entry.dump();
  EXPECT_NE(dump.find("curate.manifest"), std::string::npos) << dump;
  EXPECT_NE(dump.find("dataset:sha256:" + manifest["outputs"]["kept"]["sha256"].get<std::string>()), std::string::npos);
  EXPECT_NE(dump.find(rsf::Sha256Hex(curate::testing::Read(dir.Sub("out/manifest.json")))), std::string::npos);
}

TEST(CurateCliTest, ShardsRunApartAndMergeIntoOneLoggedDataset) {
  rsf::testing::TempDir dir;
  std::string a, b;
  for (unsigned i = 0; i < 40; ++i) a += json({{"text", curate::testing::Prose(i, 12)}}).dump() + "\n";
  for (unsigned i = 100; i < 140; ++i) b += json({{"text", curate::testing::Prose(i, 12)}}).dump() + "\n";
  b += json({{"text", curate::testing::Prose(5, 12)}}).dump() + "\n";  // an exact duplicate across shards
  curate::testing::Write(dir.Sub("a.jsonl"), a);
  curate::testing::Write(dir.Sub("b.jsonl.gz"), curate::testing::Gzip(b));
  curate::testing::Write(dir.Sub("p.yaml"), "inputs: [a.jsonl, b.jsonl.gz]\noutput: out\nstages: {guard: false}\n");
  for (const char* shard : {"0/2", "1/2"}) {
    auto r = Rsf({"curate", "run", "--config", dir.Sub("p.yaml"), "--shard", shard});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("out/shard-1-of-2/signatures.bin")));
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/curate"}).exit_code, 0);
  auto m = Rsf({"curate", "merge", "--config", dir.Sub("p.yaml"), "--shards", "2", "--ledger", ledger});
  ASSERT_EQ(m.exit_code, 0) << Describe(m);
  EXPECT_NE(m.out.find("81 documents kept by the shards"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("kept 80, removed across shards 1 exact and 0 near"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("logged to the ledger as entry 0"), std::string::npos) << m.out;
  const std::string merged = curate::testing::Read(dir.Sub("out/merged/kept-0-of-2.jsonl")) +
                             curate::testing::Read(dir.Sub("out/merged/kept-1-of-2.jsonl"));
  EXPECT_NE(m.out.find("dataset: sha256:" + rsf::Sha256Hex(merged)), std::string::npos) << m.out;
  auto help = Rsf({"curate", "merge", "--help"});
  EXPECT_NE(help.out.find("--shards"), std::string::npos);
}

TEST(CurateCliTest, BadConfigurationsAndInputsAreNamed) {
  rsf::testing::TempDir dir;
  curate::testing::Write(dir.Sub("p.yaml"), "inputs: [missing.jsonl]\noutput: out\nstages: {pii: {phone: hide}}\n");
  auto bad = Rsf({"curate", "run", "--config", dir.Sub("p.yaml")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("p.yaml:3:"), std::string::npos) << Describe(bad);
  curate::testing::Write(dir.Sub("q.yaml"), "inputs: [missing.jsonl]\noutput: out\nstages: {guard: false}\n");
  auto missing = Rsf({"curate", "run", "--config", dir.Sub("q.yaml")});
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
  EXPECT_NE(missing.err.find("missing.jsonl"), std::string::npos);
  curate::testing::Write(dir.Sub("bad.jsonl"), "{\"text\":\"fine\"}\n{oops\n");
  curate::testing::Write(dir.Sub("s.yaml"), "inputs: [bad.jsonl]\noutput: out\non_error: stop\nstages: {guard: false}\n");
  auto shard = Rsf({"curate", "run", "--config", dir.Sub("s.yaml"), "--shard", "2/2"});
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_NE(shard.err.find("--shard '2/2'"), std::string::npos) << Describe(shard);
  auto merge = Rsf({"curate", "merge", "--config", dir.Sub("s.yaml"), "--shards", "2"});
  EXPECT_NE(merge.exit_code, 0);
  EXPECT_NE(merge.err.find("shard 0/2"), std::string::npos) << Describe(merge);
  auto stop = Rsf({"curate", "run", "--config", dir.Sub("s.yaml")});
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find("bad.jsonl:2"), std::string::npos) << Describe(stop);
}

}  // namespace
}  // namespace rsf::cli
