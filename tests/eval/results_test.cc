#include "rsf/eval/results.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace rsf::eval {
namespace {

const char* kInspectLog = R"({
  "version": 2, "status": "success",
  "eval": {"task": "inspect_evals/wmdp_bio", "task_version": 0, "model": "openai/gpt-4o-mini",
           "eval_id": "e1", "run_id": "r1", "created": "2026-11-01T00:00:00+00:00",
           "dataset": {"name": "cais/wmdp", "samples": 1273}},
  "results": {"total_samples": 1273, "completed_samples": 1273,
    "scores": [{"name": "choice", "scorer": "choice", "scored_samples": 1273,
                "metrics": {"accuracy": {"name": "accuracy", "value": 0.62},
                            "stderr": {"name": "stderr", "value": 0.0136}}}]}
})";

TEST(ResultsTest, ImportsInspectLogsWithWilsonIntervals) {
  auto r = ImportResults(kInspectLog, "log.json");
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->source, "inspect");
  EXPECT_EQ(r->model.name, "openai/gpt-4o-mini");
  ASSERT_EQ(r->metrics.size(), 1u);
  const MetricSummary& m = r->metrics[0];
  EXPECT_EQ(m.name, "wmdp_bio.accuracy");
  EXPECT_EQ(m.n, 1273);
  EXPECT_EQ(m.ci_method, "wilson");
  EXPECT_LT(m.ci_low, 0.62);
  EXPECT_GT(m.ci_high, 0.62);
  EXPECT_DOUBLE_EQ(m.stderr_, 0.0136);
}

// A stored (uncompressed) and a deflated ZIP, built here byte by byte.
std::string Zip(const std::string& name, const std::string& data, bool compress) {
  std::string payload = data;
  uint16_t method = 0;
  if (compress) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    payload.assign(compressBound(data.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = data.size();
    zs.next_out = reinterpret_cast<Bytef*>(payload.data());
    zs.avail_out = payload.size();
    ::deflate(&zs, Z_FINISH);
    payload.resize(zs.total_out);
    deflateEnd(&zs);
    method = 8;
  }
  const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size());
  auto u16 = [](std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); };
  auto u32 = [&](std::string& s, uint32_t v) { u16(s, v & 0xffff); u16(s, v >> 16); };
  std::string out;
  u32(out, 0x04034b50); u16(out, 20); u16(out, 0); u16(out, method); u16(out, 0); u16(out, 0);
  u32(out, crc); u32(out, payload.size()); u32(out, data.size()); u16(out, name.size()); u16(out, 0);
  out += name + payload;
  const uint32_t cd = out.size();
  u32(out, 0x02014b50); u16(out, 20); u16(out, 20); u16(out, 0); u16(out, method); u16(out, 0); u16(out, 0);
  u32(out, crc); u32(out, payload.size()); u32(out, data.size()); u16(out, name.size()); u16(out, 0); u16(out, 0);
  u16(out, 0); u16(out, 0); u32(out, 0); u32(out, 0);
  out += name;
  const uint32_t cd_size = out.size() - cd;
  u32(out, 0x06054b50); u16(out, 0); u16(out, 0); u16(out, 1); u16(out, 1); u32(out, cd_size); u32(out, cd); u16(out, 0);
  return out;
}

TEST(ResultsTest, ReadsInspectEvalZipFiles) {
  for (bool compress : {false, true}) {
    std::string zip = Zip("header.json", kInspectLog, compress);
    auto r = ImportResults(zip, "log.eval");
    ASSERT_RSF_OK(r) << compress;
    EXPECT_EQ(r->metrics[0].name, "wmdp_bio.accuracy");
    EXPECT_RSF_CODE(ReadZipMember(zip, "nope.json"), StatusCode::kNotFound);
  }
  EXPECT_RSF_CODE(ImportResults(std::string("PK\x03\x04garbage", 11), "x.eval"), StatusCode::kInvalidArgument);
}

TEST(ResultsTest, ImportsLmEvalResults) {
  auto r = ImportResults(R"({
    "results": {"wmdp_bio": {"alias": "wmdp_bio", "acc,none": 0.55, "acc_stderr,none": 0.014},
                "hellaswag": {"acc_norm,none": 0.7, "acc_norm_stderr,none": 0.005, "acc,none": 0.6}},
    "n-samples": {"wmdp_bio": {"original": 1273, "effective": 1273}},
    "config": {"model": "hf", "model_args": "pretrained=EleutherAI/pythia-160m"},
    "lm_eval_version": "0.4.5", "git_hash": "abc"})", "results.json");
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->source, "lm-eval");
  EXPECT_EQ(r->model.name, "pretrained=EleutherAI/pythia-160m");
  std::map<std::string, MetricSummary> by;
  for (auto& m : r->metrics) by[m.name] = m;
  ASSERT_TRUE(by.count("wmdp_bio.acc"));
  EXPECT_EQ(by["wmdp_bio.acc"].n, 1273);
  EXPECT_EQ(by["wmdp_bio.acc"].ci_method, "wilson");
  ASSERT_TRUE(by.count("hellaswag.acc_norm"));
  EXPECT_EQ(by["hellaswag.acc_norm"].ci_method, "normal");  // no sample count given
  EXPECT_NEAR(by["hellaswag.acc_norm"].ci_low, 0.7 - 1.959964 * 0.005, 1e-9);
}

TEST(ResultsTest, BadImportsNameTheField) {
  auto r = ImportResults(R"({"eval": {"task": 3}, "results": {}})", "x.json");
  EXPECT_RSF_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("x.json: field 'eval.task'"), std::string::npos) << r.status().message();
  EXPECT_RSF_CODE(ImportResults("[1,2]", "y.json"), StatusCode::kInvalidArgument);
  auto failed = ImportResults(R"({"status": "error", "eval": {"task": "t", "model": "m"}, "results": {}})", "z.json");
  EXPECT_RSF_CODE(failed, StatusCode::kFailedPrecondition);
}

TEST(ResultsTest, ResultsFileRefusesIncompleteRuns) {
  rsf::testing::FakeClock clock;
  RunSummary done;
  done.suite = "a";
  done.complete = true;
  done.model = {"m", "sha256:1", "x"};
  done.metrics.push_back({"a.accuracy", 0.5, 0.4, 0.6, 100, 0.05, 0.14, "wilson"});
  auto j = ResultsJson({done}, clock);
  ASSERT_RSF_OK(j);
  EXPECT_EQ((*j)["format"], "rsf-eval-results/1");
  EXPECT_EQ((*j)["metrics"]["a.accuracy"]["n"], 100);
  RunSummary partial = done;
  partial.complete = false;
  EXPECT_RSF_CODE(ResultsJson({done, partial}, clock), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rsf::eval
