// src/cli/cli.h
//
// The `rsf` command line. apps/rsf/main.cc only builds the Env and Clock and calls RunCli.
// Each command group lives in its own file (ledger_cmd.cc, demo_cmd.cc) and registers its
// subcommands on the CLI11 app. Exit codes: docs/cli.md.
//
// Thread safety: RunCli is called once per process.
#pragma once

#include <iosfwd>
#include <string>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/status.h"

namespace CLI {
class App;
}

namespace rsf::cli {

// Exit codes of `rsf`, documented in docs/cli.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,  // bad flags or arguments, or invalid input (kInvalidArgument)
  kExitPermission = 3,
  kExitNotFound = 4,
  kExitPrecondition = 5,
  kExitResourceExhausted = 6,
  kExitDeadline = 7,
  kExitUnavailable = 8,
  kExitVerificationFailed = 9,  // kDataLoss: a proof, checkpoint or log failed verification
};

int ExitCodeFor(const Status& status);

// The help footer that lists them.
inline constexpr const char* kExitFooter =
    "Exit codes: 0 ok, 1 internal error, 2 invalid usage or input, 3 permission denied, "
    "4 not found, 5 failed precondition or already exists, 6 resource exhausted, 7 deadline "
    "exceeded, 8 unavailable, 9 verification failed (tampering or corruption detected). "
    "See docs/cli.md.";

struct CliContext {
  Env& env;
  const Clock& clock;
  std::ostream& out;
  std::ostream& err;
  Status status;  // the outcome of the command that ran
  // True when stderr is a terminal and CI is not set: show progress lines.
  bool interactive = false;
};

// Runs `rsf` with argv; returns the process exit code.
int RunCli(int argc, char** argv, CliContext& ctx);

// Registration of the command groups (one file each).
void AddLedgerCommands(CLI::App& app, CliContext& ctx);
void AddPolicyCommands(CLI::App& app, CliContext& ctx);
void AddAssessCommand(CLI::App& app, CliContext& ctx);
void AddDecisionCommands(CLI::App& app, CliContext& ctx);
void AddRisksCommand(CLI::App& app, CliContext& ctx);
void AddModelCommands(CLI::App& app, CliContext& ctx);
void AddEvalCommands(CLI::App& app, CliContext& ctx);
void AddGuardCommands(CLI::App& app, CliContext& ctx);
void AddWatermarkCommands(CLI::App& app, CliContext& ctx);
void AddCurateCommands(CLI::App& app, CliContext& ctx);
void AddGatewayCommands(CLI::App& app, CliContext& ctx);
void AddIncidentCommands(CLI::App& app, CliContext& ctx);
void AddDemoCommand(CLI::App& app, CliContext& ctx);

// Serves the gateway configured in `config` on `listen` (HOST:PORT) until SIGINT/SIGTERM, as
// rsfd does (`rsf demo --serve`).
Status ServeGatewayConfig(CliContext& ctx, const std::string& config, const std::string& listen);

// `rsfd`: the gateway daemon (`rsf gateway serve` with its own name and help).
int RunDaemon(int argc, char** argv, CliContext& ctx);

}  // namespace rsf::cli
