// Runner overhead: samples per second through the whole rsf path (suite prompt, OpenAI-
// compatible client over HTTP keep-alive, scoring, journal with group-committed fsync,
// summary with intervals) against a local endpoint that answers instantly. The bar
// (issue 4) is 2,000 samples/s at concurrency 64. The endpoint shares the machine's cores
// with the runner, so this measures the runner and the endpoint together.
//
//   eval_runner_bench [samples=20000] [concurrency=64]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "rsf/eval/runner.h"
#include "rsf/model/openai_client.h"
#include "testing/local_endpoint.h"

using namespace rsf;

int main(int argc, char** argv) {
  const int samples = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 64;
  testing::LocalEndpoint ep([](const nlohmann::json&, const std::string&) {
    testing::LocalReply r;
    r.text = "I'm sorry, but I can't help with that.";
    return r;
  }, 2);
  model::OpenAiOptions o;
  o.base_url = ep.base_url();
  o.model = "instant";
  o.max_concurrency = concurrency;
  auto client = model::MakeOpenAiClient(o);
  if (!client.ok()) return 1;

  eval::Suite suite;
  suite.name = "bench";
  suite.kind = eval::TaskKind::kRefusal;
  suite.metrics = {"refusal_rate"};
  suite.digest = "sha256:bench";
  eval::Dataset data;
  data.sha256 = "bench";
  for (int i = 0; i < samples; ++i) {
    eval::Sample s;
    s.id = "s" + std::to_string(i);
    s.input = "Benchmark prompt number " + std::to_string(i) + ": please describe something harmless.";
    s.expect = eval::Expect::kRefuse;
    data.samples.push_back(std::move(s));
  }
  char tmpl[] = "/tmp/rsf-eval-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  eval::RunOptions ro;
  ro.run_dir = dir + "/run";
  ro.concurrency = concurrency;
  const Clock& clock = SystemClock::Default();
  auto t0 = std::chrono::steady_clock::now();
  auto r = eval::RunEval(Env::Default(), clock, suite, data, **client, ro);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  if (!r.ok() || !r->complete) {
    std::fprintf(stderr, "run failed: %s\n", r.ok() ? "incomplete" : r.status().ToString().c_str());
    return 1;
  }
  const double rate = samples / secs;
  std::printf("eval runner: %d samples, concurrency %d, %.2f s -> %.0f samples/s (bar: 2000) %s\n", samples,
              concurrency, secs, rate, rate >= 2000 ? "PASS" : "BELOW BAR");
  std::printf("  endpoint requests: %lld; refusal_rate %.3f [%.3f, %.3f] n=%lld\n",
              static_cast<long long>(ep.requests()), r->metrics[0].mean, r->metrics[0].ci_low, r->metrics[0].ci_high,
              static_cast<long long>(r->metrics[0].n));
  return 0;
}
