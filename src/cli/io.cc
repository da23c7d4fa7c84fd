#include "io.h"

#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "rsf/common/json.h"

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

Result<std::vector<NamedText>> ReadTexts(CliContext& ctx, std::string_view who, const std::vector<std::string>& args,
                                         bool from_stdin, const std::string& jsonl, const std::string& field) {
  std::vector<NamedText> in;
  for (size_t i = 0; i < args.size(); ++i) in.push_back({fmt::format("arg-{}", i + 1), args[i]});
  if (from_stdin) {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    in.push_back({"stdin", ss.str()});
  }
  if (!jsonl.empty()) {
    RSF_ASSIGN_OR_RETURN(std::string content, ReadInput(ctx, jsonl));
    std::istringstream lines(content);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      RSF_ASSIGN_OR_RETURN(Json j, ParseJson(line, fmt::format("{}:{}", jsonl, n)));
      if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
        return InvalidArgumentError(fmt::format("{}:{}: expected an object with a string field '{}'", jsonl, n, field));
      }
      std::string id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : fmt::format("line-{}", n);
      in.push_back({std::move(id), j[field].get<std::string>()});
    }
  }
  if (in.empty()) return InvalidArgumentError(fmt::format("{}: give texts as arguments, --stdin or --jsonl FILE", who));
  return in;
}

}  // namespace rsf::cli
