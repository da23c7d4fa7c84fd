// include/rsf/eval/runner.h
//
// Runs a suite against a model and summarises it with intervals.
//
// The run directory holds run.json (what is being run: suite and dataset digests, model
// identity, sampling, epochs; its configuration hash) and samples.jsonl, the journal: one
// line per finished sample and epoch, written by one writer thread in group commits (write,
// then fsync). Restarting with the same directory and configuration skips every sample the
// journal holds without an error, so a run killed with SIGKILL loses at most the samples that
// were in flight; a torn last line is cut off. A different configuration in the same
// directory is refused (kFailedPrecondition).
//
// A sample whose model call fails (after the client's own retries) is journaled with its
// error and the run reports it: the summary then has `complete == false` and no metrics are
// claimed over fewer samples than the dataset holds. Running again retries those samples.
//
// Thread safety: RunEval uses `concurrency` worker threads; the model client must be
// thread-safe. SummarizeRun is a pure read.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/eval/dataset.h"
#include "rsf/eval/stats.h"
#include "rsf/eval/suite.h"
#include "rsf/model/model.h"

namespace rsf::eval {

struct RunProgress {
  int64_t done = 0, total = 0, errors = 0, resumed = 0;
  double elapsed_s = 0;
};

struct RunOptions {
  std::string run_dir;          // required
  int concurrency = 16;
  model::ModelClient* judge = nullptr;  // required for judge tasks
  // Prices in currency units per million tokens, for the cost estimate.
  double price_prompt_per_mtok = 0, price_completion_per_mtok = 0;
  BootstrapOptions bootstrap;
  // Called from the writer thread after each group commit (and once at the end).
  std::function<void(const RunProgress&)> progress;
  // Overrides the identity the client reports (e.g. the digest from the weights gate).
  std::string model_digest;
};

struct MetricSummary {
  std::string name;  // "<suite>.<metric>"
  double mean = 0, ci_low = 0, ci_high = 0;
  int64_t n = 0;       // samples (not epochs) the metric is over
  double stderr_ = 0;  // standard error of the mean
  double mde = 0;      // minimum detectable effect at this n (alpha .05, power .8)
  std::string ci_method;  // "wilson" or "bootstrap"
};

struct RunSummary {
  std::string suite, suite_digest, dataset_sha256, config_hash, run_dir;
  model::ModelIdentity model;
  int epochs = 1;
  int64_t expected = 0;   // samples x epochs
  int64_t completed = 0;  // journaled without error
  int64_t errors = 0;     // journaled with an error and not since completed
  int64_t resumed = 0;    // completed before this invocation
  bool complete = false;
  model::Usage usage;
  double cost = 0;
  double elapsed_s = 0;
  std::vector<MetricSummary> metrics;  // empty unless complete
  std::vector<std::string> error_examples;  // up to 5 "<id>#<epoch>: <error>"
};

Result<RunSummary> RunEval(Env& env, const Clock& clock, const Suite& suite, const Dataset& dataset,
                           model::ModelClient& client, const RunOptions& options);

// Re-reads a run directory and summarises it (rsf eval show). kNotFound when it holds no run.
Result<RunSummary> SummarizeRun(Env& env, const std::string& run_dir,
                                const BootstrapOptions& bootstrap = {});

// Per-sample scores of a run, keyed "<id>#<epoch>" then metric, for paired comparison.
Result<std::map<std::string, std::map<std::string, double>>> ReadRunScores(Env& env, const std::string& run_dir);

Json RunSummaryToJson(const RunSummary& s);

}  // namespace rsf::eval
