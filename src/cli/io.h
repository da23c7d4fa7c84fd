// src/cli/io.h: small input/output helpers shared by the rsf subcommands.
#pragma once

#include <string>

#include "cli.h"
#include "rsf/ledger/note.h"

namespace rsf::cli {

// Reads `path`, or standard input for "-".
Result<std::string> ReadInput(CliContext& ctx, const std::string& path);
// Writes to `path` atomically, or to standard output for "" or "-".
Status WriteOutput(CliContext& ctx, const std::string& path, std::string_view data);
// A verifier key given inline ("name+hash+key") or as a file holding one.
Result<ledger::NoteVerifier> LoadVerifier(CliContext& ctx, const std::string& arg);

// Prints a progress line on the terminal (carriage return, no newline) when interactive.
void Progress(CliContext& ctx, const std::string& line);
void ProgressDone(CliContext& ctx);

}  // namespace rsf::cli
