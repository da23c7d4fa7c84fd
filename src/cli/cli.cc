#include "cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "rsf/common/log.h"

namespace rsf::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kPermissionDenied: return kExitPermission;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists: return kExitPrecondition;
    case StatusCode::kResourceExhausted: return kExitResourceExhausted;
    case StatusCode::kDeadlineExceeded: return kExitDeadline;
    case StatusCode::kUnavailable: return kExitUnavailable;
    case StatusCode::kDataLoss: return kExitVerificationFailed;
    default: return kExitInternal;
  }
}

int RunCli(int argc, char** argv, CliContext& ctx) {
  CLI::App app{
      "rsf: a responsible-scaling framework as running, verifiable machinery.\n"
      "Every step (evaluation, assessment, decision, serving, incidents) is written to a\n"
      "Merkle transparency log that auditors verify offline.",
      "rsf"};
  app.footer(kExitFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", "rsf 0.1.0");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.parse_complete_callback([&] {
    Status s = InitLogging(log_level);
    if (!s.ok()) throw CLI::ValidationError("--log-level", s.message());
  });
  const char* ci = std::getenv("CI");
  ctx.interactive = ::isatty(STDERR_FILENO) && !(ci && *ci);

  AddLedgerCommands(app, ctx);
  AddPolicyCommands(app, ctx);
  AddAssessCommand(app, ctx);
  AddDecisionCommands(app, ctx);
  AddRisksCommand(app, ctx);
  AddModelCommands(app, ctx);
  AddEvalCommands(app, ctx);
  AddGuardCommands(app, ctx);
  AddWatermarkCommands(app, ctx);
  AddCurateCommands(app, ctx);
  AddGatewayCommands(app, ctx);
  AddIncidentCommands(app, ctx);
  AddDemoCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, ctx.out, ctx.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, ctx.out, ctx.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, ctx.out, ctx.err);
  } catch (const CLI::ParseError& e) {
    app.exit(e, ctx.out, ctx.err);
    return kExitUsage;
  }
  if (!ctx.status.ok()) {
    ctx.err << "rsf: error: " << ctx.status.message() << "\n";
  }
  return ExitCodeFor(ctx.status);
}

}  // namespace rsf::cli
