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

namespace {

// Type-checked reads from untrusted JSON: nlohmann's value() throws on a type mismatch and
// operator[] on a const object is undefined for a missing key, so imports use only these and
// StringOr/IntOr from rsf/common/json.h.
const Json* Member(const Json& o, std::string_view key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}
std::optional<double> Num(const Json& o, std::string_view key) {
  const Json* m = Member(o, key);
  if (!m || !m->is_number()) return std::nullopt;
  return m->get<double>();
}
Json AnyOr(const Json& o, std::string_view key, Json def) {
  const Json* m = Member(o, key);
  return m ? *m : def;
}

// Parses an import file.
Result<Json> ParseImport(std::string_view text, std::string_view path) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return InvalidArgumentError(fmt::format("{}: {}", path, parsed.status().message()));
  return std::move(*parsed);
}

Status BadField(std::string_view path, const std::string& field, const std::string& what) {
  return InvalidArgumentError(fmt::format("{}: field '{}': {}", path, field, what));
}

}  // namespace

Result<ImportedResults> ImportInspect(std::string_view bytes, std::string_view path) {
  std::string json_text;
  if (bytes.starts_with("PK\x03\x04")) {
    auto header = ReadZipMember(bytes, "header.json");
    if (!header.ok()) return InvalidArgumentError(fmt::format("{}: not an Inspect .eval log: {}", path, header.status().message()));
    json_text = std::move(*header);
  } else {
    json_text = std::string(bytes);
  }
  RSF_ASSIGN_OR_RETURN(const Json log, ParseImport(json_text, path));
  auto bad = [&](const std::string& field, const std::string& what) { return BadField(path, field, what); };
  const Json* spec = Member(log, "eval");
  if (!spec || !spec->is_object()) return bad("eval", "expected the EvalSpec object");
  const Json* task_j = Member(*spec, "task");
  const Json* model_j = Member(*spec, "model");
  if (!task_j || !task_j->is_string()) return bad("eval.task", "expected a string");
  if (!model_j || !model_j->is_string()) return bad("eval.model", "expected a string");
  const std::string status = StringOr(log, "status", "");
  if (status != "success") {
    return FailedPreconditionError(fmt::format("{}: the Inspect run's status is '{}', not 'success'", path, status));
  }
  ImportedResults out;
  out.source = "inspect";
  out.model = {model_j->get<std::string>(), "", "inspect"};
  const std::string task = TaskName(task_j->get<std::string>());
  out.provenance = {{"task", *task_j}, {"task_version", AnyOr(*spec, "task_version", nullptr)},
                    {"eval_id", AnyOr(*spec, "eval_id", "")}, {"run_id", AnyOr(*spec, "run_id", "")},
                    {"created", AnyOr(*spec, "created", "")}, {"dataset", AnyOr(*spec, "dataset", Json::object())}};
  const Json* results = Member(log, "results");
  if (!results || !results->is_object()) return bad("results", "expected the EvalResults object");
  const Json* scores = Member(*results, "scores");
  if (!scores || !scores->is_array()) return bad("results.scores", "expected an array");
  for (size_t i = 0; i < scores->size(); ++i) {
    const Json& sc = (*scores)[i];
    const std::string where = fmt::format("results.scores[{}]", i);
    const Json* metrics = Member(sc, "metrics");
    if (!metrics || !metrics->is_object()) return bad(where + ".metrics", "expected an object");
    const int64_t n = IntOr(sc, "scored_samples", IntOr(*results, "completed_samples", 0));
    const std::string scorer = StringOr(sc, "name", "score");
    std::optional<double> stderr_;
    if (const Json* se = Member(*metrics, "stderr")) stderr_ = Num(*se, "value");
    for (auto& [name, metric] : metrics->items()) {
      if (name == "stderr" || name == "std") continue;
      std::optional<double> value = Num(metric, "value");
      if (!value) return bad(where + ".metrics." + name + ".value", "expected a number");
      const std::string full = scores->size() == 1 ? task + "." + name : task + "." + TaskName(scorer) + "_" + name;
      out.metrics.push_back(Estimate(full, *value, n, stderr_, LooksLikeProportion(name)));
    }
  }
  if (out.metrics.empty()) return bad("results.scores", "no metrics found");
  return out;
}

Result<ImportedResults> ImportLmEval(std::string_view bytes, std::string_view path) {
  RSF_ASSIGN_OR_RETURN(const Json j, ParseImport(bytes, path));
  auto bad = [&](const std::string& field, const std::string& what) { return BadField(path, field, what); };
  const Json* results = Member(j, "results");
  if (!results || !results->is_object()) return bad("results", "expected an object of tasks");
  ImportedResults out;
  out.source = "lm-eval";
  std::string model = StringOr(j, "model_name", "");
  if (const Json* c = Member(j, "config"); model.empty() && c) {
    model = StringOr(*c, "model_args", StringOr(*c, "model", ""));
  }
  out.model = {model, "", "lm-eval"};
  out.provenance = {{"lm_eval_version", AnyOr(j, "lm_eval_version", "")}, {"git_hash", AnyOr(j, "git_hash", "")},
                    {"date", AnyOr(j, "date", nullptr)}, {"task_hashes", AnyOr(j, "task_hashes", Json::object())}};
  const Json* n_samples = Member(j, "n-samples");
  for (auto& [task, metrics] : results->items()) {
    if (!metrics.is_object()) return bad("results." + task, "expected an object");
    int64_t n = 0;
    if (n_samples) {
      if (const Json* t = Member(*n_samples, task)) n = IntOr(*t, "effective", 0);
    }
    for (auto& [key, value] : metrics.items()) {
      size_t comma = key.find(',');
      if (comma == std::string::npos || !value.is_number()) continue;  // alias, sample_len, ...
      std::string metric = key.substr(0, comma), filter = key.substr(comma + 1);
      if (metric.ends_with("_stderr")) continue;
      std::optional<double> stderr_ = Num(metrics, metric + "_stderr," + filter);
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
  if (parsed->is_object() && parsed->contains("eval")) return ImportInspect(bytes, path);
  if (parsed->is_object() && parsed->contains("results")) return ImportLmEval(bytes, path);
  return InvalidArgumentError(fmt::format(
      "{}: neither an Inspect log (with 'eval' and 'results') nor lm-eval results (with 'results')", path));
}

}  // namespace rsf::eval
