#include "io.h"

#include <iostream>
#include <iterator>

namespace rsf::cli {

Result<std::string> ReadInput(CliContext& ctx, const std::string& path) {
  if (path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return data;
  }
  auto data = ctx.env.ReadFile(path);
  if (!data.ok()) return data.status();
  return data;
}

Status WriteOutput(CliContext& ctx, const std::string& path, std::string_view data) {
  if (path.empty() || path == "-") {
    ctx.out << data;
    ctx.out.flush();
    return OkStatus();
  }
  return ctx.env.WriteFileAtomic(path, data);
}

Result<ledger::NoteVerifier> LoadVerifier(CliContext& ctx, const std::string& arg) {
  std::string text = arg;
  if (ctx.env.FileExists(arg)) {
    auto data = ctx.env.ReadFile(arg);
    if (!data.ok()) return data.status().WithContext("--key");
    text = *data;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  auto v = ledger::NoteVerifier::Parse(text);
  if (!v.ok()) {
    return InvalidArgumentError("--key: '" + arg.substr(0, 120) +
                                "' is neither a verifier key nor a file holding one: " +
                                v.status().message());
  }
  return v;
}

Result<std::optional<ledger::NoteSigner>> LoadSigner(CliContext& ctx, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto signer = ledger::NoteSigner::Parse(text);
  if (!signer.ok()) return signer.status().WithContext(path);
  return std::optional<ledger::NoteSigner>(std::move(*signer));
}

void Progress(CliContext& ctx, const std::string& line) {
  if (!ctx.interactive) return;
  ctx.err << "\r\033[K" << line << std::flush;
}

void ProgressDone(CliContext& ctx) {
  if (ctx.interactive) ctx.err << "\r\033[K" << std::flush;
}

}  // namespace rsf::cli
