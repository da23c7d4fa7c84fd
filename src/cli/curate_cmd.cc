// `rsf curate run` and `rsf curate merge`: the curation pipeline over JSON Lines corpora,
// whole or a shard at a time, the cross-shard step, their manifests and, with --ledger, the
// manifest's record in the transparency log.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/curate/merge.h"
#include "rsf/curate/pipeline.h"
#include "rsf/ledger/ledger.h"

namespace rsf::cli {
namespace {

struct CurateArgs {
  std::string config, ledger, shard;
  int threads = 0;
  int shards = 0;
  bool json = false;
};

// "i/N" with 0 <= i < N.
Status ParseShard(const std::string& text, curate::RunOptions& o) {
  const size_t slash = text.find('/');
  int i = -1, n = -1;
  try {
    size_t used = 0;
    if (slash != std::string::npos) {
      i = std::stoi(text.substr(0, slash), &used);
      if (used != slash) i = -1;
      n = std::stoi(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) n = -1;
    }
  } catch (const std::exception&) {
    i = n = -1;
  }
  if (i < 0 || n < 1 || i >= n || n > 100000) {
    return InvalidArgumentError(fmt::format("curate run: --shard '{}' is not i/N with 0 <= i < N (e.g. 0/4)", text));
  }
  o.shard = i;
  o.shards = n;
  return OkStatus();
}

// The ledger named by --ledger, or none.
Result<std::unique_ptr<ledger::Ledger>> OpenLedgerIfNamed(CliContext& ctx, const std::string& dir) {
  if (dir.empty()) return std::unique_ptr<ledger::Ledger>();
  return ledger::Ledger::Open(ctx.env, dir);
}

Status AppendToLedger(ledger::Ledger* lg, ledger::Entry e, std::optional<uint64_t>& index) {
  if (lg == nullptr) return OkStatus();
  RSF_ASSIGN_OR_RETURN(auto appended, lg->Append(std::move(e)));
  index = appended.index;
  RSF_RETURN_IF_ERROR(lg->Publish().status());
  return lg->Close();
}

Status RunCurate(CliContext& ctx, const CurateArgs& a) {
  RSF_ASSIGN_OR_RETURN(curate::PipelineConfig config, curate::LoadPipelineConfig(ctx.env, a.config));
  if (a.threads < 0) return InvalidArgumentError("curate run: --threads must be >= 0");
  RSF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> lg, OpenLedgerIfNamed(ctx, a.ledger));
  curate::RunOptions o;
  o.threads = a.threads;
  if (!a.shard.empty()) RSF_RETURN_IF_ERROR(ParseShard(a.shard, o));
  const auto start = std::chrono::steady_clock::now();
  o.progress = [&ctx, start](uint64_t docs, uint64_t bytes) {
    const double s = std::max(1e-9, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    Progress(ctx, fmt::format("{} documents, {:.1f} MB ({:.0f} documents/s, {:.1f} MB/s)", docs, bytes / 1e6, docs / s,
                              bytes / 1e6 / s));
  };
  RSF_ASSIGN_OR_RETURN(curate::PipelineResult r, curate::RunPipeline(ctx.env, config, o));
  ProgressDone(ctx);
  std::optional<uint64_t> entry;
  RSF_RETURN_IF_ERROR(AppendToLedger(lg.get(), curate::ManifestEntry(r, ctx.clock), entry));
  if (a.json) {
    Json out = {{"manifest", r.manifest_path}, {"manifest_sha256", r.manifest_sha256}, {"documents", r.read},
                {"kept", r.kept}, {"removed", r.removed}, {"errors", r.errors}, {"seconds", r.seconds}};
    if (entry) out["ledger_index"] = *entry;
    ctx.out << out.dump(2) << "\n";
    return OkStatus();
  }
  const double mb = static_cast<double>(r.text_bytes) / 1e6;
  ctx.out << fmt::format("{} documents ({:.1f} MB of text) in {:.2f} s ({:.1f} MB/s): kept {}, removed {}, errors {}\n",
                         r.read, mb, r.seconds, mb / std::max(r.seconds, 1e-9), r.kept, r.removed, r.errors);
  for (const auto& [stage, s] : r.manifest["stages"].items()) {
    std::string reasons;
    for (const auto& [why, n] : s["reasons"].items()) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", why, n.get<uint64_t>());
    ctx.out << fmt::format("  {:<12} removed {}{}\n", stage, s["removed"].get<uint64_t>(), reasons.empty() ? "" : " (" + reasons + ")");
    if (stage == "pii") {
      std::string found;
      for (const auto& [kind, n] : s["found"].items()) found += fmt::format("{}{} {}", found.empty() ? "" : ", ", kind, n.get<uint64_t>());
      ctx.out << fmt::format("  {:<12} found {}; {} documents redacted\n", "", found, s["redacted_documents"].get<uint64_t>());
    }
  }
  if (r.errors > 0) {
    std::string reasons;
    for (const auto& [why, n] : r.manifest["errors"]["by_reason"].items()) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", why, n.get<uint64_t>());
    ctx.out << fmt::format("  {:<12} {} lines skipped ({}); the first are listed in the manifest\n", "errors", r.errors, reasons);
  }
  ctx.out << fmt::format("manifest: {} (sha256:{})\n", r.manifest_path, r.manifest_sha256);
  if (entry) ctx.out << fmt::format("logged to the ledger as entry {}\n", *entry);
  return OkStatus();
}

Status MergeCurate(CliContext& ctx, const CurateArgs& a) {
  RSF_ASSIGN_OR_RETURN(curate::PipelineConfig config, curate::LoadPipelineConfig(ctx.env, a.config));
  RSF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> lg, OpenLedgerIfNamed(ctx, a.ledger));
  curate::MergeOptions o;
  o.shards = a.shards;
  o.progress = [&ctx](std::string_view step) { Progress(ctx, std::string(step)); };
  RSF_ASSIGN_OR_RETURN(curate::MergeResult r, curate::MergeShards(ctx.env, config, o));
  ProgressDone(ctx);
  std::optional<uint64_t> entry;
  RSF_RETURN_IF_ERROR(AppendToLedger(lg.get(), curate::MergeEntry(r, ctx.clock), entry));
  if (a.json) {
    Json out = {{"manifest", r.manifest_path}, {"manifest_sha256", r.manifest_sha256}, {"documents", r.documents},
                {"kept", r.kept}, {"removed", {{"exact_dedup", r.removed_exact}, {"near_dedup", r.removed_near}}},
                {"dataset_sha256", r.dataset_sha256}, {"seconds", r.seconds}};
    if (entry) out["ledger_index"] = *entry;
    ctx.out << out.dump(2) << "\n";
    return OkStatus();
  }
  ctx.out << fmt::format(
      "{} shards, {} documents kept by the shards in {:.2f} s: kept {}, removed across shards {} exact and {} near "
      "duplicates ({} candidate pairs checked)\n",
      a.shards, r.documents, r.seconds, r.kept, r.removed_exact, r.removed_near, r.candidates_checked);
  ctx.out << fmt::format("dataset: sha256:{} (the merged kept files in shard order)\n", r.dataset_sha256);
  ctx.out << fmt::format("manifest: {} (sha256:{})\n", r.manifest_path, r.manifest_sha256);
  if (entry) ctx.out << fmt::format("logged to the ledger as entry {}\n", *entry);
  return OkStatus();
}

}  // namespace

void AddCurateCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<CurateArgs>();
  auto* c = app.add_subcommand("curate", "Filter training corpora and account for every document removed");
  c->require_subcommand(1);
  auto* run = c->add_subcommand(
      "run",
      "Run a curation pipeline (quality, guard, PII, exact and near dedup) over JSON Lines files (plain, .gz, .zst);\n"
      "writes kept.jsonl, removed.jsonl and manifest.json to the configured output directory (docs/curate.md)");
  run->add_option("--config", a->config, "Pipeline configuration (YAML)")->required();
  run->add_option("--threads", a->threads, "Worker threads (0: one per core)")->capture_default_str();
  run->add_option("--shard", a->shard,
                  "Run shard i of N (i/N, 0-based): inputs i, i+N, ... into <output>/shard-i-of-N/, with signatures.bin\n"
                  "for `rsf curate merge`");
  run->add_option("--ledger", a->ledger, "Record the manifest in this ledger (type curate.manifest)");
  run->add_flag("--json", a->json, "Print the summary as JSON");
  run->callback([&ctx, a] { ctx.status = RunCurate(ctx, *a); });
  auto* merge = c->add_subcommand(
      "merge",
      "After `rsf curate run --shard i/N` for every i: remove exact and near duplicates across shards and write\n"
      "<output>/merged/ (kept-i-of-N.jsonl, removed-, removals- and manifest.json)");
  merge->add_option("--config", a->config, "The pipeline configuration the shards ran")->required();
  merge->add_option("--shards", a->shards, "How many shards ran (N)")->required();
  merge->add_option("--ledger", a->ledger, "Record the merged manifest in this ledger (type curate.manifest)");
  merge->add_flag("--json", a->json, "Print the summary as JSON");
  merge->callback([&ctx, a] { ctx.status = MergeCurate(ctx, *a); });
}

}  // namespace rsf::cli
