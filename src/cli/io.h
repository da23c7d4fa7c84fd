// src/cli/io.h: small input/output helpers shared by the rsf subcommands.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Texts to process, in order: arguments ("arg-N"), standard input when `from_stdin`
// ("stdin"), and each record of the JSON Lines file `jsonl` ("-": standard input) with a
// string field `field` (named by its "id", else "line-N"). kInvalidArgument naming the file
// and line of a malformed record, or `who` when there is no text at all.
struct NamedText {
  std::string id, text;
};
Result<std::vector<NamedText>> ReadTexts(CliContext& ctx, std::string_view who, const std::vector<std::string>& args,
                                         bool from_stdin, const std::string& jsonl, const std::string& field);

// Prints a progress line on the terminal (carriage return, no newline) when interactive.
void Progress(CliContext& ctx, const std::string& line);
void ProgressDone(CliContext& ctx);

}  // namespace rsf::cli
