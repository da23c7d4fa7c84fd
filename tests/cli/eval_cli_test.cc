// `rsf model` and `rsf eval` as a user runs them, against a real HTTP endpoint on 127.0.0.1,
// including a run killed with SIGKILL and restarted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/local_endpoint.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using nlohmann::json;
using rsf::testing::ProcessResult;
using rsf::testing::RunProcess;

ProcessResult Rsf(std::vector<std::string> args) {
  args.insert(args.begin(), RSF_BINARY);
  return RunProcess(args, "");
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

void WriteFile(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

size_t Lines(const std::string& path) {
  std::string s = ReadFile(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The endpoint refuses prompts whose number is divisible by 3, after a short delay.
rsf::testing::LocalReply Answer(const json& req, const std::string&) {
  rsf::testing::LocalReply r;
  std::string p = req["messages"].back()["content"];
  int n = std::stoi(p.substr(p.rfind(' ') + 1));
  r.text = n % 3 == 0 ? "I'm sorry, I can't help with that." : "Sure, here is how.";
  r.delay = std::chrono::milliseconds(3);
  return r;
}

class EvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string data;
    for (int i = 0; i < 300; ++i) data += json({{"id", "p" + std::to_string(i)}, {"prompt", "request number " + std::to_string(i)}, {"expect", "refuse"}}).dump() + "\n";
    WriteFile(tmp_.Sub("prompts.jsonl"), data);
    WriteFile(tmp_.Sub("suite.yaml"),
              "suite: stub_refusal\ndataset: {path: prompts.jsonl, format: prompts}\ntask: {kind: refusal}\n"
              "metrics: [refusal_rate, attack_success_rate]\n");
  }
  std::vector<std::string> RunArgs(const std::string& run_dir, int port) {
    return {"eval", "run", tmp_.Sub("suite.yaml"), "--model", "openai:http://127.0.0.1:" + std::to_string(port) + "/v1",
            "--model-name", "stub", "--run-dir", run_dir, "--concurrency", "4"};
  }
  rsf::testing::TempDir tmp_;
};

TEST_F(EvalCliTest, KilledRunResumesToTheSameMetricsAsAnUninterruptedOne) {
  rsf::testing::LocalEndpoint ep(Answer, 4);
  auto clean = Rsf(RunArgs(tmp_.Sub("clean"), ep.port()));
  ASSERT_EQ(clean.exit_code, 0) << Describe(clean);

  const std::string killed = tmp_.Sub("killed");
  const std::string journal = killed + "/stub_refusal/samples.jsonl";
  for (size_t stop_at : {40u, 120u, 200u}) {
    std::vector<std::string> args = RunArgs(killed, ep.port());
    args.insert(args.begin(), RSF_BINARY);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((!std::filesystem::exists(journal) || Lines(journal) < stop_at) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed at " << stop_at;
  }
  const size_t before = Lines(journal);
  auto resumed = Rsf(RunArgs(killed, ep.port()));
  ASSERT_EQ(resumed.exit_code, 0) << Describe(resumed);
  EXPECT_LT(before, 300u);

  json a = json::parse(ReadFile(tmp_.Sub("clean") + "/results.json"));
  json b = json::parse(ReadFile(killed + "/results.json"));
  EXPECT_EQ(a["metrics"], b["metrics"]);
  EXPECT_NEAR(a["metrics"]["stub_refusal.refusal_rate"]["mean"].get<double>(), 100.0 / 300, 1e-12);
  auto show = Rsf({"eval", "show", killed, "--format", "json"});
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  json shown = json::parse(show.out);
  EXPECT_EQ(shown[0]["completed"], 300);
}

TEST_F(EvalCliTest, UnreachableEndpointFailsClearlyWithoutResults) {
  int port;
  {
    rsf::testing::LocalEndpoint gone(Answer);
    port = gone.port();
  }
  std::vector<std::string> args = RunArgs(tmp_.Sub("run"), port);
  args.insert(args.end(), {"--max-retries", "0"});
  auto r = Rsf(args);
  EXPECT_EQ(r.exit_code, 8) << Describe(r);  // unavailable
  EXPECT_NE(r.err.find("300 sample(s) failed; no results were written"), std::string::npos) << Describe(r);
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("run") + "/results.json"));
  auto show = Rsf({"eval", "show", tmp_.Sub("run")});
  EXPECT_NE(show.out.find("Incomplete"), std::string::npos) << Describe(show);
}

TEST_F(EvalCliTest, CompareTwoRunsOfTheSameSuite) {
  rsf::testing::LocalEndpoint a(Answer);
  rsf::testing::LocalEndpoint b([](const json& req, const std::string& p) {
    auto r = Answer(req, p);
    r.text = "I cannot assist.";
    return r;
  });
  ASSERT_EQ(Rsf(RunArgs(tmp_.Sub("a"), a.port())).exit_code, 0);
  ASSERT_EQ(Rsf(RunArgs(tmp_.Sub("b"), b.port())).exit_code, 0);
  auto c = Rsf({"eval", "compare", tmp_.Sub("a/stub_refusal"), tmp_.Sub("b/stub_refusal"), "--format", "json",
                "--metric", "refusal_rate"});
  ASSERT_EQ(c.exit_code, 0) << Describe(c);
  json j = json::parse(c.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["n"], 300);
  EXPECT_EQ(j[0]["b_only"], 200);
  EXPECT_EQ(j[0]["method"], "mcnemar-exact");
  EXPECT_LT(j[0]["p_value"].get<double>(), 1e-10);
}

TEST_F(EvalCliTest, BadSuitesAndDatasetsNameTheFileAndLine) {
  WriteFile(tmp_.Sub("bad.yaml"), "suite: x\ndataset: {path: prompts.jsonl, format: prompts}\ntask: {kind: refusal, method: parse}\n");
  auto r = Rsf({"eval", "run", tmp_.Sub("bad.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r")});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_NE(r.err.find("bad.yaml:3:"), std::string::npos) << Describe(r);

  WriteFile(tmp_.Sub("broken.jsonl"), "{\"prompt\":\"fine\"}\n{\"prompt\": 7}\n");
  WriteFile(tmp_.Sub("s2.yaml"), "suite: y\ndataset: {path: broken.jsonl, format: prompts}\ntask: {kind: refusal}\n");
  auto d = Rsf({"eval", "run", tmp_.Sub("s2.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r")});
  EXPECT_EQ(d.exit_code, 2) << Describe(d);
  EXPECT_NE(d.err.find("broken.jsonl:2: field 'prompt': expected a string"), std::string::npos) << Describe(d);

  WriteFile(tmp_.Sub("s3.yaml"), "suite: z\ndataset: {path: \"${RSF_DATA}/none.jsonl\", format: prompts}\ntask: {kind: refusal}\n");
  auto m = Rsf({"eval", "run", tmp_.Sub("s3.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r"), "--data-dir", "/nonexistent"});
  EXPECT_EQ(m.exit_code, 4) << Describe(m);
  EXPECT_NE(m.err.find("--data-dir or RSF_DATA"), std::string::npos) << Describe(m);

  auto no_ledger = Rsf({"eval", "run", tmp_.Sub("suite.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r")});
  EXPECT_EQ(no_ledger.exit_code, 2) << Describe(no_ledger);
  EXPECT_NE(no_ledger.err.find("need --ledger"), std::string::npos) << Describe(no_ledger);
}

TEST_F(EvalCliTest, ReferenceModelNeedsASignedManifestAndResultsReachTheLedger) {
  const std::string ledger = tmp_.Sub("ledger");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/eval"}).exit_code, 0);
  auto refused = Rsf({"eval", "run", tmp_.Sub("suite.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r"), "--ledger", ledger});
  EXPECT_EQ(refused.exit_code, 3) << Describe(refused);
  EXPECT_NE(refused.err.find("no signed manifest"), std::string::npos);

  ASSERT_EQ(Rsf({"decision", "keygen", "--name", "release.eng", "--out", tmp_.Sub("k")}).exit_code, 0);
  auto sign = Rsf({"model", "sign", "--ledger", ledger, "--key", tmp_.Sub("k"), "--reference"});
  ASSERT_EQ(sign.exit_code, 0) << Describe(sign);
  auto run = Rsf({"eval", "run", tmp_.Sub("suite.yaml"), "--model", "reference", "--run-dir", tmp_.Sub("r"), "--ledger", ledger});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  auto list = Rsf({"model", "list", "--ledger", ledger});
  EXPECT_NE(list.out.find("verified"), std::string::npos) << Describe(list);

  // The ledger now holds manifest, load and result, the result naming the load.
  auto show = Rsf({"ledger", "show", "--dir", ledger, "--from", "0", "--count", "10"});
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  EXPECT_NE(show.out.find("model.manifest"), std::string::npos) << Describe(show);
  EXPECT_NE(show.out.find("model.load"), std::string::npos);
  EXPECT_NE(show.out.find("eval.result"), std::string::npos);

  // A model file no manifest lists is refused by `model verify`.
  WriteFile(tmp_.Sub("w.gguf"), "weights");
  EXPECT_EQ(Rsf({"model", "verify", "--ledger", ledger, tmp_.Sub("w.gguf")}).exit_code, 3);
  ASSERT_EQ(Rsf({"model", "sign", "--ledger", ledger, "--key", tmp_.Sub("k"), "--name", "w", tmp_.Sub("w.gguf")}).exit_code, 0);
  auto ok = Rsf({"model", "verify", "--ledger", ledger, tmp_.Sub("w.gguf")});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

TEST_F(EvalCliTest, ImportsLmEvalResults) {
  WriteFile(tmp_.Sub("lm.json"), R"({"results": {"wmdp_bio": {"acc,none": 0.5, "acc_stderr,none": 0.014}},
    "n-samples": {"wmdp_bio": {"original": 1273, "effective": 1273}}, "config": {"model": "hf"}})");
  auto r = Rsf({"eval", "import", tmp_.Sub("lm.json"), "--model-digest", "sha256:ab", "--out", tmp_.Sub("res.json")});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  json j = json::parse(ReadFile(tmp_.Sub("res.json")));
  EXPECT_EQ(j["format"], "rsf-eval-results/1");
  EXPECT_EQ(j["model"]["digest"], "sha256:ab");
  EXPECT_EQ(j["metrics"]["wmdp_bio.acc"]["n"], 1273);
  WriteFile(tmp_.Sub("junk.json"), "{\"x\": 1}");
  EXPECT_EQ(Rsf({"eval", "import", tmp_.Sub("junk.json")}).exit_code, 2);
}

}  // namespace
}  // namespace rsf::cli

namespace rsf::cli {
namespace {

TEST_F(EvalCliTest, GgufModelLoadsOnlyWhenSignedAndEvaluates) {
  const std::string src = std::getenv("RSF_SOURCE_DIR") ? std::getenv("RSF_SOURCE_DIR") : ".";
  const std::string gguf = src + "/../shared/data/models/stories260K.gguf";
  if (!std::filesystem::exists(gguf)) GTEST_SKIP() << gguf << " absent: shared data not available";
  const std::string ledger = tmp_.Sub("ledger");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", ledger, "--origin", "cli.example/gguf"}).exit_code, 0);
  std::vector<std::string> run = {"eval", "run", src + "/examples/suites/basic_qa.yaml", "--model", "gguf:" + gguf,
                                  "--run-dir", tmp_.Sub("r"), "--ledger", ledger};
  auto first = Rsf(run);
  if (first.exit_code == 1 && first.err.find("built without llama.cpp") != std::string::npos) {
    GTEST_SKIP() << "built without llama.cpp";
  }
  EXPECT_EQ(first.exit_code, 3) << Describe(first);
  EXPECT_NE(first.err.find("no signed manifest"), std::string::npos) << Describe(first);
  ASSERT_EQ(Rsf({"decision", "keygen", "--name", "release.eng", "--out", tmp_.Sub("k")}).exit_code, 0);
  ASSERT_EQ(Rsf({"model", "sign", "--ledger", ledger, "--key", tmp_.Sub("k"), "--name", "stories260K", gguf}).exit_code, 0);
  auto second = Rsf(run);
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  json results = json::parse(ReadFile(tmp_.Sub("r/results.json")));
  EXPECT_EQ(results["model"]["name"], "stories260K");
  EXPECT_EQ(results["metrics"]["basic_qa.accuracy"]["n"], 24);
}

}  // namespace
}  // namespace rsf::cli
