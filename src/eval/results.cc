#include "rsf/eval/results.h"

#include <cmath>

#include <fmt/format.h>

#include "rsf/common/sha256.h"

namespace rsf::eval {
namespace {

Json MetricJson(const MetricSummary& m) {
  Json j = {{"mean", m.mean}, {"ci_low", m.ci_low}, {"ci_high", m.ci_high}, {"n", m.n}};
  if (m.stderr_ > 0) j["stderr"] = m.stderr_;
  if (m.mde > 0) j["mde"] = m.mde;
  return j;
}

Json ModelJson(const model::ModelIdentity& m) { return {{"name", m.name}, {"digest", m.digest}}; }

// An estimate from a point value, a sample count and a standard error: Wilson for a
// proportion with a count, else mean +- 1.96 stderr when a stderr is given.
MetricSummary Estimate(std::string name, double value, int64_t n, std::optional<double> stderr_, bool proportion) {
  MetricSummary m;
  m.name = std::move(name);
  m.mean = value;
  m.n = n;
  m.ci_low = m.ci_high = value;
  if (proportion && n > 0 && value >= 0 && value <= 1) {
    Interval ci = WilsonInterval(std::llround(value * static_cast<double>(n)), n);
    m.ci_low = std::min(ci.low, value);
    m.ci_high = std::max(ci.high, value);
    m.ci_method = "wilson";
    m.mde = MinimumDetectableEffect(value, n);
  } else if (stderr_ && *stderr_ >= 0) {
    m.ci_low = value - 1.959964 * *stderr_;
    m.ci_high = value + 1.959964 * *stderr_;
    m.ci_method = "normal";
  } else {
    m.ci_method = "none";
  }
  if (stderr_) m.stderr_ = *stderr_;
  return m;
}

bool LooksLikeProportion(const std::string& metric) {
  for (std::string_view p : {"acc", "accuracy", "exact_match", "pass", "refusal", "asr", "em", "f1_binary", "rate"}) {
    if (metric == p || metric.starts_with(std::string(p) + "_") || metric.ends_with("_" + std::string(p))) return true;
  }
  return metric.find("rate") != std::string::npos || metric.find("acc") != std::string::npos;
}

std::string TaskName(std::string task) {
  if (size_t slash = task.rfind('/'); slash != std::string::npos) task = task.substr(slash + 1);
  for (char& c : task) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '_';
  }
  return task;
}

}  // namespace

Result<Json> ResultsJson(const std::vector<RunSummary>& runs, const Clock& clock) {
  if (runs.empty()) return InvalidArgumentError("results: no runs");
  Json metrics = Json::object();
  for (const auto& r : runs) {
    if (!r.complete) {
      return FailedPreconditionError(fmt::format("run {} ({}) is not complete: {} of {} done, {} failed",
                                                 r.run_dir, r.suite, r.completed, r.expected, r.errors));
    }
    if (r.model.name != runs[0].model.name || r.model.digest != runs[0].model.digest) {
      return InvalidArgumentError(fmt::format("run {} evaluated {} but run {} evaluated {}", r.run_dir,
                                              r.model.name, runs[0].run_dir, runs[0].model.name));
    }
    for (const auto& m : r.metrics) metrics[m.name] = MetricJson(m);
  }
  Json suites = Json::array();
  for (const auto& r : runs) {
    suites.push_back({{"suite", r.suite}, {"digest", r.suite_digest}, {"dataset_sha256", r.dataset_sha256},
                      {"config_hash", r.config_hash}, {"epochs", r.epochs}, {"samples", r.expected}});
  }
  return Json{{"format", "rsf-eval-results/1"}, {"model", ModelJson(runs[0].model)},
              {"generated", FormatRfc3339(clock.Now())}, {"metrics", metrics}, {"suites", suites}};
}

Json ImportedResultsJson(const ImportedResults& r, const Clock& clock) {
  Json metrics = Json::object();
  for (const auto& m : r.metrics) metrics[m.name] = MetricJson(m);
  return {{"format", "rsf-eval-results/1"}, {"model", ModelJson(r.model)},
          {"generated", FormatRfc3339(clock.Now())}, {"metrics", metrics},
          {"imported", {{"source", r.source}, {"provenance", r.provenance}}}};
}

ledger::Entry RunResultEntry(const RunSummary& run, const Clock& clock, std::vector<ledger::Hash> refs) {
  ledger::Entry e;
  e.type = "eval.result";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "model:" + (run.model.digest.empty() ? run.model.name : run.model.digest);
  e.refs = std::move(refs);
  Json metrics = Json::object();
  for (const auto& m : run.metrics) metrics[m.name] = MetricJson(m);
  e.body = Json{{"suite", run.suite}, {"suite_digest", run.suite_digest}, {"dataset_sha256", run.dataset_sha256},
                {"config_hash", run.config_hash}, {"model", {{"name", run.model.name}, {"digest", run.model.digest}, {"backend", run.model.backend}}},
                {"epochs", run.epochs}, {"samples", run.expected}, {"metrics", metrics}};
  return e;
}

ledger::Entry ImportedResultEntry(const ImportedResults& r, const std::string& file_sha256, const Clock& clock) {
  ledger::Entry e;
  e.type = "eval.import";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "model:" + (r.model.digest.empty() ? r.model.name : r.model.digest);
  Json metrics = Json::object();
  for (const auto& m : r.metrics) metrics[m.name] = MetricJson(m);
  e.body = Json{{"source", r.source}, {"file_sha256", file_sha256}, {"model", ModelJson(r.model)}, {"metrics", metrics}};
  return e;
}

Result<ImportedResults> ImportInspect(std::string_view bytes, std::string_view path) {
  std::string json_text;
  if (bytes.starts_with("PK\x03\x04")) {
    auto header = ReadZipMember(bytes, "header.json");
    if (!header.ok()) return InvalidArgumentError(fmt::format("{}: not an Inspect .eval log: {}", path, header.status().message()));
    json_text = std::move(*header);
  } else {
    json_text = std::string(bytes);
  }
  auto parsed = ParseJson(json_text);
  if (!parsed.ok()) return InvalidArgumentError(fmt::format("{}: {}", path, parsed.status().message()));
  const Json& log = *parsed;
  auto bad = [&](const std::string& field, const std::string& what) {
    return InvalidArgumentError(fmt::format("{}: field '{}': {}", path, field, what));
  };
  if (!log.is_object() || !log.contains("eval") || !log["eval"].is_object()) return bad("eval", "expected the EvalSpec object");
  const Json& spec = log["eval"];
  if (!spec.contains("task") || !spec["task"].is_string()) return bad("eval.task", "expected a string");
  if (!spec.contains("model") || !spec["model"].is_string()) return bad("eval.model", "expected a string");
  if (log.value("status", "") != "success") {
    return FailedPreconditionError(fmt::format("{}: the Inspect run's status is '{}', not 'success'", path, log.value("status", "")));
  }
  ImportedResults out;
  out.source = "inspect";
  out.model = {spec["model"], "", "inspect"};
  const std::string task = TaskName(spec["task"]);
  out.provenance = {{"task", spec["task"]}, {"task_version", spec.value("task_version", Json(nullptr))},
                    {"eval_id", spec.value("eval_id", "")}, {"run_id", spec.value("run_id", "")},
                    {"created", spec.value("created", "")}, {"dataset", spec.value("dataset", Json::object())}};
  if (!log.contains("results") || !log["results"].is_object()) return bad("results", "expected the EvalResults object");
  const Json& results = log["results"];
  if (!results.contains("scores") || !results["scores"].is_array()) return bad("results.scores", "expected an array");
  const auto& scores = results["scores"];
  for (size_t i = 0; i < scores.size(); ++i) {
    const Json& sc = scores[i];
    const std::string where = fmt::format("results.scores[{}]", i);
    if (!sc.is_object() || !sc.contains("metrics") || !sc["metrics"].is_object()) return bad(where + ".metrics", "expected an object");
    const int64_t n = sc.value("scored_samples", results.value("completed_samples", int64_t{0}));
    const std::string scorer = sc.value("name", "score");
    std::optional<double> stderr_;
    if (auto se = sc["metrics"].find("stderr"); se != sc["metrics"].end() && se->is_object() && (*se)["value"].is_number()) {
      stderr_ = (*se)["value"].get<double>();
    }
    for (auto& [name, metric] : sc["metrics"].items()) {
      if (name == "stderr" || name == "std") continue;
      if (!metric.is_object() || !metric.contains("value") || !metric["value"].is_number()) {
        return bad(where + ".metrics." + name + ".value", "expected a number");
      }
      const std::string full = scores.size() == 1 ? task + "." + name : task + "." + TaskName(scorer) + "_" + name;
      out.metrics.push_back(Estimate(full, metric["value"].get<double>(), n, stderr_, LooksLikeProportion(name)));
    }
  }
  if (out.metrics.empty()) return bad("results.scores", "no metrics found");
  return out;
}

Result<ImportedResults> ImportLmEval(std::string_view bytes, std::string_view path) {
  auto parsed = ParseJson(bytes);
  if (!parsed.ok()) return InvalidArgumentError(fmt::format("{}: {}", path, parsed.status().message()));
  const Json& j = *parsed;
  auto bad = [&](const std::string& field, const std::string& what) {
    return InvalidArgumentError(fmt::format("{}: field '{}': {}", path, field, what));
  };
  if (!j.is_object() || !j.contains("results") || !j["results"].is_object()) return bad("results", "expected an object of tasks");
  ImportedResults out;
  out.source = "lm-eval";
  std::string model = j.value("model_name", "");
  if (model.empty() && j.contains("config") && j["config"].is_object()) {
    const Json& c = j["config"];
    model = c.contains("model_args") && c["model_args"].is_string() ? c["model_args"].get<std::string>() : c.value("model", "");
  }
  out.model = {model, "", "lm-eval"};
  out.provenance = {{"lm_eval_version", j.value("lm_eval_version", "")}, {"git_hash", j.value("git_hash", "")},
                    {"date", j.value("date", Json(nullptr))}, {"task_hashes", j.value("task_hashes", Json::object())}};
  for (auto& [task, metrics] : j["results"].items()) {
    if (!metrics.is_object()) return bad("results." + task, "expected an object");
    int64_t n = 0;
    if (j.contains("n-samples") && j["n-samples"].contains(task)) n = j["n-samples"][task].value("effective", int64_t{0});
    for (auto& [key, value] : metrics.items()) {
      size_t comma = key.find(',');
      if (comma == std::string::npos || !value.is_number()) continue;  // alias, sample_len, ...
      std::string metric = key.substr(0, comma), filter = key.substr(comma + 1);
      if (metric.ends_with("_stderr")) continue;
      std::optional<double> stderr_;
      auto se = metrics.find(metric + "_stderr," + filter);
      if (se != metrics.end() && se->is_number()) stderr_ = se->get<double>();
      std::string name = TaskName(task) + "." + metric + (filter == "none" ? "" : "_" + TaskName(filter));
      out.metrics.push_back(Estimate(name, value.get<double>(), n, stderr_, LooksLikeProportion(metric)));
    }
  }
  if (out.metrics.empty()) return bad("results", "no '<metric>,<filter>' numbers found");
  return out;
}

Result<ImportedResults> ImportResults(std::string_view bytes, std::string_view path) {
  if (bytes.starts_with("PK\x03\x04")) return ImportInspect(bytes, path);
  auto parsed = ParseJson(bytes);
  if (!parsed.ok()) return InvalidArgumentError(fmt::format("{}: {}", path, parsed.status().message()));
  if (parsed->is_object() && parsed->contains("eval") && parsed->contains("results")) return ImportInspect(bytes, path);
  if (parsed->is_object() && parsed->contains("results")) return ImportLmEval(bytes, path);
  return InvalidArgumentError(fmt::format(
      "{}: neither an Inspect log (with 'eval' and 'results') nor lm-eval results (with 'results')", path));
}

}  // namespace rsf::eval
