// `rsf policy ...`: check a safety framework written as code.
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/common/json.h"
#include "rsf/policy/diff.h"
#include "rsf/policy/lint.h"
#include "rsf/policy/policy.h"

namespace rsf::cli {
namespace {

struct LintArgs {
  std::string file, metrics;
  bool json = false;
};

Status RunLint(CliContext& ctx, const LintArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.file));
  RSF_ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicy(text, a.file == "-" ? "stdin" : a.file));
  policy::LintOptions options;
  if (!a.metrics.empty()) {
    RSF_ASSIGN_OR_RETURN(std::string catalogue, ReadInput(ctx, a.metrics));
    std::istringstream in(catalogue);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') options.known_metrics.insert(line);
    }
  }
  auto findings = policy::LintPolicy(p, options);
  size_t errors = 0, warnings = 0;
  for (const auto& f : findings) {
    errors += f.severity == policy::Severity::kError;
    warnings += f.severity == policy::Severity::kWarning;
  }
  if (a.json) {
    Json list = Json::array();
    for (const auto& f : findings) {
      list.push_back({{"severity", policy::SeverityName(f.severity)}, {"code", f.code},
                      {"file", f.where.file}, {"line", f.where.line}, {"column", f.where.column},
                      {"message", f.message}});
    }
    ctx.out << Json{{"file", a.file}, {"framework", p.framework.id}, {"version", p.framework.version},
                    {"errors", errors}, {"warnings", warnings}, {"findings", list}}.dump(2) << "\n";
  } else {
    for (const auto& f : findings) {
      ctx.out << fmt::format("{}: {} [{}]: {}\n", f.where.ToString(), policy::SeverityName(f.severity), f.code,
                             f.message);
    }
    ctx.out << fmt::format("{} {} ({}): {} levels, {} thresholds, {} safeguards; {} errors, {} warnings\n",
                           p.framework.name, p.framework.version, a.file, p.levels.size(), p.thresholds.size(),
                           p.safeguards.size(), errors, warnings);
  }
  if (errors > 0) return InvalidArgumentError(fmt::format("{}: {} lint errors", a.file, errors));
  return OkStatus();
}

struct DiffArgs {
  std::string before, after;
  bool json = false;
};

Status RunDiff(CliContext& ctx, const DiffArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string before_text, ReadInput(ctx, a.before));
  RSF_ASSIGN_OR_RETURN(policy::Policy before, policy::LoadPolicy(before_text, a.before));
  RSF_ASSIGN_OR_RETURN(std::string after_text, ReadInput(ctx, a.after));
  RSF_ASSIGN_OR_RETURN(policy::Policy after, policy::LoadPolicy(after_text, a.after));
  auto changes = policy::DiffPolicies(before, after);
  size_t weakening = std::count_if(changes.begin(), changes.end(), [](const auto& c) { return c.weakens; });
  if (a.json) {
    Json list = Json::array();
    for (const auto& c : changes) list.push_back({{"area", c.area}, {"sentence", c.sentence}, {"weakens", c.weakens}});
    ctx.out << Json{{"before", before.framework.version}, {"after", after.framework.version},
                    {"changes", list}, {"weakening", weakening}}.dump(2) << "\n";
    return OkStatus();
  }
  ctx.out << fmt::format("# {}: {} -> {}\n", after.framework.name, before.framework.version, after.framework.version);
  std::string area;
  for (const auto& c : changes) {
    if (c.area != area) {
      area = c.area;
      ctx.out << "\n## " << area << "\n\n";
    }
    ctx.out << "- " << (c.weakens ? "**weakens:** " : "") << c.sentence << "\n";
  }
  ctx.out << fmt::format("\n{} changes, {} of them weakening the framework.\n", changes.size(), weakening);
  return OkStatus();
}

}  // namespace

void AddPolicyCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* pol = app.add_subcommand("policy", "The safety framework as code: lint, diff");
  pol->require_subcommand(1);
  auto a = std::make_shared<LintArgs>();
  auto* c = pol->add_subcommand(
      "lint",
      "Load a policy (syntax, types, references; errors with file:line:column) and check it\n"
      "against the common elements of published frameworks and the Seoul commitments.\n"
      "Exit 0 when there are no errors (warnings allowed), 2 otherwise.");
  c->add_option("file", a->file, "Policy YAML ('-' for stdin)")->required();
  c->add_option("--metrics", a->metrics,
                "A catalogue of known metric paths, one per line: conditions reading others are errors");
  c->add_flag("--json", a->json, "Print findings as JSON");
  c->callback([&ctx, a] { ctx.status = RunLint(ctx, *a); });

  auto d = std::make_shared<DiffArgs>();
  auto* dc = pol->add_subcommand(
      "diff", "What changed between two versions of a policy, in words a board can read, with\n"
              "weakening changes marked. Markdown, or --json.");
  dc->add_option("before", d->before, "The earlier policy YAML")->required();
  dc->add_option("after", d->after, "The later policy YAML")->required();
  dc->add_flag("--json", d->json, "Print JSON");
  dc->callback([&ctx, d] { ctx.status = RunDiff(ctx, *d); });
}

}  // namespace rsf::cli
