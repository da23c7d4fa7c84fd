#include "rsf/eval/runner.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/eval/scoring.h"

namespace rsf::eval {
namespace {

constexpr std::string_view kRunFile = "run.json";
constexpr std::string_view kJournalFile = "samples.jsonl";

std::string Key(const std::string& id, int epoch) { return fmt::format("{}#{}", id, epoch); }

Json SamplingJson(const model::SamplingParams& s) {
  Json j = {{"temperature", s.temperature}, {"top_p", s.top_p}, {"max_tokens", s.max_tokens},
            {"top_logprobs", s.top_logprobs}, {"stop", s.stop}};
  j["seed"] = s.seed ? Json(*s.seed) : Json(nullptr);
  return j;
}

Json RunSpec(const Suite& suite, const Dataset& dataset, const model::ModelIdentity& model,
             const model::ModelIdentity* judge) {
  Json spec = {
      {"suite", {{"name", suite.name}, {"digest", suite.digest}, {"kind", TaskKindName(suite.kind)},
                 {"metrics", suite.metrics}}},
      {"dataset", {{"sha256", dataset.sha256}, {"samples", dataset.samples.size()}}},
      {"model", {{"name", model.name}, {"digest", model.digest}, {"backend", model.backend}}},
      {"sampling", SamplingJson(suite.sampling)},
      {"epochs", suite.epochs},
  };
  if (judge) spec["judge"] = {{"name", judge->name}, {"digest", judge->digest}, {"backend", judge->backend}};
  return spec;
}

struct Journal {
  std::map<std::string, Json> records;  // latest record per key; successes are never replaced by errors
  uint64_t good_bytes = 0;              // length of the intact prefix
  bool torn = false;
};

// A journal line as the writer produces it: id, epoch, and either an error or numeric scores.
bool ValidRecord(const Json& r) {
  if (!r.is_object()) return false;
  auto id = r.find("id");
  auto epoch = r.find("epoch");
  if (id == r.end() || !id->is_string() || epoch == r.end() || !epoch->is_number_integer()) return false;
  if (auto e = r.find("error"); e != r.end()) return e->is_string();
  auto scores = r.find("scores");
  if (scores == r.end() || !scores->is_object()) return false;
  for (const auto& [k, v] : scores->items()) {
    if (!v.is_number()) return false;
  }
  if (auto u = r.find("usage"); u != r.end()) {
    if (!u->is_object()) return false;
    for (const char* k : {"prompt", "completion"}) {
      if (auto f = u->find(k); f != u->end() && !f->is_number_integer()) return false;
    }
  }
  return true;
}

Result<Journal> ReadJournal(Env& env, const std::string& path) {
  Journal j;
  if (!env.FileExists(path)) return j;
  RSF_ASSIGN_OR_RETURN(std::string bytes, env.ReadFile(path));
  size_t start = 0;
  int line = 0;
  while (start < bytes.size()) {
    ++line;
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) {  // a line cut off by a crash
      j.torn = true;
      break;
    }
    auto rec = ParseJson(std::string_view(bytes).substr(start, end - start));
    if (!rec.ok() || !ValidRecord(*rec)) {
      if (bytes.find('\n', end + 1) == std::string::npos && end + 1 >= bytes.size()) {
        j.torn = true;  // the last line is damaged: treat like a torn write
        break;
      }
      return DataLossError(fmt::format("{}:{}: damaged journal line in the middle of the file", path, line));
    }
    std::string key = Key((*rec)["id"].get<std::string>(), (*rec)["epoch"].get<int>());
    auto it = j.records.find(key);
    const bool is_error = rec->contains("error");
    if (it == j.records.end() || !is_error || it->second.contains("error")) j.records[key] = std::move(*rec);
    start = end + 1;
    j.good_bytes = start;
  }
  return j;
}

// Aggregates one metric over samples: per-sample mean over epochs, then Wilson (single epoch,
// 0/1 scores) or the seeded bootstrap.
MetricSummary Aggregate(const std::string& name, const std::map<std::string, std::vector<double>>& per_sample,
                        int epochs, const BootstrapOptions& bootstrap) {
  MetricSummary m;
  m.name = name;
  std::vector<double> means;
  bool binary = epochs == 1;
  for (const auto& [id, vals] : per_sample) {
    double sum = 0;
    for (double v : vals) {
      sum += v;
      binary = binary && (v == 0 || v == 1);
    }
    means.push_back(sum / static_cast<double>(vals.size()));
  }
  m.n = static_cast<int64_t>(means.size());
  if (means.empty()) return m;
  double total = 0;
  for (double v : means) total += v;
  m.mean = total / static_cast<double>(means.size());
  m.stderr_ = StandardError(means);
  if (binary) {
    Interval ci = WilsonInterval(static_cast<int64_t>(std::llround(total)), m.n, bootstrap.confidence);
    m.ci_low = ci.low;
    m.ci_high = ci.high;
    m.ci_method = "wilson";
  } else {
    Interval ci = BootstrapMeanInterval(means, bootstrap);
    m.ci_low = std::min(ci.low, m.mean);
    m.ci_high = std::max(ci.high, m.mean);
    m.ci_method = "bootstrap";
  }
  m.mde = MinimumDetectableEffect(m.mean, m.n);
  return m;
}

}  // namespace

Result<RunSummary> SummarizeRun(Env& env, const std::string& run_dir, const BootstrapOptions& bootstrap) {
  const std::string run_path = JoinPath(run_dir, kRunFile);
  if (!env.FileExists(run_path)) return NotFoundError(fmt::format("{}: no run here (run.json missing)", run_dir));
  RSF_ASSIGN_OR_RETURN(std::string run_bytes, env.ReadFile(run_path));
  RSF_ASSIGN_OR_RETURN(Json run, ParseJson(run_bytes));
  RunSummary s;
  s.run_dir = run_dir;
  try {
    const Json& spec = run.at("spec");
    s.suite = spec.at("suite").at("name");
    s.suite_digest = spec.at("suite").at("digest");
    s.dataset_sha256 = spec.at("dataset").at("sha256");
    s.model = {spec.at("model").at("name"), spec.at("model").at("digest"), spec.at("model").at("backend")};
    s.epochs = spec.at("epochs");
    s.expected = spec.at("dataset").at("samples").get<int64_t>() * s.epochs;
    s.config_hash = run.at("config_hash");
  } catch (const Json::exception& e) {
    return DataLossError(fmt::format("{}: malformed run.json: {}", run_path, e.what()));
  }
  RSF_ASSIGN_OR_RETURN(Journal journal, ReadJournal(env, JoinPath(run_dir, kJournalFile)));
  std::map<std::string, std::map<std::string, std::vector<double>>> by_metric;  // metric -> id -> epochs
  for (const auto& [key, rec] : journal.records) {
    if (rec.contains("error")) {
      ++s.errors;
      if (s.error_examples.size() < 5) s.error_examples.push_back(fmt::format("{}: {}", key, rec["error"].get<std::string>()));
      continue;
    }
    ++s.completed;
    if (auto u = rec.find("usage"); u != rec.end()) {
      s.usage.prompt_tokens += u->value("prompt", int64_t{0});
      s.usage.completion_tokens += u->value("completion", int64_t{0});
    }
    for (auto& [metric, v] : rec["scores"].items()) {
      by_metric[metric][rec["id"].get<std::string>()].push_back(v.get<double>());
    }
  }
  const double pp = NumberOr(run, "price_prompt_per_mtok"), pc = NumberOr(run, "price_completion_per_mtok");
  s.cost = (static_cast<double>(s.usage.prompt_tokens) * pp + static_cast<double>(s.usage.completion_tokens) * pc) / 1e6;
  s.complete = s.errors == 0 && s.completed == s.expected;
  if (s.complete) {
    for (const auto& metric : run["spec"]["suite"]["metrics"]) {
      const std::string name = metric.get<std::string>();
      auto it = by_metric.find(name);
      // A metric no sample applies to (over-refusal on a set of harmful prompts) is left
      // out rather than reported as 0 of 0.
      if (it == by_metric.end()) continue;
      s.metrics.push_back(Aggregate(s.suite + "." + name, it->second, s.epochs, bootstrap));
    }
  }
  return s;
}

Result<std::map<std::string, std::map<std::string, double>>> ReadRunScores(Env& env, const std::string& run_dir) {
  if (!env.FileExists(JoinPath(run_dir, kRunFile))) return NotFoundError(fmt::format("{}: no run here", run_dir));
  RSF_ASSIGN_OR_RETURN(Journal journal, ReadJournal(env, JoinPath(run_dir, kJournalFile)));
  std::map<std::string, std::map<std::string, double>> out;
  for (const auto& [key, rec] : journal.records) {
    if (rec.contains("error")) continue;
    for (auto& [metric, v] : rec["scores"].items()) out[key][metric] = v.get<double>();
  }
  return out;
}

Result<RunSummary> RunEval(Env& env, const Clock& clock, const Suite& suite, const Dataset& dataset,
                           model::ModelClient& client, const RunOptions& options) {
  if (options.run_dir.empty()) return InvalidArgumentError("run directory: required");
  if (suite.kind == TaskKind::kJudge && !options.judge) {
    return InvalidArgumentError(fmt::format("suite {}: a judge task needs a judge model", suite.name));
  }
  const auto started = std::chrono::steady_clock::now();
  model::ModelIdentity identity = client.Identity();
  if (!options.model_digest.empty()) identity.digest = options.model_digest;
  model::ModelIdentity judge_identity;
  if (options.judge) judge_identity = options.judge->Identity();
  const Json spec = RunSpec(suite, dataset, identity, options.judge && suite.kind == TaskKind::kJudge ? &judge_identity : nullptr);
  RSF_ASSIGN_OR_RETURN(std::string canonical_spec, CanonicalJson(spec));
  const std::string config_hash = "sha256:" + Sha256Hex(canonical_spec);

  RSF_RETURN_IF_ERROR(env.CreateDirs(options.run_dir));
  const std::string run_path = JoinPath(options.run_dir, kRunFile);
  const std::string journal_path = JoinPath(options.run_dir, kJournalFile);
  if (env.FileExists(run_path)) {
    RSF_ASSIGN_OR_RETURN(std::string bytes, env.ReadFile(run_path));
    auto existing = ParseJson(bytes);
    if (!existing.ok() || StringOr(*existing, "config_hash") != config_hash) {
      return FailedPreconditionError(fmt::format(
          "{} holds a different run (suite, dataset, model or settings changed); use a new run "
          "directory", options.run_dir));
    }
  } else {
    Json run = {{"format", "rsf-eval-run/1"}, {"spec", spec}, {"config_hash", config_hash},
                {"suite_path", suite.path}, {"dataset_path", dataset.path},
                {"created", FormatRfc3339(clock.Now())},
                {"price_prompt_per_mtok", options.price_prompt_per_mtok},
                {"price_completion_per_mtok", options.price_completion_per_mtok}};
    RSF_RETURN_IF_ERROR(env.WriteFileAtomic(run_path, run.dump(2) + "\n"));
    RSF_RETURN_IF_ERROR(env.SyncDir(options.run_dir));
  }

  RSF_ASSIGN_OR_RETURN(Journal journal, ReadJournal(env, journal_path));
  if (journal.torn) {
    spdlog::warn("eval: {}: cutting off a torn last line (a crash during a write)", journal_path);
    RSF_RETURN_IF_ERROR(env.TruncateFile(journal_path, journal.good_bytes));
  }
  struct Task {
    const Sample* sample;
    int epoch;
  };
  std::vector<Task> remaining;
  int64_t resumed = 0;
  for (const auto& s : dataset.samples) {
    for (int e = 0; e < suite.epochs; ++e) {
      auto it = journal.records.find(Key(s.id, e));
      if (it != journal.records.end() && !it->second.contains("error")) {
        ++resumed;
      } else {
        remaining.push_back({&s, e});
      }
    }
  }
  const int64_t total = static_cast<int64_t>(dataset.samples.size()) * suite.epochs;
  if (resumed > 0) spdlog::info("eval: {}: resuming, {} of {} already done", suite.name, resumed, total);

  RSF_ASSIGN_OR_RETURN(auto file, env.NewAppendableFile(journal_path));
  std::mutex mu;
  std::condition_variable cv;
  struct Line {
    std::string text;
    bool error;
  };
  std::deque<Line> pending;
  bool workers_done = false;
  Status write_status;
  RunProgress progress{resumed, total, 0, resumed, 0};

  std::thread writer([&] {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return !pending.empty() || workers_done; });
      if (pending.empty() && workers_done) break;
      std::string batch;
      int64_t n = 0, errors = 0;
      while (!pending.empty()) {
        if (pending.front().error) ++errors;
        batch += pending.front().text;
        pending.pop_front();
        ++n;
      }
      lock.unlock();
      Status s = file->Append(batch);
      if (s.ok()) s = file->Sync();
      lock.lock();
      if (!s.ok() && write_status.ok()) write_status = s;
      progress.done += n;
      progress.errors += errors;
      progress.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (options.progress) {
        RunProgress copy = progress;
        lock.unlock();
        options.progress(copy);
        lock.lock();
      }
    }
  });

  std::atomic<size_t> next{0};
  auto work = [&] {
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= remaining.size()) return;
      {
        std::lock_guard lock(mu);
        if (!write_status.ok()) return;
      }
      const Sample& sample = *remaining[i].sample;
      const int epoch = remaining[i].epoch;
      Json rec = {{"id", sample.id}, {"epoch", epoch}};
      const model::GenerateRequest request = BuildRequest(suite, sample, epoch);
      // Ties the record to the exact prompt without repeating it (datasets can be hazardous).
      Sha256 prompt_hash;
      for (const auto& msg : request.messages) {
        prompt_hash.Update(msg.role);
        prompt_hash.Update(std::string_view("\0", 1));
        prompt_hash.Update(msg.content);
        prompt_hash.Update(std::string_view("\0", 1));
      }
      rec["prompt_sha256"] = HexEncode(prompt_hash.Final());
      const auto t0 = std::chrono::steady_clock::now();
      auto response = client.Generate(request);
      std::optional<double> judge_score;
      std::string error;
      if (!response.ok()) {
        error = response.status().ToString();
      } else if (suite.kind == TaskKind::kJudge) {
        auto graded = options.judge->Generate(BuildJudgeRequest(suite, sample, response->text));
        if (!graded.ok()) {
          error = "judge: " + graded.status().ToString();
        } else {
          judge_score = ParseJudgeScore(graded->text);
          rec["judge_output"] = graded->text;
          if (!judge_score) error = "judge: the judge's reply has no GRADE: or SCORE: line";
        }
      }
      rec["latency_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (response.ok()) {
        rec["output"] = response->text;
        rec["finish_reason"] = response->finish_reason;
        rec["usage"] = {{"prompt", response->usage.prompt_tokens}, {"completion", response->usage.completion_tokens}};
      }
      if (!error.empty()) {
        rec["error"] = error;
      } else {
        SampleScores sc = ScoreResponse(suite, sample, *response, judge_score);
        rec["scores"] = sc.scores;
        if (suite.kind == TaskKind::kMultipleChoice) rec["choice"] = sc.choice;
        if (sc.refusal) {
          rec["refused"] = sc.refusal->refused;
          rec["refusal_cue"] = sc.refusal->cue;
        }
      }
      std::string line = rec.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
      {
        std::lock_guard lock(mu);
        pending.push_back({std::move(line), !error.empty()});
      }
      cv.notify_one();
    }
  };
  std::vector<std::thread> workers;
  const int n_workers = std::clamp<int>(options.concurrency, 1, 1024);
  for (int i = 0; i < n_workers && i < static_cast<int>(remaining.size()); ++i) workers.emplace_back(work);
  for (auto& t : workers) t.join();
  {
    std::lock_guard lock(mu);
    workers_done = true;
  }
  cv.notify_one();
  writer.join();
  RSF_RETURN_IF_ERROR(write_status);
  RSF_RETURN_IF_ERROR(file->Close());

  RSF_ASSIGN_OR_RETURN(RunSummary summary, SummarizeRun(env, options.run_dir, options.bootstrap));
  summary.resumed = resumed;
  summary.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

Json RunSummaryToJson(const RunSummary& s) {
  Json metrics = Json::array();
  for (const auto& m : s.metrics) {
    metrics.push_back({{"name", m.name}, {"mean", m.mean}, {"ci_low", m.ci_low}, {"ci_high", m.ci_high},
                       {"n", m.n}, {"stderr", m.stderr_}, {"mde", m.mde}, {"ci_method", m.ci_method}});
  }
  return {{"suite", s.suite}, {"suite_digest", s.suite_digest}, {"dataset_sha256", s.dataset_sha256},
          {"config_hash", s.config_hash}, {"run_dir", s.run_dir},
          {"model", {{"name", s.model.name}, {"digest", s.model.digest}, {"backend", s.model.backend}}},
          {"epochs", s.epochs}, {"expected", s.expected}, {"completed", s.completed}, {"errors", s.errors},
          {"resumed", s.resumed}, {"complete", s.complete},
          {"usage", {{"prompt_tokens", s.usage.prompt_tokens}, {"completion_tokens", s.usage.completion_tokens}}},
          {"cost", s.cost}, {"elapsed_s", s.elapsed_s}, {"metrics", metrics}, {"error_examples", s.error_examples}};
}

}  // namespace rsf::eval
