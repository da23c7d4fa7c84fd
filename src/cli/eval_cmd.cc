// `rsf eval run|show|compare|import`: run suites against a model (resumable, with intervals),
// read runs back, compare two runs sample by sample, and ingest other harnesses' results.
#include <cstdlib>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "model_open.h"
#include "rsf/common/sha256.h"
#include "rsf/eval/report.h"
#include "rsf/eval/results.h"
#include "rsf/eval/runner.h"
#include "rsf/eval/stats.h"
#include "rsf/eval/suite.h"

namespace rsf::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> suites;
  std::string run_dir, out, ledger, data_dir, format = "md", metric, file;
  int concurrency = 16;
  double price_prompt = 0, price_completion = 0;
  ModelFlags model, judge;
  std::string run_a, run_b;
};

std::string DataDir(const EvalArgs& a) {
  if (!a.data_dir.empty()) return a.data_dir;
  if (const char* d = std::getenv("RSF_DATA"); d && *d) return d;
  return "../shared/data";
}

Status RunEvalCmd(CliContext& ctx, EvalArgs& a) {
  if (a.run_dir.empty()) return InvalidArgumentError("eval run: --run-dir is required");
  std::map<std::string, std::string> vars = {{"RSF_DATA", DataDir(a)}};
  std::vector<eval::Suite> suites;
  std::vector<eval::Dataset> datasets;
  std::set<std::string> names;
  for (const auto& path : a.suites) {
    RSF_ASSIGN_OR_RETURN(eval::Suite s, eval::LoadSuite(ctx.env, path, vars));
    if (!names.insert(s.name).second) return InvalidArgumentError(fmt::format("{}: suite {} given twice", path, s.name));
    auto d = eval::LoadDataset(ctx.env, s.dataset);
    if (!d.ok() && d.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("{} (suite {}; set --data-dir or RSF_DATA to where the data is)",
                                       d.status().message(), path));
    }
    RSF_RETURN_IF_ERROR(d.status());
    suites.push_back(std::move(s));
    datasets.push_back(std::move(*d));
  }
  std::unique_ptr<ledger::Ledger> lg;
  if (!a.ledger.empty()) {
    RSF_ASSIGN_OR_RETURN(lg, ledger::Ledger::Open(ctx.env, a.ledger));
  }
  RSF_ASSIGN_OR_RETURN(OpenedModel m, OpenModel(ctx, a.model, lg.get()));
  std::optional<OpenedModel> judge;
  if (!a.judge.spec.empty()) {
    RSF_ASSIGN_OR_RETURN(auto j, OpenModel(ctx, a.judge, lg.get()));
    judge.emplace(std::move(j));
  }
  std::vector<eval::RunSummary> runs;
  int64_t failed = 0;
  for (size_t i = 0; i < suites.size(); ++i) {
    eval::RunOptions o;
    o.run_dir = JoinPath(a.run_dir, suites[i].name);
    o.concurrency = a.concurrency;
    o.judge = judge ? judge->client.get() : nullptr;
    o.price_prompt_per_mtok = a.price_prompt;
    o.price_completion_per_mtok = a.price_completion;
    o.model_digest = m.digest;
    const std::string name = suites[i].name;
    o.progress = [&ctx, name](const eval::RunProgress& p) {
      const double rate = p.elapsed_s > 0 ? static_cast<double>(p.done - p.resumed) / p.elapsed_s : 0;
      const int width = 24;
      const int filled = p.total ? static_cast<int>(width * p.done / p.total) : width;
      Progress(ctx, fmt::format("{} [{}{}] {}/{}{} {:.0f}/s", name, std::string(filled, '#'),
                                std::string(width - filled, '.'), p.done, p.total,
                                p.errors ? fmt::format(" ({} failed)", p.errors) : "", rate));
    };
    RSF_ASSIGN_OR_RETURN(eval::RunSummary s, eval::RunEval(ctx.env, ctx.clock, suites[i], datasets[i], *m.client, o));
    ProgressDone(ctx);
    ctx.out << eval::RunMarkdown(s);
    failed += s.expected - s.completed;
    runs.push_back(std::move(s));
  }
  if (failed > 0) {
    if (lg) RSF_RETURN_IF_ERROR(lg->Close());
    return UnavailableError(fmt::format(
        "{} sample(s) failed; no results were written. Run the same command again to retry them "
        "(finished samples are kept in {})", failed, a.run_dir));
  }
  RSF_ASSIGN_OR_RETURN(Json results, eval::ResultsJson(runs, ctx.clock));
  const std::string out = a.out.empty() ? JoinPath(a.run_dir, "results.json") : a.out;
  RSF_RETURN_IF_ERROR(WriteOutput(ctx, out, results.dump(2) + "\n"));
  const std::string html = JoinPath(a.run_dir, "report.html");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(html, eval::RunsHtml(runs)));
  ctx.out << "results: " << out << "\nreport: " << html << "\n";
  if (lg) {
    for (const auto& r : runs) {
      RSF_ASSIGN_OR_RETURN(auto e, lg->Append(eval::RunResultEntry(r, ctx.clock, m.refs)));
      ctx.out << fmt::format("logged {} to the ledger: entry {}\n", r.suite, e.index);
    }
    RSF_RETURN_IF_ERROR(lg->Publish().status());
    RSF_RETURN_IF_ERROR(lg->Close());
  }
  return OkStatus();
}

Result<std::vector<std::string>> RunDirs(CliContext& ctx, const std::string& dir) {
  if (ctx.env.FileExists(JoinPath(dir, "run.json"))) return std::vector<std::string>{dir};
  RSF_ASSIGN_OR_RETURN(auto names, ctx.env.ListDir(dir));
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (ctx.env.FileExists(JoinPath(JoinPath(dir, n), "run.json"))) out.push_back(JoinPath(dir, n));
  }
  if (out.empty()) return NotFoundError(fmt::format("{}: no evaluation runs here", dir));
  return out;
}

Status RunShow(CliContext& ctx, const EvalArgs& a) {
  RSF_ASSIGN_OR_RETURN(auto dirs, RunDirs(ctx, a.run_dir));
  if (a.format != "md" && a.format != "json" && a.format != "html") {
    return InvalidArgumentError("--format must be md, json or html, not '" + a.format + "'");
  }
  std::vector<eval::RunSummary> runs;
  for (const auto& d : dirs) {
    RSF_ASSIGN_OR_RETURN(auto s, eval::SummarizeRun(ctx.env, d));
    runs.push_back(std::move(s));
  }
  std::string text;
  if (a.format == "json") {
    Json all = Json::array();
    for (const auto& s : runs) all.push_back(eval::RunSummaryToJson(s));
    text = all.dump(2) + "\n";
  } else if (a.format == "html") {
    text = eval::RunsHtml(runs);
  } else {
    for (const auto& s : runs) text += eval::RunMarkdown(s);
  }
  return WriteOutput(ctx, a.out, text);
}

Status RunCompare(CliContext& ctx, const EvalArgs& a) {
  RSF_ASSIGN_OR_RETURN(auto sa, eval::SummarizeRun(ctx.env, a.run_a));
  RSF_ASSIGN_OR_RETURN(auto sb, eval::SummarizeRun(ctx.env, a.run_b));
  if (sa.suite_digest != sb.suite_digest || sa.dataset_sha256 != sb.dataset_sha256) {
    return FailedPreconditionError("the two runs used different suites or datasets; a paired comparison needs the same samples");
  }
  RSF_ASSIGN_OR_RETURN(auto A, eval::ReadRunScores(ctx.env, a.run_a));
  RSF_ASSIGN_OR_RETURN(auto B, eval::ReadRunScores(ctx.env, a.run_b));
  std::set<std::string> metrics;
  for (const auto& [k, m] : A) for (const auto& [name, v] : m) metrics.insert(name);
  Json out = Json::array();
  std::string md = fmt::format("### {}: {} (A) vs {} (B)\n\n| metric | n | A | B | B−A | 95% CI | p | test | MDE |\n|---|---:|---:|---:|---:|---|---:|---|---:|\n",
                               sa.suite, sa.model.name, sb.model.name);
  for (const auto& metric : metrics) {
    if (!a.metric.empty() && metric != a.metric) continue;
    std::vector<double> va, vb;
    for (const auto& [key, m] : A) {
      auto ia = m.find(metric);
      auto jb = B.find(key);
      if (ia == m.end() || jb == B.end()) continue;
      auto ib = jb->second.find(metric);
      if (ib == jb->second.end()) continue;
      va.push_back(ia->second);
      vb.push_back(ib->second);
    }
    if (va.empty()) continue;
    RSF_ASSIGN_OR_RETURN(auto c, eval::ComparePaired(va, vb));
    out.push_back({{"metric", sa.suite + "." + metric}, {"n", c.n}, {"mean_a", c.mean_a}, {"mean_b", c.mean_b},
                   {"diff", c.diff}, {"ci_low", c.diff_ci.low}, {"ci_high", c.diff_ci.high},
                   {"p_value", c.p_value}, {"method", c.method}, {"mde", c.mde},
                   {"a_only", c.a_only}, {"b_only", c.b_only}});
    md += fmt::format("| {} | {} | {:.4f} | {:.4f} | {:+.4f} | [{:+.4f}, {:+.4f}] | {:.4g} | {} | {:.4f} |\n",
                      metric, c.n, c.mean_a, c.mean_b, c.diff, c.diff_ci.low, c.diff_ci.high, c.p_value, c.method, c.mde);
  }
  if (out.empty()) return NotFoundError("no metric has samples in both runs");
  if (a.format == "json") {
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << md;
  }
  return OkStatus();
}

Status RunImport(CliContext& ctx, const EvalArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string bytes, ReadInput(ctx, a.file));
  RSF_ASSIGN_OR_RETURN(auto r, eval::ImportResults(bytes, a.file));
  if (!a.model.name.empty()) r.model.name = a.model.name;
  if (!a.model.digest.empty()) r.model.digest = a.model.digest;
  Json j = eval::ImportedResultsJson(r, ctx.clock);
  RSF_RETURN_IF_ERROR(WriteOutput(ctx, a.out, j.dump(2) + "\n"));
  if (!a.out.empty() && a.out != "-") {
    ctx.out << fmt::format("imported {} metric(s) from {} ({}) into {}\n", r.metrics.size(), a.file, r.source, a.out);
  }
  if (!a.ledger.empty()) {
    RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, a.ledger));
    RSF_ASSIGN_OR_RETURN(auto e, lg->Append(eval::ImportedResultEntry(r, Sha256Hex(bytes), ctx.clock)));
    RSF_RETURN_IF_ERROR(lg->Publish().status());
    RSF_RETURN_IF_ERROR(lg->Close());
    ctx.err << "logged the import to " << a.ledger << ": entry " << e.index << "\n";
  }
  return OkStatus();
}

}  // namespace

void AddEvalCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<EvalArgs>();
  auto* ev = app.add_subcommand("eval", "Run evaluation suites, show and compare runs, import results");
  ev->require_subcommand(1);

  auto* run = ev->add_subcommand(
      "run",
      "Run suites (YAML, docs/formats/eval.md) against a model. Each suite journals its samples in\n"
      "<run-dir>/<suite>/; running the same command again resumes. When every sample is done,\n"
      "writes rsf-eval-results/1 (for rsf assess) and, with --ledger, one eval.result entry per\n"
      "suite naming the suite digest, dataset digest, configuration hash and model.");
  run->add_option("suites", a->suites, "Suite files")->required();
  AddModelFlags(*run, a->model, "", true);
  AddModelFlags(*run, a->judge, "judge-", false);
  run->add_option("--run-dir", a->run_dir, "Directory for the runs' journals")->required();
  run->add_option("--out", a->out, "Results file (default <run-dir>/results.json)");
  run->add_option("--ledger", a->ledger, "Ledger: checks in-process weights, records loads and results");
  run->add_option("--concurrency", a->concurrency, "Samples in flight")->capture_default_str();
  run->add_option("--data-dir", a->data_dir, "Value of ${RSF_DATA} in suite paths (default $RSF_DATA or ../shared/data)");
  run->add_option("--price-prompt", a->price_prompt, "Cost per million prompt tokens");
  run->add_option("--price-completion", a->price_completion, "Cost per million completion tokens");
  run->callback([&ctx, a] { ctx.status = RunEvalCmd(ctx, *a); });

  auto* show = ev->add_subcommand("show", "Summarise a run directory (or a directory of runs)");
  show->add_option("run_dir", a->run_dir, "Run directory")->required();
  show->add_option("--format", a->format, "md, json or html (a forest plot per suite)")->capture_default_str();
  show->add_option("--out", a->out, "Write here instead of standard output");
  show->callback([&ctx, a] { ctx.status = RunShow(ctx, *a); });

  auto* cmp = ev->add_subcommand(
      "compare",
      "Paired comparison of two runs of the same suite (two models or checkpoints): difference\n"
      "with a paired-bootstrap 95% interval, exact McNemar p-value for 0/1 scores, and the\n"
      "minimum detectable effect for the number of shared samples.");
  cmp->add_option("run_a", a->run_a, "Run directory A")->required();
  cmp->add_option("run_b", a->run_b, "Run directory B")->required();
  cmp->add_option("--metric", a->metric, "Only this metric");
  cmp->add_option("--format", a->format, "md or json")->capture_default_str();
  cmp->callback([&ctx, a] { ctx.status = RunCompare(ctx, *a); });

  auto* imp = ev->add_subcommand(
      "import",
      "Convert an Inspect log (.json or .eval) or lm-evaluation-harness results JSON into\n"
      "rsf-eval-results/1, optionally recording it in the ledger.");
  imp->add_option("file", a->file, "Inspect log or lm-eval results file")->required();
  imp->add_option("--out", a->out, "Results file (default: standard output)");
  imp->add_option("--model-name", a->model.name, "Override the model name");
  imp->add_option("--model-digest", a->model.digest, "The model's manifest digest (sha256:<hex>)");
  imp->add_option("--ledger", a->ledger, "Record the import (eval.import) in this ledger");
  imp->callback([&ctx, a] { ctx.status = RunImport(ctx, *a); });
}

}  // namespace rsf::cli
