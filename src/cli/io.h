// src/cli/io.h: small input/output helpers shared by the rsf subcommands.
#pragma once

#include <optional>
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

// A private signer key from a file (one line, as `rsf decision keygen` writes it).
// Wrapped in optional because NoteSigner has no default constructor.
Result<std::optional<ledger::NoteSigner>> LoadSigner(CliContext& ctx, const std::string& path);

// Prints a progress line on the terminal (carriage return, no newline) when interactive.
void Progress(CliContext& ctx, const std::string& line);
void ProgressDone(CliContext& ctx);

}  // namespace rsf::cli
