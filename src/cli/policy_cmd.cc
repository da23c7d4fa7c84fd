// `rsf policy ...`: check a safety framework written as code.
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/common/json.h"
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

}  // namespace

void AddPolicyCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* pol = app.add_subcommand("policy", "The safety framework as code: lint");
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
}

}  // namespace rsf::cli
