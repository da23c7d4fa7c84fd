// `rsf risks`: aggregate a Delphi risk register and draw likelihood x severity.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/policy/risks.h"

namespace rsf::cli {
namespace {

struct RisksArgs {
  std::string file, out_dir;
  bool json = false;
};

Status RunRisks(CliContext& ctx, const RisksArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.file));
  RSF_ASSIGN_OR_RETURN(policy::RiskRegister reg, policy::LoadRiskRegister(text, a.file));
  auto summaries = policy::AggregateRisks(reg);
  if (!a.out_dir.empty()) {
    RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(a.out_dir));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "risks.json"),
                                                policy::RiskSummariesToJson(summaries).dump(2) + "\n"));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "risks.md"), policy::RiskMarkdown(summaries)));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "risks.html"), policy::RiskHtml(summaries)));
    ctx.out << fmt::format("{} risks over {} rounds; report in {}/risks.{{json,md,html}}\n", summaries.size(),
                           reg.rounds.size(), a.out_dir);
  } else if (a.json) {
    ctx.out << policy::RiskSummariesToJson(summaries).dump(2) << "\n";
  } else {
    ctx.out << policy::RiskMarkdown(summaries);
  }
  return OkStatus();
}

}  // namespace

void AddRisksCommand(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<RisksArgs>();
  auto* c = app.add_subcommand(
      "risks",
      "Aggregate a risk register rated over Delphi rounds: per risk the median and\n"
      "interquartile range of probability, severity and vulnerability per round, whether the\n"
      "panel converged, and a likelihood x severity chart (with --out-dir).");
  c->add_option("file", a->file, "Risk register YAML (rsf_risks: 1)")->required();
  c->add_option("--out-dir", a->out_dir, "Write risks.json, .md and .html here");
  c->add_flag("--json", a->json, "Print JSON");
  c->callback([&ctx, a] { ctx.status = RunRisks(ctx, *a); });
}

}  // namespace rsf::cli
